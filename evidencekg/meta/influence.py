"""Influence and outliers: metafor's influence() diagnostics and metapsyTools' "outliers removed" re-analysis."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from evidencekg.meta.models import fit
from evidencekg.meta.pooling import Pooled, pool


@dataclass(frozen=True)
class StudyInfluence:
    """One study's row of influence(model): externally studentized residual, DFFITS, Cook's distance, and more."""

    label: str
    rstudent: float
    dffits: float
    cook_d: float
    cov_r: float
    tau2_del: float
    qe_del: float
    hat: float
    weight: float  # percent
    influential: bool  # metafor's "*": |DFFITS|, Cook's distance, hat or a DFBETAS over its cut-off
    dfbetas: float


def influence(
    labels: Sequence[str], yi: Sequence[float], vi: Sequence[float], method: str = "REML", test: str = "z", level: float = 0.95,
) -> list[StudyInfluence]:
    """influence(rma(yi, vi, method, test)) for an intercept-only model (needs k >= 3)."""
    from scipy import stats

    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    k, p = len(y), 1
    full = fit(y, v, None, ["intrcpt"], method, test, level)
    beta, vb = full.coefficients[0].estimate, float(full.vb[0, 0])
    w = 1 / (v + full.tau2)
    hat = w / np.sum(w)  # diag(X (X'WX)^-1 X'W) with X = 1
    weight = 100 * w / np.sum(w)
    rows = []
    for i, label in enumerate(labels):
        keep = np.arange(k) != i
        res = fit(y[keep], v[keep], None, ["intrcpt"], method, test, level)
        b_del, vb_res, tau2_del, s2w = res.coefficients[0].estimate, float(res.vb[0, 0]), res.tau2, res.s2w
        dffits = (beta - b_del) / math.sqrt(s2w * hat[i] * (tau2_del + v[i]))
        vb_del = 1 / float(np.sum(1 / (v + tau2_del)))
        dfbetas = (beta - b_del) / math.sqrt(s2w * vb_del)
        cook = (beta - b_del) ** 2 / vb
        resid = y[i] - b_del
        se_resid = math.sqrt(v[i] * s2w + vb_res + tau2_del * s2w)
        infl = (abs(dffits) > 3 * math.sqrt(p / (k - p)) or float(stats.chi2.cdf(cook, p)) > 0.5
                or hat[i] > 3 * p / k or abs(dfbetas) > 1)  # fmt: skip
        rows.append(StudyInfluence(label, resid / se_resid, dffits, cook, vb_res / vb, tau2_del, res.qe,
                                   float(hat[i]), float(weight[i]), infl, dfbetas))  # fmt: skip
    return rows


def influence_json(rows: list[StudyInfluence]) -> list[dict[str, object]]:
    """One object per study with metafor's column names (rstudent, dffits, cook_d, cov_r, tau2_del, qe_del, hat, weight)."""
    return [asdict(r) for r in rows]


@dataclass(frozen=True)
class OutliersRemoved:
    """metapsyTools' "outliers removed": studies whose CI lies wholly outside the pooled CI left out, the rest re-pooled."""

    removed: list[str]
    pooled: Pooled | None  # None when nothing was removed or fewer than two studies would remain


def outliers_removed(
    labels: Sequence[str], yi: Sequence[float], vi: Sequence[float], pooled: Pooled, method: str = "REML",
    test: str = "z", level: float = 0.95,
) -> OutliersRemoved:
    """Drop studies whose level-CI does not overlap the pooled CI (upper < pooled lower or lower > pooled upper); re-pool."""
    from scipy import stats

    crit = float(stats.norm.isf((1 - level) / 2))
    out = [i for i in range(len(yi))
           if yi[i] + crit * math.sqrt(vi[i]) < pooled.ci_lower or yi[i] - crit * math.sqrt(vi[i]) > pooled.ci_upper]  # fmt: skip
    rest = [i for i in range(len(yi)) if i not in set(out)]
    if not out or len(rest) < 2:
        return OutliersRemoved([labels[i] for i in out], None)
    return OutliersRemoved([labels[i] for i in out], pool([yi[i] for i in rest], [vi[i] for i in rest], method, level, test, confint=True))
