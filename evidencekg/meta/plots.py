"""Forest plots of pooled pairs, drawn with evidencekg.meta.forest (study rows, pooled diamond, prediction interval)."""

from __future__ import annotations

import math

from evidencekg.meta.forest import ForestRow, PooledRow, forest_plot
from evidencekg.meta.pairs import PairPool
from evidencekg.model.measures import measure_name


def pair_forest(result: PairPool, fmt: str = "svg") -> bytes:
    """The forest plot of a pooled pair: correlations back-transformed to r, other effects as pooled."""
    back = math.tanh if result.scale == "r" else (lambda x: x)
    crit = (result.pooled.ci_upper - result.pooled.estimate) / result.pooled.se
    total = sum(1 / s.v for s in result.studies)
    rows = [
        ForestRow(
            label=s.label + (f" ({len(s.findings)} comparisons)" if len(s.findings) > 1 else ""),
            estimate=back(s.y), lower=back(s.y - crit * math.sqrt(s.v)), upper=back(s.y + crit * math.sqrt(s.v)),
            weight=(1 / s.v) / total,
        )
        for s in result.studies
    ]  # fmt: skip
    p = result.pooled
    pooled = PooledRow(
        label=f"{'FE' if p.method == 'FE' else 'RE'} model ({p.method}), k = {p.k}",
        estimate=back(p.estimate), lower=back(p.ci_lower), upper=back(p.ci_upper),
        pi_lower=back(p.pi_lower), pi_upper=back(p.pi_upper),
        note=f"I2 = {p.i2:.1f}%, tau2 = {p.tau2:.3f}",
    )  # fmt: skip
    a, b = result.a.rsplit("/", 1)[-1], result.b.rsplit("/", 1)[-1]
    xlabel = measure_name(result.measure)
    return forest_plot(rows, pooled, title=f"{a} vs {b}", xlabel=xlabel, fmt=fmt)
