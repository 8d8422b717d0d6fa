"""Bearer-token authorization for writes: off unless a token is configured."""

from __future__ import annotations

import hmac

from fastapi import Request

from evidencekg.errors import Unauthorized
from evidencekg.settings import Settings


def token_problem(settings: Settings, authorization: str | None) -> str | None:
    """Why a request may not write (None when it may): no token configured, none sent, or a wrong one."""
    if not settings.token:
        return "writes are disabled on this server: start it with a token (EVIDENCEKG_TOKEN) to enable them"
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return "this request writes: send 'Authorization: Bearer <token>'"
    if not hmac.compare_digest(credentials.strip().encode(), settings.token.encode()):
        return "the bearer token is not valid for this server"
    return None


def require_write_token(request: Request) -> None:
    """FastAPI dependency: raises Unauthorized (401 with WWW-Authenticate: Bearer) unless the request carries the token."""
    problem = token_problem(request.app.state.settings, request.headers.get("authorization"))
    if problem is not None:
        raise Unauthorized(problem)
