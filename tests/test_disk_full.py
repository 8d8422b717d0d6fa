"""A full disk under an on-disk store: every kind of write answers 507 and keeps nothing, queries keep answering.

The store lives on a small tmpfs mounted for the test (root only; skipped elsewhere), filled
with a file until the file system refuses more. After the space is freed, a restart opens the
same data and writes work again.
"""

from __future__ import annotations

import gc
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from evidencekg.load.shipped import ensure_loaded
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore
from tests._ingest_support import sheet
from tests._server import live_server
from tests._writes_support import AUTH, TOKEN, dataset

COUNT = {"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"}
CSV = {"Accept": "text/csv"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 48 MiB tmpfs mounted at a fresh folder (the test is skipped where mounting is not allowed)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount_point)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        gc.collect()
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the file system is full; returns it (delete it to free the space)."""
    filler = folder / f"filler-{uuid.uuid4().hex}"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_answers_507_keeps_the_store_and_queries_answer(small_disk: Path) -> None:
    from service.app import create_app

    settings = get_settings(memory=False, endpoint=None, token=TOKEN, store_path=small_disk / "store")
    store = OxigraphStore(small_disk / "store")
    ensure_loaded(store, settings)
    before = dataset(store)
    big = b"".join(b'<http://example.org/s%d> <http://example.org/p> "%s" .\n' % (i, b"x" * 400) for i in range(4000))
    graph = "/store?graph=http%3A%2F%2Fexample.org%2Fg"
    writes = {  # the big ones first; a small one may still fit in space the store set aside
        "put": lambda base: httpx.put(f"{base}{graph}", content=big, headers={"Content-Type": "application/n-triples", **AUTH}, timeout=60),
        "post": lambda base: httpx.post(f"{base}{graph}", content=big, headers={"Content-Type": "application/n-triples", **AUTH}, timeout=60),
        "ingest": lambda base: httpx.post(f"{base}/api/ingest", params={"name": "full-disk-sheet"}, content=sheet(), headers={"Content-Type": "text/csv", **AUTH}, timeout=60),
        "update": lambda base: httpx.post(f"{base}/sparql", data={"update": "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }"}, headers=AUTH, timeout=60),
    }
    with live_server(create_app(store, settings)) as base:
        counted = httpx.get(f"{base}/sparql", params=COUNT, headers=CSV).text
        filler = fill(small_disk)
        refused = []
        for name, write in writes.items():
            answer = write(base)
            if answer.status_code == 507:
                refused.append(name)
                assert "disk holding the store is full" in answer.text
                assert dataset(store) == before, name
            else:  # it fitted: then it is whole
                assert answer.status_code in (200, 201, 204) and name == "update", (name, answer.status_code, answer.text[:300])
                before = dataset(store)
                counted = httpx.get(f"{base}/sparql", params=COUNT, headers=CSV).text
            query = httpx.get(f"{base}/sparql", params=COUNT, headers=CSV, timeout=60)
            assert query.status_code == 200 and query.text == counted, (name, query.status_code, query.text[:200])
            page = httpx.get(f"{base}/", timeout=60)
            assert page.status_code == 200
        assert refused[:3] == ["put", "post", "ingest"], refused
        os.unlink(filler)
    del store
    gc.collect()
    reopened = OxigraphStore(small_disk / "store")  # a restart after the space was freed
    assert dataset(reopened) == before
    with live_server(create_app(reopened, settings)) as base:
        assert writes["update"](base).status_code in (200, 204)
        assert writes["put"](base).status_code in (201, 204)
    assert len(reopened) >= len(before) + 4000
