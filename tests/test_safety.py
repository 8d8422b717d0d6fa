"""Execution safety: SERVICE/LOAD allowlist, query timeout that really stops work, result limit, concurrency, bind, CORS."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from evidencekg.errors import Forbidden
from evidencekg.model.namespaces import EKG
from evidencekg.sparql import guard
from evidencekg.store.embedded import OxigraphStore
from tests._listener import Listener
from tests._server import free_port, live_server, memory_app

TOKEN = "safety-token"
TIMEOUT = 3.0
LIMIT = 500
TRIPLES = 3000
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"  # 2.7e10 rows: never finishes
CLK_TCK = os.sysconf("SC_CLK_TCK")


def generated_store() -> OxigraphStore:
    """An in-memory store with TRIPLES generated triples (enough for a cross join that never ends)."""
    store = OxigraphStore()
    store.oxigraph.extend(
        ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"), ox.Literal(i), ox.DefaultGraph())
        for i in range(TRIPLES)
    )
    return store


@pytest.fixture(scope="module")
def safe_server() -> Iterator[tuple[str, object]]:
    """A live server with a short timeout, a small result limit, writes on, nothing allowlisted."""
    app = memory_app(
        generated_store(),
        settings_overrides={"token": TOKEN, "query_timeout": TIMEOUT, "result_limit": LIMIT, "service_allowlist": []},
    )
    with live_server(app) as base_url:
        yield base_url, app


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A loopback target that records any connection."""
    target = Listener()
    yield target
    target.close()


def query(base_url: str, text: str, timeout: float = 30, **headers: str) -> httpx.Response:
    """GET a query."""
    return httpx.get(f"{base_url}/sparql", params={"query": text}, headers=headers, timeout=timeout)


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        "PREFIX remote: <{prefix}> SELECT * WHERE {{ SERVICE remote:sparql {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ VALUES ?endpoint {{ <{url}> }} SERVICE ?endpoint {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?s ?p \"SERVICE\" . SERVICE # a comment\n <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE <{escaped}> {{ ?s ?p ?o }} }}",
    ],
    ids=["plain", "lowercase-silent", "prefixed", "variable", "comment", "escaped"],
)
def test_service_to_loopback_is_refused(safe_server: tuple[str, object], listener: Listener, template: str) -> None:
    """Every spelling of a SERVICE call to a loopback URL answers 400 and never reaches the target."""
    base_url, _ = safe_server
    text = template.format(
        url=listener.url, prefix=listener.url.rsplit("/", 1)[0] + "/", escaped=listener.url.replace(":", "\\u003A", 2)
    )
    response = query(base_url, text)
    assert response.status_code == 400, response.text
    assert "SERVICE" in response.text and ("not allowed" in response.text or "could not be read" in response.text)
    time.sleep(0.2)
    assert listener.connections == 0


def test_service_allowlisted_reaches_the_remote(live_url: str) -> None:
    """With the target allowlisted the same SERVICE call works: the guard, not luck, blocks the others."""
    app = memory_app(settings_overrides={"service_allowlist": [f"{live_url}/"]})
    with live_server(app) as base_url:
        text = f"SELECT (COUNT(*) AS ?n) WHERE {{ SERVICE <{live_url}/sparql> {{ ?f <{EKG.estimate}> ?e }} }}"
        response = query(base_url, text)
        assert response.status_code == 200, response.text
        remote = query(live_url, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?f <{EKG.estimate}> ?e }}").json()
        assert response.json()["results"]["bindings"] == remote["results"]["bindings"]
        assert int(remote["results"]["bindings"][0]["n"]["value"]) > 0


