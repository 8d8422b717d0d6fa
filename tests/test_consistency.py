"""The statcheck-like consistency checker on the shipped findings and on constructed cases."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from typer.testing import CliRunner

from evidencekg.cli import app
from evidencekg.settings import get_settings
from evidencekg.shapes.consistency import check_finding, check_graph, check_values, p_from_ci, reported

FINDING = rdflib.Namespace("https://w3id.org/evidencekg/id/finding/")


@pytest.fixture(scope="module")
def shipped() -> rdflib.Graph:
    """data/*.ttl parsed with rdflib (keeps the printed decimals)."""
    graph = rdflib.Graph()
    for path in sorted(get_settings().data_dir.glob("*.ttl")):
        graph.parse(path)
    return graph


def test_seed_findings_pass_anxiety_only_within_rounding(shipped: rdflib.Graph) -> None:
    results = {r.finding: r for r in check_graph(shipped)}
    anxiety = results[str(FINDING["notsu2024-anxiety-alliance"])]
    avoidance = results[str(FINDING["notsu2024-avoidance-alliance"])]
    assert anxiety.severity == "ok-within-rounding"
    assert not 0.005 <= anxiety.recomputed_p <= 0.015  # r = -.09 [-.15, -.03] gives p = .0035, not .01 ...
    assert anxiety.recomputed_p_range[0] < 0.015 and anxiety.recomputed_p_range[1] >= 0.005  # ... but rounding allows it
    assert avoidance.severity == "ok" and avoidance.recomputed_p < 0.001
    assert all(r.severity != "Warning" for r in results.values())


def test_inconsistent_finding_is_flagged_with_recomputed_p() -> None:
    result = check_values("urn:x", "0.30", "0.20", "0.40", "0.45", "=", correlation=True)
    assert result.severity == "Warning"
    expected = p_from_ci(0.30, 0.20, 0.40, correlation=True)
    assert result.recomputed_p == pytest.approx(expected) and expected < 1e-6
    assert f"{expected:.3g}" in result.message


def test_less_than_relation_and_raw_scale() -> None:
    assert check_values("urn:g", "0.50", "0.10", "0.90", "0.05", "<").severity == "ok"  # g: z = 2.45, p = .014
    assert check_values("urn:g", "0.50", "0.10", "0.90", "0.01", "<").severity == "Warning"
    assert check_values("urn:g", "0.50", "0.10", "0.90", "0.014", "=").severity == "ok"


def test_printed_decimals_come_from_the_lexical_form() -> None:
    assert reported("-0.09").half_step == pytest.approx(0.005)
    assert reported("0.10").half_step == pytest.approx(0.005)
    assert reported("0.1").half_step == pytest.approx(0.05)
    # same values, fewer printed decimals: more values round to them, so it becomes consistent
    assert check_values("urn:r", "0.2", "0.1", "0.3", "0.2", "=", correlation=True).severity == "Warning"
    assert check_values("urn:r", "0.2", "0.0", "0.4", "0.04", "=", correlation=True).severity != "Warning"


def test_check_finding_reads_graph_and_skips_incomplete(tmp_path: Path) -> None:
    graph = rdflib.Graph().parse(data="""
        @prefix ekg: <https://w3id.org/evidencekg/ontology#> . @prefix obo: <http://purl.obolibrary.org/obo/> .
        <urn:a> ekg:effectSizeMeasure obo:STATO_0000280 ; ekg:estimate 0.30 ; ekg:ciLower 0.20 ; ekg:ciUpper 0.40 ;
            ekg:pValue 0.45 ; ekg:pValueRelation "=" .
        <urn:b> ekg:estimate 0.30 ; ekg:pValue 0.45 .
    """, format="turtle")
    assert check_finding(graph, "urn:b") is None
    assert [r.finding for r in check_graph(graph)] == ["urn:a"]
    file = tmp_path / "bad.ttl"
    graph.serialize(file, format="turtle")
    result = CliRunner().invoke(app, ["check", str(file)])
    assert result.exit_code == 1 and "Warning: urn:a" in result.stdout


def test_check_command_on_shipped_data_passes() -> None:
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "ok-within-rounding: https://w3id.org/evidencekg/id/finding/notsu2024-anxiety-alliance" in result.stdout
