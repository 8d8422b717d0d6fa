"""The write library (evidencekg.evidence.writes) on the shipped evidence: validated before commit, atomic, on embedded and remote stores."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import rdflib

from evidencekg.errors import Forbidden, NotFound, QuerySyntaxError, ShapeViolation, UnsupportedMediaType
from evidencekg.evidence import writes
from evidencekg.settings import Settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.protocol import Store
from tests._evidence_support import FINDING, MUTATIONS, VALID_FINDING
from tests._server import live_server, memory_app
from tests._writes_support import copy_into, dataset, merged_triples, oxigraph_serve, remote_store

TURTLE = "text/turtle"
PREFIXES = "PREFIX ekg: <https://w3id.org/evidencekg/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
DIENER = "https://w3id.org/evidencekg/id/finding/diener2011-security-alliance"
GRAPH = "https://example.org/graphs/test"


def mutated(name: str) -> str:
    """The valid test finding with one mutation applied."""
    old, new, _words = MUTATIONS[name]
    assert old in VALID_FINDING
    return VALID_FINDING.replace(old, new)


@pytest.fixture(scope="module")
def remote_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real `oxigraph serve` for this module."""
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph-writes")) as base:
        yield base


@pytest.fixture(params=["embedded", "remote"])
def store(request: pytest.FixtureRequest, loaded_store: OxigraphStore) -> Store:
    """The shipped evidence in an embedded store, or copied into a real remote Oxigraph server."""
    if request.param == "embedded":
        return loaded_store
    remote = remote_store(request.getfixturevalue("remote_base"))
    remote.clear()
    copy_into(loaded_store, remote)
    return remote


def has_finding(store: Store, estimate: str = "-0.2") -> bool:
    """Whether the test finding is in the store with this estimate."""
    return store.ask(f"ASK {{ <{FINDING}> <https://w3id.org/evidencekg/ontology#estimate> {estimate} }}")


def test_a_valid_finding_lands_and_is_queryable(store: Store, project_settings: Settings) -> None:
    result = writes.post_graph(store, None, VALID_FINDING.encode(), TURTLE, project_settings)
    # the payload's triples and the superclass type it implies (evidencekg.shapes.entailment)
    assert result.added == len(rdflib.Graph().parse(data=VALID_FINDING, format="turtle")) + 1
    assert has_finding(store)
    assert store.ask(f"ASK {{ <{FINDING}> a <https://w3id.org/evidencekg/ontology#Finding> }}")


@pytest.mark.parametrize("mutation", ["r-out-of-range", "no-sentence", "no-publication"])
def test_a_shape_violating_payload_is_refused_and_nothing_changes(
    store: Store, project_settings: Settings, mutation: str
) -> None:
    before = dataset(store)
    with pytest.raises(ShapeViolation) as caught:
        writes.put_graph(store, GRAPH, mutated(mutation).encode(), TURTLE, project_settings)
    for word in MUTATIONS[mutation][2]:
        assert word in caught.value.report
    assert "finding/test2020-anxiety-alliance" in caught.value.report
    assert dataset(store) == before
    assert not store.graph_exists(GRAPH)


def test_unparsable_turtle_is_refused_with_its_position_and_nothing_changes(
    store: Store, project_settings: Settings
) -> None:
    before = dataset(store)
    broken = VALID_FINDING.replace('ekg:pValueRelation "=" ;', 'ekg:pValueRelation "= ;')
    line = broken[: broken.index('"= ;')].count("\n") + 1
    with pytest.raises(writes.RdfSyntaxError) as caught:
        writes.post_graph(store, None, broken.encode(), TURTLE, project_settings)
    assert caught.value.line == line
    assert f"line {line}" in str(caught.value)
    assert dataset(store) == before


def test_a_shape_violating_sparql_insert_is_refused_and_nothing_changes(
    store: Store, project_settings: Settings
) -> None:
    before = dataset(store)
    with pytest.raises(ShapeViolation) as caught:
        writes.sparql_update(store, PREFIXES + f"INSERT DATA {{ <{DIENER}> ekg:estimate 1.5 }}", project_settings)
    assert "finding/diener2011-security-alliance" in caught.value.report
    assert "[-1, 1]" in caught.value.report
    assert dataset(store) == before


