"""Validation of RDF files against the ontology and shapes: parse positions, shape problems, the shipped data."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
import rdflib

from evidencekg.settings import Settings
from evidencekg.shapes.validate import (
    ParseProblem,
    ShapeProblem,
    cached_graph,
    default_validation_files,
    extra_checks,
    shapes_files,
    validate_files,
    validate_graph,
)
from tests._evidence_support import COMPARISON, FINDING, MUTATIONS, VALID_COMPARISON, VALID_FINDING, write_finding


@pytest.fixture
def shapes_present(project_settings: Settings) -> Settings:
    """The project settings, provided the SHACL shapes exist."""
    if not shapes_files(project_settings):
        pytest.fail("ontology/*shapes*.ttl is missing: nothing to validate against")
    return project_settings


def test_shipped_data_conforms(shapes_present: Settings) -> None:
    report = validate_files(default_validation_files(shapes_present), shapes_present)
    assert report.conforms, report.text()
    assert report.exit_code == 0


def test_minimal_finding_conforms(tmp_path: Path, shapes_present: Settings) -> None:
    report = validate_files([write_finding(tmp_path)], shapes_present)
    assert report.violations == [], report.text()


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_each_mutation_is_a_violation_on_the_finding(tmp_path: Path, shapes_present: Settings, mutation: str) -> None:
    path = write_finding(tmp_path, mutation)
    report = validate_files([path], shapes_present)
    assert not report.conforms and report.exit_code == 1
    on_finding = [p for p in report.violations if p.focus_node == FINDING]
    assert on_finding, report.text()
    assert all(p.source_file == path for p in on_finding)
    text = report.text()
    for word in MUTATIONS[mutation][2]:
        assert word in text, f"{word!r} not in report:\n{text}"


def test_each_violation_carries_only_its_own_message(tmp_path: Path, shapes_present: Settings) -> None:
    """r = 1.5 is reported as a range error, not also as a malformed association."""
    report = validate_files([write_finding(tmp_path, "r-out-of-range")], shapes_present)
    [range_problem] = [p for p in report.violations if "[-1, 1]" in p.message]
    assert range_problem.message == "Pearson r must lie in [-1, 1]: the estimate is 1.5"
    assert not any("either an association" in p.message for p in report.violations), report.text()


def test_trial_comparison_record_conforms(tmp_path: Path, shapes_present: Settings) -> None:
    """A Metapsy-style comparison (two arms, instrument, rater, time point, Hedges' g and SE) fits the model."""
    path = tmp_path / "comparison.ttl"
    path.write_text(VALID_COMPARISON)
    report = validate_files([path], shapes_present)
    assert report.conforms and report.warnings == [], report.text()


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("    ekg:comparatorCondition <https://w3id.org/evidencekg/id/condition/test-cau> ;\n", "", "either an association"),
        ("ekg:toConstruct <", "ekg:fromConstruct <https://w3id.org/evidencekg/id/construct/attachment-anxiety> ;\n    ekg:toConstruct <", "either an association"),
        ("ekg:arm2SampleSize 35", "ekg:arm2SampleSize 0", "Arm 2 sample size"),
        ("ekg:standardError 0.21", "ekg:standardError -0.21", "Standard error"),
        ("ekg:instrument <https://w3id.org/evidencekg/id/measure/test-bdi>", "ekg:instrument <https://w3id.org/evidencekg/id/condition/test-cbt>", "measures scheme"),
    ],
)
def test_broken_trial_comparison_is_a_violation(tmp_path: Path, shapes_present: Settings, old: str, new: str, words: str) -> None:
    assert old in VALID_COMPARISON
    path = tmp_path / "comparison.ttl"
    path.write_text(VALID_COMPARISON.replace(old, new))
    report = validate_files([path], shapes_present)
    assert report.exit_code == 1
    assert any(p.focus_node == COMPARISON and words in p.message for p in report.violations), report.text()


def test_turtle_typo_gives_line_and_column(tmp_path: Path, shapes_present: Settings) -> None:
    path = tmp_path / "typo.ttl"
    path.write_text('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c ;\n  ex:d ex:e ex:f .\n')
    report = validate_files([path], shapes_present)
    assert report.exit_code == 2
    [problem] = report.parse_problems
    assert (problem.file, problem.line, problem.col) == (path, 3, 13)
    assert problem.text().startswith(f"{path}:3:13: ")


def test_unterminated_literal_gives_its_line(tmp_path: Path, shapes_present: Settings) -> None:
    path = tmp_path / "literal.ttl"
    path.write_text('@prefix ex: <http://example.org/> .\n\nex:a ex:b "never closed .\nex:c ex:d ex:e .\n')
    [problem] = validate_files([path], shapes_present).parse_problems
    assert (problem.line, problem.col) == (3, 11)
    assert "end of file" in problem.message.lower() or "string" in problem.message.lower()


def test_every_file_is_parsed_even_after_a_failure(tmp_path: Path, shapes_present: Settings) -> None:
    first = tmp_path / "a.ttl"
    first.write_text("<http://x/a> <http://x/b> .\n")
    second = tmp_path / "b.ttl"
    second.write_text("@prefix ex: <http://x/> .\nex:a ex:b undeclared:c .\n")
    problems = validate_files([first, second], shapes_present).parse_problems
    assert [(p.file, p.line) for p in problems] == [(first, 1), (second, 2)]
    assert "undeclared" in problems[1].message


