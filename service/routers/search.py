"""Routes: search by words, as JSON (/api/search?q=) and as a page (/search?q=, the box on every page)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from evidencekg.errors import InvalidInput
from evidencekg.pages.search import KINDS, search
from evidencekg.store.protocol import Store
from service.deps import get_store
from service.templating import page

router = APIRouter()
WORDS = Query("", description="words to find in labels, titles, notations, citations, DOIs and source sentences")


@router.get("/api/search", tags=["search"], summary="Constructs, conditions, studies, findings, publications, sources and sentences matching words")
async def api_search(q: str = WORDS, store: Store = Depends(get_store)) -> JSONResponse:
    """Each kind's best matches (at most 10) and how many matched in all."""
    return JSONResponse((await run_in_threadpool(search, store, q)).as_json())


@router.get("/search", include_in_schema=False, response_class=HTMLResponse)
async def search_page(q: str = WORDS, store: Store = Depends(get_store)) -> HTMLResponse:
    """The search results as a page, grouped by kind; an empty box just shows the form."""
    if not q.strip():
        return page("search.html", title="Search", q="", results=None, kinds=KINDS, error=None)
    try:
        results = await run_in_threadpool(search, store, q)
    except InvalidInput as exc:
        return page("search.html", status_code=400, title="Search", q=q, results=None, kinds=KINDS, error=str(exc))
    return page("search.html", title=f"Search: {q}", q=q, results=results, kinds=KINDS, error=None)
