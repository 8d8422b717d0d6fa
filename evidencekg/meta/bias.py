"""Small-study effects and publication bias as metafor: regtest() (Egger), ranktest(), trimfill() (L0), fsn() (labelled)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evidencekg.meta.models import fit
from evidencekg.meta.pooling import Pooled, pool


@dataclass(frozen=True)
class Egger:
    """regtest(model): the sei slope's test in rma(yi, vi, mods = ~ sei) with the model's method and test."""

    z: float  # a t value under test = "knha"
    p: float
    df: int | None
    limit_estimate: float  # the intercept: the estimate as sei -> 0 (metafor's "limit estimate")
    limit_ci_lower: float
    limit_ci_upper: float


@dataclass(frozen=True)
class RankTest:
    """ranktest(model): Kendall's tau between standardized effects and their variances (Begg & Mazumdar)."""

    tau: float
    p: float
    exact: bool


@dataclass(frozen=True)
class TrimFill:
    """trimfill(model) with the L0 estimator: k0 studies filled on `side`, and the model refitted with them."""

    k0: int
    se_k0: float
    side: str
    pooled: Pooled
    filled: list[tuple[float, float]]  # (yi, vi) of each filled study


@dataclass(frozen=True)
class FailSafe:
    """Rosenthal's fail-safe N (fsn(), Stouffer): how many null studies would make the combined one-sided p exceed alpha.

    Shown labelled as such: it ignores heterogeneity and effect size and is not a test of bias.
    """

    n: float
    alpha: float
    p: float


@dataclass(frozen=True)
class Bias:
    """Every small-study / publication-bias check of one model."""

    egger: Egger | None
    ranktest: RankTest | None
    trimfill: TrimFill | None
    fail_safe_n: FailSafe

    def as_json(self, back: object = None) -> dict[str, object]:
        """`egger` (z, p), `ranktest` (tau, p), `trimfill` (k0, side, estimate, ci_lower, ci_upper) and the labelled fail-safe N."""
        tf = self.trimfill
        return {
            "egger": None if self.egger is None else {
                "z": self.egger.z, "p": self.egger.p, "df": self.egger.df, "limit_estimate": self.egger.limit_estimate,
                "limit_ci_lower": self.egger.limit_ci_lower, "limit_ci_upper": self.egger.limit_ci_upper},
            "ranktest": None if self.ranktest is None else {"tau": self.ranktest.tau, "p": self.ranktest.p, "exact": self.ranktest.exact},
            "trimfill": None if tf is None else {
                "k0": tf.k0, "se_k0": tf.se_k0, "side": tf.side, "estimator": "L0", "k": tf.pooled.k,
                "estimate": tf.pooled.estimate, "se": tf.pooled.se, "ci_lower": tf.pooled.ci_lower,
                "ci_upper": tf.pooled.ci_upper, "pval": tf.pooled.pval, "tau2": tf.pooled.tau2,
                "filled": [{"yi": y, "vi": v} for y, v in tf.filled]},
            "fail_safe_n": {"label": "Rosenthal's fail-safe N (not a test of bias)", "n": self.fail_safe_n.n,
                            "alpha": self.fail_safe_n.alpha, "p": self.fail_safe_n.p},
        }  # fmt: skip


def egger(yi: Sequence[float], vi: Sequence[float], method: str = "REML", test: str = "z", level: float = 0.95) -> Egger:
    """Egger's regression test as regtest(): the standard error as a moderator of the model (needs k >= 3)."""
    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    x = np.column_stack([np.ones(len(y)), np.sqrt(v)])
    model = fit(y, v, x, ["intrcpt", "sei"], method, test, level)
    slope, intercept = model.coefficient("sei"), model.coefficient("intrcpt")
    return Egger(slope.zval, slope.pval, model.df, intercept.estimate, intercept.ci_lower, intercept.ci_upper)


