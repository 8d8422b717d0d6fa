"""FastAPI dependencies: the injected store and settings, read from the app's state."""

from __future__ import annotations

from fastapi import Request

from evidencekg.settings import Settings
from evidencekg.store.protocol import Store


def get_store(request: Request) -> Store:
    """The store this app was built with."""
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    """The settings this app was built with."""
    return request.app.state.settings


def notify_write(request: Request) -> None:
    """Tell the app's query executor that the store changed: call it after every write a route makes.

    Writes through the Store API (update, load, ...) are also seen without it (OxigraphStore.changes);
    it is required after writing any other way, e.g. on `store.oxigraph` directly. Validated writes
    belong in evidencekg.evidence.writes (SHACL-checked, atomic, under the store's writer lock).
    """
    executor = getattr(request.app.state, "executor", None)
    if executor is not None:
        executor.notify_write()


def client_id(request: Request) -> str | None:
    """Who asks, for admission control's per-client share of the heavy lane: the peer address."""
    return request.client.host if request.client else None
