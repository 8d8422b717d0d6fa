"""Helpers for the write tests: a real `oxigraph serve`, stores to write to, and exact dataset snapshots."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.protocol import Store, data_block
from evidencekg.store.remote import RemoteStore
from tests._server import free_port

TOKEN = "s3cret-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def wait_for(url: str, timeout: float = 20.0) -> None:
    """Poll a URL until it answers (any status) or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up within {timeout} s") from None
            time.sleep(0.05)


def oxigraph_program() -> str:
    """The `oxigraph` server program installed in the venv (skips when absent)."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        pytest.skip("the oxigraph server program is not installed")
    return found


@contextmanager
def oxigraph_serve(folder: Path) -> Iterator[str]:
    """A real `oxigraph serve --location folder` on a free loopback port; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [oxigraph_program(), "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/query")
        yield base
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def remote_store(base: str) -> RemoteStore:
    """A RemoteStore over an `oxigraph serve` base URL."""
    return RemoteStore(f"{base}/query", f"{base}/update", f"{base}/store")


def copy_into(source: OxigraphStore, target: Store) -> None:
    """Copy every graph of `source` into `target` (one atomic update)."""
    quads = list(ox.parse(source.dump("application/n-quads"), format=ox.RdfFormat.N_QUADS))
    target.update(f"INSERT DATA {{\n{data_block(quads)}\n}}")


def merged_triples(store: Store) -> bytes:
    """Every triple of every graph of a store, as N-Triples (to put back as one graph)."""
    quads = ox.parse(store.dump("application/n-quads"), format=ox.RdfFormat.N_QUADS)
    return ox.serialize({q.triple for q in quads}, format=ox.RdfFormat.N_TRIPLES)


def dataset(store: Store) -> set[str]:
    """The store's quads as a set of N-Quads lines (blank node labels kept), for exact before/after checks."""
    return {line for line in store.dump("application/n-quads").decode().splitlines() if line.strip()}
