"""Routes: the interactive construct network page, its JSON API, exports and forest plots of a construct pair."""

from __future__ import annotations

from typing import Any

import networkx as nx
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from evidencekg.model.names import UnknownName
from evidencekg.model.namespaces import ID
from evidencekg.network.build import (
    LAYERS,
    build_network,
    centrality,
    neighbourhood,
    parse_layers,
    resolve_construct,
)
from evidencekg.network.collapse import with_studies
from evidencekg.network.export import EXPORTS, cytoscape_elements, export_network
from evidencekg.network.layout import left_anchored, page_positions
from evidencekg.network.paths import DEFAULT_MAX_HOPS, find_paths
from evidencekg.network.pictures import pair_forest
from evidencekg.store.protocol import Store
from service.deps import get_store
from service.templating import page

router = APIRouter(tags=["network"])
STUDIES = Query("pooled", description="pooled: one edge per construct pair for its primary studies (with k); each: every study's finding")


def _layers(layers: str) -> tuple[str, ...]:
    """The layers named in a comma-separated parameter; an unknown one is an InvalidInput (400)."""
    return parse_layers(layers)


def _resolve(graph: nx.MultiDiGraph, name: str, parameter: str) -> str:
    """A construct from a query parameter; an unknown name answers 404 with close matches and the parameter."""
    try:
        return resolve_construct(graph, name)
    except UnknownName as exc:  # answered by service/errors.py; only the parameter is added here
        exc.parameter = parameter
        raise


@router.get("/network", response_class=HTMLResponse, include_in_schema=False)
def network_page() -> HTMLResponse:
    """The interactive construct network (Cytoscape.js, served from /vendor)."""
    return page("network.html", title="Construct network", id_base=str(ID), formats=list(EXPORTS))


@router.get("/api/network", summary="The construct network as Cytoscape.js JSON")
def network_json(
    layers: str = Query(",".join(LAYERS), description="Extra node layers: mechanisms,implications (empty: none)"),
    studies: str = STUDIES,
    store: Store = Depends(get_store),
) -> JSONResponse:
    """Constructs, scheme structure and findings (with positions for the page); layers add mechanisms/implications.

    A construct pair's primary-study findings are one pooled edge (its `studies` list them) unless studies=each.
    """
    graph = with_studies(build_network(store, _layers(layers)), studies)
    return JSONResponse(cytoscape_elements(graph, page_positions(graph), left_anchored(graph)))


@router.get("/api/network/paths", summary="Paths between two constructs with each hop's evidence")
def network_paths(
    source: str = Query(..., alias="from", description="Construct label, slug or IRI"),
    target: str = Query(..., alias="to", description="Construct label, slug or IRI"),
    max_hops: int = Query(DEFAULT_MAX_HOPS, ge=1, le=8),
    store: Store = Depends(get_store),
) -> dict[str, Any]:
    """Every allowed path (shortest first); chains carry the naive product of r, labelled as not a mediation."""
    graph = build_network(store)
    a, b = _resolve(graph, source, "from"), _resolve(graph, target, "to")
    if a == b:
        raise HTTPException(400, "from and to name the same construct")
    paths = [p.to_dict(graph) for p in find_paths(graph, a, b, max_hops)]
    return {"from": a, "to": b, "max_hops": max_hops, "paths": paths}


@router.get("/api/network/neighbourhood", summary="A construct's findings, structure, mechanisms and implications")
def network_neighbourhood(
    construct: str = Query(..., description="Construct label, slug or IRI"),
    store: Store = Depends(get_store),
) -> dict[str, Any]:
    """The neighbourhood of one construct."""
    graph = build_network(store, LAYERS)
    return neighbourhood(graph, _resolve(graph, construct, "construct"))


@router.get("/api/network/centrality", summary="Degree and betweenness centrality of each construct")
def network_centrality(store: Store = Depends(get_store)) -> list[dict[str, Any]]:
    """Centrality over findings and scheme structure (undirected)."""
    return centrality(build_network(store))


@router.get("/api/network/export/{fmt}", summary="The network as GraphML, GEXF, Cytoscape JSON, DOT, SVG or PNG")
def network_export(
    fmt: str,
    layers: str = Query("", description="Extra node layers: mechanisms,implications"),
    studies: str = STUDIES,
    store: Store = Depends(get_store),
) -> Response:
    """A download of the whole network in one format (study-level findings pooled per pair unless studies=each)."""
    if fmt not in EXPORTS:
        raise HTTPException(404, f"unknown export format {fmt!r}; choose from {', '.join(EXPORTS)}")
    media_type, suffix, _ = EXPORTS[fmt]
    body = export_network(with_studies(build_network(store, _layers(layers)), studies), fmt)
    disposition = f'attachment; filename="evidencekg-network{suffix}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get("/plots/forest", summary="Forest plot (SVG) of every finding between two constructs")
def forest_plot(
    a: str = Query(..., description="Construct label, slug or IRI"),
    b: str = Query(..., description="Construct label, slug or IRI"),
    store: Store = Depends(get_store),
) -> Response:
    """Each finding between the pair as its source states it (no pooling)."""
    graph = build_network(store)
    first, second = _resolve(graph, a, "a"), _resolve(graph, b, "b")
    if first == second:
        raise HTTPException(400, "a and b name the same construct")
    svg = pair_forest(graph, first, second)
    return Response(svg, media_type="image/svg+xml")
