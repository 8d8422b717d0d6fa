"""No 500 on odd input: /id/ paths no IRI can have and over-long catalogue names answer 4xx."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import httpx
import pytest

from tests._server import live_server, memory_app

ODD = [">", " ", '"', "<", "{", "}", "\x00", "\\", "^", "|", "`", "%zz", "%"]


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with live_server(memory_app(load_evidence=True)) as url:
        yield url


def raw_status(base: str, target: str) -> int:
    """The status of a GET whose request target is sent byte for byte (no client-side encoding)."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        head = conn.recv(64).decode("latin-1")
    return int(head.split()[1])


@pytest.mark.parametrize("char", ODD)
@pytest.mark.parametrize("accept", ["text/html", "text/turtle"])
def test_an_id_path_no_iri_can_have_is_4xx(base: str, char: str, accept: str) -> None:
    encoded = httpx.get(f"{base}/id/construct/a{quote(char)}b", headers={"Accept": accept}, timeout=30)
    assert encoded.status_code == 404, encoded.text
    assert "names no resource" in encoded.text
    if char not in " \x00":  # a raw space or NUL breaks the request line itself (the server answers 400)
        assert raw_status(base, f"/id/construct/a{char}b") == 404


@pytest.mark.parametrize("target", ["/id/construct/a b", "/id/construct/a\x00b"])
def test_a_broken_request_line_is_400(base: str, target: str) -> None:
    assert raw_status(base, target) == 400


@pytest.mark.parametrize("name", ["a" * 300, "a" * 5000, "%00", "%2e%2e", "%2e%2e%2fpyproject", quote("<>{}|^`\\")])
def test_an_unknown_or_over_long_query_name_is_404(base: str, name: str) -> None:
    for suffix in ("", "?format=csv"):
        answer = httpx.get(f"{base}/queries/{name}{suffix}", timeout=30)
        assert answer.status_code == 404, answer.text[:300]
        assert "unknown query" in answer.text or "%2f" in name  # an encoded / matches no route at all


@pytest.mark.parametrize("parameter", ["default-graph-uri", "named-graph-uri"])
@pytest.mark.parametrize("value", ["\\x", "°", "", "a b", "rel/path"])
def test_a_dataset_parameter_that_is_no_iri_is_400(base: str, parameter: str, value: str) -> None:
    """Found by tests/test_fuzz_openapi.py: the worker's NamedNode() failed and answered 500."""
    for answer in (
        httpx.get(f"{base}/sparql", params={"query": "ASK {}", parameter: value}, timeout=30),
        httpx.post(f"{base}/sparql", data={"query": "ASK {}", parameter: value}, timeout=30),
    ):
        assert answer.status_code == 400, answer.text[:300]
        assert f"{parameter} {value!r} is not an absolute IRI" in answer.text


TOKEN = "odd-input-token"


@pytest.fixture()
def writable() -> Iterator[str]:
    with live_server(memory_app(load_evidence=True, settings_overrides={"token": TOKEN})) as url:
        yield url


def test_an_empty_graph_is_deleted_and_then_404(writable: str) -> None:
    """Found by the fuzz: the validated write's copy lacked the empty graph, so its DROP failed with 500."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for target in (f"{writable}/store/empty", f"{writable}/store?graph=http://example.org/empty"):
        created = httpx.put(target, content=b"", headers={**auth, "Content-Type": "text/turtle"}, timeout=30)
        assert created.status_code == 201, created.text
        assert httpx.delete(target, headers=auth, timeout=30).status_code == 204
        again = httpx.delete(target, headers=auth, timeout=30)
        assert again.status_code == 404 and "no graph named" in again.text, again.text


@pytest.mark.parametrize(
    ("update", "says"),
    [
        ("DROP GRAPH <http://example.org/nope>", "does not exist"),
        ("CREATE GRAPH <http://example.org/twice> ; CREATE GRAPH <http://example.org/twice>", "already exists"),
    ],
)
def test_an_update_the_store_cannot_apply_is_400(writable: str, update: str, says: str) -> None:
    answer = httpx.post(f"{writable}/sparql", data={"update": update}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert answer.status_code == 400, answer.text
    assert "the update cannot be applied" in answer.text and says in answer.text
