"""Routes: the SPARQL 1.1 Graph Store HTTP Protocol at /store (indirect ?graph=/?default and direct /store/...)."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from evidencekg import writes
from evidencekg.errors import BadRequest, NotFound, ShapeViolation, UnsupportedMediaType
from evidencekg.store import QuerySyntaxError, StoreError
from service.auth import require_write_token
from service.deps import notify_write

router = APIRouter()

GRAPH_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]
# What GET/HEAD can answer, the first being the default.
GET_FORMATS = ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json")
_ALIASES = {"text/plain": "application/n-triples", "application/json": "application/ld+json"}

# Library error -> HTTP status (the most specific class first).
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (ShapeViolation, 422),
    (UnsupportedMediaType, 415),
    (NotFound, 404),
    (BadRequest, 400),
    (QuerySyntaxError, 400),
    (StoreError, 500),
)


class ProtocolError(Exception):
    """A request the Graph Store Protocol does not allow; carries its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Target:
    """Which graph a request names: `graph` None is the default graph; `new` asks to mint one."""

    graph: str | None
    new: bool = False


def indirect_target(request: Request) -> Target:
    """The graph named by ?graph=IRI or ?default (POST with neither creates a new graph)."""
    graphs = request.query_params.getlist("graph")
    default = "default" in request.query_params
    if len(graphs) > 1:
        raise ProtocolError(400, "give ?graph= once")
    if graphs and default:
        raise ProtocolError(400, "give either ?graph=IRI or ?default, not both")
    if graphs:
        return Target(graphs[0])
    if default:
        return Target(None)
    if request.method == "POST":
        return Target(None, new=True)
    raise ProtocolError(400, "name a graph: ?graph=IRI (percent-encoded) or ?default")


def direct_target(request: Request) -> Target:
    """The graph whose IRI is the request URL itself (direct identification)."""
    if "graph" in request.query_params or "default" in request.query_params:
        raise ProtocolError(400, "a graph URL under /store/ names itself: drop ?graph= / ?default")
    return Target(str(request.url).split("?", 1)[0])


def choose_format(accept: str | None) -> str | None:
    """The RDF media type to answer with for an Accept header (q-values honoured; Turtle by default)."""
    if not accept or not accept.strip():
        return GET_FORMATS[0]
    best: tuple[float, int, str] | None = None
    for order, item in enumerate(accept.split(",")):
        kind, *params = [part.strip() for part in item.split(";")]
        kind = _ALIASES.get(kind.lower(), kind.lower())
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        if kind in ("*/*", "text/*", "application/*"):
            prefix = kind.split("/")[0]
            candidates = [f for f in GET_FORMATS if prefix == "*" or f.startswith(prefix + "/")]
        else:
            candidates = [kind] if kind in GET_FORMATS else []
        for candidate in candidates[:1]:
            rank = (q, -order, candidate)
            if best is None or rank[:2] > best[:2]:
                best = rank
    return best[2] if best else None


async def payload_parts(request: Request) -> list[writes.Payload]:
    """The RDF documents of a request body: the body itself, or each file of a multipart form."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        form = await request.form()
        parts = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                media_type = value.content_type or media_type_for(value.filename or name)
                parts.append(writes.Payload(await value.read(), media_type))
            else:
                parts.append(writes.Payload(str(value).encode(), media_type_for(name)))
        return parts
    if not content_type:
        raise ProtocolError(415, "send the RDF with a Content-Type (e.g. text/turtle)")
    return [writes.Payload(await request.body(), content_type)]


def media_type_for(filename: str) -> str:
    """A media type guessed from a file name (Turtle unless the extension says otherwise)."""
    fmt = ox.RdfFormat.from_extension(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None
    return fmt.media_type if fmt else "text/turtle"


def error_response(exc: Exception) -> Response:
    """A plain-text error with the status the library error maps to."""
    status = exc.status if isinstance(exc, ProtocolError) else next(s for t, s in _STATUS if isinstance(exc, t))
    return PlainTextResponse(str(exc), status_code=status)


async def handle(request: Request, target: Target) -> Response:
    """Run one Graph Store request against the library and shape the HTTP answer."""
    store, settings = request.app.state.store, request.app.state.settings
    try:
        if request.method in ("GET", "HEAD"):
            media_type = choose_format(request.headers.get("accept"))
            if media_type is None:
                return PlainTextResponse(f"cannot answer in any of: {request.headers.get('accept')}; "
                                         f"available: {', '.join(GET_FORMATS)}", status_code=406)
            body = await run_in_threadpool(writes.get_graph, store, target.graph, media_type)
            return Response(body, media_type=f"{media_type}; charset=utf-8")
        await run_in_threadpool(require_write_token, request)
        if request.method == "DELETE":
            await run_in_threadpool(writes.delete_graph, store, target.graph, settings)
            notify_write(request)
            return Response(status_code=204)
        parts = await payload_parts(request)
        graph = writes.new_graph_iri(f"{request.base_url}store") if target.new else target.graph
        write = writes.put_graph_parts if request.method == "PUT" else writes.post_graph_parts
        result = await run_in_threadpool(write, store, graph, parts, settings)
        notify_write(request)
    except (ProtocolError, StoreError) as exc:
        return error_response(exc)
    if target.new:
        return Response(status_code=201, headers={"Location": graph or ""})
    return Response(status_code=201 if result.created else 204)


@router.api_route("/store", methods=GRAPH_METHODS, summary="Graph Store Protocol (indirect: ?graph=IRI or ?default)")
async def graph_store(request: Request) -> Response:
    """GET/HEAD read a graph; PUT replaces, POST merges (POST with no graph creates one), DELETE drops."""
    try:
        target = indirect_target(request)
    except ProtocolError as exc:
        return error_response(exc)
    return await handle(request, target)


@router.api_route("/store/{path:path}", methods=GRAPH_METHODS, summary="Graph Store Protocol (direct: the URL is the graph)")
async def graph_store_direct(request: Request, path: str) -> Response:
    """The same operations on the graph whose IRI is this URL."""
    try:
        target = direct_target(request)
    except ProtocolError as exc:
        return error_response(exc)
    return await handle(request, target)
