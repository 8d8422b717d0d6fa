"""The plots of an analysis, all through evidencekg.meta.forest and .funnel: forest, sensitivity forests, funnel."""

from __future__ import annotations

import math

from evidencekg.errors import InvalidInput
from evidencekg.meta.analysis import Analysis
from evidencekg.meta.forest import PER_PAGE, ForestRow, ForestText, PooledRow, figure_bytes, forest_plot, page_count
from evidencekg.meta.funnel import funnel_figure
from evidencekg.meta.report import heterogeneity_text

SENSITIVITY = ("leave-one-out", "cumulative")


def _text(analysis: Analysis, title: str) -> ForestText:
    level = f"{analysis.choices.level:.0%}"
    return ForestText(title=title, xlabel=analysis.measure, null=0.0, favours=analysis.favours,
                      ci_header=f"{analysis.measure} [{level} CI]", decimals=2)  # fmt: skip


def pooled_row(analysis: Analysis) -> PooledRow:
    """The diamond row: model, k, estimate, CI, prediction interval and the heterogeneity line."""
    p, back = analysis.pair.pooled, analysis.back
    model = "Fixed-effect model" if p.method == "FE" else f"Random-effects model ({p.method})"
    return PooledRow(label=f"{model}, k = {p.k}", estimate=back(p.estimate), lower=back(p.ci_lower), upper=back(p.ci_upper),
                     pi_lower=None if p.pi_lower is None else back(p.pi_lower),
                     pi_upper=None if p.pi_upper is None else back(p.pi_upper), note=heterogeneity_text(p))  # fmt: skip


def study_rows(analysis: Analysis) -> list[ForestRow]:
    """One row per study: its label (with the number of comparisons averaged), effect, CI and weight."""
    rows = []
    for study, weight in zip(analysis.pair.studies, analysis.weights()):
        estimate, lower, upper = analysis.study_interval(study.y, study.v)
        several = f" ({len(study.findings)} comparisons)" if len(study.findings) > 1 else ""
        rows.append(ForestRow(study.label + several, estimate, lower, upper, weight=weight))
    return rows


def forest_page_count(analysis: Analysis, per_page: int = PER_PAGE) -> int:
    """How many pages the analysis's forest plot takes."""
    return page_count(len(analysis.pair.studies), per_page)


def analysis_forest(analysis: Analysis, fmt: str = "svg", page: int | None = None, per_page: int = PER_PAGE) -> bytes:
    """The forest plot: study rows with weights, pooled diamond, prediction interval, heterogeneity (paged)."""
    text = _text(analysis, analysis.title)
    return forest_plot(study_rows(analysis), pooled_row(analysis), fmt=fmt, text=text, page=page, per_page=per_page)


def sensitivity_forest(analysis: Analysis, kind: str, fmt: str = "svg", page: int | None = None, per_page: int = PER_PAGE) -> bytes:
    """Leave-one-out ("without X") or cumulative ("+ X") re-poolings as rows, the full result as the diamond."""
    if kind not in SENSITIVITY:
        raise InvalidInput(f"sensitivity view {kind!r}: choose {' or '.join(SENSITIVITY)}")
    steps = analysis.leave_one_out if kind == "leave-one-out" else analysis.cumulative
    if not steps:
        raise InvalidInput(f"{kind} needs at least two studies")
    back = analysis.back
    prefix = "without " if kind == "leave-one-out" else "+ "
    rows = [ForestRow(prefix + s.label, back(s.pooled.estimate), back(s.pooled.ci_lower), back(s.pooled.ci_upper)) for s in steps]
    text = _text(analysis, f"{analysis.title}: {kind}" + (" (by year)" if kind == "cumulative" else ""))
    return forest_plot(rows, pooled_row(analysis), fmt=fmt, text=text, page=page, per_page=per_page)


def analysis_funnel(analysis: Analysis, fmt: str = "svg") -> bytes:
    """The funnel plot on the pooling scale (Fisher's z for correlations)."""
    if fmt not in ("svg", "png"):
        raise InvalidInput(f"funnel plot format {fmt!r}: choose svg or png")
    studies = analysis.pair.studies
    xlabel = "Fisher's z" if analysis.pair.scale == "r" else analysis.measure
    fig = funnel_figure([s.y for s in studies], [math.sqrt(s.v) for s in studies], analysis.pair.pooled.estimate,
                        analysis.choices.level, xlabel, f"{analysis.title}: funnel plot")  # fmt: skip
    return figure_bytes(fig, fmt)
