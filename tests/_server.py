"""Run a real uvicorn server for tests: `with live_server(app) as base_url: httpx.get(base_url + "/sparql")`.

The server runs in a background thread of the test process, on a free loopback port chosen by
the OS, and is stopped (lifespan shutdown included, so query workers stop too) when the
`with` block ends. Any ASGI app works; build one with `service.app.create_app(store, settings)`.

    from tests._server import live_server, memory_app

    def test_something():
        app = memory_app(settings_overrides={"query_timeout": 2})
        with live_server(app) as base_url:
            ...

For the shipped evidence over a shared server, use the `live_url` fixture (tests/conftest.py).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from evidencekg.load.shipped import ensure_loaded
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore

STARTUP_TIMEOUT = 20.0


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS reports free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(app: Any, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `app` on a free port of `host` until the block ends; yields the base URL (no trailing slash).

    uvicorn binds the port itself (handing it a pre-bound socket made every response ~45 ms
    slower here); a port taken between probe and bind is retried.
    """
    for _attempt in range(5):
        port = free_port(host)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if server.started:
            break
        server.should_exit = True
        thread.join(5)
    else:
        raise RuntimeError(f"no test server could start on {host}")
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


def memory_app(
    store: OxigraphStore | None = None, load_evidence: bool = False, settings_overrides: Mapping[str, Any] | None = None
) -> FastAPI:
    """create_app over an in-memory store (optionally holding the shipped evidence) and test settings."""
    from service.app import create_app

    settings = get_settings(memory=True, endpoint=None, **dict(settings_overrides or {}))
    store = store if store is not None else OxigraphStore()
    if load_evidence:
        ensure_loaded(store, settings)
    return create_app(store, settings)
