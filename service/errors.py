"""Every library error mapped to its HTTP status in one place, and the handlers that answer with it."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from evidencekg.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotAcceptable,
    NotFound,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    ShapeViolation,
    StoreError,
    Unauthorized,
    UnsupportedMediaType,
)
from service import negotiation

# Most specific class first; the first class an error is an instance of decides its status.
STATUS: tuple[tuple[type[Exception], int], ...] = (
    (UnsupportedMediaType, 415),
    (Forbidden, 400),  # SERVICE / LOAD to a target not allowlisted
    (BadRequest, 400),
    (QuerySyntaxError, 400),  # the parser's message, with its line:column
    (ResultTooLarge, 400),  # the client can add a LIMIT; retrying as is will not help
    (Unauthorized, 401),
    (Conflict, 409),  # would remove the shipped evidence; force=true allows it
    (NotFound, 404),
    (NotAcceptable, 406),
    (ShapeViolation, 422),
    (QueryTimeout, 503),
    (StoreError, 500),
)

# Messages are prefixed so a user reading a client's error dialog knows what kind of failure it was.
TITLES: dict[int, str] = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    415: "Unsupported media type",
    422: "Refused by the data shapes",
    500: "Store error",
    503: "Query stopped",
}

PLAIN_TEXT_PREFIXES = ("/sparql",)  # SPARQL clients show a plain-text body to their users


def status_for(exc: Exception) -> int:
    """The HTTP status for a library error."""
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def wants_plain_text(request: Request) -> bool:
    """Plain text on the SPARQL endpoint, and for clients that rank text/plain above JSON."""
    if request.url.path.startswith(PLAIN_TEXT_PREFIXES):
        return True
    ranges = negotiation.parse_accept(request.headers.get("accept"))
    return negotiation.quality(ranges, "text/plain")[:2] > negotiation.quality(ranges, "application/json")[:2]


def error_body(request: Request, status: int, message: str, data: dict[str, Any], headers: dict[str, str]) -> Response:
    """`Title: message` as plain text, or JSON {"detail": message, **data}, as the request prefers."""
    if wants_plain_text(request):
        return PlainTextResponse(f"{TITLES.get(status, 'Error')}: {message}\n", status_code=status, headers=headers)
    return JSONResponse({"detail": message, **data}, status_code=status, headers=headers)


def error_response(request: Request, exc: Exception) -> Response:
    """A library error with its mapped status; 401 names the Bearer scheme, a 422 lists its violations."""
    status = status_for(exc)
    message = str(exc) or exc.__class__.__name__
    headers = {"WWW-Authenticate": 'Bearer realm="evidencekg"'} if status == 401 else {}
    if status == 503:
        headers["Retry-After"] = "5"
    data: dict[str, Any] = {"error": exc.__class__.__name__}
    if isinstance(exc, ShapeViolation) and exc.violations:
        data["violations"] = exc.violations
    return error_body(request, status, message, data, headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own errors (404, 405, HTTPException in routes) in the same two forms."""
    assert isinstance(exc, StarletteHTTPException)
    if not wants_plain_text(request):
        return await http_exception_handler(request, exc)  # FastAPI's JSON {"detail": ...}, unchanged
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    return PlainTextResponse(
        f"{TITLES.get(exc.status_code, 'Error')}: {detail}\n", status_code=exc.status_code, headers=exc.headers
    )


def install(app: FastAPI) -> None:
    """Answer every StoreError (and subclasses) raised by a route with its mapped status, and HTTP errors alike."""

    async def handle(request: Request, exc: Exception) -> Response:
        return error_response(request, exc)

    app.add_exception_handler(StoreError, handle)
    app.add_exception_handler(StarletteHTTPException, http_error)
