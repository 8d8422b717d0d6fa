"""Every library error mapped to its HTTP status in one place, and the handlers that answer with it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from evidencekg.errors import (
    BadRequest,
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

# Most specific class first; the first class an error is an instance of decides its status.
STATUS: tuple[tuple[type[Exception], int], ...] = (
    (UnsupportedMediaType, 415),
    (Forbidden, 400),  # SERVICE / LOAD to a target not allowlisted
    (BadRequest, 400),
    (QuerySyntaxError, 400),  # the parser's message, with its line:column
    (ResultTooLarge, 400),  # the client can add a LIMIT; retrying as is will not help
    (Unauthorized, 401),
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
    406: "Not acceptable",
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


def error_response(request: Request, exc: Exception) -> Response:
    """Plain text for the SPARQL endpoint, JSON {"detail", "error"} elsewhere; 401 names the Bearer scheme."""
    status = status_for(exc)
    message = str(exc) or exc.__class__.__name__
    headers = {"WWW-Authenticate": 'Bearer realm="evidencekg"'} if status == 401 else {}
    if status == 503:
        headers["Retry-After"] = "5"
    if request.url.path.startswith(PLAIN_TEXT_PREFIXES):
        return PlainTextResponse(f"{TITLES.get(status, 'Error')}: {message}\n", status_code=status, headers=headers)
    return JSONResponse({"detail": message, "error": exc.__class__.__name__}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Answer every StoreError (and subclasses) raised by a route with its mapped status."""

    async def handle(request: Request, exc: Exception) -> Response:
        return error_response(request, exc)

    app.add_exception_handler(StoreError, handle)
