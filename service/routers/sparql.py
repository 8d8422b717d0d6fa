"""Routes: the SPARQL 1.1 Protocol endpoint at /sparql (query, update, service description)."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from evidencekg.errors import BadRequest, NotAcceptable
from evidencekg.evidence import writes
from evidencekg.settings import Settings
from evidencekg.sparql.update_protocol import prepare_update
from evidencekg.store.executor import Executor
from evidencekg.store.protocol import GRAPH_FORMATS, FormatChooser, QueryKind
from service.auth import require_write_token
from service.deps import client_id, notify_write
from service.negotiation import FORMAT_PARAMETER, TURTLE, chooser, format_chooser
from service.protocol import Operation, ProtocolRequest, parse_request
from service.templating import render

router = APIRouter(tags=["SPARQL"])

PATH = "/sparql"

# The route reads the protocol's parameters itself (service/protocol.py); these declare them in the OpenAPI.
_GRAPHS = {"type": "array", "items": {"type": "string"}}
_QUERY_PARAMETERS = [
    {"name": "query", "in": "query", "schema": {"type": "string"}, "description": "a SPARQL query"},
    {"name": "default-graph-uri", "in": "query", "schema": _GRAPHS},
    {"name": "named-graph-uri", "in": "query", "schema": _GRAPHS},
    {"name": "format", "in": "query", "schema": {"type": "string"},
     "description": "the result format, instead of Accept: csv, tsv, json, xml (SELECT/ASK); ttl, nt, jsonld, rdf (CONSTRUCT)"},
    {"name": "output", "in": "query", "schema": {"type": "string"}, "description": "the same as format"},
]
_FORM = {
    "type": "object",
    "properties": {
        "query": {"type": "string"},
        "update": {"type": "string"},
        "default-graph-uri": _GRAPHS,
        "named-graph-uri": _GRAPHS,
        "using-graph-uri": _GRAPHS,
        "using-named-graph-uri": _GRAPHS,
    },
}
GET_OPENAPI = {"parameters": _QUERY_PARAMETERS}
POST_OPENAPI = {
    "parameters": [*_QUERY_PARAMETERS, {"name": "force", "in": "query", "schema": {"type": "boolean"}}],
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {"schema": _FORM},
            "application/sparql-query": {"schema": {"type": "string"}},
            "application/sparql-update": {"schema": {"type": "string"}},
        }
    },
}


def endpoint_url(request: Request) -> str:
    """The absolute URL of this endpoint as the client reached it (also the base IRI of its queries)."""
    return str(request.url.replace(query="", fragment="", path=PATH))


def service_description(endpoint: str, settings: Settings, media_type: str) -> bytes:
    """The service description (templates/service-description.ttl) in the negotiated RDF format."""
    turtle = render(
        "service-description.ttl",
        endpoint=endpoint,
        writable=bool(settings.token),
        federated=bool(settings.service_allowlist),
    )
    if media_type == TURTLE:
        return turtle.encode()  # as written, prefixes and comments included
    quads = ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)
    return ox.serialize([q.triple for q in quads], format=GRAPH_FORMATS[media_type])  # type: ignore[return-value]  # stub: bytes when no output is given


def result_chooser(request: Request) -> FormatChooser:
    """The URL's `format=` (or `output=`) when given, so a plain link or pandas.read_csv(url) picks CSV; else Accept."""
    names = [v for key in ("format", "output") for v in request.query_params.getlist(key)]
    if not names:
        return chooser(request.headers.get("accept"))
    picked = format_chooser(names)
    if picked is None:
        raise BadRequest(f"unknown result format {', '.join(map(repr, names))}: use one of {', '.join(FORMAT_PARAMETER)} or a media type")
    return picked


async def _query(request: Request, parsed: ProtocolRequest) -> Response:
    """Run a query in the executor (off the event loop) and answer with the format asked for (format=, else Accept)."""
    executor: Executor = request.app.state.executor
    media_type, body = await run_in_threadpool(
        executor.run,
        parsed.text,
        result_chooser(request),
        parsed.default_graphs,
        parsed.named_graphs,
        endpoint_url(request),
        None,
        client_id(request),
    )
    return Response(body, media_type=media_type, headers={"Vary": "Accept"})


async def _update(request: Request, parsed: ProtocolRequest) -> Response:
    """Check the token and the update, run it through evidencekg.evidence.writes, and tell the executor."""
    require_write_token(request)
    settings: Settings = request.app.state.settings
    base = endpoint_url(request)
    text = await run_in_threadpool(prepare_update, parsed.text, parsed.using_graphs, parsed.using_named_graphs)
    force = request.query_params.get("force", "").lower() == "true"  # may empty the shipped evidence's graphs
    result = await run_in_threadpool(
        writes.sparql_update, request.app.state.store, text, settings, base_iri=base, force=force
    )
    notify_write(request)
    return Response(
        f"update applied: {result.added} triples added, {result.removed} removed\n", media_type="text/plain"
    )


async def _description(request: Request) -> Response:
    """The service description, negotiated among the RDF formats."""
    media_type = chooser(request.headers.get("accept"))(QueryKind.GRAPH)
    if media_type is None:
        raise NotAcceptable("the service description is RDF: accept text/turtle, application/ld+json, ...")
    body = service_description(endpoint_url(request), request.app.state.settings, media_type)
    return Response(body, media_type=media_type, headers={"Vary": "Accept"})


@router.get(PATH, operation_id="sparql_get", summary="SPARQL 1.1 Protocol: query by GET, or the service description", openapi_extra=GET_OPENAPI)
@router.post(PATH, operation_id="sparql_post", summary="SPARQL 1.1 Protocol: query or update by POST", openapi_extra=POST_OPENAPI)
async def sparql(request: Request) -> Response:
    """Query by GET or POST (form or application/sparql-query), update by POST; no operation: the description."""
    parsed = parse_request(
        request.method, request.url.query, request.headers.get("content-type"), await request.body()
    )
    if parsed.operation is Operation.QUERY:
        return await _query(request, parsed)
    if parsed.operation is Operation.UPDATE:
        return await _update(request, parsed)
    return await _description(request)
