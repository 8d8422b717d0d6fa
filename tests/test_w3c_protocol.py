"""The W3C SPARQL 1.1 Protocol test suite (34 tests) against a live evidencekg server.

The manifest (/work/shared/w3c/sparql11-protocol/manifest.ttl) is read with rdflib; each test's
HTTP requests are replayed in order, with `/sparql/` replaced by our endpoint, and each
response is checked for the status class, the result format and the ASK answer it expects.
The store is reset before each test to the graphs its `ut:graphData` names (data1-3.nt).
Writes need a token here, so every request carries `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import RDF, RDFS, Graph, Namespace
from rdflib.collection import Collection

from tests._server import live_server, memory_app

SUITE = Path(__file__).resolve().parents[2] / "shared" / "w3c" / "sparql11-protocol"
MANIFEST = SUITE / "manifest.ttl"
TOKEN = "w3c-protocol-token"

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

FORMATS = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    },
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples"},
}

pytestmark = pytest.mark.shared
if not MANIFEST.is_file():
    pytest.skip("the W3C protocol suite (../shared/w3c) is not present", allow_module_level=True)


@dataclass(frozen=True)
class Exchange:
    """One request of a test and what its response must satisfy."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[int]  # acceptable status classes: 2, 3, 4 ...
    expected_format: str | None
    expected_boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    """One manifest entry: its name, the graphs it loads (IRI -> file) and its requests."""

    id: str
    name: str
    graphs: dict[str, Path]
    exchanges: tuple[Exchange, ...]


def _exchange(graph: Graph, node: object) -> Exchange:
    """Read one ht:Request (with its ht:resp) from the manifest."""
    headers: dict[str, str] = {}
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):
            headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
    body = None
    body_node = graph.value(node, HT.body)
    if body_node is not None:
        encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(body_node, CNT.chars)).encode(encoding.lower().replace("utf-16", "utf-16-le"))
        if encoding.upper() == "UTF-16":
            body = b"\xff\xfe" + body
    resp = graph.value(node, HT.resp)
    statuses = frozenset(int(str(s).rsplit("StatusCode", 1)[1][0]) for s in graph.objects(resp, MF.expectedStatus))
    fmt = graph.value(resp, MF.expectedFormat)
    boolean = graph.value(resp, MF.expectedBoolean)
    return Exchange(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        statuses=statuses,
        expected_format=str(fmt) if fmt is not None else None,
        expected_boolean=boolean.toPython() if boolean is not None else None,
    )


def load_manifest(path: Path = MANIFEST) -> list[ProtocolTest]:
    """Every test of the manifest, in manifest order."""
    graph = Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        graphs = {
            str(graph.value(data, RDFS.label)): path.parent / str(graph.value(data, UT.graph)).rsplit("/", 1)[-1]
            for data in graph.objects(entry, UT.graphData)
        }
        action = graph.value(entry, MF.action)
        requests = Collection(graph, graph.value(action, HT.requests))
        tests.append(
            ProtocolTest(
                id=str(entry).rsplit("#", 1)[-1],
                name=str(graph.value(entry, MF.name)),
                graphs=graphs,
                exchanges=tuple(_exchange(graph, r) for r in requests),
            )
        )
    return tests


def result_boolean(response: httpx.Response) -> bool:
    """The boolean of an ASK response, JSON or XML."""
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if media_type == "application/sparql-results+json":
        return bool(json.loads(response.content)["boolean"])
    return bool(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.XML))


def problems(test: ProtocolTest, client: httpx.Client, endpoint: str, extra_headers: dict[str, str]) -> list[str]:
    """Replay a test's requests against an endpoint URL; what went wrong (empty when it passed)."""
    found = []
    for number, exchange in enumerate(test.exchanges, start=1):
        url = endpoint + exchange.path.removeprefix("/sparql/")
        response = client.request(
            exchange.method, url, content=exchange.body, headers={**exchange.headers, **extra_headers}
        )
        where = f"request {number} ({exchange.method} {exchange.path[:60]})"
        if response.status_code // 100 not in exchange.statuses:
            found.append(f"{where}: status {response.status_code}, wanted {sorted(exchange.statuses)}xx: {response.text[:300]}")
            continue
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if exchange.expected_format and media_type not in FORMATS[exchange.expected_format]:
            found.append(f"{where}: content type {media_type!r} is not {exchange.expected_format}")
        elif exchange.expected_boolean is not None and result_boolean(response) != exchange.expected_boolean:
            found.append(f"{where}: ASK answered {not exchange.expected_boolean}")
    return found


TESTS = load_manifest()


def test_manifest_has_the_34_tests() -> None:
    """The suite is complete (a truncated manifest would silently test less)."""
    assert len(TESTS) == 34
    assert len({t.id for t in TESTS}) == 34


@pytest.fixture(scope="module")
def w3c_server() -> Iterator[tuple[str, object]]:
    """A live server over an in-memory store, writes enabled by a token; yields (base URL, app)."""
    app = memory_app(settings_overrides={"token": TOKEN, "query_timeout": 20})
    with live_server(app) as base_url:
        yield base_url, app


def reset(app: object, graphs: dict[str, Path]) -> None:
    """Empty the store, then load each graph file into its named graph (what ut:graphData asks for)."""
    store = app.state.store  # type: ignore[attr-defined]
    store.clear()
    for iri, path in graphs.items():
        store.load(path.read_bytes(), "application/n-triples", iri)
    app.state.executor.notify_write()  # type: ignore[attr-defined]


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_protocol(test: ProtocolTest, w3c_server: tuple[str, object]) -> None:
    """Each W3C protocol test passes against our endpoint."""
    base_url, app = w3c_server
    reset(app, test.graphs)
    with httpx.Client(timeout=30) as client:
        found = problems(test, client, f"{base_url}/sparql", {"Authorization": f"Bearer {TOKEN}"})
    assert not found, f"{test.id} ({test.name}):\n" + "\n".join(found)
