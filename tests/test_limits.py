"""Every resource bounded: request bodies (413 unread), result bytes, worker memory, nesting depth, literal sizes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from evidencekg.settings import get_settings
from evidencekg.sparql.text import nesting_depth
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.executor import COPIES_PREFIX, ProcessExecutor
from tests._server import live_server, memory_app

TOKEN = "limits-token"
BODY_LIMIT = 60_000
MEMORY = 900 * 2**20


@pytest.fixture(scope="module")
def bounded() -> Iterator[str]:
    """A server with small bounds everywhere, writes on."""
    app = memory_app(
        settings_overrides={
            "token": TOKEN,
            "max_body_bytes": BODY_LIMIT,
            "result_bytes_limit": 50_000,
            "max_nesting": 50,
            "max_literal_bytes": 1_000,
            "query_timeout": 30,
        }
    )
    with live_server(app) as base_url:
        yield base_url


def rows_of(text_length: int, rows: int) -> str:
    """A query whose result is `rows` rows of strings `text_length` characters long (built by the engine)."""
    values = " ".join(str(i) for i in range(rows))
    seed = "a" * max(1, text_length // 1000)
    return (
        f'SELECT ?s WHERE {{ VALUES ?i {{ {values} }} BIND(CONCAT(STR(?i), "{seed}") AS ?t) '
        'BIND(REPLACE(?t, "a", "aaaaaaaaaa") AS ?u) BIND(REPLACE(?u, "a", "aaaaaaaaaa") AS ?v) '
        'BIND(REPLACE(?v, "a", "aaaaaaaaaa") AS ?s) } ORDER BY ?s'
    )


def test_a_large_body_is_refused_before_auth_and_before_reading(bounded: str) -> None:
    """A declared body over the limit answers 413 without a token (not 401): the body was never read."""
    response = httpx.post(f"{bounded}/sparql", data={"update": "x" * (BODY_LIMIT * 3)})
    assert response.status_code == 413, response.text
    assert "max_body_bytes" in response.text


def test_a_streamed_body_over_the_limit_is_refused(bounded: str) -> None:
    """A chunked body (no Content-Length) is counted as it arrives and refused once it passes the limit."""

    def chunks() -> Iterator[bytes]:
        yield b"query=" + b"A" * 1_000
        for _ in range(70):
            yield b"B" * 1_000

    response = httpx.post(
        f"{bounded}/sparql", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413, response.text


def test_a_body_under_the_limit_still_works(bounded: str) -> None:
    """The bound does not get in the way of ordinary requests."""
    response = httpx.post(f"{bounded}/sparql", data={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200 and response.json()["boolean"] is True


def test_result_bytes_are_bounded_not_only_rows(bounded: str) -> None:
    """20 rows of 10 kB strings pass the row limit but not the byte limit: 400 naming the byte setting."""
    response = httpx.post(f"{bounded}/sparql", data={"query": rows_of(10_000, 20)})
    assert response.status_code == 400, response.text[:300]
    assert "result_bytes_limit" in response.text
    small = httpx.post(f"{bounded}/sparql", data={"query": rows_of(1_000, 5)}, headers={"Accept": "text/csv"})
    assert small.status_code == 200 and small.text.count("\n") == 6


@pytest.mark.parametrize("depth", [51, 10_000])
def test_deep_nesting_is_refused_before_parsing(bounded: str, depth: int) -> None:
    """Nested groups past max_nesting answer 400 (queries and updates); the server keeps answering."""
    query = "SELECT * WHERE " + "{ " * depth + "?s ?p ?o" + " }" * depth
    assert nesting_depth(query) == depth
    response = httpx.post(f"{bounded}/sparql", content=query, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400 and "levels deep" in response.text
    update = "DELETE { ?s ?p ?o } WHERE " + "{ " * depth + "?s ?p ?o" + " }" * depth
    response = httpx.post(
        f"{bounded}/sparql",
        content=update,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 400 and "levels deep" in response.text
    assert httpx.post(f"{bounded}/sparql", data={"query": "ASK {}"}).status_code == 200


def test_a_long_literal_is_not_written(bounded: str) -> None:
    """An INSERT of a literal over max_literal_bytes answers 400 and stores nothing."""
    update = 'INSERT DATA { <http://example.org/s> <http://example.org/p> "' + "x" * 1_500 + '" }'
    response = httpx.post(f"{bounded}/sparql", data={"update": update}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400, response.text
    assert "max_literal_bytes" in response.text
    asked = httpx.post(f"{bounded}/sparql", data={"query": "ASK { <http://example.org/s> ?p ?o }"}).json()
    assert asked["boolean"] is False


def test_a_worker_past_its_memory_bound_answers_503_and_is_replaced() -> None:
    """A query that materialises ~1.5 GB in a worker capped at 900 MiB stops with 503; the next query works."""
    app = memory_app(settings_overrides={"worker_memory_limit": MEMORY, "result_bytes_limit": 2**34, "query_timeout": 60})
    with live_server(app) as base_url:
        assert httpx.post(f"{base_url}/sparql", data={"query": "ASK {}"}).status_code == 200
        started = time.monotonic()
        response = httpx.post(f"{base_url}/sparql", data={"query": rows_of(1_000_000, 1_500)}, timeout=90)
        assert response.status_code == 503, (response.status_code, response.text[:300])
        assert "memory" in response.text and "Retry-After" in response.headers
        assert time.monotonic() - started < 60
        assert httpx.post(f"{base_url}/sparql", data={"query": "ASK {}"}, timeout=30).status_code == 200


def test_leftover_copies_of_a_killed_server_are_removed_at_start(tmp_path: Path) -> None:
    """A copies folder whose owner pid is dead is deleted when an executor starts beside it; a live one stays."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"{COPIES_PREFIX}{dead.stdout.strip()}-abc"
    (stale / "generation-1").mkdir(parents=True)
    live = tmp_path / f"{COPIES_PREFIX}1-xyz"  # pid 1 is always alive
    live.mkdir()
    store = OxigraphStore(tmp_path / "store")
    executor = ProcessExecutor(store, get_settings(memory=False))
    try:
        assert not stale.exists()
        assert live.exists()
    finally:
        executor.close()


