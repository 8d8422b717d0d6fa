"""SIGKILL during every kind of write, then a restart: the store holds all of the write or none of it.

Each kind (SPARQL Update, Graph Store PUT and POST, a sheet ingest over HTTP, and a reload of
changed shipped files by `evidencekg load`) is first run whole on a copy of the same store, to
learn how long it takes and what it leaves. Then, on fresh copies, the process doing it is
killed with SIGKILL at 25 % and 75 % of that time; the store opened afterwards must
equal the store before or the store after, quad for quad (blank nodes aside). A final
`evidencekg serve` on a killed copy starts, answers and removes the copies folder the killed
server left.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from evidencekg.load.shipped import ensure_loaded
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.executor import COPIES_PREFIX
from tests._ingest_support import sheet
from tests._server import free_port
from tests._writes_support import AUTH, TOKEN

CLI = Path(sys.executable).with_name("evidencekg")
FRACTIONS = (0.25, 0.75)
GRAPH = "http://example.org/graphs/crash"
ROWS = 120
pytestmark = pytest.mark.slow


def triples(count: int, tag: str) -> bytes:
    """`count` N-Triples lines, each naming `tag`."""
    return b"".join(b'<http://example.org/%s/%d> <http://example.org/p> "%s %d" .\n' % (tag.encode(), i, tag.encode(), i) for i in range(count))


def insert(count: int, tag: str) -> str:
    """An INSERT DATA of `triples(count, tag)` into GRAPH."""
    return f"INSERT DATA {{ GRAPH <{GRAPH}> {{ {triples(count, tag).decode()} }} }}"


def quads(folder: Path) -> set[str]:
    """The store's quads as N-Quads lines with blank nodes blanked (a reload gives them fresh labels)."""
    store = OxigraphStore(folder)
    try:
        lines = store.dump("application/n-quads").decode().splitlines()
    finally:
        del store
        gc.collect()
    return {" ".join("_:b" if part.startswith("_:") else part for part in line.split(" ")) for line in lines if line.strip()}


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped evidence plus a graph of 2,000 triples, on disk, closed."""
    folder = tmp_path_factory.mktemp("crash") / "base"
    store = OxigraphStore(folder)
    ensure_loaded(store, get_settings(memory=False, endpoint=None, store_path=folder))
    store.update(insert(2000, "old"))
    store.flush()
    del store
    gc.collect()
    return folder


def serve(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """`evidencekg serve` over a store folder, answering; returns the process and its base URL."""
    port = free_port()
    log = folder.with_name(f"{folder.name}-serve-{port}.log")
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [str(CLI), "serve", "--store", str(folder), "--port", str(port), "--no-watch"],
            env={**os.environ, "EVIDENCEKG_TOKEN": TOKEN, **env},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"evidencekg serve did not answer: {log.read_text()[-2000:]}")


Write = Callable[[Path, "float | None"], tuple[bool, float]]


def http_write(request: Callable[[str], httpx.Response]) -> Write:
    """A write over HTTP to a fresh server; with a delay, the server is killed that long after the request went out.

    Returns whether the write had answered before the kill, and the seconds from request to answer (or kill).
    """

    def run(folder: Path, kill_after: float | None) -> tuple[bool, float]:
        process, base = serve(folder, {})
        answered: list[httpx.Response] = []

        def send() -> None:
            try:
                answered.append(request(base))
            except httpx.TransportError:
                pass

        sender = threading.Thread(target=send)
        started = time.monotonic()
        try:
            sender.start()
            sender.join(kill_after)
            took = time.monotonic() - started
        finally:
            process.kill()
            process.wait(30)
            sender.join(30)
        if kill_after is None:
            assert answered and answered[0].status_code < 300, answered and answered[0].text[:300]
        return bool(answered), took

    return run


def reload_write(folder: Path, kill_after: float | None) -> tuple[bool, float]:
    """`evidencekg load` of a changed copy of the shipped data (one file grown, one gone), killed or not."""
    data = folder.parent / f"{folder.name}-data"
    shutil.copytree(get_settings().data_dir, data)
    files = sorted(data.glob("*.ttl"))
    files[0].unlink()
    with files[1].open("a") as grown:
        grown.write("\n<http://example.org/reloaded> <http://www.w3.org/2000/01/rdf-schema#label> \"grown\" .\n")
    process = subprocess.Popen(
        [str(CLI), "load", "--store", str(folder)],
        env={**os.environ, "EVIDENCEKG_DATA_DIR": str(data)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    try:
        process.wait(kill_after if kill_after is not None else 300)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(30)
        return False, time.monotonic() - started
    assert kill_after is not None or process.returncode == 0
    return True, time.monotonic() - started


KINDS: dict[str, Write] = {
    "update": http_write(
        lambda base: httpx.post(
            f"{base}/sparql",
            data={"update": insert(3000, "new")},
            headers=AUTH,
            timeout=120,
        )
    ),
    "put": http_write(
        lambda base: httpx.put(
            f"{base}/store?graph={GRAPH}", content=triples(3000, "new"), headers={"Content-Type": "application/n-triples", **AUTH}, timeout=120
        )
    ),
    "post": http_write(
        lambda base: httpx.post(
            f"{base}/store?graph={GRAPH}", content=triples(3000, "new"), headers={"Content-Type": "application/n-triples", **AUTH}, timeout=120
        )
    ),
    "ingest": http_write(
        lambda base: httpx.post(
            f"{base}/api/ingest",
            params={"name": "crash-sheet"},
            content=sheet(
                [
                    f"s{i},Author {i},2010,Study {i},10.1234/crash{i},{80 + i},-0.12,attachment-anxiety,therapeutic-alliance,patient,out"
                    for i in range(ROWS)
                ]
            ),
            headers={"Content-Type": "text/csv", **AUTH},
            timeout=300,
        )
    ),
    "reload": reload_write,
}


@pytest.fixture(scope="module")
def killed_copies() -> Iterator[list[Path]]:
    """Folders of stores whose writer was killed (for the restart test at the end)."""
    yield []


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_write_killed_at_any_point_is_all_or_nothing(base_store: Path, kind: str, killed_copies: list[Path]) -> None:
    write = KINDS[kind]
    before = quads(base_store)
    whole = base_store.parent / f"{kind}-whole"
    shutil.copytree(base_store, whole)
    _, took = write(whole, None)
    after = quads(whole)
    assert after != before, "the write changes the store"
    mid_write = 0
    for fraction in FRACTIONS:
        copy = base_store.parent / f"{kind}-{fraction}"
        shutil.copytree(base_store, copy)
        finished, _ = write(copy, took * fraction)
        found = quads(copy)
        assert found in (before, after), (kind, fraction, len(before), len(after), len(found))
        mid_write += not finished
        killed_copies.append(copy)
    assert mid_write >= 1, f"no kill of the {kind} landed before it answered (took {took:.1f} s)"


def test_a_server_restarted_after_kills_answers_and_removes_what_the_killed_one_left(killed_copies: list[Path]) -> None:
    if not killed_copies:
        pytest.skip("no killed store (run with the tests above)")
    folder = next((c for c in killed_copies if any(c.parent.glob(f"{COPIES_PREFIX}*"))), killed_copies[0])
    left = sorted(folder.parent.glob(f"{COPIES_PREFIX}*"))
    process, base = serve(folder, {})
    try:
        assert httpx.get(f"{base}/sparql", params={"query": f"ASK {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}"}).json()["boolean"]
        assert not any(path.exists() for path in left), left
    finally:
        process.kill()
        process.wait(30)