def test_a_sparql_delete_that_strips_a_source_is_refused(store: Store, project_settings: Settings) -> None:
    before = dataset(store)
    update = f"PREFIX prov: <http://www.w3.org/ns/prov#>\nDELETE WHERE {{ GRAPH ?g {{ <{DIENER}> prov:wasDerivedFrom ?s }} }}"
    with pytest.raises(ShapeViolation) as caught:
        writes.sparql_update(store, update, project_settings)
    assert "missing source" in caught.value.report
    assert dataset(store) == before


def test_a_valid_sparql_update_commits_exactly_its_delta(store: Store, project_settings: Settings) -> None:
    before = dataset(store)
    update = PREFIXES + (
        f'DELETE {{ GRAPH ?g {{ ?f rdfs:label ?l }} }} INSERT {{ GRAPH ?g {{ ?f rdfs:label "renamed" }} }} '
        f"WHERE {{ BIND(<{DIENER}> AS ?f) GRAPH ?g {{ ?f rdfs:label ?l }} }}"
    )
    result = writes.sparql_update(store, update, project_settings)
    assert (result.added, result.removed) == (1, 1)
    after = dataset(store)
    assert len(after - before) == 1 and len(before - after) == 1
    assert '"renamed"' in next(iter(after - before))


def test_blank_nodes_round_trip_through_update_and_graph_writes(store: Store, project_settings: Settings) -> None:
    writes.sparql_update(store, f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://x/s> <http://x/p> [ <http://x/q> 1 ] }} }}", project_settings)
    assert store.ask(f"ASK {{ GRAPH <{GRAPH}> {{ <http://x/s> <http://x/p> ?b . ?b <http://x/q> 1 }} }}")
    writes.sparql_update(store, f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ <http://x/s> <http://x/p> ?b . ?b ?p ?o }} }}", project_settings)
    assert not store.ask(f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}")


def test_graph_operations(store: Store, project_settings: Settings) -> None:
    created = writes.put_graph(store, GRAPH, b"<http://x/a> <http://x/b> 1 .", TURTLE, project_settings)
    assert created.created and store.graph_exists(GRAPH)
    replaced = writes.put_graph(store, GRAPH, b"<http://x/a> <http://x/b> 2 .", TURTLE, project_settings)
    assert not replaced.created and (replaced.added, replaced.removed) == (1, 1)
    writes.post_graph(store, GRAPH, b"<http://x/a> <http://x/c> \"3\" .", "application/n-triples", project_settings)
    body = writes.get_graph(store, GRAPH, "application/n-triples").decode()
    assert "<http://x/b> 2" in body.replace('"2"^^<http://www.w3.org/2001/XMLSchema#integer>', "2")
    assert len(body.strip().splitlines()) == 2
    writes.delete_graph(store, GRAPH, project_settings)
    assert not store.graph_exists(GRAPH)
    with pytest.raises(NotFound):
        writes.delete_graph(store, GRAPH, project_settings)
    with pytest.raises(NotFound):
        writes.get_graph(store, GRAPH, TURTLE)


def test_unknown_media_type_and_bad_update_change_nothing(store: Store, project_settings: Settings) -> None:
    before = dataset(store)
    with pytest.raises(UnsupportedMediaType):
        writes.put_graph(store, GRAPH, b"a,b,c", "text/csv", project_settings)
    with pytest.raises(QuerySyntaxError):
        writes.sparql_update(store, "INSERT DATA { <http://x/a> <http://x/b> }", project_settings)
    with pytest.raises(Forbidden):
        writes.sparql_update(store, "LOAD <http://127.0.0.1:1/evil.ttl>", project_settings)
    assert dataset(store) == before


def test_old_violations_do_not_block_unrelated_writes(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    loaded_store.load(mutated("r-out-of-range").encode(), TURTLE)  # bypasses validation, as a raw load would
    writes.sparql_update(loaded_store, PREFIXES + f'INSERT DATA {{ <{DIENER}> rdfs:comment "fine" }}', project_settings)
    with pytest.raises(ShapeViolation):  # but touching the broken finding without fixing it is refused
        writes.sparql_update(loaded_store, PREFIXES + f'INSERT DATA {{ <{FINDING}> ekg:estimate 1.7 }}', project_settings)


def test_concurrent_writers_are_serialised(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    errors: list[Exception] = []

    def write(i: int) -> None:
        try:
            writes.sparql_update(loaded_store, f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://x/s> <http://x/n> {i} }} }}", project_settings)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(loaded_store.select(f"SELECT ?n {{ GRAPH <{GRAPH}> {{ ?s ?p ?n }} }}")) == 4


def test_on_disk_store_keeps_a_refused_write_out(tmp_path: Path, loaded_store: OxigraphStore, project_settings: Settings) -> None:
    disk = OxigraphStore(tmp_path / "store")
    copy_into(loaded_store, disk)
    before = dataset(disk)
    with pytest.raises(ShapeViolation):
        writes.post_graph(disk, None, mutated("k-zero").encode(), TURTLE, project_settings)
    assert dataset(disk) == before


def test_a_write_is_judged_on_the_store_it_leaves_not_on_the_shipped_files(
    loaded_store: OxigraphStore, project_settings: Settings
) -> None:
    store = loaded_store  # the remote path of each step is covered by the tests above
    shipped = merged_triples(store)
    # Deleting a construct that findings still use is refused: the scheme is data in the store.
    anxiety = "https://w3id.org/evidencekg/id/construct/attachment-anxiety"
    before = dataset(store)
    with pytest.raises(ShapeViolation) as caught:
        writes.sparql_update(store, f"DELETE WHERE {{ GRAPH ?g {{ <{anxiety}> ?p ?o }} }}", project_settings)
    assert "attachment-anxiety" in caught.value.report
    assert dataset(store) == before
    # Emptying the whole store leaves nothing that breaks a shape: allowed (forced: it removes the shipped evidence).
    result = writes.sparql_update(store, "DROP ALL", project_settings, force=True)
    assert result.removed == len(before) and dataset(store) == set()
    # A finding alone cannot land in the empty store: its constructs and sources are not there.
    with pytest.raises(ShapeViolation):
        writes.put_graph(store, None, VALID_FINDING.encode(), TURTLE, project_settings, force=True)
    assert dataset(store) == set()
    # Putting the shipped evidence back as the default graph is accepted.
    writes.put_graph(store, None, shipped, "application/n-triples", project_settings, force=True)
    assert len(dataset(store)) == len(shipped.decode().strip().splitlines())


# A finding whose 'from' construct is a new construct outside the constructs scheme. Written as a
# blank node, pyshacl's focus_nodes option never looked at it (nested sh:node checks skip nodes
# outside the focus list), so such a write used to commit.
OUTSIDE_SCHEME = VALID_FINDING.replace(
    "<https://w3id.org/evidencekg/id/construct/attachment-anxiety>",
    '[ a ekg:Construct ; <http://www.w3.org/2004/02/skos/core#prefLabel> "a construct of my own"@en ]',
)


def test_a_finding_linked_to_a_construct_outside_the_scheme_is_refused(store: Store, project_settings: Settings) -> None:
    before = dataset(store)
    with pytest.raises(ShapeViolation) as caught:
        writes.post_graph(store, None, OUTSIDE_SCHEME.encode(), TURTLE, project_settings)
    assert "constructs scheme" in caught.value.report
    assert "finding/test2020-anxiety-alliance" in caught.value.report
    assert dataset(store) == before


def test_relinking_a_stored_finding_outside_the_scheme_over_http_is_422() -> None:
    application = memory_app(load_evidence=True, settings_overrides={"token": "secret"})
    update = PREFIXES + "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" + (
        f"DELETE {{ GRAPH ?g {{ <{DIENER}> ekg:toConstruct ?c }} }} "
        f'INSERT {{ GRAPH ?g {{ <{DIENER}> ekg:toConstruct [ a ekg:Construct ; skos:prefLabel "mine"@en ] }} }} '
        f"WHERE {{ GRAPH ?g {{ <{DIENER}> ekg:toConstruct ?c }} }}"
    )
    with live_server(application) as base:
        answer = httpx.post(
            f"{base}/sparql", content=update.encode(),
            headers={"Authorization": "Bearer secret", "Content-Type": "application/sparql-update"},
        )  # fmt: skip
        assert answer.status_code == 422, answer.text
        assert "constructs scheme" in answer.text and "diener2011-security-alliance" in answer.text
        still = httpx.get(f"{base}/sparql", params={"query": f"ASK {{ <{DIENER}> ?p [ a <https://w3id.org/evidencekg/ontology#Construct> ; <http://www.w3.org/2004/02/skos/core#prefLabel> \"mine\"@en ] }}"},
                          headers={"Accept": "application/sparql-results+json"})  # fmt: skip
        assert still.status_code == 200, still.text
        assert still.json()["boolean"] is False
