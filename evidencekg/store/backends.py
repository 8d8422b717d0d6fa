"""Pick a Store backend from settings: remote endpoint, in-memory, or embedded on disk."""

from __future__ import annotations

from evidencekg.errors import InvalidInput
from evidencekg.settings import Settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.engines import engine_named
from evidencekg.store.protocol import Store
from evidencekg.store.remote import RemoteStore
from evidencekg.store.remote_http import credentials


def open_remote(settings: Settings) -> RemoteStore:
    """The remote endpoint the settings name (endpoint, update endpoint and its credentials, engine)."""
    if not settings.endpoint:
        raise InvalidInput("no SPARQL endpoint given (--endpoint URL)")
    if settings.update_auth and not settings.update_endpoint:
        raise InvalidInput("--update-auth needs --update-endpoint (the URL updates are sent to)")
    try:
        engine = engine_named(settings.engine)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return RemoteStore(
        settings.endpoint,
        settings.update_endpoint,
        settings.store_endpoint,
        timeout=settings.query_timeout,
        engine=engine,
        update_auth=credentials(settings.update_auth),
    )


def open_store(settings: Settings) -> Store:
    """The store the settings describe (`--endpoint`, `--memory`, or `--store PATH`)."""
    if settings.endpoint:
        return open_remote(settings)
    if settings.memory:
        return OxigraphStore()
    return OxigraphStore(settings.resolved_store_path)
