"""The evidence CLI (validate, load, query) run for real through Typer, and the loader behind it."""

from __future__ import annotations

import csv
import gc
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidencekg.cli import app
from evidencekg.load.shipped import ensure_loaded, evidence_files, stored_fingerprint
from evidencekg.settings import Settings, get_settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.files import LoadError
from tests._evidence_support import MUTATIONS, write_finding

runner = CliRunner()


ANXIETY = "https://w3id.org/evidencekg/id/finding/notsu2024-anxiety-alliance"
AVOIDANCE = "https://w3id.org/evidencekg/id/finding/notsu2024-avoidance-alliance"


def triples_of(path: Path) -> list[object]:
    """The triples of a Turtle file, parsed independently of the loader."""
    import rdflib

    return list(rdflib.Graph().parse(path, format="turtle"))


def run(*args: str) -> tuple[int, str]:
    """Run the CLI; (exit code, stdout+stderr)."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes is not None else "")


def test_validate_shipped_evidence_exits_zero() -> None:
    code, out = run("validate")
    assert code == 0, out
    assert "conforms: 0 violation(s)" in out


def test_validate_minimal_finding_then_each_mutation(tmp_path: Path) -> None:
    code, out = run("validate", str(write_finding(tmp_path)))
    assert code == 0, out
    for mutation, (_old, _new, words) in MUTATIONS.items():
        path = write_finding(tmp_path, mutation, name=f"{mutation}.ttl")
        code, out = run("validate", str(path))
        assert code == 1, f"{mutation}: {out}"
        assert "Violation: id:finding/test2020-anxiety-alliance" in out and str(path) in out
        assert all(w in out for w in words), f"{mutation}: {out}"


def test_validate_malformed_turtle_exits_two_with_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.ttl"
    path.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b "open\n')
    code, out = run("validate", str(path))
    assert code == 2
    assert f"{path}:2:11: " in out


def jsonld_finding(estimate: object) -> dict[str, object]:
    """The test finding written by hand in JSON-LD with the shipped context, numbers as JSON numbers."""
    context = json.loads((get_settings().ontology_dir / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    sentence = "ekgid:sentence/test2020-abstract-s1"
    return {
        "@context": context,
        "@graph": [
            {"@id": "ekgid:document/test2020-abstract", "@type": "SourceDocument", "title": "Abstract of a test article"},
            {"@id": sentence, "@type": "SourceSentence", "isPartOf": "ekgid:document/test2020-abstract", "position": 1,
             "value": "r = -.20 (95% CI [-.30, -.10], p = .01; k = 12, N = 900)"},
            {"@id": "ekgid:publication/test2020", "@type": "Publication", "doi": "10.1000/test.2020",
             "title": "A test article", "issued": "2020"},
            {"@id": "ekgid:finding/test2020-anxiety-alliance", "@type": "ReportedFinding",
             "reportedIn": "ekgid:publication/test2020", "fromConstruct": "ekgid:construct/attachment-anxiety",
             "toConstruct": "ekgid:construct/therapeutic-alliance", "effectSizeMeasure": "obo:STATO_0000280",
             "estimate": estimate, "ciLower": -0.3, "ciUpper": -0.1, "confidenceLevel": 0.95, "pValue": 0.01,
             "pValueRelation": "=", "numberOfStudies": 12, "sampleSize": 900, "wasDerivedFrom": sentence},
        ],
    }


def test_validate_json_ld_written_with_the_context(tmp_path: Path) -> None:
    """JSON numbers typed xsd:decimal by the context are read as decimals, so a good finding conforms."""
    path = tmp_path / "finding.jsonld"
    path.write_text(json.dumps(jsonld_finding(-0.2)))
    code, out = run("validate", str(path))
    assert (code, out.splitlines()[-1]) == (0, "conforms: 0 violation(s), 0 warning(s)"), out
    path.write_text(json.dumps(jsonld_finding(1.5)))
    code, out = run("validate", str(path))
    assert code == 1 and "Pearson r must lie in [-1, 1]: the estimate is 1.5" in out, out
    store = tmp_path / "store"
    path.write_text(json.dumps(jsonld_finding(-0.2)))
    assert run("load", str(path), "--store", str(store))[0] == 0
    gc.collect()
    [row] = OxigraphStore(store).select(
        "SELECT ?e { ?f <https://w3id.org/evidencekg/ontology#estimate> ?e }"
    )
    assert (row["e"].value, row["e"].datatype.value) == ("-0.2", "http://www.w3.org/2001/XMLSchema#decimal")


def test_validate_missing_file_is_an_error(tmp_path: Path) -> None:
    code, out = run("validate", str(tmp_path / "nope.ttl"))
    assert code == 2 and "no such file" in out


def test_query_default_memory_store_json() -> None:
    code, out = run("query", "evidence-between", "-p", "a=attachment insecurity", "-p", "b=working alliance", "--format", "json")
    assert code == 0, out
    rows = json.loads(out)
    assert sorted((r["finding"], r["estimate"], r["ciLower"], r["ciUpper"]) for r in rows) == [
        (ANXIETY, -0.09, -0.15, -0.03),
        (AVOIDANCE, -0.13, -0.19, -0.07),
    ]


def test_query_csv_and_table(tmp_path: Path) -> None:
    code, out = run("query", "ci-excludes-zero", "--format", "csv")
    assert code == 0, out
    table = list(csv.DictReader(io.StringIO(out)))
    assert {r["finding"].rsplit("/", 1)[-1]: r["direction"] for r in table} == {
        "diener2011-security-alliance": "positive",
        "flueckiger2018-alliance-outcome": "positive",
        "notsu2024-anxiety-alliance": "negative",
        "notsu2024-avoidance-alliance": "negative",
    }
    code, out = run("query", "ci-excludes-zero", "--format", "table")
    assert code == 0 and "Findings whose confidence interval excludes zero (4 rows)" in out
    code, out = run("query", "ci-excludes-zero")  # not a terminal: the default is JSON (evidencekg.cli.evidence.output_format)
    assert code == 0 and len(json.loads(out)) == 4


def test_query_by_path_equals_query_by_name() -> None:
    by_name = run("query", "associations", "-f", "json")
    by_path = run("query", str(get_settings().queries_dir / "associations.rq"), "-f", "json")
    assert by_name[0] == by_path[0] == 0 and json.loads(by_name[1]) == json.loads(by_path[1])


def test_query_from_a_file_with_bindings(tmp_path: Path) -> None:
    query = tmp_path / "n.rq"
    query.write_text(
        "# title: sample size of a finding\n# param: finding (type: iri) the finding\n"
        "PREFIX ekg: <https://w3id.org/evidencekg/ontology#>\nSELECT ?n { ?finding ekg:sampleSize ?n }\n"
    )
    code, out = run("query", str(query), "-p", "finding=id:finding/diener2011-security-alliance", "-f", "json")
    assert code == 0, out
    assert json.loads(out) == [{"n": 886}]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("query", "asociations"), "did you mean associations"),
        (("query", "evidence-between", "-p", "a=attachment anxeity", "-p", "b=alliance"), "'attachment anxiety'"),
        (("query", "evidence-between", "-p", "a=alliance"), "needs --param b="),
        (("query", "associations", "-p", "x=1"), "no parameter(s) x"),
        (("query", "associations", "-p", "novalue"), "expected name=value"),
        (("query", "associations", "-f", "xml"), "choose one of table, csv, json"),
    ],
)
def test_query_errors_name_the_problem(args: tuple[str, ...], needle: str) -> None:
    code, out = run(*args)
    assert code != 0
    assert needle in out


def test_load_into_disk_store_then_query_it(tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, out = run("load", "--store", str(store))
    assert code == 0, out
    assert f"in {store}" in out
    code, out = run("load", "--store", str(store))
    assert code == 0 and "nothing reloaded" in out
    code, out = run("query", "associations", "--store", str(store), "-f", "json")
    assert code == 0, out
    assert len(json.loads(out)) == 6


def test_load_files_into_named_graph_and_reject_broken(tmp_path: Path) -> None:
    store = tmp_path / "store"
    finding = write_finding(tmp_path)
    code, out = run("load", str(finding), "--store", str(store), "--graph", "https://example.org/g")
    assert code == 0, out
    broken = tmp_path / "broken.ttl"
    broken.write_text("<http://x/a> <http://x/b> .\n")
    code, out = run("load", str(broken), "--store", str(store))
    assert code == 2 and f"{broken}:1:" in out
    gc.collect()  # the failed command's traceback held the store open
    disk = OxigraphStore(store)
    assert disk.graph_exists("https://example.org/g")
    assert not disk.ask("ASK { <http://x/a> ?p ?o }")  # nothing of the broken file arrived
    assert len(disk) == len(triples_of(finding))


def copy_project(tmp_path: Path) -> Settings:
    """A copy of ontology/ and data/ that a test may edit."""
    base = get_settings()
    shutil.copytree(base.ontology_dir, tmp_path / "ontology")
    shutil.copytree(base.data_dir, tmp_path / "data")
    return get_settings(ontology_dir=tmp_path / "ontology", data_dir=tmp_path / "data", var_dir=tmp_path / "var")


def test_ensure_loaded_reloads_only_on_change_and_keeps_named_graphs(tmp_path: Path) -> None:
    settings = copy_project(tmp_path)
    store = OxigraphStore(tmp_path / "store")
    assert ensure_loaded(store, settings) is True
    before = len(store)
    store.update("INSERT DATA { GRAPH <https://example.org/user> { <https://example.org/a> <https://example.org/b> 1 } }")
    assert ensure_loaded(store, settings) is False
    extra = settings.data_dir / "zz-extra.ttl"
    extra.write_text("<https://example.org/x> <https://example.org/y> <https://example.org/z> .\n")
    assert ensure_loaded(store, settings) is True
    assert store.ask("ASK { <https://example.org/x> ?p ?o }")
    assert store.graph_exists("https://example.org/user")
    extra.unlink()
    assert ensure_loaded(store, settings) is True
    assert not store.ask("ASK { <https://example.org/x> ?p ?o }")
    assert len(store) == before + 1  # shipped evidence again, plus the user's named graph


def test_ensure_loaded_with_a_broken_file_changes_nothing(tmp_path: Path) -> None:
    settings = copy_project(tmp_path)
    store = OxigraphStore()
    ensure_loaded(store, settings)
    size, stamp = len(store), stored_fingerprint(store)
    (settings.data_dir / "broken.ttl").write_text("@prefix ex: <http://x/> .\nex:a ex:b ex:c ex:d .\n")
    with pytest.raises(LoadError) as info:
        ensure_loaded(store, settings)
    assert info.value.problem is not None and info.value.problem.line == 2
    assert (len(store), stored_fingerprint(store)) == (size, stamp)


def test_evidence_files_are_ontology_then_data_sorted(project_settings: Settings) -> None:
    files = evidence_files(project_settings)
    ontology = [p for p in files if p.parent == project_settings.ontology_dir]
    data = [p for p in files if p.parent == project_settings.data_dir]
    assert files == ontology + data and ontology == sorted(ontology) and data == sorted(data)
    assert {p.name for p in ontology} >= {"evidencekg.ttl", "constructs.ttl"} and len(data) >= 1
    assert all(p.suffix == ".ttl" and "checks" not in p.parts for p in files)
