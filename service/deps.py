"""FastAPI dependencies: the injected store and settings, read from the app's state."""

from __future__ import annotations

from fastapi import Request

from evidencekg.settings import Settings
from evidencekg.store import Store


def get_store(request: Request) -> Store:
    """The store this app was built with."""
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    """The settings this app was built with."""
    return request.app.state.settings


def notify_write(request: Request) -> None:
    """Tell the app's query executor (when it has one) that the store changed."""
    executor = getattr(request.app.state, "executor", None)
    if executor is not None:
        executor.notify_write()
