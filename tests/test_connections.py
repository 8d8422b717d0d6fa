"""Slowloris at small size against `evidencekg serve`: idle and trickling connections neither block others nor stay open.

The server runs with max_connections 16 and a 2 s header timeout. Sixty connections that send
nothing and twenty that send a header byte every 0.3 s are opened; ordinary requests on new
connections keep answering 200 the whole time, and within the header timeout (plus slack) the
server has closed every one of the eighty.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests._server import free_port

CLI = Path(sys.executable).with_name("evidencekg")
HEADER_TIMEOUT = 2.0
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, int]]:
    """`evidencekg serve --memory` with small connection bounds; yields (host, port)."""
    port = free_port()
    env = {
        **os.environ,
        "EVIDENCEKG_MAX_CONNECTIONS": "16",
        "EVIDENCEKG_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "EVIDENCEKG_KEEP_ALIVE_TIMEOUT": "1",
    }
    process = subprocess.Popen(
        [str(CLI), "serve", "--memory", "--port", str(port), "--no-watch"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise AssertionError("evidencekg serve did not answer")
        yield "127.0.0.1", port
    finally:
        process.kill()
        process.wait(30)


def closed_by_server(conn: socket.socket) -> bool:
    """Whether the server has closed this connection (EOF or reset), without waiting."""
    conn.setblocking(False)
    try:
        return conn.recv(1024) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        conn.setblocking(True)


def test_idle_and_trickling_connections_do_not_block_requests_and_are_closed(served: tuple[str, int]) -> None:
    host, port = served
    idle = [socket.create_connection((host, port), timeout=5) for _ in range(60)]
    trickling = [socket.create_connection((host, port), timeout=5) for _ in range(20)]
    header = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    answered, slowest = 0, 0.0
    started = time.monotonic()
    step = 0
    while time.monotonic() - started < HEADER_TIMEOUT + 2.5:
        for conn in trickling:
            try:
                conn.send(header[step : step + 1])
            except OSError:
                pass
        step += 1
        began = time.monotonic()
        response = httpx.get(f"http://{host}:{port}/sparql", params={"query": "ASK {}"}, timeout=10)
        slowest = max(slowest, time.monotonic() - began)
        assert response.status_code == 200, (response.status_code, response.text[:200])
        answered += 1
        time.sleep(0.3)
    assert answered >= 5 and slowest < 5, (answered, slowest)
    still_open = [conn for conn in idle + trickling if not closed_by_server(conn)]
    assert not still_open, f"{len(still_open)} of 80 idle or trickling connections are still open"
    for conn in idle + trickling:
        conn.close()
