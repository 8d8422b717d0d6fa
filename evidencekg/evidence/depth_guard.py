"""How deep a JSON-LD or RDF/XML body nests, measured in linear time before any RDF parser sees it.

pyoxigraph's JSON-LD parser recurses on each level of objects and arrays: 8,000 levels took 24 s
and 3 GB and then crashed the process (SIGSEGV), the server's own when a write parses the body.
Its RDF/XML parser slows down quadratically with element depth. Both are refused past the
nesting bound of queries (settings.max_nesting).
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree

# In JSON, brackets inside strings do not count; a string is "...", with \" and \\ escapes.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def json_depth(data: bytes) -> int:
    """The deepest nesting of objects and arrays in a JSON text (an unterminated string ends the count).

    >>> json_depth(b'{"a": [1, {"b": "]]]"}]}')
    3
    """
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(data):
        token = match.group(0)
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth = max(0, depth - 1)
    return deepest


def xml_depth(data: bytes) -> int:
    """The deepest element nesting of an XML document (expat, entities off; 0 when it is not well-formed).

    >>> xml_depth(b"<a><b><c/></b><b/></a>")
    3
    """
    depth = deepest = 0
    try:
        for event, _ in defusedxml.ElementTree.iterparse(_Reader(data), events=("start", "end"), forbid_dtd=True):
            depth += 1 if event == "start" else -1
            deepest = max(deepest, depth)
    except (ParseError, ValueError):
        return 0  # the well-formedness check (xml_guard) reports it with its position
    return deepest


class _Reader:
    """A file-like view of bytes for iterparse."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk = self.data[self.offset : end]
        self.offset += len(chunk)
        return chunk


def nesting_problem(data: bytes, json: bool, limit: int) -> str | None:
    """Why a JSON-LD (json=True) or RDF/XML body nests too deep for the parsers, or None."""
    depth = json_depth(data) if json else xml_depth(data)
    if depth <= limit:
        return None
    what = "objects and arrays" if json else "elements"
    return (
        f"the body nests {what} {depth} levels deep; at most {limit} are accepted "
        "(settings.max_nesting, EVIDENCEKG_MAX_NESTING)"
    )
