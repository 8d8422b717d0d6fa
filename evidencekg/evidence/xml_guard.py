"""RDF/XML bodies are read by a conforming XML parser first: no DTD, no entity, and the document must be whole."""

from __future__ import annotations

from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException


def xml_problem(data: bytes) -> tuple[str, int, int] | None:
    """Why `data` is not a whole, entity-free XML document (message, line, column), or None when it is."""
    try:
        defusedxml.ElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        return f"DTDs and entities are refused in RDF/XML ({type(exc).__name__}: {exc})", 0, 0
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(": line ", 1)[0]  # expat's message without its own (0-based) position
        return f"not well-formed XML: {reason}", line, column + 1
    return None
