"""Connections that send no whole request in time are closed, and idle ones give way to new ones (slowloris)."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with two bounds it lacks.

    - A request's line and headers must arrive within `header_timeout` seconds of its first byte
      (or of the connection opening): uvicorn waits for them forever, so connections that send
      nothing, or a header byte now and then, were held indefinitely.
    - Past `max_connections` open connections, the longest-open idle ones (no request being
      answered) are closed to make room: idle connections can no longer fill the server so that
      every new request gets 503. Connections answering a request are never closed here.
    """

    header_timeout = 10.0
    max_connections = 256

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.opened = self.loop.time()
        self.deadline: asyncio.TimerHandle | None = None
        self.arm()
        if len(self.connections) > self.max_connections:
            self.shed()

    def waiting(self) -> bool:
        """Whether no request is being answered (before the first, or between two)."""
        return self.cycle is None or self.cycle.response_complete

    def arm(self) -> None:
        """Start the header clock unless it runs already."""
        if self.deadline is None:
            self.deadline = self.loop.call_later(self.header_timeout, self.expire)

    def disarm(self) -> None:
        """Stop the header clock."""
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def expire(self) -> None:
        """No whole request arrived in time: close the connection (a request being answered is left alone)."""
        self.deadline = None
        if self.waiting() and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.waiting():
            self.arm()  # a request still arriving: its clock runs from its first byte
        else:
            self.disarm()

    def on_response_complete(self) -> None:
        self.disarm()  # uvicorn's keep-alive timeout takes over until the next request's first byte
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        super().connection_lost(exc)

    def shed(self) -> None:
        """Close the longest-open idle connections until at most max_connections remain."""
        idle = sorted(
            (c for c in self.connections if isinstance(c, BoundedH11Protocol) and c is not self and c.waiting()),
            key=lambda c: c.opened,
        )
        for connection in idle[: len(self.connections) - self.max_connections]:
            connection.transport.close()


def bounded_protocol(header_timeout: float, max_connections: int) -> type[BoundedH11Protocol]:
    """The protocol class for uvicorn's `http=` option, with these bounds."""
    attributes: dict[str, Any] = {"header_timeout": header_timeout, "max_connections": max_connections}
    return type("ConfiguredH11Protocol", (BoundedH11Protocol,), attributes)