def test_files_are_validated_together(tmp_path: Path, shapes_present: Settings) -> None:
    """The finding's publication lives in another file: valid only when both are given."""
    whole = write_finding(tmp_path, name="whole.ttl").read_text()
    start = whole.index("<https://w3id.org/evidencekg/id/publication/test2020> a ekg:Publication")
    end = whole.index("<https://w3id.org/evidencekg/id/finding/")
    head = whole[: whole.index("\n<")]
    (tmp_path / "pub.ttl").write_text(head + "\n" + whole[start:end])
    (tmp_path / "rest.ttl").write_text(whole[:start] + whole[end:])
    together = validate_files([tmp_path / "rest.ttl", tmp_path / "pub.ttl"], shapes_present)
    alone = validate_files([tmp_path / "rest.ttl"], shapes_present)
    assert together.violations == [], together.text()
    assert any("ekg:reportedIn" in p.text() for p in alone.violations), alone.text()


def test_validate_graph_in_memory(shapes_present: Settings) -> None:
    good = rdflib.Graph().parse(data=VALID_FINDING, format="turtle")
    size = len(good)
    report = validate_graph(good, settings=shapes_present)
    assert report.conforms, report.text()
    assert len(good) == size  # the caller's graph is untouched
    old, new, _ = MUTATIONS["p-above-one"]
    bad = rdflib.Graph().parse(data=VALID_FINDING.replace(old, new), format="turtle")
    report = validate_graph(bad, settings=shapes_present)
    assert not report.conforms
    [problem] = [p for p in report.violations if p.path and p.path.endswith("pValue")]
    assert isinstance(problem, ShapeProblem) and problem.value == "2" and problem.source_file is None


def test_report_text_separates_violations_and_warnings(tmp_path: Path, shapes_present: Settings) -> None:
    old, new, _ = MUTATIONS["k-zero"]
    text = VALID_FINDING.replace(old, new).replace("    ekg:ciLower -0.30 ;\n    ekg:ciUpper -0.10 ;\n", "")
    path = tmp_path / "f.ttl"
    path.write_text(text)
    report = validate_files([path], shapes_present)
    rendered = report.text()
    assert "Violation: id:finding/test2020-anxiety-alliance" in rendered
    assert "Warning: id:finding/test2020-anxiety-alliance" in rendered  # no CI: a warning in the shapes
    assert rendered.splitlines()[-1] == f"does not conform: {len(report.violations)} violation(s), {len(report.warnings)} warning(s)"
    assert len(report.warnings) >= 1 and report.exit_code == 1


def test_parse_problem_text() -> None:
    assert ParseProblem(Path("d/x.ttl"), 4, 7, "boom").text() == "d/x.ttl:4:7: boom"


def test_extra_checks_include_the_consistency_checker_when_present() -> None:
    try:
        consistency = importlib.import_module("evidencekg.shapes.consistency")
    except ModuleNotFoundError:
        assert extra_checks() == []
    else:
        assert consistency.check_graph in extra_checks()


def test_cached_graph_parses_once_per_change(tmp_path: Path) -> None:
    path = write_finding(tmp_path)
    first = cached_graph([path])
    assert cached_graph([path]) is first
    plain = rdflib.Graph().parse(path, format="turtle")  # strings typed xsd:string there, plain here: compare text
    assert {(s, p, str(o)) for s, p, o in first} == {(s, p, str(o)) for s, p, o in plain}
    path.write_text(VALID_FINDING + "<https://example.org/a> <https://example.org/b> 1 .\n")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    assert len(cached_graph([path])) == len(first) + 1


def test_n_triples_iri_error_gives_position_and_bare_message(tmp_path: Path, shapes_present: Settings) -> None:
    path = tmp_path / "rel.nt"
    path.write_text("<http://x/a> <http://x/b> <http://x/c> .\n<a> <http://x/b> <http://x/c> .\n")
    [problem] = validate_files([path], shapes_present).parse_problems
    assert (problem.line, problem.col) == (2, 1)
    assert not problem.message.startswith("Parser error"), problem.message
    assert "scheme" in problem.message


@pytest.mark.parametrize(
    ("links", "words"),
    [
        ("<https://doi.org/10.1000/test.2020> , <https://pubmed.ncbi.nlm.nih.gov/123/>", None),
        ("<https://doi.org/10.1000/other.2020>", "names an identifier the node does not state"),
        ("<https://pubmed.ncbi.nlm.nih.gov/999/>", "names an identifier the node does not state"),
        ("<http://dx.doi.org/10.1000/test.2020>", "must be https://doi.org/10"),
        ('"https://doi.org/10.1000/test.2020"', "must be https://doi.org/10"),
    ],
)
def test_doi_and_pmid_links_must_match_the_stated_identifiers(
    tmp_path: Path, shapes_present: Settings, links: str, words: str | None
) -> None:
    """A publication's schema:sameAs links out only to the DOI and PMID it states as strings."""
    text = VALID_FINDING.replace('    bibo:doi "10.1000/test.2020" ;\n', f'    bibo:doi "10.1000/test.2020" ; bibo:pmid "123" ;\n    <https://schema.org/sameAs> {links} ;\n')
    assert "schema.org/sameAs" in text
    path = tmp_path / "finding.ttl"
    path.write_text(text, encoding="utf-8")
    report = validate_files([path], shapes_present)
    if words is None:
        assert report.violations == [], report.text()
    else:
        problems = [p for p in report.violations if p.focus_node == "https://w3id.org/evidencekg/id/publication/test2020"]
        assert problems and all(words in p.message for p in problems), report.text()
