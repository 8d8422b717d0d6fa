"""Every library error mapped to its HTTP status in one place, and the handlers that answer with it."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from evidencekg.errors import OUTCOMES, EvidenceKGError, ShapeViolation, outcome_for
from service import negotiation

# Titles of FastAPI's own errors (404, 405, HTTPException in routes), by status, from the library's table.
TITLES: dict[int, str] = {405: "Method not allowed"} | {o.status: o.title for o in reversed(OUTCOMES.values())}

PLAIN_TEXT_PREFIXES = ("/sparql",)  # SPARQL clients show a plain-text body to their users


def status_for(exc: Exception) -> int:
    """The HTTP status for a library error, from evidencekg.errors.OUTCOMES (500 for anything else)."""
    outcome = outcome_for(exc)
    return outcome.status if outcome else 500


def wants_plain_text(request: Request) -> bool:
    """Plain text on the SPARQL endpoint, and for clients that rank text/plain above JSON."""
    if request.url.path.startswith(PLAIN_TEXT_PREFIXES):
        return True
    ranges = negotiation.parse_accept(request.headers.get("accept"))
    return negotiation.quality(ranges, "text/plain")[:2] > negotiation.quality(ranges, "application/json")[:2]


def error_response(request: Request, exc: EvidenceKGError) -> Response:
    """A library error as its table entry says: `Title: message` as plain text, or JSON {"detail": ..., "error": class}.

    401 names the Bearer scheme, 429 and 503 say when to retry (Retry-After), a 422 of the shapes lists its violations.
    """
    outcome = outcome_for(exc)
    status, title = (outcome.status, outcome.title) if outcome else (500, "Error")
    message = str(exc) or exc.__class__.__name__
    headers = {"WWW-Authenticate": 'Bearer realm="evidencekg"'} if status == 401 else {}
    if status in (429, 503):
        headers["Retry-After"] = str(getattr(exc, "retry_after", 5))
    data: dict[str, Any] = {"error": exc.__class__.__name__}
    if isinstance(exc, ShapeViolation) and exc.violations:
        data["violations"] = exc.violations
    if wants_plain_text(request):
        return PlainTextResponse(f"{title}: {message}\n", status_code=status, headers=headers)
    return JSONResponse({"detail": exc.detail(), **data}, status_code=status, headers=headers)


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
    """Answer every EvidenceKGError raised by a route as the table says, and HTTP errors in the same two forms."""

    async def handle(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EvidenceKGError)
        return error_response(request, exc)

    app.add_exception_handler(EvidenceKGError, handle)
    app.add_exception_handler(StarletteHTTPException, http_error)
