"""Never accept a broken write: RDF/XML is read by a conforming XML parser first, and removing the shipped evidence needs force=true."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from evidencekg.errors import Conflict
from evidencekg.evidence import writes
from evidencekg.evidence.protect import emptied_graphs, refuse_unforced
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.protocol import Store
from tests._server import live_server, memory_app
from tests._writes_support import AUTH, TOKEN, dataset

GRAPH = "http://example.org/graphs/xml"
META = "https://w3id.org/evidencekg/graph/meta"
RDFXML = {"Content-Type": "application/rdf+xml"}
UPDATE = {"Content-Type": "application/sparql-update"}
HEAD = (
    b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    b' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
    b'  <rdf:Description rdf:about="http://example.org/a">\n    <rdfs:label>a</rdfs:label>\n'
)
WHOLE = HEAD + b"  </rdf:Description>\n</rdf:RDF>\n"
# "billion laughs": l9 expands to 10**9 "ha"s
LAUGHS = b'<!ENTITY l0 "ha">' + b"".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">'.encode() for i in range(1, 10))
BAD_XML = {
    "truncated mid-description": HEAD,
    "truncated mid-tag": HEAD + b"  </rdf:Descr",
    "entity bomb": b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [' + LAUGHS + b"]>\n" + WHOLE.split(b"\n", 1)[1].replace(b">a<", b">&l9;<"),
    "external entity": b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    + WHOLE.split(b"\n", 1)[1].replace(b">a<", b">&x;<"),
    "dtd": b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "http://example.org/rdf.dtd">\n' + WHOLE.split(b"\n", 1)[1],
}


@pytest.fixture
def served() -> Iterator[tuple[str, Store]]:
    """A live service with writes enabled over the shipped evidence (its fingerprint in the graph META)."""
    app = memory_app(load_evidence=True, settings_overrides={"token": TOKEN})
    with live_server(app) as base:
        yield base, app.state.store


@pytest.mark.parametrize("name", list(BAD_XML))
def test_a_broken_or_entity_laden_rdf_xml_body_is_400_and_changes_nothing(served: tuple[str, Store], name: str) -> None:
    base, store = served
    before = dataset(store)
    for method in ("PUT", "POST"):
        answer = httpx.request(method, f"{base}/store?graph={quote(GRAPH, safe='')}", content=BAD_XML[name], headers={**RDFXML, **AUTH})
        assert answer.status_code == 400, (name, answer.text)
        assert "RDF/XML body" in answer.json()["detail"]
    assert dataset(store) == before and not store.graph_exists(GRAPH)


def test_truncation_is_reported_with_its_position_and_a_whole_document_lands(served: tuple[str, Store]) -> None:
    base, store = served
    with pytest.raises(writes.RdfSyntaxError) as caught:
        writes.parse_payload(writes.Payload(HEAD, "application/rdf+xml"), GRAPH)
    assert caught.value.line == HEAD.count(b"\n") + 1 and "not well-formed" in str(caught.value)
    answer = httpx.put(f"{base}/store?graph={quote(GRAPH, safe='')}", content=WHOLE, headers={**RDFXML, **AUTH})
    assert answer.status_code == 201, answer.text
    assert store.ask(f'ASK {{ GRAPH <{GRAPH}> {{ <http://example.org/a> ?p "a" }} }}')


PROTECTED_UPDATES = [
    "DROP ALL",
    "drop silent all",
    "CLEAR NAMED",
    f"DROP GRAPH <{META}>",
    "PREFIX g: <https://w3id.org/evidencekg/graph/> CLEAR SILENT GRAPH g:meta",
    "BASE <https://w3id.org/evidencekg/graph/> DROP GRAPH <meta>",
    f"MOVE DEFAULT TO <{META}>",
    f"COPY <http://example.org/empty> TO <{META}>",
    'INSERT DATA { <http://example.org/x> <http://example.org/p> "DROP ALL" } ; CLEAR ALL',
]


@pytest.mark.parametrize("update", PROTECTED_UPDATES)
def test_an_update_removing_the_shipped_evidence_is_409_unless_forced(served: tuple[str, Store], update: str) -> None:
    base, store = served
    before = dataset(store)
    answer = httpx.post(f"{base}/sparql", content=update.encode(), headers={**UPDATE, **AUTH})
    assert answer.status_code == 409, answer.text
    assert "force=true" in answer.text
    assert dataset(store) == before


@pytest.mark.parametrize(
    ("method", "query"),
    [("PUT", f"graph={quote(META, safe='')}"), ("DELETE", f"graph={quote(META, safe='')}")],
)
def test_a_graph_store_replace_or_delete_of_the_shipped_evidence_is_409_unless_forced(
    served: tuple[str, Store], method: str, query: str
) -> None:
    base, store = served
    before = dataset(store)
    answer = httpx.request(method, f"{base}/store?{query}", content=b"", headers={"Content-Type": "text/turtle", **AUTH})
    assert answer.status_code == 409, answer.text
    assert "force=true" in answer.json()["detail"]
    assert dataset(store) == before


def test_forced_removals_run_and_other_graphs_need_no_force(served: tuple[str, Store]) -> None:
    base, store = served
    shipped = store.dump("application/n-triples")
    answer = httpx.post(f"{base}/store?graph={quote(GRAPH, safe='')}", content=WHOLE, headers={**RDFXML, **AUTH})
    assert answer.status_code == 201, answer.text
    dropped = httpx.post(f"{base}/sparql", content=f"DROP GRAPH <{GRAPH}>".encode(), headers={**UPDATE, **AUTH})
    assert dropped.status_code == 200 and not store.graph_exists(GRAPH)  # not ours: no force needed
    forced = httpx.post(f"{base}/sparql?force=true", content=b"DROP ALL", headers={**UPDATE, **AUTH})
    assert forced.status_code == 200, forced.text
    assert dataset(store) == set()
    put = httpx.put(f"{base}/store?default&force=true", content=shipped, headers={"Content-Type": "application/n-triples", **AUTH})
    assert put.status_code == 204, put.text
    assert len(dataset(store)) == len(shipped.decode().strip().splitlines())


def test_the_removed_graphs_are_read_from_the_operations_not_from_strings_or_blocks() -> None:
    assert emptied_graphs('INSERT DATA { <a:x> <a:p> "DROP ALL" } ; DELETE WHERE { GRAPH <a:g> { ?s ?p ?o } }') == []
    assert emptied_graphs("# DROP ALL\nCLEAR GRAPH <http://example.org/g>") == ["http://example.org/g"]
    shipped = [META]
    refuse_unforced("DROP GRAPH <http://example.org/g> ; ADD DEFAULT TO <http://example.org/g>", shipped)  # not ours
    refuse_unforced("MOVE SILENT GRAPH <http://example.org/g> TO DEFAULT", shipped)  # the user's default graph
    with pytest.raises(Conflict, match="graph/meta"):
        refuse_unforced(f"MOVE SILENT GRAPH <http://example.org/g> TO <{META}>", shipped)
    refuse_unforced("DROP ALL", ["http://example.org/g"])  # a store without the shipped evidence: nothing to protect


def test_a_store_without_the_shipped_evidence_can_be_emptied_without_force() -> None:
    store = OxigraphStore()
    settings = get_settings(memory=True, endpoint=None)
    writes.post_graph(store, "http://example.org/g", b"<http://example.org/a> <http://example.org/p> 1 .", "text/turtle", settings)
    assert writes.sparql_update(store, "DROP ALL", settings).removed == 1
