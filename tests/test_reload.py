"""Reloading the shipped evidence (ontology/ + data/) keeps user data, by `evidencekg load` and live while serving."""

from __future__ import annotations

import gc
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from typer.testing import CliRunner

from evidencekg.cli import app as cli_app
from evidencekg.cli.serve import serve_settings
from evidencekg.evidence.ingest import ingest
from evidencekg.load.shipped import ensure_loaded, reload_shipped, shipped_store
from evidencekg.meta.pairs import pool_pair, save_derived
from evidencekg.settings import Settings, get_settings
from evidencekg.store.embedded import OxigraphStore
from tests._ingest_support import metapsy, sheet
from tests._server import live_server

PROBE = "https://example.org/reload-probe"
USER = "<https://example.org/user-study> <http://www.w3.org/2000/01/rdf-schema#label> \"ingested by a user\""


def copy_project(tmp_path: Path) -> Settings:
    """Settings over a copy of ontology/ and data/ that the test may edit (the repository's files stay as they are)."""
    base = get_settings()
    shutil.copytree(base.ontology_dir, tmp_path / "ontology")
    shutil.copytree(base.data_dir, tmp_path / "data")
    return get_settings(
        ontology_dir=tmp_path / "ontology", data_dir=tmp_path / "data", var_dir=tmp_path / "var", memory=False, endpoint=None
    )


def default_graph(store: OxigraphStore) -> set[ox.Quad]:
    """Every quad of the default graph."""
    return set(store.oxigraph.quads_for_pattern(None, None, None, ox.DefaultGraph()))


def probe_file(settings: Settings, value: str) -> Path:
    """A shipped data file holding one probe triple with the given label."""
    path = settings.data_dir / "zz-probe.ttl"
    path.write_text(f'<{PROBE}> <http://www.w3.org/2000/01/rdf-schema#label> "{value}" .\n')
    return path


def smallest_data_file(settings: Settings) -> Path:
    """A data file the test can delete (its triples must then leave the store)."""
    return min(settings.data_dir.glob("*.ttl"), key=lambda p: p.stat().st_size)


def test_load_after_a_data_change_keeps_ingested_studies_and_saved_findings(tmp_path: Path) -> None:
    settings = copy_project(tmp_path)
    store_path = tmp_path / "store"
    store = OxigraphStore(store_path)
    assert ensure_loaded(store, settings) is True
    old_shipped = default_graph(store)
    (tmp_path / "sheet.csv").write_bytes(sheet())
    (tmp_path / "trials.csv").write_bytes(metapsy())
    studies = ingest(store, tmp_path / "sheet.csv", "sheet", settings=settings)
    trials = ingest(store, tmp_path / "trials.csv", "metapsy", settings=settings)
    derived = save_derived(store, pool_pair(store, "attachment-anxiety", "therapeutic-alliance"), settings)
    user = default_graph(store) - old_shipped
    assert len(user) > studies.triples + trials.triples  # the saved pooled finding is in there too
    del store
    gc.collect()  # release the store's folder lock for the CLI

    # the files change: a comment, a new triple, a whole source removed
    smallest_data_file(settings).unlink()
    first = sorted(settings.data_dir.glob("*.ttl"))[0]
    first.write_text(first.read_text() + "\n# edited\n")
    probe_file(settings, "v1")
    env = {"EVIDENCEKG_ONTOLOGY_DIR": str(settings.ontology_dir), "EVIDENCEKG_DATA_DIR": str(settings.data_dir)}
    result = CliRunner().invoke(cli_app, ["load", "--store", str(store_path)], env=env)
    assert result.exit_code == 0, result.output

    store = OxigraphStore(store_path)
    new_shipped = default_graph(shipped_store(settings))
    assert default_graph(store) == new_shipped | user  # exactly: new shipped evidence + every user triple
    gone = old_shipped - new_shipped
    assert gone and gone.isdisjoint(default_graph(store))  # the removed source's triples went
    for document in (studies.document, trials.document, derived):
        assert store.ask(f"ASK {{ <{document}> ?p ?o }}"), document
    assert (tmp_path / "store.shipped.nq").is_file() and not list(store_path.glob("*.shipped.nq"))
    assert "other data left as it was" in result.output


def test_shipped_blank_nodes_are_skolemized_so_reloads_neither_copy_nor_strand_them(tmp_path: Path) -> None:
    settings = copy_project(tmp_path)
    shapes = rdflib.Graph().parse(settings.ontology_dir / "shapes.ttl", format="turtle")
    assert any(isinstance(s, rdflib.BNode) for s in shapes.subjects())  # the shipped shapes have blank nodes
    nested = settings.data_dir / "zz-nested.ttl"
    nested.write_text(f"<{PROBE}> <https://example.org/p> [ <https://example.org/q> ( 1 2 ) ] .\n")
    store = OxigraphStore()
    ensure_loaded(store, settings)
    assert not store.ask("ASK { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }")
    size = len(store)
    probe_file(settings, "v1")  # another file changes; the blank-node files are reloaded unchanged
    assert ensure_loaded(store, settings) is True
    assert len(store) == size + 1
    nested.unlink()
    assert ensure_loaded(store, settings) is True
    assert len(store) == size + 1 - 6  # p, q, and the list's two first/rest pairs
    assert not store.ask(f"ASK {{ <{PROBE}> <https://example.org/p> ?o }}")


