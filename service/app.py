"""The FastAPI application factory: one store and one settings object, injected into every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from evidencekg.load.watch import watching
from evidencekg.settings import Settings, get_settings
from evidencekg.store.backends import open_store
from evidencekg.store.executor import create_executor
from evidencekg.store.protocol import Store
from service import assets, errors, security
from service.head import HeadAsGet
from service.limits import BodyLimit
from service.routers import catalogue, graph_store, home, linked_data, meta, meta_page, network, search, sparql


def create_app(store: Store | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the service over a store (default: the one the settings describe, loaded)."""
    settings = settings or get_settings()
    if store is None:
        store = open_store(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with watching(app.state.store, app.state.settings, app.state.executor.notify_write):  # settings.watch_files
            yield
        app.state.executor.close()  # stop the query worker processes

    app = FastAPI(
        title="evidencekg",
        description="SPARQL 1.1 endpoint, linked data and REST API for psychotherapy research evidence.",
        version="0.1.0",
        docs_url=None,  # served offline by service.assets (FastAPI's default loads a CDN)
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.settings = settings
    app.state.executor = create_executor(store, settings)  # workers start on the first query
    errors.install(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Accept", "Content-Type", "Authorization"],
        )
    app.add_middleware(security.SecurityMiddleware, hosts=security.allowed_hosts(settings.allowed_hosts, settings.host))
    app.add_middleware(HeadAsGet)  # outermost: every GET route also answers HEAD
    for module in (sparql, graph_store, linked_data, catalogue, network, meta, meta_page, search, home, assets):
        app.include_router(module.router)
    return app
