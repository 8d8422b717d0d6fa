"""Parse a SPARQL 1.1 Protocol request (GET, POST form, POST direct) into one operation, or say what is wrong."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import parse_qsl

from evidencekg.errors import BadRequest, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"


class Operation(str, enum.Enum):
    """What a request asks for."""

    QUERY = "query"
    UPDATE = "update"
    DESCRIPTION = "description"  # no query, no update: the service description


@dataclass(frozen=True)
class ProtocolRequest:
    """One parsed request: the operation, its text and the dataset parameters that go with it."""

    operation: Operation
    text: str = ""
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    using_graphs: tuple[str, ...] = ()
    using_named_graphs: tuple[str, ...] = ()


def split_content_type(header: str | None) -> tuple[str, dict[str, str]]:
    """(`type/subtype` lower-cased, parameters) of a Content-Type header ('' when absent)."""
    if not header:
        return "", {}
    base, *params = header.split(";")
    parsed = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"')
    return base.strip().lower(), parsed


def decode_utf8(body: bytes, params: dict[str, str], what: str) -> str:
    """The body as text; the protocol allows only UTF-8 (415 for another charset, 400 for bad bytes)."""
    charset = params.get("charset", "utf-8").lower().replace("_", "-")
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"the {what} must be sent as UTF-8, not charset={params.get('charset')}")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the {what} is not valid UTF-8 (byte {exc.start} of the body)") from exc


def parse_pairs(text: str, where: str) -> list[tuple[str, str]]:
    """Decode `a=1&b=2` pairs (strict UTF-8) or say where they were malformed."""
    try:
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"the {where} is not valid URL-encoded UTF-8: {exc}") from exc


def _values(pairs: list[tuple[str, str]], name: str) -> list[str]:
    """Every value given for a parameter."""
    return [value for key, value in pairs if key == name]


def _single(pairs: list[tuple[str, str]], name: str) -> str | None:
    """The one value of a parameter (None if absent); BadRequest when it is given more than once."""
    values = _values(pairs, name)
    if len(values) > 1:
        raise BadRequest(f"the request gives '{name}' {len(values)} times; the protocol allows exactly one")
    return values[0] if values else None


def parse_request(method: str, query_string: str, content_type: str | None, body: bytes) -> ProtocolRequest:
    """The operation a protocol request asks for; BadRequest / UnsupportedMediaType for the rest."""
    url_pairs = parse_pairs(query_string, "URL query string")
    if method == "GET":
        if _values(url_pairs, "update"):
            raise BadRequest("a SPARQL update must be sent by POST (form field 'update' or application/sparql-update), never by GET")
        return _from_pairs(url_pairs, None)
    if method != "POST":
        raise BadRequest(f"the SPARQL endpoint answers GET and POST, not {method}")
    media_type, params = split_content_type(content_type)
    if media_type == FORM:
        try:
            form_text = body.decode("ascii") if body else ""
        except UnicodeDecodeError as exc:
            raise BadRequest("a URL-encoded form body must be ASCII (percent-encode other bytes)") from exc
        return _from_pairs(url_pairs + parse_pairs(form_text, "form body"), None)
    if media_type in (QUERY_BODY, UPDATE_BODY):
        operation = Operation.QUERY if media_type == QUERY_BODY else Operation.UPDATE
        if _values(url_pairs, "query") or _values(url_pairs, "update"):
            raise BadRequest(f"with {media_type} the {operation.value} is the body; do not also give it in the URL")
        text = decode_utf8(body, params, operation.value)
        return _from_pairs(url_pairs, (operation, text))
    if not media_type:
        raise UnsupportedMediaType(
            f"a POST needs a Content-Type: {FORM}, {QUERY_BODY} or {UPDATE_BODY}"
        )
    raise UnsupportedMediaType(
        f"Content-Type {media_type} is not accepted here; use {FORM}, {QUERY_BODY} or {UPDATE_BODY}"
    )


def _from_pairs(pairs: list[tuple[str, str]], direct: tuple[Operation, str] | None) -> ProtocolRequest:
    """Build the request from its parameters (and the direct body when there was one)."""
    if direct is None:
        query, update = _single(pairs, "query"), _single(pairs, "update")
        if query is not None and update is not None:
            raise BadRequest("give either 'query' or 'update', not both")
        if query is None and update is None:
            return ProtocolRequest(Operation.DESCRIPTION)
        operation, text = (Operation.QUERY, query) if query is not None else (Operation.UPDATE, update)
    else:
        operation, text = direct
    assert text is not None
    if not text.strip():
        raise BadRequest(f"the {operation.value} is empty")
    dataset = {
        "default-graph-uri": tuple(_values(pairs, "default-graph-uri")),
        "named-graph-uri": tuple(_values(pairs, "named-graph-uri")),
        "using-graph-uri": tuple(_values(pairs, "using-graph-uri")),
        "using-named-graph-uri": tuple(_values(pairs, "using-named-graph-uri")),
    }
    if operation is Operation.QUERY:
        wrong = [name for name in ("using-graph-uri", "using-named-graph-uri") if dataset[name]]
        if wrong:
            raise BadRequest(f"{', '.join(wrong)} belong to updates; a query takes default-graph-uri / named-graph-uri")
    else:
        wrong = [name for name in ("default-graph-uri", "named-graph-uri") if dataset[name]]
        if wrong:
            raise BadRequest(f"{', '.join(wrong)} belong to queries; an update takes using-graph-uri / using-named-graph-uri")
    return ProtocolRequest(
        operation,
        text,
        default_graphs=dataset["default-graph-uri"],
        named_graphs=dataset["named-graph-uri"],
        using_graphs=dataset["using-graph-uri"],
        using_named_graphs=dataset["using-named-graph-uri"],
    )
