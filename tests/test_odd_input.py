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
