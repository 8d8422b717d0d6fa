"""`evidencekg synth`: a deterministic synthetic evidence base that passes the shapes and says it is synthetic."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from evidencekg.evidence.synth import TEST_DOI_PREFIX, write_synth
from evidencekg.load.shipped import load_files, shipped_store
from evidencekg.model.namespaces import sparql_prologue
from evidencekg.settings import Settings
from evidencekg.shapes.consistency import check_graph
from evidencekg.shapes.validate import validate_files


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 synthetic findings as N-Quads (seed 3)."""
    path = tmp_path_factory.mktemp("synth") / "s400.nq"
    write_synth(path, 400, seed=3)
    return path


def digest(path: Path) -> str:
    """The SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(small: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again.nq", tmp_path / "other.nq"
    write_synth(again, 400, seed=3)
    write_synth(other, 400, seed=4)
    assert digest(again) == digest(small)
    assert digest(other) != digest(small)


def test_passes_the_shapes_and_the_consistency_check(tmp_path: Path, project_settings: Settings) -> None:
    path = tmp_path / "s250.ttl"
    write_synth(path, 250, seed=5)
    report = validate_files([path], project_settings)
    assert report.conforms, report.text()
    assert not report.warnings, report.text()
    results = check_graph(rdflib.Graph().parse(path))
    assert len(results) > 150  # every correlation with a CI and p
    assert not [r for r in results if r.severity == "Warning"]


def test_shape_of_the_base(small: Path, project_settings: Settings) -> None:
    store = shipped_store(project_settings)
    load_files(store, [small])
    p = sparql_prologue()
    count = store.select(p + "SELECT (COUNT(?f) AS ?n) { ?f a ekg:ReportedFinding ; prov:wasDerivedFrom/dcterms:isPartOf ?d . ?d dcterms:type 'synthetic' }")
    assert int(count[0]["n"].value) == 400
    trials = store.select(p + "SELECT (COUNT(?f) AS ?n) { ?f ekg:interventionCondition ?i ; ekg:comparatorCondition ?c ; ekg:standardError ?se ; ekg:effectSizeMeasure obo:STATO_0000319 }")
    assert 5 <= int(trials[0]["n"].value) <= 150
    constructs = store.select(p + "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?c a ekg:Construct ; skos:broader ?b FILTER STRSTARTS(STR(?c), 'https://w3id.org/evidencekg/id/construct/synthetic-') }")
    assert int(constructs[0]["n"].value) == 180  # 20 areas x 9, each with its broader area
    dois = store.select(p + "SELECT DISTINCT ?doi { ?f a ekg:ReportedFinding ; ekg:reportedIn/bibo:doi ?doi FILTER STRSTARTS(STR(?f), 'https://w3id.org/evidencekg/id/finding/synthetic-') }")
    assert dois and all(r["doi"].value.startswith(TEST_DOI_PREFIX + "/") for r in dois)
    per_study = store.select(p + "SELECT ?s (COUNT(?f) AS ?k) { ?f ekg:fromStudy ?s FILTER STRSTARTS(STR(?f), 'https://w3id.org/evidencekg/id/finding/synthetic-') } GROUP BY ?s")
    assert max(int(r["k"].value) for r in per_study) <= 20
    rs = [float(r["r"].value) for r in store.select(p + "SELECT ?r { ?f ekg:effectSizeMeasure obo:STATO_0000280 ; ekg:estimate ?r FILTER STRSTARTS(STR(?f), 'https://w3id.org/evidencekg/id/finding/synthetic-') }")]
    assert 0.03 < sum(rs) / len(rs) < 0.17  # r near 0.1
    busiest = store.select(p + "SELECT ?a ?b (COUNT(?f) AS ?k) { ?f ekg:fromConstruct ?a ; ekg:toConstruct ?b FILTER STRSTARTS(STR(?f), 'https://w3id.org/evidencekg/id/finding/synthetic-') } GROUP BY ?a ?b ORDER BY DESC(?k) LIMIT 1")
    assert int(busiest[0]["k"].value) >= 8  # popularity is skewed: one pair gathers many studies
    sentence = store.select(p + "SELECT ?t { ?f ekg:estimate ?r ; prov:wasDerivedFrom/rdf:value ?t FILTER STRSTARTS(STR(?f), 'https://w3id.org/evidencekg/id/finding/synthetic-') } LIMIT 1")
    assert sentence[0]["t"].value.startswith("SYNTHETIC (not a real finding)")


def test_the_command_writes_the_file_with_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "s30.nt"
    done = subprocess.run(
        [sys.executable, "-c", "from evidencekg.cli import app; app(prog_name='evidencekg')", "synth", "--findings", "30", "--seed", "2", "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "wrote 30 synthetic findings" in done.stdout and "10.5555/" in done.stdout
    triples = list(ox.parse(path=str(out), format=ox.RdfFormat.N_TRIPLES))
    assert len(triples) > 30 * 15
    bad = subprocess.run(
        [sys.executable, "-c", "from evidencekg.cli import app; app(prog_name='evidencekg')", "synth", "--findings", "3", "--out", str(tmp_path / "x.csv")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and "N-Quads" in bad.stderr
