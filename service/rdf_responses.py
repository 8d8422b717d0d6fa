"""Content negotiation for linked-data responses: HTML or an RDF format, by Accept or ?format=."""

from __future__ import annotations

from fastapi import HTTPException, Response

HTML = "text/html"
TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
N_TRIPLES = "application/n-triples"
RDF_XML = "application/rdf+xml"
N_QUADS = "application/n-quads"

# ?format= short names and the media types they stand for.
FORMAT_NAMES: dict[str, str] = {
    "html": HTML,
    "ttl": TURTLE,
    "turtle": TURTLE,
    "jsonld": JSON_LD,
    "json-ld": JSON_LD,
    "nt": N_TRIPLES,
    "ntriples": N_TRIPLES,
    "rdf": RDF_XML,
    "xml": RDF_XML,
}
ALIASES = {"application/xhtml+xml": HTML, "application/x-turtle": TURTLE, "text/plain": N_TRIPLES}


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges with their q-values, in header order (a missing header accepts anything).

    >>> parse_accept("text/turtle;q=0.5, text/html")
    [('text/turtle', 0.5), ('text/html', 1.0)]
    """
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((ALIASES.get(fields[0].lower(), fields[0].lower()), q))
    return ranges


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """The q-value the most specific matching range gives a media type (0 when none matches)."""
    best, best_specificity = 0.0, -1
    major = media_type.split("/")[0]
    for pattern, q in ranges:
        specificity = 2 if pattern == media_type else 1 if pattern == f"{major}/*" else 0 if pattern == "*/*" else -1
        if specificity > best_specificity:
            best, best_specificity = q, specificity
    return best if best_specificity >= 0 else 0.0


def choose(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers (ties go to the earlier offer), or None.

    >>> choose("text/html,application/xhtml+xml,*/*;q=0.8", ["text/turtle", "text/html"])
    'text/html'
    >>> choose("application/ld+json", ["text/html", "text/turtle"]) is None
    True
    """
    ranges = parse_accept(accept)
    scored = [(_quality(m, ranges), -i, m) for i, m in enumerate(offered)]
    q, _, media_type = max(scored)
    return media_type if q > 0 else None


def negotiate(accept: str | None, format_param: str | None, offered: list[str]) -> str:
    """The media type to answer with: ?format= wins over Accept; 400/406 name what was wrong."""
    if format_param:
        wanted = FORMAT_NAMES.get(format_param.lower())
        if wanted is None or wanted not in offered:
            names = ", ".join(sorted(n for n, m in FORMAT_NAMES.items() if m in offered))
            raise HTTPException(400, f"unknown format {format_param!r}; use one of: {names}")
        return wanted
    chosen = choose(accept, offered)
    if chosen is None:
        raise HTTPException(406, f"none of the offered formats is acceptable ({accept}): offered {', '.join(offered)}")
    return chosen


def rdf_response(body: bytes, media_type: str, status_code: int = 200) -> Response:
    """An RDF body with its media type (UTF-8 for text formats) and Vary: Accept."""
    return Response(
        body,
        status_code=status_code,
        media_type=f"{media_type}; charset=utf-8" if media_type != JSON_LD else media_type,
        headers={"Vary": "Accept"},
    )
