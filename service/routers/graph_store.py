"""Routes: the SPARQL 1.1 Graph Store HTTP Protocol at /store (indirect ?graph=/?default and direct /store/...)."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from evidencekg.errors import BadRequest, NotAcceptable, UnsupportedMediaType
from evidencekg.evidence import writes
from service.auth import require_write_token
from service.deps import notify_write
from service.negotiation import parse_accept, prefers_html
from service.rdf_responses import choose

router = APIRouter(tags=["graph store"])

GRAPH_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]
# What GET/HEAD can answer with (one graph, so no dataset formats), the default first.
GET_FORMATS = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")

# The routes read their parameters and body themselves; these declare them in the OpenAPI.
_TARGET = [
    {"name": "graph", "in": "query", "schema": {"type": "string"}, "description": "the graph's IRI (indirect)"},
    {"name": "default", "in": "query", "schema": {"type": "string"}, "allowEmptyValue": True},
]
_FORCE = {"name": "force", "in": "query", "schema": {"type": "boolean"}}
_BODY = {"content": {media: {"schema": {"type": "string"}} for media in ("text/turtle", "application/n-triples")}}


def openapi_for(method: str, indirect: bool) -> dict[str, object]:
    """The OpenAPI parameters (and body) of one Graph Store operation."""
    parameters = list(_TARGET) if indirect else []
    if method in ("PUT", "DELETE"):
        parameters.append(_FORCE)
    extra: dict[str, object] = {"parameters": parameters}
    if method in ("PUT", "POST"):
        extra["requestBody"] = _BODY
    return extra


@dataclass(frozen=True)
class Target:
    """Which graph a request names: `graph` None is the default graph; `new` asks to mint one."""

    graph: str | None
    new: bool = False


def indirect_target(request: Request) -> Target:
    """The graph named by ?graph=IRI or ?default (a POST with neither creates a new graph)."""
    graphs = request.query_params.getlist("graph")
    default = "default" in request.query_params
    if len(graphs) > 1:
        raise BadRequest("give ?graph= only once")
    if graphs and default:
        raise BadRequest("give either ?graph=IRI or ?default, not both")
    if graphs:
        return Target(graphs[0])
    if default:
        return Target(None)
    if request.method == "POST":
        return Target(None, new=True)
    raise BadRequest("name a graph: /store?graph=IRI (percent-encoded) or /store?default")


def direct_target(request: Request) -> Target:
    """The graph whose IRI is the request URL itself (direct identification)."""
    if "graph" in request.query_params or "default" in request.query_params:
        raise BadRequest("a graph URL under /store/ names itself: drop ?graph= and ?default")
    return Target(str(request.url).split("?", 1)[0])


def choose_format(accept: str | None) -> str:
    """The RDF format to answer a GET with (Turtle by default, as for a browser); NotAcceptable when none fits."""
    chosen = choose(accept, list(GET_FORMATS))
    if chosen is not None:
        return chosen
    if prefers_html(parse_accept(accept)):
        return GET_FORMATS[0]
    raise NotAcceptable(f"a graph can be sent as {', '.join(GET_FORMATS)}; none is acceptable to: {accept}")


def media_type_for(filename: str) -> str:
    """A media type guessed from a file name (Turtle unless the extension says otherwise)."""
    fmt = ox.RdfFormat.from_extension(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None
    return fmt.media_type if fmt else "text/turtle"


async def payload_parts(request: Request) -> list[writes.Payload]:
    """The RDF documents of a request body: the body itself, or each part of a multipart form."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        parts = []
        for name, value in (await request.form()).multi_items():
            if isinstance(value, UploadFile):
                media_type = value.content_type or media_type_for(value.filename or name)
                parts.append(writes.Payload(await value.read(), media_type))
            else:
                parts.append(writes.Payload(value.encode(), media_type_for(name)))
        return parts
    if not content_type:
        raise UnsupportedMediaType("send the RDF with a Content-Type header (e.g. text/turtle)")
    return [writes.Payload(await request.body(), content_type)]


async def handle(request: Request, target: Target) -> Response:
    """Run one Graph Store request through evidencekg.evidence.writes; library errors map to statuses in service.errors."""
    store, settings = request.app.state.store, request.app.state.settings
    if request.method in ("GET", "HEAD"):
        media_type = choose_format(request.headers.get("accept"))
        body = await run_in_threadpool(writes.get_graph, store, target.graph, media_type)
        return Response(body, media_type=f"{media_type}; charset=utf-8", headers={"Vary": "Accept"})
    require_write_token(request)
    force = request.query_params.get("force", "").lower() == "true"  # may empty the shipped evidence's graphs
    if request.method == "DELETE":
        await run_in_threadpool(writes.delete_graph, store, target.graph, settings, force=force)
        notify_write(request)
        return Response(status_code=204)
    parts = await payload_parts(request)
    graph = writes.new_graph_iri(f"{request.base_url}store") if target.new else target.graph
    if request.method == "PUT":
        result = await run_in_threadpool(writes.put_graph_parts, store, graph, parts, settings, force=force)
    else:
        result = await run_in_threadpool(writes.post_graph_parts, store, graph, parts, settings)
    notify_write(request)
    if target.new:
        return Response(status_code=201, headers={"Location": graph or ""})
    return Response(status_code=201 if result.created else 204)


async def graph_store(request: Request) -> Response:
    """GET/HEAD read a graph; PUT replaces, POST merges (POST with no graph creates one), DELETE drops."""
    return await handle(request, indirect_target(request))


async def graph_store_direct(request: Request, path: str) -> Response:
    """The same operations on the graph whose IRI is this URL."""
    return await handle(request, direct_target(request))


# One route per method, so each OpenAPI operation has its own id (a multi-method route repeats one).
ROUTES = (
    ("/store", graph_store, "store", "indirect: ?graph=IRI or ?default"),
    ("/store/{path:path}", graph_store_direct, "store_direct", "direct: the URL is the graph"),
)
for _path, _endpoint, _name, _how in ROUTES:
    for _method in GRAPH_METHODS:
        router.add_api_route(
            _path,
            _endpoint,
            methods=[_method],
            operation_id=f"{_name}_{_method.lower()}",
            summary=f"Graph Store Protocol {_method} ({_how})",
            openapi_extra=openapi_for(_method, _name == "store"),
        )
