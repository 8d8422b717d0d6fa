"""One error root and one table: every public error is an EvidenceKGError with an outcome, used alike by CLI and HTTP."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import evidencekg
from evidencekg.cli import app as cli_app
from evidencekg.errors import OUTCOMES, EvidenceKGError, StoreUnavailable, outcome_for
from evidencekg.model.names import UnknownName
from evidencekg.query.catalogue import UnknownQuery
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.executor import DirectExecutor, ProcessExecutor, create_executor
from evidencekg.store.protocol import Capability, Store
from evidencekg.store.remote import RemoteStore
from service.app import create_app
from tests._server import live_server, memory_app

CLI = Path(sys.executable).with_name("evidencekg")
CLOSED = "http://127.0.0.1:9/sparql"  # the discard port: nothing listens there on a test machine


def public_errors() -> list[type[BaseException]]:
    """Every exception class defined (not imported) in a module of evidencekg whose name has no leading underscore."""
    found = []
    for info in pkgutil.walk_packages(evidencekg.__path__, "evidencekg."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == info.name and not name.startswith("_"):
                found.append(obj)
    return found


def closed_port() -> int:
    """A loopback port that was just free and is closed (nothing accepts on it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with socket.socket() as check:
        assert check.connect_ex(("127.0.0.1", port)) != 0
    return port


def test_every_public_error_is_under_the_root_and_in_the_table() -> None:
    errors = public_errors()
    names = {e.__name__ for e in errors}
    assert {"StoreError", "IngestError", "AlreadyIngested", "PairError", "TableError", "RowError", "UnknownName",
            "CatalogueError", "LoadError", "ShapeViolation", "Unauthorized"} <= names  # fmt: skip
    outside = [e.__qualname__ for e in errors if not issubclass(e, EvidenceKGError)]
    assert outside == []
    assert [e.__qualname__ for e in errors if outcome_for(e) is None] == []
    assert outcome_for(ValueError) is None and outcome_for(ValueError("x")) is None


def test_the_table_is_looked_up_along_the_mro() -> None:
    assert outcome_for(UnknownName("x", "construct", [])) is OUTCOMES[next(c for c in UnknownName.__mro__ if c in OUTCOMES)]
    assert outcome_for(UnknownName("x", "construct", [])).status == 404 and outcome_for(UnknownName).exit_code == 2
    assert outcome_for(StoreUnavailable("x")).status == 502


def test_a_cli_error_exits_with_the_tables_code_and_one_line() -> None:
    result = CliRunner().invoke(cli_app, ["network", "show", "attachment avoidence"])
    assert result.exit_code == outcome_for(UnknownName).exit_code == 2
    assert result.stderr.startswith("error: unknown construct 'attachment avoidence'")
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_http_error_answers_with_the_tables_status_and_title() -> None:
    outcome = outcome_for(UnknownQuery)
    with live_server(memory_app(load_evidence=False)) as base:
        plain = httpx.get(f"{base}/queries/no-such-query", headers={"Accept": "text/plain"})
        data = httpx.get(f"{base}/queries/no-such-query", headers={"Accept": "application/json"})
    assert plain.status_code == data.status_code == outcome.status == 404
    assert plain.text.startswith(f"{outcome.title}: unknown query 'no-such-query'")
    assert data.json()["error"] == "UnknownQuery" and data.json()["detail"].startswith("unknown query 'no-such-query'")


def test_a_remote_query_against_a_closed_port_raises_store_unavailable() -> None:
    url = f"http://127.0.0.1:{closed_port()}/sparql"
    store = RemoteStore(url, update_url=url, timeout=5)
    for call in (lambda: store.select("SELECT * { ?s ?p ?o }"), lambda: store.ask("ASK {}"), lambda: len(store),
                 lambda: store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")):  # fmt: skip
        with pytest.raises(StoreUnavailable, match=f"{url} cannot be reached") as caught:
            call()
        assert "check that its server is running" in str(caught.value)
        assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_the_service_over_an_unreachable_endpoint_answers_502() -> None:
    url = f"http://127.0.0.1:{closed_port()}/sparql"
    app = create_app(RemoteStore(url, timeout=5), get_settings(endpoint=url, watch_files=False))
    with live_server(app) as base:
        answer = httpx.get(f"{base}/sparql", params={"query": "ASK {}"})
    assert answer.status_code == outcome_for(StoreUnavailable).status == 502
    assert answer.text.startswith(f"Store unreachable: the SPARQL endpoint {url} cannot be reached")


def test_cli_network_show_against_a_closed_endpoint_prints_one_line() -> None:
    """`evidencekg network show X --endpoint http://127.0.0.1:9/sparql`: one `error:` line, the table's exit code."""
    done = subprocess.run([str(CLI), "network", "show", "working alliance", "--endpoint", CLOSED],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == outcome_for(StoreUnavailable).exit_code == 1, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"error: the SPARQL endpoint {CLOSED} cannot be reached")


def test_backends_declare_what_they_can_do() -> None:
    embedded = OxigraphStore()
    read_only, writable = RemoteStore(CLOSED), RemoteStore(CLOSED, update_url=CLOSED, store_url=CLOSED)
    assert isinstance(embedded, Store) and isinstance(read_only, Store)
    assert {Capability.BULK_LOAD, Capability.WORKER_COPIES, Capability.SHIPPED_EVIDENCE} <= embedded.capabilities
    assert read_only.capabilities == frozenset()
    assert writable.capabilities == {Capability.UPDATE, Capability.GRAPH_STORE}
    settings = get_settings(memory=True)
    assert isinstance(create_executor(read_only, settings), DirectExecutor)
    executor = create_executor(embedded, settings)
    try:
        assert isinstance(executor, ProcessExecutor)
    finally:
        executor.close()
    assert embedded.location == "memory" and read_only.location == CLOSED
