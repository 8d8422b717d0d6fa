"""Pick a Store backend from settings: remote endpoint, in-memory, or embedded on disk."""

from __future__ import annotations

from evidencekg.settings import Settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.protocol import Store
from evidencekg.store.remote import RemoteStore


def open_store(settings: Settings) -> Store:
    """The store the settings describe (`--endpoint`, `--memory`, or `--store PATH`)."""
    if settings.endpoint:
        return RemoteStore(
            settings.endpoint, settings.update_endpoint, settings.store_endpoint, timeout=settings.query_timeout
        )
    if settings.memory:
        return OxigraphStore()
    return OxigraphStore(settings.resolved_store_path)
