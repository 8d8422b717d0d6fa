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
from evidencekg.model.graphs import (
    DATA,
    DERIVED,
    META_GRAPH,
    ONTOLOGY,
    SHAPES_GRAPH,
    data_graph,
    ingest_graph,
    ontology_graph,
)
from evidencekg.model.namespaces import CONSTRUCT_SCHEME
from evidencekg.settings import Settings, get_settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.protocol import data_block
from tests._ingest_support import METAPSY_OPTIONS, metapsy, sheet
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


def graphs(store: OxigraphStore) -> dict[str, set[ox.Triple]]:
    """Each graph's triples (the real default graph under ""), blank nodes left out (their labels change on reload)."""
    held: dict[str, set[ox.Triple]] = {}
    for q in store.oxigraph:
        name = "" if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value
        if not (isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)):
            held.setdefault(name, set()).add(q.triple)
    return held


def shipped_graphs(store: OxigraphStore) -> dict[str, set[ox.Triple]]:
    """The graphs the shipped files fill (ontology, shapes, data)."""
    return {g: t for g, t in graphs(store).items() if g.startswith((ONTOLOGY, DATA)) or g == SHAPES_GRAPH}


def probe_file(settings: Settings, value: str) -> Path:
    """A shipped data file holding one probe triple with the given label."""
    path = settings.data_dir / "zz-probe.ttl"
    path.write_text(f'<{PROBE}> <http://www.w3.org/2000/01/rdf-schema#label> "{value}" .\n')
    return path


def smallest_data_file(settings: Settings) -> Path:
    """A data file the test can delete (its triples must then leave the store)."""
    return min(settings.data_dir.glob("*.ttl"), key=lambda p: p.stat().st_size)


def test_load_after_a_data_change_replaces_only_changed_graphs_and_keeps_user_graphs(tmp_path: Path) -> None:
    settings = copy_project(tmp_path)
    store_path = tmp_path / "store"
    store = OxigraphStore(store_path)
    assert ensure_loaded(store, settings) is True
    (tmp_path / "sheet.csv").write_bytes(sheet())
    (tmp_path / "trials.csv").write_bytes(metapsy())
    studies = ingest(store, tmp_path / "sheet.csv", "sheet", settings=settings)
    trials = ingest(store, tmp_path / "trials.csv", "metapsy", settings=settings, options=METAPSY_OPTIONS)
    derived = save_derived(store, pool_pair(store, "attachment-anxiety", "therapeutic-alliance"), settings)
    store.update(f"INSERT DATA {{ {USER} }}")  # the real default graph: user data
    user = {g: t for g, t in graphs(store).items() if g not in shipped_graphs(store) and g != META_GRAPH}
    slug = lambda document: document.rsplit("/", 1)[-1]  # noqa: E731 - id:document/<slug>
    assert {ingest_graph(slug(studies.document)), ingest_graph(slug(trials.document)), ""} <= set(user)
    assert any(g.startswith(DERIVED) for g in user)
    del store
    gc.collect()  # release the store's folder lock for the CLI

    # the files change: a comment, a new file, a whole source removed
    removed = smallest_data_file(settings)
    removed.unlink()
    first = sorted(settings.data_dir.glob("*.ttl"))[0]
    first.write_text(first.read_text() + "\n# edited\n")
    probe_file(settings, "v1")
    (tmp_path / "store.shipped.nq").write_text("")  # an older version's snapshot: removed at the next reload
    env = {"EVIDENCEKG_ONTOLOGY_DIR": str(settings.ontology_dir), "EVIDENCEKG_DATA_DIR": str(settings.data_dir)}
    result = CliRunner().invoke(cli_app, ["load", "--store", str(store_path)], env=env)
    assert result.exit_code == 0, result.output
    assert "2 graphs reloaded, 1 dropped" in result.output  # the edited file and the new one

    store = OxigraphStore(store_path)
    assert shipped_graphs(store) == shipped_graphs(shipped_store(settings))
    assert data_graph(removed.stem) not in graphs(store)
    kept = graphs(store)
    assert all(kept[g] == t for g, t in user.items())  # every user graph exactly as it was
    for document in (studies.document, trials.document, derived):
        assert store.ask(f"ASK {{ <{document}> ?p ?o }}"), document
    assert not (tmp_path / "store.shipped.nq").exists()


def test_a_reload_replaces_a_graph_with_blank_nodes_without_copies_or_strays(tmp_path: Path) -> None:
    settings = copy_project(tmp_path)
    shapes = rdflib.Graph().parse(settings.ontology_dir / "shapes.ttl", format="turtle")
    assert any(isinstance(s, rdflib.BNode) for s in shapes.subjects())  # the shipped shapes have blank nodes
    nested = settings.data_dir / "zz-nested.ttl"
    nested.write_text(f"<{PROBE}> <https://example.org/p> [ <https://example.org/q> ( 1 2 ) ] .\n")
    store = OxigraphStore()
    ensure_loaded(store, settings)
    size = len(store)
    nested.write_text(nested.read_text() + "# edited: its graph is replaced, blank nodes included\n")
    assert ensure_loaded(store, settings) is True
    assert len(store) == size
    nested.unlink()
    assert ensure_loaded(store, settings) is True
    assert len(store) == size - 6 - 1  # p, q, the list's two first/rest pairs; and the graph's fingerprint
    assert not store.ask(f"ASK {{ <{PROBE}> <https://example.org/p> ?o }}")


def test_an_older_store_loses_its_default_graph_copy_of_the_shipped_evidence(tmp_path: Path) -> None:
    settings = copy_project(tmp_path)
    store = OxigraphStore(tmp_path / "store")
    old = [ox.Quad(ox.NamedNode(PROBE), ox.NamedNode("https://example.org/p"), ox.Literal("shipped by an older version"))]
    store.update(f"INSERT DATA {{ {data_block(old)} }} ; INSERT DATA {{ {USER} }}")
    header = b"# evidencekg shipped evidence, fingerprint 0\n"
    (tmp_path / "store.shipped.nq").write_bytes(header + ox.serialize(old, format=ox.RdfFormat.N_QUADS))
    assert reload_shipped(store, settings) is not None
    # the older copy went from the default graph, the user's triple stayed
    assert graphs(store)[""] == {q.triple for q in ox.parse(f"{USER} .\n".encode(), format=ox.RdfFormat.N_TRIPLES)}
    assert not (tmp_path / "store.shipped.nq").exists()


def test_queries_see_the_data_union_and_the_ontology_only_when_asked(tmp_path: Path) -> None:
    store = shipped_store(copy_project(tmp_path))
    shapes = "ASK { ?s a <http://www.w3.org/ns/shacl#NodeShape> }"
    assert not store.ask(shapes)
    assert store.ask(shapes.replace("ASK", f"ASK FROM <{SHAPES_GRAPH}>"))
    classes = "ASK { <https://w3id.org/evidencekg/ontology#Finding> a <http://www.w3.org/2002/07/owl#Class> }"
    assert not store.ask(classes)
    assert store.ask(classes.replace("ASK", f"ASK FROM <{ontology_graph('evidencekg')}>"))
    assert store.ask(f"ASK {{ ?c <http://www.w3.org/2004/02/skos/core#inScheme> <{CONSTRUCT_SCHEME}> }}")


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
