"""Routes: the named-query catalogue — /queries lists it, /queries/{name} runs one with parameters."""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse

from evidencekg.pages.describe import Value, term_value
from evidencekg.query.catalogue import (
    PAGING,
    CatalogueError,
    NamedQuery,
    bindings_for,
    get_query,
    list_queries,
    paged,
    projected_variables,
)
from evidencekg.settings import Settings
from evidencekg.store.executor import Executor
from evidencekg.store.protocol import RESULT_FORMATS, Bindings, FormatChooser, QueryKind, Row, Store, solution_rows
from service import negotiation
from service.deps import client_id, get_settings, get_store
from service.rdf_responses import HTML, choose
from service.templating import page

router = APIRouter(tags=["query catalogue"])

JSON = "application/json"
JSON_RESULTS = negotiation.JSON_RESULTS
# ?format= short names for a catalogue run.
RUN_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "html": HTML,
}


def query_summary(query: NamedQuery, with_text: bool = False) -> dict[str, object]:
    """A catalogue entry as plain data: name, title, description, parameters (and the SPARQL text)."""
    entry: dict[str, object] = {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "params": [
            {"name": p.name, "type": p.type, "description": p.description, "default": p.default} for p in query.params
        ],
        "url": f"/queries/{query.name}",
    }
    if with_text:
        entry["text"] = query.text
    return entry


def catalogue_items(settings: Settings, with_text: bool = True) -> tuple[list[dict[str, object]], str | None]:
    """Every catalogue entry as plain data, and the error message when the catalogue cannot be read."""
    try:
        return [query_summary(q, with_text) for q in list_queries(settings)], None
    except (CatalogueError, OSError) as exc:
        return [], str(exc)


@router.get("/queries", summary="The named-query catalogue (JSON; HTML for browsers)")
def catalogue(request: Request, settings: Settings = Depends(get_settings)) -> Response:
    """List the catalogue: title, description and parameters of each query."""
    items, error = catalogue_items(settings, with_text=True)
    if error is not None:
        raise HTTPException(500, f"the query catalogue in {settings.queries_dir} cannot be read: {error}")
    if choose(request.headers.get("accept"), [JSON, HTML]) == HTML:
        return page("queries.html", title="Query catalogue", queries=items)
    return JSONResponse(items)


def result_chooser(accept: str | None, forced: str | None) -> FormatChooser:
    """The /sparql endpoint's negotiation, or the one format ?format= forces (None when it cannot apply)."""
    if forced is None:
        return negotiation.chooser(accept)
    return lambda kind: forced if forced in negotiation.OFFERS[kind] else None


def result_table(query: NamedQuery, rows: list[Row]) -> tuple[list[str], list[list[Value | None]]]:
    """Columns (in SELECT order) and display cells of a result, for the HTML table."""
    columns = projected_variables(query) or sorted({k for row in rows for k in row})
    return columns, [[term_value(row[c], {}) if c in row else None for c in columns] for row in rows]


def catalogue_rows(executor: Executor, text: str, bindings: Bindings, client: str | None = None) -> list[Row]:
    """A catalogue SELECT's rows, run through the executor (timeout, result limit, worker process)."""
    _media_type, body = executor.run(text, lambda kind: JSON_RESULTS if kind is QueryKind.SOLUTIONS else None,
                                     bindings=bindings, client=client)
    result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    return solution_rows(result) if isinstance(result, ox.QuerySolutions) else []


@router.get("/queries/{name}", summary="Run one catalogue query; its parameters are query-string parameters")
def run(
    name: str,
    request: Request,
    format: str | None = Query(None, description="json, xml, csv, tsv, ttl, nt, jsonld, rdf or html"),  # noqa: A002
    limit: int | None = Query(None, ge=1, description="At most this many rows (a page of a long list: LIMIT)"),
    offset: int | None = Query(None, ge=0, description="Skip this many rows first (with limit: the next page; OFFSET)"),
    store: Store = Depends(get_store),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Run queries/{name}.rq with parameters passed as bindings, answering in the negotiated format.

    The query runs through the app's executor, like /sparql: same timeout, result limit and workers.
    `limit` and `offset` page through a query that lists many rows (every query orders its rows).
    """
    query = get_query(name, settings)  # an unknown name is a 404, a bad parameter a 400 (evidencekg.errors.OUTCOMES)
    params = {k: v for k, v in request.query_params.items() if k != "format" and k not in PAGING}
    text = paged(query, None if limit is None else str(limit), None if offset is None else str(offset))
    bindings = bindings_for(store, query, params)
    forced = None
    if format is not None:
        forced = RUN_FORMATS.get(format.lower())
        if forced is None:
            raise HTTPException(400, f"unknown format {format!r}; use one of: {', '.join(RUN_FORMATS)}")
    accept = request.headers.get("accept")
    executor: Executor = request.app.state.executor
    if forced == HTML or (forced is None and choose(accept, [*RESULT_FORMATS, HTML]) == HTML):
        columns, table = result_table(query, catalogue_rows(executor, text, bindings, client_id(request)))
        return page("query_result.html", title=query.title, query=query_summary(query, True),
                    params=params, columns=columns, rows=table)
    media_type, body = executor.run(text, result_chooser(accept, forced), bindings=bindings, client=client_id(request))
    return Response(body, media_type=media_type, headers={"Vary": "Accept"})