@pytest.mark.parametrize(
    ("media_type", "body"),
    [
        ("application/ld+json", b'{"http://example.org/p": ' * 2_000 + b'"x"' + b"}" * 2_000),
        ("application/ld+json", b'{"@id": "http://example.org/s", "http://example.org/p": ' + b"[" * 2_000 + b"1" + b"]" * 2_000 + b"}"),
        (
            "application/rdf+xml",
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://example.org/">'
            + b"<rdf:Description><e:p>" * 1_000
            + b"</e:p></rdf:Description>" * 1_000
            + b"</rdf:RDF>",
        ),
    ],
)
def test_a_deeply_nested_json_ld_or_rdf_xml_body_is_refused_before_parsing(bounded: str, media_type: str, body: bytes) -> None:
    """JSON-LD 8,000 levels deep crashed the parsing process (SIGSEGV); past max_nesting such bodies answer 400."""
    target = f"{bounded}/store?graph=http%3A%2F%2Fexample.org%2Fdeep"
    for method in ("PUT", "POST"):
        response = httpx.request(method, target, content=body, headers={"Content-Type": media_type, "Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 400 and "levels deep" in response.text, (response.status_code, response.text[:300])
    assert httpx.get(target).status_code == 404
    shallow = b'{"@id": "http://example.org/s", "http://example.org/p": [[{"@value": "ok"}]]}'
    put = httpx.put(target, content=shallow, headers={"Content-Type": "application/ld+json", "Authorization": f"Bearer {TOKEN}"})
    assert put.status_code == 201, put.text
    assert httpx.delete(target, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 204


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_long_literal_is_not_written_through_the_graph_store_either(bounded: str, method: str) -> None:
    """The literal bound holds for Graph Store bodies as for updates: 400, nothing written."""
    target = f"{bounded}/store?graph=http%3A%2F%2Fexample.org%2Flong"
    body = b'<http://example.org/s> <http://example.org/p> "' + b"x" * 1_500 + b'" .'
    response = httpx.request(method, target, content=body, headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400 and "max_literal_bytes" in response.text, response.text[:300]
    assert httpx.get(target).status_code == 404
