"""The FastAPI application factory: one store and one settings object, injected into every router."""

from __future__ import annotations

from fastapi import FastAPI

from evidencekg.settings import Settings, get_settings
from evidencekg.store import Store
from service import assets
from service.routers import catalogue, graph_store, home, linked_data, meta, network, sparql


def create_app(store: Store | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the service over a store (default: the one the settings describe, loaded)."""
    settings = settings or get_settings()
    if store is None:
        from evidencekg.backends import open_store

        store = open_store(settings)
    app = FastAPI(
        title="evidencekg",
        description="SPARQL 1.1 endpoint, linked data and REST API for psychotherapy research evidence.",
        version="0.1.0",
        docs_url=None,  # served offline by service.assets (FastAPI's default loads a CDN)
        redoc_url=None,
    )
    app.state.store = store
    app.state.settings = settings
    for module in (sparql, graph_store, linked_data, catalogue, network, meta, home, assets):
        app.include_router(module.router)
    return app
