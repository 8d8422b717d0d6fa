"""An analysis in words and tables: the APA-style one-line summary and the CSV downloads (studies, sensitivity)."""

from __future__ import annotations

import csv
import io

from evidencekg.errors import InvalidInput
from evidencekg.meta.analysis import Analysis
from evidencekg.meta.pairs import where_text
from evidencekg.meta.pooling import Pooled
from evidencekg.meta.sensitivity import Step

TABLES = ("studies", "leave-one-out", "cumulative")


def p_apa(p: float) -> str:
    """APA style: `p < .001`, else `p = .032` (three decimals, no leading zero).

    >>> p_apa(1e-9), p_apa(0.0321), p_apa(0.5)
    ('p < .001', 'p = .032', 'p = .500')
    """
    return "p < .001" if p < 0.001 else f"p = {p:.3f}".replace("0.", ".", 1)


def bounded(value: float, decimals: int = 2) -> str:
    """A statistic that cannot exceed 1 (r), APA style without the leading zero: -.13, .28."""
    text = f"{value:.{decimals}f}"
    return text.replace("0.", ".", 1)


def heterogeneity_text(p: Pooled) -> str:
    """`Heterogeneity: tau2 = 0.36, I2 = 88.5%, Q(110) = 702.82, p < .001` (Unicode superscripts)."""
    return f"Heterogeneity: \u03c4\u00b2 = {p.tau2:.3f}, I\u00b2 = {p.i2:.1f}%, Q({p.q_df}) = {p.q:.2f}, {p_apa(p.q_p)}"


def apa_summary(analysis: Analysis) -> str:
    """One sentence a paper could print: model, k, estimate with CI and p, prediction interval, heterogeneity."""
    p, back = analysis.pair.pooled, analysis.back
    fmt = bounded if analysis.pair.scale == "r" else (lambda x: f"{x:.2f}")
    symbol = "r" if analysis.pair.scale == "r" else ("g" if "Hedges" in analysis.measure else "estimate")
    model = "A fixed-effect" if p.method == "FE" else f"A random-effects ({p.method})"
    level = f"{p.level:.0%}"
    joiner = " vs " if analysis.pair.kind == "comparison" else " and "
    what = joiner.join(analysis.names) + (f"; studies with {where_text(analysis.pair.where)}" if analysis.pair.where else "")
    test = f"z = {p.zval:.2f}" if p.test == "z" else f"t({p.df}) = {p.zval:.2f} (Knapp-Hartung)"
    pi = ("" if p.pi_lower is None or p.pi_upper is None
          else f"{level} prediction interval [{fmt(back(p.pi_lower))}, {fmt(back(p.pi_upper))}]; ")
    return (f"{model} meta-analysis of k = {p.k} studies ({what}) gave {symbol} = {fmt(back(p.estimate))}, "
            f"{level} CI [{fmt(back(p.ci_lower))}, {fmt(back(p.ci_upper))}], {test}, {p_apa(p.pval)}; {pi}"
            f"\u03c4\u00b2 = {p.tau2:.3f}, I\u00b2 = {p.i2:.1f}%, Q({p.q_df}) = {p.q:.2f}, {p_apa(p.q_p)}.")  # fmt: skip


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _steps(analysis: Analysis, steps: list[Step], column: str) -> str:
    back = analysis.back
    rows: list[list[object]] = [
        [s.label, back(s.pooled.estimate), back(s.pooled.ci_lower), back(s.pooled.ci_upper), s.pooled.pval,
         s.pooled.tau2, s.pooled.i2, s.pooled.q, s.pooled.k]
        for s in steps
    ]  # fmt: skip
    return _csv([column, "estimate", "ci_lower", "ci_upper", "pval", "tau2", "i2", "q", "k"], rows)


def table_csv(analysis: Analysis, table: str) -> str:
    """A CSV download: "studies" (each study, its weight, and the pooled row last), "leave-one-out" or "cumulative"."""
    if table == "leave-one-out":
        return _steps(analysis, analysis.leave_one_out, "left_out")
    if table == "cumulative":
        return _steps(analysis, analysis.cumulative, "added")
    if table != "studies":
        raise InvalidInput(f"table {table!r}: choose one of {', '.join(TABLES)}")
    p = analysis.pair.pooled
    rows: list[list[object]] = []
    for study, weight in zip(analysis.pair.studies, analysis.weights()):
        estimate, lower, upper = analysis.study_interval(study.y, study.v)
        rows.append([study.label, study.year or "", len(study.findings), estimate, lower, upper, study.y, study.v, 100 * weight])
    back = analysis.back
    rows.append([f"pooled ({p.method}, k = {p.k})", "", len(analysis.pair.findings), back(p.estimate), back(p.ci_lower),
                 back(p.ci_upper), p.estimate, p.se**2, 100.0])  # fmt: skip
    return _csv(["study", "year", "findings", "estimate", "ci_lower", "ci_upper", "yi", "vi", "weight_percent"], rows)