def ranktest(yi: Sequence[float], vi: Sequence[float]) -> RankTest:
    """ranktest(): cor.test(yi*, vi, method = "kendall", exact = TRUE) with yi* standardized against the fixed-effect mean.

    The exact p when there are no ties and k < 50, else the normal approximation with the tie correction
    (cor.test's default; R's exact Kendall p, which metafor asks for at any k, breaks down from k ~ 100).
    """
    from scipy import stats

    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    w = 1 / v
    theta = float(np.sum(w * y) / np.sum(w))
    ystar = (y - theta) / np.sqrt(v - 1 / np.sum(w))
    exact = len(set(ystar.tolist())) == len(ystar) and len(set(v.tolist())) == len(v) and len(y) < 50
    result = stats.kendalltau(ystar, v, method="exact" if exact else "asymptotic")
    return RankTest(float(result.statistic), float(result.pvalue), exact)


def trimfill(yi: Sequence[float], vi: Sequence[float], method: str = "REML", level: float = 0.95, side: str | None = None) -> TrimFill:
    """trimfill() with estimator L0: the side from the sign of the sei slope, iterate trim / re-estimate, fill mirror images.

    The filled model uses the z test, as metafor's trimfill() refits without the original test.
    """
    y0, v0 = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    if side is None:
        slope = fit(y0, v0, np.column_stack([np.ones(len(y0)), np.sqrt(v0)]), ["intrcpt", "sei"], method).coefficient("sei")
        side = "right" if slope.estimate < 0 else "left"
    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * y0, kind="stable")
    y, v = sign * y0[order], v0[order]
    k = len(y)
    k0, previous, beta, se_k0 = 0, -1, 0.0, 0.0
    for _ in range(100):
        if k0 == previous:
            break
        previous = k0
        beta = pool(y[: k - k0], v[: k - k0], method, level).estimate
        centred = y - beta
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(centred), kind="stable")] = np.arange(1, k + 1)
        sr = float(np.sum(ranks[centred > 0]))
        raw = (4 * sr - k * (k + 1)) / (2 * k - 1)
        var_sr = (k * (k + 1) * (2 * k + 1) + 10 * raw**3 + 27 * raw**2 + 17 * raw - 18 * k * raw**2 - 18 * k * raw
                  + 6 * k**2 * raw) / 24  # fmt: skip
        se_k0 = max(0.0, 4 * math.sqrt(var_sr) / (2 * k - 1)) if var_sr > 0 else 0.0
        k0 = max(0, round(raw))
    filled: list[tuple[float, float]] = []
    if k0 > 0:
        # mirror the k0 most extreme studies about the trimmed estimate, on the original scale: 2 * beta - y
        filled = [(float(sign * (2 * beta - y[i])), float(v[i])) for i in range(k - k0, k)]
        pooled = pool(np.concatenate([y0, [f[0] for f in filled]]), np.concatenate([v0, [f[1] for f in filled]]), method, level)
    else:
        pooled = pool(y0, v0, method, level)
    return TrimFill(int(k0), se_k0, side, pooled, filled)


def fail_safe_n(yi: Sequence[float], vi: Sequence[float], alpha: float = 0.05) -> FailSafe:
    """fsn(yi, vi): Rosenthal's fail-safe N with Stouffer's method."""
    from scipy import stats

    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    k = len(y)
    z_avg = abs(float(np.sum(y / np.sqrt(v))) / math.sqrt(k))
    n = max(0.0, k * (z_avg / float(stats.norm.isf(alpha))) ** 2 - k)
    n = float(math.ceil(n) if abs(n - round(n)) >= 1.5e-8 else round(n))  # metafor rounds up to whole studies
    return FailSafe(n, alpha, float(stats.norm.sf(z_avg)))


def bias(yi: Sequence[float], vi: Sequence[float], method: str = "REML", test: str = "z", level: float = 0.95) -> Bias:
    """Egger (k >= 3), rank correlation (k >= 3), trim-and-fill (k >= 3) and the labelled fail-safe N."""
    enough = len(yi) >= 3
    return Bias(
        egger(yi, vi, method, test, level) if enough else None,
        ranktest(yi, vi) if enough else None,
        trimfill(yi, vi, method, level) if enough else None,
        fail_safe_n(yi, vi),
    )
