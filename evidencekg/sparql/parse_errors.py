"""Read a parser exception (pyoxigraph RDF or SPARQL, rdflib): its one-line message and the position it names."""

from __future__ import annotations

import re

# The forms parsers give a position in, most specific first.
_POSITION_PATTERNS = (
    re.compile(r"at line (?P<line>\d+) between columns (?P<col>\d+)"),  # pyoxigraph RDF parsers
    re.compile(r"between line (?P<line>\d+) column (?P<col>\d+)"),
    re.compile(r"\bat (?P<line>\d+):(?P<col>\d+)"),  # pyoxigraph SPARQL parser: "error at 3:11: ..."
    re.compile(r"line (?P<line>\d+)(?:,? col(?:umn)? (?P<col>\d+))?"),  # rdflib
)


def parse_error_message(exc: Exception) -> str:
    """Turn a parser exception into one readable line (keeps its position when present)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


def error_position(exc: Exception) -> tuple[int, int]:
    """The 1-based (line, column) a parser exception points at; 0 for what it does not say.

    >>> error_position(SyntaxError("error at 3:11: expected one of ABS, AVG"))
    (3, 11)
    """
    lineno = getattr(exc, "lineno", None)
    if isinstance(exc, SyntaxError) and lineno:
        return int(lineno), int(exc.offset or 0)
    for pattern in _POSITION_PATTERNS:
        match = pattern.search(str(exc))
        if match:
            return int(match.group("line")), int(match.group("col") or 0)
    return 0, 0


def error_text(exc: Exception) -> str:
    """The parser's message without the position prefix and suffix pyoxigraph adds (given separately).

    >>> error_text(SyntaxError("Parser error at line 1 between columns 1 and 4: No scheme found (line 1)"))
    'No scheme found'
    """
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    message = re.sub(r"^Parser error [^:]*: ", "", first)
    return re.sub(r" \(line \d+\)$", "", message) or exc.__class__.__name__
