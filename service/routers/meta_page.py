"""Routes: the /meta page (pick A and B, see the pooled result), its CSV tables, funnel and sensitivity plots."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from evidencekg.meta.analysis import Choices, analyse
from evidencekg.meta.plots import SENSITIVITY, analysis_funnel, sensitivity_forest
from evidencekg.meta.report import TABLES, table_csv
from evidencekg.pages.meta_view import meta_page
from evidencekg.store.protocol import Store
from service.deps import get_store
from service.routers.meta import LEVEL, METHOD, PLOT_TYPES, TEST, WHERE, A, B
from service.templating import page

router = APIRouter(tags=["meta-analysis"])


@router.get("/meta", response_class=HTMLResponse, include_in_schema=False)
def meta(
    a: str = Query("", description="Construct or intervention condition"), b: str = Query("", description="Construct or comparator"),
    method: str = METHOD, level: float = LEVEL, where: list[str] = WHERE, test: str = TEST,
    by: str = Query("", description="Subgroups by this study characteristic"),
    more: bool = Query(False, description="Also small-study checks, influence, outliers removed and the three-level model"),
    store: Store = Depends(get_store),
) -> HTMLResponse:  # fmt: skip
    """The meta-analysis page: the URL holds every choice, so a result can be shared as a link."""
    view = meta_page(store, a, b, method, level, where, test, by, more)
    return page("meta.html", status_code=view.status, title=view.result.title if view.result else "Meta-analysis", view=view)


@router.get("/meta/table/{name}.csv", summary="A table of a pooled pair as CSV: studies, leave-one-out or cumulative")
def meta_table(
    name: str, a: str = A, b: str = B, method: str = METHOD, level: float = LEVEL, where: list[str] = WHERE,
    store: Store = Depends(get_store),
) -> Response:  # fmt: skip
    """Study rows with weights and the pooled row last, or one row per re-pooling."""
    if name not in TABLES:
        return Response(f"no table {name!r}; choose one of {', '.join(TABLES)}\n", status_code=404, media_type="text/plain")
    analysis = analyse(store, Choices.parse(a, b, method, level, where), sensitivity=name != "studies")
    filename = f"{analysis.pair.a.rsplit('/', 1)[-1]}-vs-{analysis.pair.b.rsplit('/', 1)[-1]}-{name}.csv"
    return Response(table_csv(analysis, name), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


@router.get("/plots/meta-funnel", summary="Funnel plot (SVG or PNG) of a pooled pair: effect against standard error")
def meta_funnel(
    a: str = A, b: str = B, method: str = METHOD, level: float = LEVEL, where: list[str] = WHERE,
    format: str = Query("svg", pattern="^(svg|png)$"), store: Store = Depends(get_store),
) -> Response:  # fmt: skip
    """Each study's effect and SE, the pooled estimate and the pseudo confidence funnel."""
    analysis = analyse(store, Choices.parse(a, b, method, level, where), sensitivity=False)
    return Response(analysis_funnel(analysis, format), media_type=PLOT_TYPES[format])


@router.get("/plots/meta-sensitivity", summary="Leave-one-out or cumulative forest plot of a pooled pair")
def meta_sensitivity(
    a: str = A, b: str = B, method: str = METHOD, level: float = LEVEL, where: list[str] = WHERE,
    view: str = Query("leave-one-out", description=" or ".join(SENSITIVITY)),
    format: str = Query("svg", pattern="^(svg|png|pdf)$"), page: int | None = Query(None, ge=1),
    store: Store = Depends(get_store),
) -> Response:  # fmt: skip
    """One row per re-pooling (without each study, or adding studies by year), the full result as the diamond."""
    analysis = analyse(store, Choices.parse(a, b, method, level, where))
    return Response(sensitivity_forest(analysis, view, format, page), media_type=PLOT_TYPES[format])
