"""Content negotiation for SPARQL results: parse Accept (with q-values) and pick a media type per result kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evidencekg.store.protocol import FormatChooser, QueryKind

JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
TURTLE = "text/turtle"

# What each result kind can be written as, the server's preference first.
OFFERS: dict[QueryKind, tuple[str, ...]] = {
    QueryKind.SOLUTIONS: (JSON_RESULTS, XML_RESULTS, "text/csv", "text/tab-separated-values"),
    QueryKind.BOOLEAN: (JSON_RESULTS, XML_RESULTS),
    QueryKind.GRAPH: (
        TURTLE,
        "application/n-triples",
        "application/rdf+xml",
        "application/ld+json",
        "application/n-quads",
        "application/trig",
    ),
}

# Generic names clients use for the formats above.
ALIASES: dict[QueryKind, dict[str, str]] = {
    QueryKind.SOLUTIONS: {"application/json": JSON_RESULTS, "application/xml": XML_RESULTS, "text/xml": XML_RESULTS},
    QueryKind.BOOLEAN: {"application/json": JSON_RESULTS, "application/xml": XML_RESULTS, "text/xml": XML_RESULTS},
    QueryKind.GRAPH: {
        "text/plain": "application/n-triples",
        "application/json": "application/ld+json",
        "application/x-turtle": TURTLE,
        "application/xml": "application/rdf+xml",
        "text/xml": "application/rdf+xml",
    },
}

# A browser asking for a page gets a readable result it can display instead of a 406.
BROWSER_FALLBACK: dict[QueryKind, str] = {
    QueryKind.SOLUTIONS: JSON_RESULTS,
    QueryKind.BOOLEAN: JSON_RESULTS,
    QueryKind.GRAPH: TURTLE,
}


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header: `type/subtype` (either may be `*`), its q-value and position."""

    type: str
    subtype: str
    q: float
    order: int

    def specificity(self, media_type: str) -> int:
        """How precisely this range names a media type: 2 exact, 1 `type/*`, 0 `*/*`, -1 no match."""
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header (no header means `*/*`); malformed entries are skipped."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges: list[MediaRange] = []
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        main, slash, sub = fields[0].lower().partition("/")
        if not slash or not main or not sub:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(main.strip(), sub.strip(), q, order))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> tuple[float, int, int]:
    """(q, specificity, -position) of the most specific range matching a media type; q 0 if none."""
    best: MediaRange | None = None
    best_spec = -1
    for media_range in ranges:
        spec = media_range.specificity(media_type)
        if spec > best_spec:
            best, best_spec = media_range, spec
    if best is None:
        return (0.0, -1, 0)
    return (best.q, best_spec, -best.order)


def choose(ranges: Sequence[MediaRange], kind: QueryKind) -> str | None:
    """The best media type for a result kind, or None when the client accepts none of them."""
    candidates: list[tuple[tuple[float, int, int], int, str]] = []
    for preference, offer in enumerate(OFFERS[kind]):
        candidates.append((quality(ranges, offer), -preference, offer))
    for alias, offer in ALIASES[kind].items():
        q = quality(ranges, alias)
        if q[1] == 2:  # an alias counts only when named exactly
            candidates.append((q, -len(OFFERS[kind]), offer))
    score, _, offer = max(candidates)
    if score[0] > 0:
        return offer
    if prefers_html(ranges):
        return BROWSER_FALLBACK[kind]
    return None


def prefers_html(ranges: Sequence[MediaRange]) -> bool:
    """Whether the client is a browser asking for a page (text/html named explicitly with q > 0)."""
    return any(r.type == "text" and r.subtype == "html" and r.q > 0 for r in ranges)


def chooser(accept: str | None) -> FormatChooser:
    """A FormatChooser for an Accept header (what the executor calls once it knows the result kind).

    A browser (text/html first) gets JSON results or Turtle even though its */* would allow
    XML: it can display those.
    """
    ranges = parse_accept(accept)
    html_first = bool(ranges) and max(ranges, key=lambda r: (r.q, -r.order)).subtype == "html"

    def pick(kind: QueryKind) -> str | None:
        if html_first:
            return BROWSER_FALLBACK[kind]
        return choose(ranges, kind)

    return pick


# `?format=` / `?output=` names on /sparql (for a plain URL: pandas.read_csv, a browser link) and what each
# stands for, per result kind: `json` is SPARQL JSON results for a SELECT and JSON-LD for a CONSTRUCT.
FORMAT_PARAMETER: dict[str, tuple[str, ...]] = {
    "csv": ("text/csv",), "tsv": ("text/tab-separated-values",),
    "json": (JSON_RESULTS, "application/ld+json"), "xml": (XML_RESULTS, "application/rdf+xml"),
    "ttl": (TURTLE,), "turtle": (TURTLE,), "nt": ("application/n-triples",), "ntriples": ("application/n-triples",),
    "jsonld": ("application/ld+json",), "json-ld": ("application/ld+json",), "rdf": ("application/rdf+xml",),
    "rdfxml": ("application/rdf+xml",), "nq": ("application/n-quads",), "trig": ("application/trig",),
}  # fmt: skip


def format_chooser(names: list[str]) -> FormatChooser | None:
    """A FormatChooser for `?format=` values (`csv`, `json`, ... or media types); None when none is known.

    Clients such as SPARQLWrapper send several (`format=tsv&format=text/tab-separated-values&output=tsv`):
    for each result kind the first value that suits it wins; unknown ones are ignored. A value that suits no
    kind of the result (`csv` for a CONSTRUCT) answers None there (406).

    >>> pick = format_chooser(["csv"]); pick(QueryKind.SOLUTIONS), pick(QueryKind.GRAPH)
    ('text/csv', None)
    >>> format_chooser(["application/sparql-results+xml"])(QueryKind.BOOLEAN), format_chooser(["pdf"])
    ('application/sparql-results+xml', None)
    """
    known: list[str] = []
    for name in (part.strip().lower() for value in names for part in value.split(",")):
        known.extend(FORMAT_PARAMETER.get(name) or ((name,) if any(name in offers for offers in OFFERS.values()) else ()))
    if not known:
        return None

    def pick(kind: QueryKind) -> str | None:
        return next((media for media in known if media in OFFERS[kind]), None)

    return pick