def test_load_is_refused(safe_server: tuple[str, object], listener: Listener) -> None:
    """LOAD of a loopback URL answers 400 before anything is fetched, and the store is unchanged."""
    base_url, app = safe_server
    before = len(app.state.store)  # type: ignore[attr-defined]
    response = httpx.post(
        f"{base_url}/sparql",
        data={"update": f"LOAD <{listener.url}> INTO GRAPH <http://example.org/g>"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400, response.text
    assert "LOAD <" in response.text and "EVIDENCEKG_SERVICE_ALLOWLIST" in response.text
    time.sleep(0.2)
    assert listener.connections == 0
    assert len(app.state.store) == before  # type: ignore[attr-defined]


def test_guard_reads_sparql_like_the_parser() -> None:
    """Strings, comments and variables named 'service' are not calls; BASE and prefixes are resolved."""
    harmless = [
        'SELECT * { ?s ?p "SERVICE <http://evil/>" }',
        "SELECT * { ?s ?p '''it's a SERVICE <http://evil/> call''' } # SERVICE <http://evil/>",
        "SELECT ?service { ?service <http://example.org/service> ?o }",
        "SELECT * { ?s <http://example.org/LOAD> ?o }",
    ]
    for text in harmless:
        guard.check(text, [])
    with pytest.raises(Forbidden, match="http://evil/sparql"):
        guard.check("BASE <http://evil/> SELECT * { SERVICE <sparql> {} }", [])
    with pytest.raises(Forbidden, match="variable"):
        guard.check("SELECT * { SERVICE ?x {} }", ["http://ok/"])
    guard.check("SELECT * { SERVICE ?x {} }", ["*"])
    guard.check("PREFIX ok: <http://ok/> SELECT * { SERVICE ok:sparql {} }", ["http://ok/"])
    with pytest.raises(Forbidden, match="Unknown namespace prefix"):
        guard.check("SELECT * { SERVICE undeclared:x {} }", ["http://ok/"])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc (0 when it no longer exists)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def test_timeout_answers_503_and_really_stops_the_query(safe_server: tuple[str, object]) -> None:
    """A query past the timeout gets 503 with a message; its worker is killed and nothing keeps burning CPU."""
    base_url, app = safe_server
    executor = app.state.executor  # type: ignore[attr-defined]
    assert query(base_url, "ASK {}").status_code == 200  # workers up
    before = set(executor.pids)
    started = time.monotonic()
    response = query(base_url, SLOW)
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert "stopped" in response.text and f"{TIMEOUT:g} s" in response.text
    assert TIMEOUT - 0.1 <= elapsed < TIMEOUT + 5
    killed = before - set(executor.pids)
    assert len(killed) == 1
    (pid,) = killed
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped
    time.sleep(0.5)  # let the replacement worker finish starting
    workers = executor.pids
    start_cpu = sum(cpu_seconds(p) for p in workers) + time.process_time()
    time.sleep(1.5)
    used = sum(cpu_seconds(p) for p in workers) + time.process_time() - start_cpu
    assert used < 0.3, f"{used:.2f} s of CPU used in 1.5 s after the timeout"
    assert query(base_url, "ASK {}").status_code == 200  # the pool is whole again


def test_result_limit(safe_server: tuple[str, object]) -> None:
    """More rows or triples than result_limit is a clear 400; a LIMIT within it succeeds."""
    base_url, _ = safe_server
    too_many = query(base_url, "SELECT * { ?s ?p ?o }")
    assert too_many.status_code == 400
    assert f"more than {LIMIT} rows" in too_many.text and "LIMIT" in too_many.text
    graph = query(base_url, "CONSTRUCT WHERE { ?s ?p ?o }")
    assert graph.status_code == 400 and f"more than {LIMIT} triples" in graph.text
    within = query(base_url, f"SELECT * {{ ?s ?p ?o }} LIMIT {LIMIT}", Accept="text/csv")
    assert within.status_code == 200
    assert len(within.text.strip().splitlines()) == LIMIT + 1


def test_cheap_queries_answer_while_a_slow_one_runs(safe_server: tuple[str, object]) -> None:
    """Queries run off the event loop and in parallel workers: ASKs stay fast beside a query that runs to the timeout."""
    base_url, _ = safe_server
    assert query(base_url, "ASK {}").status_code == 200
    slow_status: list[int] = []
    slow = threading.Thread(target=lambda: slow_status.append(query(base_url, SLOW).status_code))
    slow.start()
    time.sleep(0.5)
    latencies = []
    with httpx.Client(timeout=10) as client:
        for _ in range(15):
            started = time.monotonic()
            response = client.get(f"{base_url}/sparql", params={"query": "ASK { ?s ?p 7 }"})
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200 and response.json()["boolean"] is True
    assert slow.is_alive(), "the slow query should still be running while the cheap ones were answered"
    slow.join(TIMEOUT + 10)
    assert slow_status == [503]
    assert statistics.median(latencies) < 0.1, latencies
    assert max(latencies) < 1.0, latencies


def test_cors_only_for_configured_origins() -> None:
    """CORS headers go to the configured origin only."""
    app = memory_app(settings_overrides={"cors_origins": ["http://allowed.example"]})
    with live_server(app) as base_url:
        allowed = query(base_url, "ASK {}", Origin="http://allowed.example")
        other = query(base_url, "ASK {}", Origin="http://other.example")
        preflight = httpx.options(
            f"{base_url}/sparql",
            headers={"Origin": "http://allowed.example", "Access-Control-Request-Method": "POST"},
        )
    assert allowed.headers.get("access-control-allow-origin") == "http://allowed.example"
    assert "access-control-allow-origin" not in other.headers
    assert preflight.status_code == 200
    assert preflight.headers.get("access-control-allow-origin") == "http://allowed.example"


def listening_addresses(port: int) -> set[str]:
    """The local IPv4 addresses with a socket listening on a port (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_serve_binds_loopback_by_default(tmp_path: Path) -> None:
    """`evidencekg serve` without --host listens on 127.0.0.1 only, and prints its URLs."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCEKG_")}
    command = [str(Path(sys.executable).parent / "evidencekg"), "serve", "--memory", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not listening_addresses(port):
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.1)
        assert listening_addresses(port) == {"127.0.0.1"}
        response = query(f"http://127.0.0.1:{port}", f"ASK {{ ?f <{EKG.estimate}> ?e }}")
        assert response.json()["boolean"] is True  # the shipped evidence was loaded
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    assert f"http://127.0.0.1:{port}/sparql" in output


