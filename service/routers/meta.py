"""Routes: pooling a pair held in the store, its history and forest plot, saving a derived finding, and ingest."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from evidencekg.evidence.ingest import FORMATS, AlreadyIngested, ingest
from evidencekg.meta.analysis import Choices, analyse
from evidencekg.meta.history import history
from evidencekg.meta.pairs import PairPool, parse_where, pool_pair, save_derived
from evidencekg.meta.plots import analysis_forest
from evidencekg.meta.pooling import METHODS
from evidencekg.settings import Settings
from evidencekg.store.protocol import Store
from service.auth import require_write_token
from service.deps import get_settings, get_store, notify_write

router = APIRouter(tags=["meta-analysis"])

A = Query(..., description="Construct or intervention condition (label, alt label, slug, code, prefixed name or IRI)")
B = Query(..., description="Construct or comparator condition")
METHOD = Query("REML", description=f"tau2 estimator: {', '.join(METHODS)}")
LEVEL = Query(0.95, gt=0.5, lt=1, description="Confidence level")
TEST = Query("z", pattern="^(z|knha)$", description="z (normal) or knha (Knapp-Hartung t-based CI, PI and p)")
WHERE = Query([], description="Only findings with this study characteristic, NAME=VALUE (e.g. format=ind); repeatable")


def _pool(store: Store, a: str, b: str, method: str, level: float, where: list[str], test: str = "z") -> PairPool:
    """Pool a pair; unknown terms or no findings answer 404, a bad method or filter 400 (evidencekg.errors.OUTCOMES)."""
    if method.upper() not in METHODS:
        raise HTTPException(400, f"method {method!r}: choose one of {', '.join(METHODS)}")
    return pool_pair(store, a, b, method, level, parse_where(where), test)


@router.get("/api/meta", summary="Pool the primary-study findings between two constructs or conditions")
def meta_pair(
    a: str = A, b: str = B, method: str = METHOD, level: float = LEVEL, where: list[str] = WHERE, test: str = TEST,
    store: Store = Depends(get_store),
) -> dict[str, object]:  # fmt: skip
    """metafor-equivalent pooling (Fisher z for r) of the pair's findings, one effect per study."""
    return _pool(store, a, b, method, level, where, test).as_json()


@router.post("/api/meta", summary="Pool a pair and save it as an ekg:DerivedFinding", dependencies=[Depends(require_write_token)])
def meta_save(
    request: Request, a: str = A, b: str = B, method: str = METHOD, level: float = LEVEL, where: list[str] = WHERE,
    test: str = TEST, store: Store = Depends(get_store), settings: Settings = Depends(get_settings),
) -> dict[str, object]:  # fmt: skip
    """The pooled result plus the IRI of the stored derived finding."""
    result = _pool(store, a, b, method, level, where, test)
    iri = save_derived(store, result, settings)
    notify_write(request)
    return {**result.as_json(), "derived_finding": iri}


@router.get("/api/meta/history", summary="Estimates for a construct pair (and related constructs) across meta-analyses")
def meta_history(a: str = A, b: str = B, store: Store = Depends(get_store)) -> list[dict[str, object]]:
    """Rows per meta-analysis, oldest first, each naming the constructs it actually pooled."""
    return [row.as_json() for row in history(store, a, b)]


PLOT_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}
AGGREGATE = Query("arms", pattern="^(arms|studies)$", description="Combine a study's several effects per pair of arms or per study")
RHO = Query(0.6, ge=0, lt=1, description="Assumed correlation of one study's effects")
WEIGHTED = Query(True, description="Inverse-variance weighted (metafor's aggregate() default) or plain mean")
BY = Query(None, description="Subgroups by this study characteristic (e.g. rob)")
MODS = Query(None, description="Meta-regression on these study characteristics, comma-separated (e.g. rob,format)")


@router.get("/api/meta/analysis", summary="The whole analysis of a pair: main, bias, influence, outliers, three-level, subgroups")
def meta_analysis(
    a: str = A, b: str = B, method: str = METHOD, level: float = LEVEL, where: list[str] = WHERE, test: str = TEST,
    aggregate: str = AGGREGATE, rho: float = RHO, weighted: bool = WEIGHTED, by: str | None = BY, mods: str | None = MODS,
    store: Store = Depends(get_store),
) -> dict[str, object]:  # fmt: skip
    """Every analysis of a Metapsy-style report for the pair, as one object with metafor's names."""
    choices = Choices.parse(a, b, method, level, where, test, aggregate, rho, weighted, by, mods or "")
    return analyse(store, choices, more=True).as_json()


@router.get("/plots/meta-forest", summary="Forest plot (SVG, PNG or multi-page PDF) of a pooled pair")
def meta_forest(
    a: str = A, b: str = B, method: str = METHOD, level: float = LEVEL, where: list[str] = WHERE,
    format: str = Query("svg", pattern="^(svg|png|pdf)$"),
    page: int | None = Query(None, ge=1, description="Only this page (40 studies a page); default every page, axes repeated"),
    store: Store = Depends(get_store),
) -> Response:  # fmt: skip
    """Study names, weights, estimate [CI] column, the pooled diamond, prediction interval and heterogeneity."""
    analysis = analyse(store, Choices.parse(a, b, method, level, where), sensitivity=False)
    return Response(analysis_forest(analysis, format, page), media_type=PLOT_TYPES[format])


@router.post("/api/ingest", summary="Ingest a correlation sheet or a Metapsy file", dependencies=[Depends(require_write_token)])
async def ingest_file(
    request: Request,
    format: str | None = Query(None, description=f"One of {', '.join(FORMATS)} (default: guessed)"),
    name: str = Query(..., description="Document slug for the file (e.g. my-sheet-2025)"),
    replace: bool = Query(False, description="Replace an earlier import of the same document"),
    dataset_doi: str | None = Query(None, description="Metapsy: the dataset's DOI (required: a bare file does not carry it)"),
    outcome: str | None = Query(None, description="Metapsy: the outcome construct, e.g. depressive symptoms (required)"),
    title: str | None = Query(None, description="Metapsy: the dataset's title"),
    licence: str | None = Query(None, description="Metapsy: the dataset's licence URL (default ODC-By, as Metapsy assigns)"),
    store: Store = Depends(get_store),
    settings: Settings = Depends(get_settings),
) -> dict[str, object]:
    """The request body is the file itself (text/csv); any bad row answers 422, a file already ingested 409; both write nothing.

    An embedded store gets the shipped evidence loaded first when it is missing or out of date.
    """
    body = await request.body()
    if not body:
        raise HTTPException(400, "the request body is empty: send the file's bytes (Content-Type: text/csv)")
    if format is not None and format not in FORMATS:
        raise HTTPException(400, f"format {format!r}: choose one of {', '.join(FORMATS)}")
    try:
        options = {k: v for k, v in (("dataset_doi", dataset_doi), ("outcome", outcome), ("title", title), ("licence", licence)) if v}
        result = await run_in_threadpool(ingest, store, body, format, name=name, settings=settings, replace=replace, options=options)
    except AlreadyIngested as exc:  # answered 409 by service/errors.py; only the hint is said in HTTP terms
        exc.how_to_replace = "POST /api/ingest?name={name}&replace=true with the same file"
        raise
    notify_write(request)
    return {"document": result.document, "findings": result.findings, "triples": result.triples}
