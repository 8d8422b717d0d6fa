"""Routes: the home page — what the store holds and a SPARQL editor with the query catalogue."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from evidencekg.model.namespaces import PREFIXES
from evidencekg.pages import discovery
from evidencekg.pages import statistics as stats_summary
from evidencekg.settings import Settings
from evidencekg.store.protocol import Store
from service.deps import get_settings, get_store
from service.routers.catalogue import catalogue_items
from service.routers.linked_data import service_url
from service.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, store: Store = Depends(get_store), settings: Settings = Depends(get_settings)) -> HTMLResponse:
    """Counts, constructs, sources and publications, and the SPARQL editor."""
    queries, error = catalogue_items(settings)
    return page(
        "home.html",
        title="Home",
        counts=stats_summary.counts(store),
        constructs=stats_summary.constructs(store),
        conditions=stats_summary.conditions(store),
        sources=stats_summary.sources(store),
        publications=stats_summary.publications(store),
        queries=queries,
        prefixes=PREFIXES,
        catalogue_error=error,
        dataset_jsonld=discovery.dataset_jsonld(store, settings.base_url.rstrip("/") + "/dataset", service_url(request)),
    )
