"""Validate RDF files (or an in-memory graph) against the ontology and SHACL shapes, with readable problems."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
import rdflib
from pyshacl import validate as shacl_validate
from pyshacl.graph_abstraction import OxigraphDataGraph
from rdflib.namespace import RDF, SH

from evidencekg.model.namespaces import compact
from evidencekg.settings import Settings, get_settings
from evidencekg.shapes.consistency import check_graph
from evidencekg.store.files import LoadError, ParseProblem, parse_file, ttl_files

RDF_TYPE = ox.NamedNode(str(RDF.type))
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
        if self.value is not None and self.value != self.focus_node:
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
    # normalize=False keeps the lexical form as written, so the shapes can refuse "-9.0E-2"^^xsd:decimal.
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value), normalize=False)


def add_quads(graph: rdflib.Graph, quads: Iterable[ox.Quad]) -> None:
    """Add pyoxigraph quads (graph names ignored) to an rdflib graph."""
    for q in quads:
        graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))  # type: ignore[arg-type]


def from_rdflib(term: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """The pyoxigraph term for an rdflib term."""
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)) if term.datatype else None)
    raise TypeError(f"cannot convert {term!r} to an RDF term")


def quads_of(graph: rdflib.Graph) -> list[ox.Quad]:
    """The triples of an rdflib graph as pyoxigraph quads in the default graph."""
    return [ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o)) for s, p, o in graph]  # type: ignore[arg-type]


@lru_cache(maxsize=8)
def _quads_of(files: tuple[tuple[Path, float], ...]) -> tuple[ox.Quad, ...]:
    """Parse files (keyed by path and mtime) once."""
    return tuple(q for path, _mtime in files for q in parse_file(path))


def cached_quads(files: Sequence[Path]) -> tuple[ox.Quad, ...]:
    """The quads of some files, parsed once per process while their mtimes stay the same."""
    return _quads_of(tuple((p, p.stat().st_mtime) for p in files))


OWL = "http://www.w3.org/2002/07/owl#"
# Types that make a subject part of the vocabulary (a term definition), not data about the world.
VOCABULARY_TYPES = frozenset(
    ox.NamedNode(iri)
    for iri in (
        *(OWL + t for t in ("Ontology", "Class", "NamedIndividual", "ObjectProperty", "DatatypeProperty")),
        *(OWL + t for t in ("AnnotationProperty", "SymmetricProperty", "TransitiveProperty", "FunctionalProperty")),
        "http://www.w3.org/2000/01/rdf-schema#Class",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property",
    )
)


@lru_cache(maxsize=4)
def _vocabulary(files: tuple[tuple[Path, float], ...]) -> tuple[ox.Quad, ...]:
    """The vocabulary triples of some files (cached by file mtimes)."""
    quads = _quads_of(files)
    by_subject: dict[object, list[ox.Quad]] = {}
    for q in quads:
        by_subject.setdefault(q.subject, []).append(q)
    keep = {q.subject for q in quads if q.predicate == RDF_TYPE and q.object in VOCABULARY_TYPES}
    frontier = list(keep)
    while frontier:  # the blank nodes a term's definition uses (lists, restrictions), transitively
        for q in by_subject.get(frontier.pop(), []):
            if isinstance(q.object, ox.BlankNode) and q.object not in keep:
                keep.add(q.object)
                frontier.append(q.object)
    return tuple(q for q in quads if q.subject in keep)


def vocabulary_quads(settings: Settings) -> tuple[ox.Quad, ...]:
    """The ontology's term definitions (classes, properties, named individuals, the ontology header).

    This is what the shapes need besides the data (class hierarchy for sh:class, enumerated
    individuals), without the ontology folder's instances (the construct scheme and its
    constructs), which are data: a store that deletes them no longer holds them.
    """
    return _vocabulary(tuple((p, p.stat().st_mtime) for p in ontology_files(settings)))


@lru_cache(maxsize=8)
def _graph_of(files: tuple[tuple[Path, float], ...]) -> rdflib.Graph:
    """The files as one rdflib graph, built once per set of file mtimes."""
    graph = rdflib.Graph()
    add_quads(graph, _quads_of(files))
    return graph


def cached_graph(files: Sequence[Path]) -> rdflib.Graph:
    """Some files as one rdflib graph, parsed once per process while their mtimes stay the same (read only)."""
    return _graph_of(tuple((p, p.stat().st_mtime) for p in files))


def shapes_graph(settings: Settings) -> rdflib.Graph | None:
    """The merged SHACL shapes of ontology/*shapes*.ttl (None when there are none)."""
    files = shapes_files(settings)
    return cached_graph(files) if files else None


class TruthyData(OxigraphDataGraph):  # type: ignore[misc, valid-type]
    """pyshacl's view of an Oxigraph store that is true without counting it.

    pyshacl evaluates `datagraph or shapes` up to three times for every result it builds
    (including the failed branches of sh:or/sh:xone), and len() of its Oxigraph graph is a
    full COUNT, which makes validation quadratic in the data; a store being validated is
    never empty, so its truth value needs no count.
    """

    def __bool__(self) -> bool:
        """Always true (see the class docstring)."""
        return True


def run_shacl(data: ox.Store, shapes: rdflib.Graph, focus_nodes: Sequence[rdflib.URIRef] | None = None) -> rdflib.Graph:
    """pyshacl's results graph for an Oxigraph store: in place (no copy), no inference, warnings allowed."""
    _conforms, results, _text = shacl_validate(
        TruthyData(data), shacl_graph=shapes, inference="none", allow_warnings=True, advanced=True,
        inplace=True, focus_nodes=list(focus_nodes) if focus_nodes is not None else None,
    )  # fmt: skip
    return results


def extra_checks() -> list[Check]:
    """Checks run after SHACL whose findings are reported as Warnings: the statcheck-like consistency checker."""
    return [check_graph]


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
        severity = SEVERITIES.get(results.value(result, SH.resultSeverity), "Violation")  # type: ignore[call-overload]
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
    context_data: bool = True,
) -> ValidationReport:
    """Validate an in-memory graph: `validate_graph(data, *, extra_ontology=True) -> ValidationReport`.

    `data` is not modified. It is validated together with the ontology files (when
    `extra_ontology`) and the shipped data/*.ttl (when `context_data`; the ontology's
    constructs cite the data's sentences, and new findings cite shipped constructs), but
    only problems about nodes that `data` mentions are reported. Shapes, ontology and data
    files are parsed once per process (cached by file mtime). `sources` maps nodes to the
    file describing them, for messages. The report has `.conforms` (no Violation),
    `.problems` and `.text()`; findings of `extra_checks()` are added as Warnings.
    """
    return validate_quads(
        quads_of(data), extra_ontology=extra_ontology, settings=settings, sources=sources, context_data=context_data
    )


def context_files(settings: Settings, extra_ontology: bool, context_data: bool, exclude: Iterable[Path]) -> list[Path]:
    """The files validated alongside the data: ontology and shipped data, minus those being validated."""
    skip = {p.resolve() for p in exclude}
    files = (ontology_files(settings) if extra_ontology else []) + (
        default_validation_files(settings) if context_data else []
    )
    return [p for p in files if p.resolve() not in skip]


def validate_quads(
    quads: Sequence[ox.Quad],
    *,
    extra_ontology: bool = True,
    settings: Settings | None = None,
    sources: dict[rdflib.term.Node, Path] | None = None,
    context_data: bool = True,
    exclude: Sequence[Path] = (),
) -> ValidationReport:
    """Validate triples given as pyoxigraph quads (graph names ignored); see validate_graph."""
    settings = settings or get_settings()
    locate = _locator(sources or {})
    combined = ox.Store()  # pyshacl runs its SPARQL constraints far faster on Oxigraph than on rdflib
    combined.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    combined.extend(cached_quads(context_files(settings, extra_ontology, context_data, exclude)))
    mentioned = {t.value for q in quads for t in (q.subject, q.object) if isinstance(t, ox.NamedNode)}

    def ours(problem: ShapeProblem) -> bool:
        return problem.focus_node in mentioned or not problem.focus_node.startswith(("http:", "https:", "urn:"))

    shapes = shapes_graph(settings)
    problems: list[ParseProblem | ShapeProblem] = []
    if shapes is not None:
        problems += [p for p in shape_problems(run_shacl(combined, shapes), locate) if ours(p)]
    checks = extra_checks()
    if checks:
        graph = rdflib.Graph()
        add_quads(graph, combined)
        for check in checks:
            found = [f for f in check(graph) if not str(getattr(f, "severity", "")).startswith("ok")]
            problems += [p for p in (check_problem(f, locate) for f in found) if ours(p)]
    return ValidationReport(problems)


def check_problem(finding: object, locate: Callable[[str], Path | None]) -> ShapeProblem:
    """An extra-check finding as a Warning (its own severity kept in the message when different)."""
    focus = str(getattr(finding, "focus_node", ""))
    message = str(getattr(finding, "message", finding))
    original = str(getattr(finding, "severity", "Warning"))
    if original.lower().rsplit("#", 1)[-1] not in ("warning", "sh:warning"):
        message = f"[{original}] {message}"
    return ShapeProblem("Warning", focus, None, None, message, locate(focus))


def parse_files(files: Sequence[Path]) -> tuple[list[ox.Quad], dict[rdflib.term.Node, Path], list[ParseProblem]]:
    """Parse every file (all of them, even after a failure); map each node to the file describing it."""
    quads: list[ox.Quad] = []
    sources: dict[rdflib.term.Node, Path] = {}
    objects: dict[rdflib.term.Node, Path] = {}
    typed: dict[rdflib.term.Node, Path] = {}  # the file that says what a node is wins
    problems: list[ParseProblem] = []
    for path in files:
        try:
            parsed = parse_file(path)
        except LoadError as exc:
            problems.append(exc.problem or ParseProblem(path, 0, 0, str(exc)))
            continue
        quads += parsed
        for q in parsed:
            subject = to_rdflib(q.subject)  # type: ignore[arg-type]  # no triple terms in our files
            if q.predicate == RDF_TYPE:
                typed.setdefault(subject, path)
            sources.setdefault(subject, path)
            objects.setdefault(to_rdflib(q.object), path)  # type: ignore[arg-type]  # no triple terms in our files
    return quads, {**objects, **sources, **typed}, problems


def validate_files(files: Sequence[Path], settings: Settings | None = None) -> ValidationReport:
    """Validate files together as one graph (+ ontology + shapes); parse problems stop before SHACL."""
    settings = settings or get_settings()
    quads, sources, problems = parse_files(files)
    if problems:
        return ValidationReport(list(problems))
    try:
        return validate_quads(quads, settings=settings, sources=sources, exclude=files)
    except LoadError as exc:  # the ontology or shapes themselves are broken
        return ValidationReport([exc.problem or ParseProblem(Path("ontology"), 0, 0, str(exc))])


def default_validation_files(settings: Settings) -> list[Path]:
    """Every file in data/ (what `evidencekg validate` checks, with the ontology, when given no files)."""
    return ttl_files(settings.data_dir)
