"""Content negotiation for linked-data responses: HTML or an RDF format, by Accept or ?format=."""

from __future__ import annotations

from fastapi import HTTPException, Response

from service import negotiation

HTML = "text/html"
TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
N_TRIPLES = "application/n-triples"
RDF_XML = "application/rdf+xml"
N_QUADS = "application/n-quads"
TRIG = "application/trig"

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
    "trig": TRIG,
}
ALIASES = {"application/xhtml+xml": HTML, "application/x-turtle": TURTLE, "text/plain": N_TRIPLES}


def choose(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers (ties go to the earlier offer), or None.

    Accept is parsed by service.negotiation (the SPARQL endpoint's parser); common aliases
    (application/xhtml+xml, text/plain...) count for the format they name.

    >>> choose("text/html,application/xhtml+xml,*/*;q=0.8", ["text/turtle", "text/html"])
    'text/html'
    >>> choose("application/ld+json", ["text/html", "text/turtle"]) is None
    True
    """
    ranges = negotiation.parse_accept(accept)
    scored = []
    for position, media_type in enumerate(offered):
        names = [media_type] + [alias for alias, target in ALIASES.items() if target == media_type]
        scored.append((max(negotiation.quality(ranges, name) for name in names), -position, media_type))
    (q, _, _), _, media_type = max(scored)
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
