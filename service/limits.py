"""Request bodies bounded before anything reads them: 413 on a Content-Length or a stream past settings.max_body_bytes."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = "Payload too large: the request body is longer than {limit} bytes (settings.max_body_bytes, EVIDENCEKG_MAX_BODY_BYTES)\n"


class BodyTooLarge(Exception):
    """Raised inside `receive` once a streamed body passes the limit (the route never sees the rest)."""


class BodyLimit:
    """Pure ASGI middleware: refuse large bodies by their Content-Length at once, or while they stream in.

    It runs before routing, so authentication and parsing never spend memory on a body that is refused.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        """Answer 413 with a plain-text reason and close the connection."""
        body = TOO_LARGE.format(limit=self.limit).encode()
        headers: list[Any] = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
