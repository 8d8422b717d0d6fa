"""The write path that never copies the store: its delta equals what the update does to a copy, neighbours are still judged."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from evidencekg.errors import QuerySyntaxError, ShapeViolation
from evidencekg.evidence import writes
from evidencekg.evidence.delta import delta
from evidencekg.settings import Settings
from evidencekg.sparql.operations import operations
from evidencekg.store.embedded import OxigraphStore

P = """PREFIX ekg: <https://w3id.org/evidencekg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX c: <https://w3id.org/evidencekg/id/construct/>
"""
DIENER = "<https://w3id.org/evidencekg/id/finding/diener2011-security-alliance>"
G = "<https://example.org/g/one>"

# Updates whose change delta() works out: each is compared with the same update run on a full copy.
UPDATES = {
    "insert data": P + f'INSERT DATA {{ {DIENER} rdfs:comment "x" . GRAPH {G} {{ {DIENER} rdfs:comment "y"@en }} }}',
    "insert data already present": P + f"INSERT DATA {{ GRAPH <https://w3id.org/evidencekg/graph/data/diener2011> {{ {DIENER} a ekg:ReportedFinding }} }}",
    "delete data": P + f"DELETE DATA {{ {DIENER} rdfs:comment 'absent' }} ; INSERT DATA {{ {DIENER} rdfs:comment 'z' }} ; "
    f"DELETE DATA {{ {DIENER} rdfs:comment 'z' }}",
    "delete where over graphs": P + f"DELETE WHERE {{ GRAPH ?g {{ {DIENER} rdfs:label ?l }} }}",
    "modify": P + f'DELETE {{ GRAPH ?g {{ ?f rdfs:label ?l }} }} INSERT {{ GRAPH ?g {{ ?f rdfs:label "renamed" }} }} '
    f"WHERE {{ BIND({DIENER} AS ?f) GRAPH ?g {{ ?f rdfs:label ?l }} }}",
    "new graphs": P + f'INSERT DATA {{ GRAPH {G} {{ {DIENER} rdfs:comment "in g" }} }} ; CREATE SILENT GRAPH <https://example.org/g/two>',
    "with": P + f"WITH {G} INSERT {{ ?f rdfs:seeAlso ?f }} WHERE {{ GRAPH ?any {{ ?f a ekg:ReportedFinding }} }}",
    "using": P + f"INSERT {{ GRAPH {G} {{ ?c rdfs:comment 'construct' }} }} USING <https://w3id.org/evidencekg/graph/data/constructs> "
    "WHERE { ?c a ekg:Construct }",
    "graph management": P + f"CREATE GRAPH {G} ; DROP SILENT GRAPH <https://example.org/none> ; CLEAR SILENT GRAPH {G} ; "
    "DROP GRAPH <https://w3id.org/evidencekg/graph/data/diener2011>",
    "clear default and drop named": P + f'INSERT DATA {{ {DIENER} rdfs:comment "d" }} ; CLEAR DEFAULT ; DROP NAMED',
}


def on_a_copy(store: OxigraphStore, update: str) -> tuple[set[ox.Quad], set[ox.Quad], set[ox.NamedNode]]:
    """(added, removed, named graphs after) when the update runs on a full in-memory copy of the store."""
    copy = ox.Store()
    copy.extend(store.oxigraph)
    for name in store.oxigraph.named_graphs():
        copy.add_graph(name)
    before = set(copy)
    copy.update(update)
    after = set(copy)
    return after - before, before - after, set(copy.named_graphs())  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_the_delta_equals_what_the_update_does_to_a_copy(loaded_store: OxigraphStore, name: str) -> None:
    update = UPDATES[name]
    size = len(loaded_store)
    view = delta(loaded_store.oxigraph, update)
    assert view is not None, f"{name}: not worked out"
    added, removed, graphs = on_a_copy(loaded_store, update)
    assert (view.added, view.removed) == (added, removed)
    assert view.graphs == graphs
    assert len(loaded_store) == size  # the live store was only read


@pytest.mark.parametrize(
    "update",
    [
        "LOAD <https://example.org/x.ttl>",
        f"COPY GRAPH {G} TO DEFAULT",
        P + f'INSERT DATA {{ {DIENER} rdfs:comment "first" }} ; DELETE WHERE {{ {DIENER} rdfs:comment ?c }}',
        "INSERT { ?s <http://x/p> 1 } WHERE { ?s ?p ?o } nonsense",
    ],
)
def test_updates_it_does_not_work_out_are_left_to_the_copy(loaded_store: OxigraphStore, update: str) -> None:
    assert delta(loaded_store.oxigraph, update) is None


def test_a_pattern_after_a_change_in_one_update_still_writes_exactly(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    update = P + f'INSERT DATA {{ {DIENER} rdfs:comment "first" }} ; DELETE {{ {DIENER} rdfs:comment ?c }} INSERT {{ {DIENER} rdfs:comment "second" }} WHERE {{ {DIENER} rdfs:comment ?c }}'
    result = writes.sparql_update(loaded_store, update, project_settings)
    assert (result.added, result.removed) == (1, 0)
    assert loaded_store.ask(P + f'ASK {{ {DIENER} rdfs:comment "second" FILTER NOT EXISTS {{ {DIENER} rdfs:comment "first" }} }}')


def test_operations_are_read_with_their_prologue_and_blocks() -> None:
    ops = operations(P + f"WITH {G} DELETE {{ ?s ?p ?o }} INSERT {{ ?s ?p 1 }} USING NAMED c:x WHERE {{ ?s ?p ?o }} ; CLEAR SILENT ALL")
    assert [op.kind for op in ops] == ["MODIFY", "CLEAR"]
    assert ops[0].with_graph == "https://example.org/g/one"
    assert ops[0].using_named == ("https://w3id.org/evidencekg/id/construct/x",)
    assert ops[0].delete == "{ ?s ?p ?o }" and ops[0].insert == "{ ?s ?p 1 }" and ops[0].where == "{ ?s ?p ?o }"
    assert "PREFIX c: <https://w3id.org/evidencekg/id/construct/>" in ops[1].prologue
    assert (ops[1].target, ops[1].silent) == ("ALL", True)


def test_a_sentence_at_a_position_its_document_already_uses_is_refused(
    loaded_store: OxigraphStore, project_settings: Settings
) -> None:
    """The duplicate lies in a sibling the write does not touch and nothing it touches links to: SIBLINGS must find it."""
    document = "<https://w3id.org/evidencekg/id/document/test-siblings>"

    def sentence(name: str, position: int) -> str:
        return P + (
            f"INSERT DATA {{ <https://w3id.org/evidencekg/id/sentence/{name}> a ekg:SourceSentence ; dcterms:isPartOf {document} ; "
            f'ekg:position {position} ; ekg:sentenceKind "fact" ; <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> "A test sentence." }}'
        )

    writes.sparql_update(loaded_store, P + f'INSERT DATA {{ {document} a ekg:SourceDocument ; dcterms:title "Siblings" }}', project_settings)
    writes.sparql_update(loaded_store, sentence("first", 1), project_settings)
    size = len(loaded_store)
    with pytest.raises(ShapeViolation) as caught:
        writes.sparql_update(loaded_store, sentence("second", 1), project_settings)
    assert "share position 1" in caught.value.report
    assert len(loaded_store) == size
    writes.sparql_update(loaded_store, sentence("second", 2), project_settings)


def test_taking_a_construct_out_of_the_scheme_is_refused_for_the_findings_that_use_it(
    loaded_store: OxigraphStore, project_settings: Settings
) -> None:
    """The write touches only the construct; the finding linking to it is two hops away and breaks."""
    update = P + "DELETE WHERE { GRAPH ?g { c:attachment-security skos:inScheme ?scheme } }"
    with pytest.raises(ShapeViolation) as caught:
        writes.sparql_update(loaded_store, update, project_settings)
    assert "finding/diener2011-security-alliance" in caught.value.report
    assert "not in the evidencekg constructs scheme" in caught.value.report


def test_a_syntax_error_is_reported_without_reading_the_store(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    with pytest.raises(QuerySyntaxError):
        writes.sparql_update(loaded_store, P + f"INSERT DATA {{ {DIENER} rdfs:comment }}", project_settings)


def test_memory_workers_catch_up_on_writes_without_a_new_dump(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    """An in-memory store's workers apply each write's update to their copy; a write behind the Store API's back
    (announced by notify_write alone) still gets a fresh dump."""
    from evidencekg.store.executor import ProcessExecutor

    executor = ProcessExecutor(loaded_store, project_settings.model_copy(update={"query_workers": 1}))
    json_results = lambda kind: "application/sparql-results+json"  # noqa: E731
    comment = P + f"ASK {{ {DIENER} rdfs:comment ?c FILTER(?c = %s) }}"
    folder = executor._pool.folder  # noqa: SLF001
    try:
        assert b"false" in executor.run(comment % '"one"', json_results)[1]
        for text in ("one", "two"):
            writes.sparql_update(loaded_store, P + f'INSERT DATA {{ {DIENER} rdfs:comment "{text}" }}', project_settings)
            assert b"true" in executor.run(comment % f'"{text}"', json_results)[1]  # seen by the very next query
        writes.sparql_update(loaded_store, P + f'DELETE DATA {{ {DIENER} rdfs:comment "one" }}', project_settings)
        executor.notify_write()  # what the service does after every write: costs no dump when the store API moved
        assert b"false" in executor.run(comment % '"one"', json_results)[1]
        assert len(list(folder.glob("*.nq"))) == 1 and len(list(folder.glob("*.ru"))) == 3
        loaded_store.oxigraph.add(ox.Quad(ox.NamedNode(DIENER[1:-1]), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"), ox.Literal("raw")))
        executor.notify_write()
        assert b"true" in executor.run(comment % '"raw"', json_results)[1]
        assert len(list(folder.glob("*.nq"))) == 1 and not list(folder.glob("*.ru"))  # a fresh dump; the old copy pruned
    finally:
        executor.close()