def test_without_a_snapshot_a_reload_only_adds_and_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = copy_project(tmp_path)
    store = OxigraphStore(tmp_path / "store")
    ensure_loaded(store, settings)
    old_shipped = default_graph(store)
    store.update(f"INSERT DATA {{ {USER} }}")
    (tmp_path / "store.shipped.nq").unlink()  # e.g. a store loaded by an older version
    smallest_data_file(settings).unlink()
    probe_file(settings, "v1")
    with caplog.at_level(logging.WARNING, logger="evidencekg"):
        result = reload_shipped(store, settings)
    assert result is not None and not result.exact and result.retracted == 0
    assert "cannot be retracted" in caplog.text and "store.shipped.nq" in caplog.text
    assert store.ask(f"ASK {{ {USER} }}") and store.ask(f"ASK {{ <{PROBE}> ?p ?o }}")
    stale = old_shipped - default_graph(shipped_store(settings))
    assert stale and stale <= default_graph(store)  # not retracted: nothing says they were shipped
    probe_file(settings, "v2")  # the snapshot is back: the next reload is exact again
    result = reload_shipped(store, settings)
    assert result is not None and result.exact and (result.retracted, result.added) == (1, 1)
    assert store.select(f"SELECT ?l {{ <{PROBE}> ?p ?l }}")[0]["l"].value == "v2"


def test_a_snapshot_left_pending_by_a_crash_is_used(tmp_path: Path) -> None:
    settings = copy_project(tmp_path)
    store = OxigraphStore(tmp_path / "store")
    ensure_loaded(store, settings)
    snapshot = tmp_path / "store.shipped.nq"
    version1 = snapshot.read_bytes()
    probe_file(settings, "v1")
    ensure_loaded(store, settings)
    # a crash after the store committed version 2 but before its snapshot replaced version 1's
    snapshot.rename(tmp_path / "store.shipped.nq.pending")
    snapshot.write_bytes(version1)
    (settings.data_dir / "zz-probe.ttl").unlink()
    result = reload_shipped(store, settings)
    assert result is not None and result.exact and result.retracted == 1
    assert not store.ask(f"ASK {{ <{PROBE}> ?p ?o }}")


def test_serve_watches_by_default_and_other_apps_do_not() -> None:
    assert serve_settings(None, None, None, False, None, None).watch_files is True
    assert serve_settings(None, None, None, False, None, None, watch=False).watch_files is False
    assert not get_settings().watch_files


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    """Poll a condition until true or until the time is up (bounded wait, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_live_server_picks_up_file_changes_and_keeps_user_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from service.app import create_app

    settings = copy_project(tmp_path).model_copy(update={"watch_files": True, "watch_interval": 0.2})
    store = OxigraphStore(tmp_path / "store")
    ensure_loaded(store, settings)
    store.update(f"INSERT DATA {{ {USER} }}")  # what `evidencekg ingest` writes: the default graph

    def ask(base: str, pattern: str) -> bool:
        reply = httpx.get(f"{base}/sparql", params={"query": f"ASK {{ {pattern} }}"},
                          headers={"Accept": "application/sparql-results+json"}, timeout=30)  # fmt: skip
        reply.raise_for_status()
        return bool(reply.json()["boolean"])

    with caplog.at_level(logging.INFO, logger="evidencekg"), live_server(create_app(store, settings)) as base:
        assert ask(base, USER) and not ask(base, f"<{PROBE}> ?p ?o")
        probe_file(settings, "v1")
        assert wait_for(lambda: ask(base, f'<{PROBE}> ?p "v1"'))
        assert ask(base, USER)

        broken = settings.data_dir / "zz-broken.ttl"
        broken.write_text("@prefix ex: <https://example.org/> .\nex:a ex:b ex:c ex:d .\n")
        probe_file(settings, "v2")  # not loaded either: a reload is all files or none
        assert wait_for(lambda: f"{broken}:2:" in caplog.text)
        assert ask(base, f'<{PROBE}> ?p "v1"') and ask(base, USER)

        broken.write_text("<https://example.org/fixed> <https://example.org/p> 1 .\n")
        assert wait_for(lambda: ask(base, "<https://example.org/fixed> ?p 1"))
        assert ask(base, f'<{PROBE}> ?p "v2"') and not ask(base, f'<{PROBE}> ?p "v1"') and ask(base, USER)
    assert "reloaded the shipped evidence" in caplog.text
