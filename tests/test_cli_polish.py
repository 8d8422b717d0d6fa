"""The CLI at real use: `list`, one --format rule, meta's APA line, a locked store's advice, check over the store, export paths."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidencekg.cli import app
from evidencekg.cli.evidence import output_format
from evidencekg.store.embedded import OxigraphStore
from tests._ingest_support import METAPSY_OPTIONS, metapsy

SHEET = Path(__file__).parents[1] / "examples" / "simulated-attachment-alliance.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store: the shipped evidence, the simulated sheet and a Metapsy excerpt."""
    path = tmp_path_factory.mktemp("cli") / "store"
    excerpt = path.parent / "excerpt.csv"
    excerpt.write_bytes(metapsy())
    for args in (["load"], ["ingest", str(SHEET), "--format", "sheet"], ["ingest", str(excerpt), "--format", "metapsy", "--dataset-doi", METAPSY_OPTIONS["dataset_doi"], "--outcome", METAPSY_OPTIONS["outcome"]]):
        done = runner.invoke(app, [*args, "--store", str(path)])
        assert done.exit_code == 0, done.output
    return path


def test_list_names_what_other_commands_take(folder: Path) -> None:
    constructs = json.loads(runner.invoke(app, ["list", "constructs", "--store", str(folder)]).stdout)
    assert {"name": "attachment-anxiety", "label": "attachment anxiety", "findings": 13} in constructs
    conditions = {c["name"]: c for c in json.loads(runner.invoke(app, ["list", "conditions", "--store", str(folder)]).stdout)}
    assert conditions["cbt"]["label"] == "cognitive behaviour therapy" and conditions["cbt"]["findings"] == 3
    characteristics = json.loads(runner.invoke(app, ["list", "characteristics", "--store", str(folder)]).stdout)
    assert {"characteristic": "country", "value": "us", "meaning": "USA", "findings": 2} in characteristics
    queries = json.loads(runner.invoke(app, ["list", "queries"]).stdout)
    assert {"name": "evidence-between", "title": "Evidence between two constructs", "parameters": "a, b"} in queries
    table = runner.invoke(app, ["list", "queries", "--format", "table"])
    assert table.exit_code == 0 and "evidence-between" in table.stdout and "queries (" in table.stdout
    bad = runner.invoke(app, ["list", "moods"])
    assert bad.exit_code == 2 and "choose one of constructs, conditions, characteristics, queries" in bad.stderr


def test_one_format_rule_and_the_apa_line(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert output_format("csv") == "csv"
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert output_format("auto") == "table"
    monkeypatch.setattr("sys.stdout.isatty", lambda: False, raising=False)
    assert output_format("auto") == "json"
    piped = runner.invoke(app, ["meta", "pair", "attachment-anxiety", "therapeutic-alliance", "--store", str(folder)])
    result = json.loads(piped.stdout)
    assert result["k"] == 12 and result["apa"].startswith("A random-effects (REML) meta-analysis of k = 12 studies")
    table = runner.invoke(app, ["meta", "pair", "attachment-anxiety", "therapeutic-alliance", "--store", str(folder), "--format", "table"])
    assert table.exit_code == 0 and result["apa"].split(" gave ")[0] in " ".join(table.stdout.split())


def test_a_locked_store_suggests_the_endpoint_and_check_reads_the_store(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    held = OxigraphStore(folder)  # this process holds the lock, as `evidencekg serve` would
    locked = runner.invoke(app, ["list", "constructs", "--store", str(folder)])
    assert locked.exit_code != 0 and "--endpoint http://127.0.0.1:8000/sparql" in locked.stderr
    del held
    gc.collect()
    monkeypatch.setenv("EVIDENCEKG_STORE_PATH", str(folder))
    checked = runner.invoke(app, ["check", "--json"])
    assert f"checking the store at {folder}" in checked.stderr
    explicit = runner.invoke(app, ["check", "--store", str(folder), "--json"])
    assert json.loads(checked.stdout) == json.loads(explicit.stdout) and checked.exit_code == explicit.exit_code


def test_network_export_goes_where_out_says_and_defaults_under_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "deep" / "net.gexf"
    done = runner.invoke(app, ["network", "export", "--format", "gexf", "--out", str(out)])
    assert done.exit_code == 0 and out.read_bytes().startswith(b"<?xml")
    monkeypatch.setenv("EVIDENCEKG_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    default = runner.invoke(app, ["network", "export", "--format", "graphml"])
    assert default.exit_code == 0, default.output
    assert (tmp_path / "var" / "exports" / "evidencekg-network.graphml").is_file() and not list(tmp_path.glob("*.graphml"))