def test_disk_store_workers_read_checkpoints_that_follow_writes(tmp_path: Path) -> None:
    """On disk, workers read backup() checkpoints that follow every write; notify_write covers raw writes; old ones go."""
    from evidencekg.settings import get_settings
    from evidencekg.store.executor import ProcessExecutor

    store = OxigraphStore(tmp_path / "store")
    store.update("INSERT DATA { <http://example.org/a> <http://example.org/p> 1 }")
    executor = ProcessExecutor(store, get_settings(store_path=tmp_path / "store", query_workers=1))
    json_results = lambda kind: "application/sparql-results+json"  # noqa: E731
    try:
        count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
        assert b'"value":"1"' in executor.run(count, json_results)[1]
        store.update("INSERT DATA { <http://example.org/b> <http://example.org/p> 2 }")
        assert b'"value":"2"' in executor.run(count, json_results)[1]  # a Store API write needs no notice
        raw = ox.Quad(ox.NamedNode("http://example.org/c"), ox.NamedNode("http://example.org/p"), ox.Literal(3))
        store.oxigraph.add(raw)  # behind the Store API's back
        assert b'"value":"2"' in executor.run(count, json_results)[1]  # not notified: the same checkpoint
        executor.notify_write()
        assert b'"value":"3"' in executor.run(count, json_results)[1]
        copies = sorted(p.name for p in executor._pool.folder.iterdir())  # noqa: SLF001
        assert len(copies) == 1, copies  # the worker moved on: the older checkpoints were deleted
    finally:
        executor.close()
    assert not executor._pool.folder.exists()  # noqa: SLF001


def test_remote_store_query_times_out_with_503(safe_server: tuple[str, object]) -> None:
    """Over a RemoteStore the HTTP timeout (query_timeout) ends a slow query with a 503, not a hang."""
    from evidencekg.settings import get_settings
    from evidencekg.store.remote import RemoteStore
    from service.app import create_app

    remote_url, _ = safe_server
    settings = get_settings(endpoint=f"{remote_url}/sparql", query_timeout=1.0, memory=False)
    app = create_app(RemoteStore(f"{remote_url}/sparql", timeout=settings.query_timeout), settings)
    with live_server(app) as base_url:
        assert query(base_url, "ASK { ?s ?p 7 }").json()["boolean"] is True
        started = time.monotonic()
        response = query(base_url, SLOW)
        assert response.status_code == 503
        assert "did not answer within 1 s" in response.text
        assert time.monotonic() - started < TIMEOUT


def catalogue_query(folder: Path, name: str, where: str) -> None:
    """Write queries/NAME.rq taking one decimal parameter n (used in a FILTER, so it is not projected)."""
    header = f"# title: {name}\n# description: a test query\n# param: n (type: decimal) a threshold\n"
    (folder / f"{name}.rq").write_text(header + f"SELECT (COUNT(*) AS ?count) WHERE {{ {where} }}\n")


def test_catalogue_runs_go_through_the_executor(tmp_path: Path) -> None:
    """/queries/{name} binds its parameters in the worker and gets the same timeout (503, worker killed)."""
    catalogue_query(tmp_path, "below", "?s ?p ?o FILTER(?o < ?n)")
    catalogue_query(tmp_path, "endless", "?a ?p ?b . ?c ?q ?d . ?e ?r ?f FILTER(?f > ?n)")
    app = memory_app(generated_store(), settings_overrides={"query_timeout": 1.0, "queries_dir": tmp_path})
    with live_server(app) as base_url:
        below = httpx.get(f"{base_url}/queries/below", params={"n": "10", "format": "csv"}, timeout=30)
        assert below.status_code == 200
        assert below.text.split() == ["count", str(sum(1 for i in range(TRIPLES) if i < 10))]
        table = httpx.get(f"{base_url}/queries/below", params={"n": "3", "format": "html"}, timeout=30)
        assert table.status_code == 200 and "<td>3</td>" in table.text.replace(" ", "")
        pids = set(app.state.executor.pids)
        started = time.monotonic()
        endless = httpx.get(f"{base_url}/queries/endless", params={"n": "-1"}, timeout=30)
        assert endless.status_code == 503 and "stopped" in endless.text
        assert time.monotonic() - started < 1.0 + 5
        assert len(pids - set(app.state.executor.pids)) == 1  # its worker was killed
