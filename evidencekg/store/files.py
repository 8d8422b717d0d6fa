"""Reading RDF files: parsed quads, or a LoadError that says file:line:col of the problem."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from evidencekg.errors import BadFile
from evidencekg.sparql.parse_errors import error_position, error_text
from evidencekg.store.protocol import rdf_format_for

XSD_DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")


@dataclass(frozen=True)
class ParseProblem:
    """A file that cannot be parsed, with the 1-based position the parser stopped at."""

    file: Path
    line: int
    col: int
    message: str

    def text(self) -> str:
        """`file:line:col: message`, the form editors and CI logs understand."""
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class LoadError(BadFile):
    """A file could not be loaded; `problem` says where when it was a syntax error."""

    def __init__(self, message: str, problem: ParseProblem | None = None) -> None:
        super().__init__(message)
        self.problem = problem


def parse_problem(path: Path, exc: Exception) -> ParseProblem:
    """A ParseProblem from a pyoxigraph or rdflib parser exception (line/column 0 when unknown)."""
    line, col = error_position(exc)
    return ParseProblem(path, line, col, error_text(exc))


def decimal_literal(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An xsd:decimal written in double form ("-2.0E-1", what JSON-LD makes of the JSON number -0.2) as "-0.2"."""
    if not (isinstance(term, ox.Literal) and term.datatype == XSD_DECIMAL and "e" in term.value.lower()):
        return term
    try:
        value = Decimal(term.value)
    except InvalidOperation:
        return term  # not a number at all: left for SHACL to report
    return ox.Literal(format(value.normalize(), "f"), datatype=XSD_DECIMAL) if value.is_finite() else term


def parse_file(path: Path) -> list[ox.Quad]:
    """Parse one RDF file with pyoxigraph; raises LoadError carrying a ParseProblem.

    In JSON-LD, a JSON number whose term is typed xsd:decimal by the context comes out in
    double form (JSON-LD 1.1 toRdf), which is not a valid decimal; it is rewritten as one.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    rdf_format = rdf_format_for(path)
    try:
        quads = list(ox.parse(data, format=rdf_format))
    except (SyntaxError, ValueError) as exc:
        problem = parse_problem(path, exc)
        raise LoadError(problem.text(), problem) from exc
    if rdf_format == ox.RdfFormat.JSON_LD:
        quads = [ox.Quad(q.subject, q.predicate, decimal_literal(q.object), q.graph_name) for q in quads]
    return quads


def ttl_files(folder: Path) -> list[Path]:
    """The Turtle files directly in a folder, sorted (none when the folder is missing)."""
    return sorted(p for p in folder.glob("*.ttl") if p.is_file()) if folder.is_dir() else []
