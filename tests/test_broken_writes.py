"""Never accept a broken write: every upload format cut anywhere, a body cut by its connection, the shipped evidence restored.

A cut document is either refused (400, the graph unchanged) or is itself a whole document: then
the graph holds exactly what a reference parser (rdflib) reads in the cut text, never a part of
a statement or an element pyoxigraph guessed the end of.
"""

from __future__ import annotations

import gc
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from evidencekg.load.shipped import ensure_loaded
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore
from tests._server import live_server, memory_app
from tests._writes_support import AUTH, TOKEN

GRAPH = "http://example.org/graphs/cut"
TARGET = f"/store?graph={quote(GRAPH, safe='')}"
CUTS = 9  # cut points per format, spread over the document, plus the whole document


def document() -> rdflib.Graph:
    """Ten subjects with a label, a link and a typed number: statements of every shape a cut can split."""
    ex = rdflib.Namespace("http://example.org/")
    graph = rdflib.Graph()
    for i in range(10):
        graph.add((ex[f"s{i}"], rdflib.RDFS.label, rdflib.Literal(f"label number {i}", lang="en")))
        graph.add((ex[f"s{i}"], rdflib.RDFS.seeAlso, ex[f"o{i}"]))
        graph.add((ex[f"s{i}"], ex.size, rdflib.Literal(i * 7)))
    return graph


# media type -> (rdflib serializer, rdflib parser): the quad formats carry default-graph statements only
FORMATS = {
    "text/turtle": ("turtle", "turtle"),
    "application/n-triples": ("nt", "nt"),
    "application/rdf+xml": ("xml", "xml"),
    "application/ld+json": ("json-ld", "json-ld"),
    "application/n-quads": ("nt", "nquads"),
    "application/trig": ("turtle", "trig"),
}


def reference_reading(data: bytes, parser: str) -> rdflib.Graph | None:
    """What rdflib reads in `data` (its default graph for quad formats), or None when it refuses it."""
    try:
        if parser in ("nquads", "trig"):
            dataset = rdflib.Dataset()
            dataset.parse(data=data, format=parser)
            graph = rdflib.Graph()
            for s, p, o, _ in dataset.quads((None, None, None, None)):
                graph.add((s, p, o))
            return graph
        return rdflib.Graph().parse(data=data, format=parser)
    except Exception:  # noqa: BLE001 - any refusal of the reference parser
        return None


def stored(base: str) -> rdflib.Graph:
    """The target graph as the server returns it."""
    answer = httpx.get(f"{base}{TARGET}", headers={"Accept": "application/n-triples"})
    if answer.status_code == 404:
        return rdflib.Graph()
    assert answer.status_code == 200, answer.text
    return rdflib.Graph().parse(data=answer.content, format="nt")


@pytest.fixture(scope="module")
def writable() -> Iterator[str]:
    """A live server over an empty in-memory store, writes on."""
    with live_server(memory_app(settings_overrides={"token": TOKEN})) as base:
        yield base


