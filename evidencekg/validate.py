"""Validate RDF files (or an in-memory graph) against the ontology and SHACL shapes, with readable problems."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import rdflib
from pyshacl import validate as shacl_validate
from rdflib.namespace import RDF, SH

from evidencekg.loader import LoadError, ParseProblem, parse_file
from evidencekg.namespaces import PREFIXES
from evidencekg.settings import Settings, get_settings

SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}

# A check over the combined graph returning objects with .severity, .focus_node and .message.
Check = Callable[[rdflib.Graph], Iterable[object]]


@dataclass(frozen=True)
class ShapeProblem:
    """One SHACL result (or one extra-check finding), located in the file that describes the focus node."""

    severity: str  # "Violation", "Warning" or "Info"
    focus_node: str
    path: str | None
    value: str | None
    message: str
    source_file: Path | None = None

    def text(self) -> str:
        """A readable block: severity, node and file on the first line, details below."""
        where = f" ({self.source_file})" if self.source_file else ""
        lines = [f"{self.severity}: {compact(self.focus_node)}{where}"]
        details = []
        if self.path:
            details.append(f"path {compact(self.path)}")
        if self.value is not None:
            details.append(f"value {compact(self.value)}")
        if details:
            lines.append("  " + ", ".join(details))
        lines.append(f"  {self.message}")
        return "\n".join(lines)


@dataclass
class ValidationReport:
    """What validation found: parse problems, shape violations and warnings."""

    problems: list[ParseProblem | ShapeProblem] = field(default_factory=list)

    @property
    def parse_problems(self) -> list[ParseProblem]:
        """Files that could not be parsed."""
        return [p for p in self.problems if isinstance(p, ParseProblem)]

    @property
    def violations(self) -> list[ShapeProblem]:
        """Shape results of severity Violation."""
        return [p for p in self.problems if isinstance(p, ShapeProblem) and p.severity == "Violation"]

    @property
    def warnings(self) -> list[ShapeProblem]:
        """Shape results and extra-check findings below Violation."""
        return [p for p in self.problems if isinstance(p, ShapeProblem) and p.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        """True when everything parsed and no Violation was found (warnings allowed)."""
        return not self.parse_problems and not self.violations

    @property
    def exit_code(self) -> int:
        """0 valid, 1 shapes violated, 2 a file could not be parsed."""
        return 2 if self.parse_problems else (1 if self.violations else 0)

    def text(self) -> str:
        """The whole report, one problem per line (parse errors) or block (shape results)."""
        out = [p.text() for p in self.parse_problems]
        out += [p.text() for p in self.violations + self.warnings]
        v, w = len(self.violations), len(self.warnings)
        if self.parse_problems:
            out.append(f"{len(self.parse_problems)} file(s) could not be parsed")
        else:
            out.append(f"{'conforms' if not v else 'does not conform'}: {v} violation(s), {w} warning(s)")
        return "\n".join(out)


def compact(iri: str) -> str:
    """An IRI as a prefixed name when a known prefix fits (literals and others unchanged)."""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def shapes_files(settings: Settings) -> list[Path]:
    """The SHACL shapes files (ontology/*shapes*.ttl)."""
    return sorted(settings.ontology_dir.glob("*shapes*.ttl"))


def ontology_files(settings: Settings) -> list[Path]:
    """The ontology files (ontology/*.ttl except shapes)."""
    shapes = set(shapes_files(settings))
    return [p for p in sorted(settings.ontology_dir.glob("*.ttl")) if p not in shapes]


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    """The rdflib term for a pyoxigraph term."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def add_quads(graph: rdflib.Graph, quads: Iterable[ox.Quad]) -> None:
    """Add pyoxigraph quads (graph names ignored) to an rdflib graph."""
    for q in quads:
        graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]


@lru_cache(maxsize=8)
def _graph_of(files: tuple[tuple[Path, float], ...]) -> rdflib.Graph:
    """Parse files (keyed by path and mtime) into one graph; callers must not modify it."""
    graph = rdflib.Graph()
    for path, _mtime in files:
        add_quads(graph, parse_file(path))
    return graph


def cached_graph(files: Sequence[Path]) -> rdflib.Graph:
    """The merged graph of some files, parsed once per process while their mtimes stay the same."""
    return _graph_of(tuple((p, p.stat().st_mtime) for p in files))


def extra_checks() -> list[Check]:
    """Checks run after SHACL whose findings are reported as Warnings (the consistency checker, when present)."""
    checks: list[Check] = []
    try:
        consistency = importlib.import_module("evidencekg.consistency")
    except ModuleNotFoundError:
        return checks
    if hasattr(consistency, "check_graph"):
        checks.append(consistency.check_graph)
    return checks


def _locator(sources: dict[rdflib.term.Node, Path]) -> Callable[[str], Path | None]:
    def locate(node: str) -> Path | None:
        for term in (rdflib.URIRef(node), rdflib.BNode(node)):
            if term in sources:
                return sources[term]
        return None

    return locate


def shape_problems(results: rdflib.Graph, locate: Callable[[str], Path | None]) -> list[ShapeProblem]:
    """ShapeProblems from a pyshacl results graph, Violations first, then by node."""
    problems = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = str(results.value(result, SH.focusNode))
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
        severity = SEVERITIES.get(results.value(result, SH.resultSeverity), "Violation")  # type: ignore[arg-type]
        problems.append(
            ShapeProblem(
                severity,
                focus,
                str(path) if isinstance(path, rdflib.URIRef) else None,
                str(value) if value is not None else None,
                "; ".join(messages) or "shape constraint not met",
                locate(focus),
            )
        )
    return sorted(set(problems), key=lambda p: (p.severity != "Violation", p.focus_node, p.path or "", p.message))


def validate_graph(
    data: rdflib.Graph,
    *,
    extra_ontology: bool = True,
    settings: Settings | None = None,
    sources: dict[rdflib.term.Node, Path] | None = None,
) -> ValidationReport:
    """Validate an in-memory graph: `validate_graph(data, *, extra_ontology=True) -> ValidationReport`.

    `data` is not modified. With `extra_ontology` the ontology files are merged in (shapes
    that use sh:class need the class hierarchy). Shapes and ontology are parsed once per
    process (cached by file mtime). `sources` maps nodes to the file describing them, for
    messages. The report has `.conforms` (no Violation), `.problems` and `.text()`;
    findings of `extra_checks()` (the consistency checker) are added as Warnings.
    """
    settings = settings or get_settings()
    locate = _locator(sources or {})
    combined = rdflib.Graph()
    combined += data
    if extra_ontology:
        combined += cached_graph(ontology_files(settings))
    shapes = shapes_files(settings)
    problems: list[ParseProblem | ShapeProblem] = []
    if shapes:
        _conforms, results, _text = shacl_validate(
            combined, shacl_graph=cached_graph(shapes), inference="none", allow_warnings=True, advanced=True
        )
        problems += shape_problems(results, locate)
    for check in extra_checks():
        for finding in check(combined):
            focus = str(getattr(finding, "focus_node", ""))
            message = str(getattr(finding, "message", finding))
            original = str(getattr(finding, "severity", "Warning"))
            if original.lower() not in ("warning", "sh:warning", str(SH.Warning).lower()):
                message = f"[{original}] {message}"
            problems.append(ShapeProblem("Warning", focus, None, None, message, locate(focus)))
    return ValidationReport(problems)


def parse_files(files: Sequence[Path]) -> tuple[rdflib.Graph, dict[rdflib.term.Node, Path], list[ParseProblem]]:
    """Parse every file (all of them, even after a failure) into one graph; map each node to its file."""
    graph = rdflib.Graph()
    sources: dict[rdflib.term.Node, Path] = {}
    objects: dict[rdflib.term.Node, Path] = {}
    problems: list[ParseProblem] = []
    for path in files:
        try:
            quads = parse_file(path)
        except LoadError as exc:
            problems.append(exc.problem or ParseProblem(path, 0, 0, str(exc)))
            continue
        add_quads(graph, quads)
        for q in quads:
            sources.setdefault(to_rdflib(q.subject), path)
            objects.setdefault(to_rdflib(q.object), path)
    return graph, {**objects, **sources}, problems


def validate_files(files: Sequence[Path], settings: Settings | None = None) -> ValidationReport:
    """Validate files together as one graph (+ ontology + shapes); parse problems stop before SHACL."""
    settings = settings or get_settings()
    graph, sources, problems = parse_files(files)
    if problems:
        return ValidationReport(list(problems))
    try:
        return validate_graph(graph, settings=settings, sources=sources)
    except LoadError as exc:  # the ontology or shapes themselves are broken
        return ValidationReport([exc.problem or ParseProblem(Path("ontology"), 0, 0, str(exc))])


def default_validation_files(settings: Settings) -> list[Path]:
    """What `evidencekg validate` checks with no arguments: every file in data/."""
    return sorted(p for p in settings.data_dir.glob("*.ttl") if p.is_file()) if settings.data_dir.is_dir() else []
