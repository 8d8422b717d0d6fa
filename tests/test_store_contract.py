"""One behaviour suite run against every Store backend: memory, disk, a real `oxigraph serve` and a real Virtuoso 7."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from evidencekg.errors import QuerySyntaxError
from evidencekg.model.graphs import META_GRAPH, SHAPES_GRAPH, data_graph, ontology_graph
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.protocol import Store
from evidencekg.store.remote import RemoteStore
from tests._writes_support import oxigraph_serve, remote_store

EX = "http://example.org/"
GRAPH = "http://example.org/graph/g1"
TURTLE = f"""
@prefix ex: <{EX}> .
ex:a ex:name "Alice" ; ex:age 42 ; ex:knows ex:b .
ex:b ex:name "Bob"@en ; ex:age 7 .
""".encode()


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `oxigraph serve` on a free loopback port (killed at teardown); yields its base URL."""
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph-server")) as base:
        yield base


@pytest.fixture(params=["memory", "disk", "remote", "virtuoso"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """An empty store of each backend."""
    if request.param == "memory":
        return OxigraphStore()
    if request.param == "disk":
        return OxigraphStore(tmp_path / "store")
    if request.param == "virtuoso":
        remote = request.getfixturevalue("virtuoso_server").store()
    else:
        remote = remote_store(request.getfixturevalue("oxigraph_server"))
    remote.clear()
    return remote


def test_is_a_store(store: Store) -> None:
    assert isinstance(store, Store)


def test_load_then_len_and_select_with_bindings(store: Store) -> None:
    assert len(store) == 0
    store.load(TURTLE, "text/turtle")
    assert len(store) == 5
    rows = store.select(
        f"SELECT ?name ?age {{ ?p <{EX}name> ?name ; <{EX}age> ?age }}", {"p": ox.NamedNode(f"{EX}b")}
    )
    assert [(r["name"], int(r["age"].value)) for r in rows] == [(ox.Literal("Bob", language="en"), 7)]
    everyone = store.select(f"SELECT ?p {{ ?p <{EX}age> ?age }} ORDER BY ?p")
    assert [r["p"].value for r in everyone] == [f"{EX}a", f"{EX}b"]


def test_unbound_variables_are_absent(store: Store) -> None:
    store.load(TURTLE, "text/turtle")
    rows = store.select(f"SELECT ?p ?friend {{ ?p <{EX}age> ?a OPTIONAL {{ ?p <{EX}knows> ?friend }} }} ORDER BY ?p")
    assert "friend" in rows[0] and "friend" not in rows[1]


def test_ask_and_ask_with_bindings(store: Store) -> None:
    store.load(TURTLE, "text/turtle")
    assert store.ask(f"ASK {{ <{EX}a> <{EX}knows> <{EX}b> }}") is True
    assert store.ask(f"ASK {{ ?x <{EX}knows> <{EX}a> }}") is False
    assert store.ask(f"ASK {{ ?x <{EX}age> ?age }}", {"x": ox.NamedNode(f"{EX}b")}) is True
    assert store.ask(f"ASK {{ ?x <{EX}age> ?age }}", {"x": ox.NamedNode(f"{EX}nobody")}) is False


def test_construct(store: Store) -> None:
    store.load(TURTLE, "text/turtle")
    triples = store.construct(f"CONSTRUCT {{ ?b <{EX}knownBy> ?a }} WHERE {{ ?a <{EX}knows> ?b }}")
    assert triples == [ox.Triple(ox.NamedNode(f"{EX}b"), ox.NamedNode(f"{EX}knownBy"), ox.NamedNode(f"{EX}a"))]


def test_update_and_named_graphs(store: Store) -> None:
    assert store.graph_exists(None) is True
    assert store.graph_exists(GRAPH) is False
    store.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{EX}c> <{EX}age> 3 }} }}")
    assert store.graph_exists(GRAPH) is True
    assert len(store) == 1
    # a query's default graph is the data union (evidencekg.model.graphs); a FROM names its own
    assert store.select("SELECT ?s { ?s ?p ?o }") == [{"s": ox.NamedNode(f"{EX}c")}]
    assert store.select("SELECT ?s FROM <http://example.org/elsewhere> { ?s ?p ?o }") == []
    store.update(f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}")
    assert len(store) == 0


def test_load_into_named_graph_and_dump(store: Store) -> None:
    store.load(TURTLE, "text/turtle", GRAPH)
    assert store.graph_exists(GRAPH)
    assert store.dump("text/turtle") == b""  # the real default graph holds nothing
    turtle = store.dump("text/turtle", GRAPH)
    assert set(ox.parse(turtle, format=ox.RdfFormat.TURTLE)) == set(ox.parse(TURTLE, format=ox.RdfFormat.TURTLE))
    quads = list(ox.parse(store.dump("application/n-quads"), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == 5 and {q.graph_name for q in quads} == {ox.NamedNode(GRAPH)}


def test_ontology_and_shapes_graphs_are_outside_the_union_until_asked_for(store: Store) -> None:
    for graph in (ontology_graph("evidencekg"), SHAPES_GRAPH, META_GRAPH):
        store.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}t> <{EX}in> <{graph}> }} }}")
    store.update(f"INSERT DATA {{ GRAPH <{data_graph('x')}> {{ <{EX}d> <{EX}in> 1 }} }} ; INSERT DATA {{ <{EX}u> <{EX}in> 2 }}")
    union = {r["s"].value for r in store.select("SELECT DISTINCT ?s { ?s ?p ?o }")}
    # Oxigraph server's union default graph holds every graph; elsewhere the data graphs are named one by one
    every_graph = isinstance(store, RemoteStore) and store.engine.union_parameter
    assert union == ({f"{EX}d", f"{EX}u", f"{EX}t"} if every_graph else {f"{EX}d", f"{EX}u"})
    asked = store.select(f"SELECT ?o FROM <{ontology_graph('evidencekg')}> {{ ?s ?p ?o }}")
    assert asked == [{"o": ox.NamedNode(ontology_graph("evidencekg"))}]
    assert len(store.select("SELECT ?g { GRAPH ?g { ?s ?p ?o } }")) == 4


def test_dump_default_graph_round_trips(store: Store) -> None:
    store.load(TURTLE, "text/turtle")
    copy = OxigraphStore()
    copy.load(store.dump("application/n-triples"), "application/n-triples")
    assert len(copy) == 5


def test_query_syntax_error(store: Store) -> None:
    with pytest.raises(QuerySyntaxError):
        store.select("SELECT ?s WHERE { ?s ?p }")
    with pytest.raises(QuerySyntaxError):
        store.update("INSERT DATA { <a> }")


def test_bad_rdf_loads_nothing(store: Store) -> None:
    with pytest.raises(QuerySyntaxError):
        store.load(TURTLE + b"\n<http://x/a> <http://x/b> .\n", "text/turtle")
    assert len(store) == 0