def cut_points(length: int) -> list[int]:
    """CUTS points spread over the body (never 0) and the whole body."""
    return sorted({max(1, length * k // CUTS) for k in range(1, CUTS)} | {length - 1, length})


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_a_cut_body_is_refused_or_is_exactly_what_its_text_says(writable: str, media_type: str) -> None:
    """PUT and POST of each cut: 400 and the graph unchanged, or the graph is what rdflib reads in the cut text."""
    serializer, parser = FORMATS[media_type]
    whole = document().serialize(format=serializer, encoding="utf-8")
    baseline = b'<http://example.org/before> <http://example.org/p> "kept" .\n'
    refused = accepted = 0
    for cut in cut_points(len(whole)):
        body = whole[:cut]
        reference = reference_reading(body, parser)
        for method in ("PUT", "POST"):
            put_back = httpx.put(f"{writable}{TARGET}", content=baseline, headers={"Content-Type": "application/n-triples", **AUTH})
            assert put_back.status_code in (201, 204), put_back.text
            before = stored(writable)
            answer = httpx.request(method, f"{writable}{TARGET}", content=body, headers={"Content-Type": media_type, **AUTH})
            after = stored(writable)
            if answer.status_code == 400:
                refused += 1
                assert isomorphic(after, before), (media_type, method, cut, "a refused write changed the graph")
                assert "line" in answer.json()["detail"] or "body" in answer.json()["detail"], answer.text
                continue
            assert answer.status_code in (200, 201, 204), (media_type, method, cut, answer.status_code, answer.text)
            accepted += 1
            assert reference is not None, (media_type, method, cut, "accepted a body the reference parser refuses", body[-80:])
            expected = reference if method == "PUT" else reference + before
            assert isomorphic(after, expected), (media_type, method, cut, len(after), len(expected))
        if cut == len(whole):
            assert reference is not None and len(reference) == 30
    assert refused >= CUTS, (media_type, refused, accepted)  # most cuts fall inside a statement
    assert accepted >= 2  # the whole document (PUT and POST) at least


def raw_request(base: str, head: str, body: bytes) -> None:
    """Send a request line and headers, then `body` (shorter than declared), and close the connection."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(head.encode() + body)
        conn.shutdown(socket.SHUT_WR)
        try:
            conn.recv(65536)
        except OSError:
            pass


@pytest.mark.parametrize(
    ("target", "media_type", "body"),
    [
        (TARGET, "application/n-triples", b"<http://example.org/cut> <http://example.org/p> <http://example.org/o> .\n" * 200),
        ("/sparql", "application/sparql-update", b"INSERT DATA { <http://example.org/cut> <http://example.org/p> 1 } ; " * 50),
    ],
)
def test_a_body_cut_off_by_its_connection_writes_nothing(writable: str, target: str, media_type: str, body: bytes) -> None:
    """Content-Length promises the whole body, half arrives, the client goes: nothing of it is written."""
    ask = {"query": "ASK { GRAPH ?g { <http://example.org/cut> ?p ?o } }"}
    for method in ("PUT", "POST") if target == TARGET else ("POST",):
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {media_type}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        raw_request(writable, head, body[: len(body) // 2])
        assert httpx.get(f"{writable}/sparql", params=ask).json()["boolean"] is False
        default = httpx.get(f"{writable}/sparql", params={"query": "ASK { <http://example.org/cut> ?p ?o }"}).json()
        assert default["boolean"] is False


def test_shipped_evidence_removed_by_force_is_back_after_a_restart(tmp_path: Path) -> None:
    """A forced DROP of a shipped graph and CLEAR of another take effect; the next start-up loads both again."""
    settings = get_settings(memory=False, endpoint=None, token=TOKEN, store_path=tmp_path / "store")
    store = OxigraphStore(tmp_path / "store")
    ensure_loaded(store, settings)
    graphs = [row["g"].value for row in store.select("SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")]
    data = [g for g in graphs if g.endswith(("diener2011", "bernecker2014"))]  # papers nothing else leans on
    assert len(data) == 2, graphs
    counts = {g: len(store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")) for g in data}
    with live_server(memory_app(store, settings_overrides={"token": TOKEN})) as base:
        for update in (f"DROP GRAPH <{data[0]}>", f"CLEAR GRAPH <{data[1]}>"):
            answer = httpx.post(f"{base}/sparql?force=true", data={"update": update}, headers=AUTH)
            assert answer.status_code in (200, 204), answer.text
    assert not any(store.ask(f"ASK {{ GRAPH <{g}> {{ ?s ?p ?o }} }}") for g in data)
    store.flush()
    del store
    gc.collect()  # the server's references go: the folder's lock is released as at a process exit
    reopened = OxigraphStore(tmp_path / "store")
    assert ensure_loaded(reopened, settings) is True
    for g in data:
        assert len(reopened.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")) == counts[g]
    assert ensure_loaded(reopened, settings) is False  # whole again: the next start-up has nothing to do
