"""Several effects per study: three-level REML (rma.mv(random = ~ 1 | study/es_id)), robust() SEs, aggregate()."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evidencekg.errors import InvalidInput


def _groups(cluster: Sequence[str]) -> tuple[np.ndarray, int]:
    """Cluster index per effect (0 .. n-1, in order of first appearance) and the number of clusters."""
    index: dict[str, int] = {}
    codes = np.array([index.setdefault(c, len(index)) for c in cluster])
    return codes, len(index)


def aggregate(
    yi: Sequence[float], vi: Sequence[float], cluster: Sequence[str], rho: float = 0.6, weighted: bool = True,
) -> tuple[list[str], list[float], list[float]]:
    """metafor's aggregate(escalc, cluster, rho, struct = "CS", weighted): one effect per cluster, in order of appearance.

    Within a cluster the effects correlate rho (compound symmetry). weighted: the inverse-variance
    (GLS) mean 1'V^-1 y / 1'V^-1 1 with variance 1 / 1'V^-1 1; unweighted: the plain mean with
    variance 1'V1 / m^2.
    """
    if not 0 <= rho < 1:
        raise InvalidInput(f"rho {rho}: choose a within-study correlation between 0 and 1 (excluding 1)")
    codes, n = _groups(cluster)
    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    names = list(dict.fromkeys(cluster))
    out_y, out_v = [], []
    for c in range(n):
        ys, s = y[codes == c], np.sqrt(v[codes == c])
        m = len(ys)
        if weighted:
            # V = S R S with R = (1 - rho) I + rho J: 1'V^-1 a = [sum(a/s^2) - c (sum 1/s)(sum a/s)] / (1 - rho)
            shrink = rho / (1 + (m - 1) * rho)
            one = (float(np.sum(1 / s**2)) - shrink * float(np.sum(1 / s)) ** 2) / (1 - rho)
            ya = (float(np.sum(ys / s**2)) - shrink * float(np.sum(1 / s)) * float(np.sum(ys / s))) / (1 - rho)
            out_y.append(ya / one)
            out_v.append(1 / one)
        else:
            total = float(np.sum(s) ** 2 * rho + np.sum(s**2) * (1 - rho))
            out_y.append(float(np.mean(ys)))
            out_v.append(total / m**2)
    return names, out_y, out_v


@dataclass(frozen=True)
class ThreeLevel:
    """rma.mv(yi, vi, random = ~ 1 | cluster/es_id, method = "REML"): the estimate and the two variance components."""

    k: int
    clusters: int
    estimate: float
    se: float
    zval: float
    pval: float
    ci_lower: float
    ci_upper: float
    sigma2: tuple[float, float]  # (between clusters, within clusters): outer first, as metafor
    q: float
    q_df: int
    q_p: float
    test: str = "z"
    df: int | None = None

    def as_json(self) -> dict[str, object]:
        """estimate, se, ci_lower, ci_upper, sigma2 (outer first), and the rest under metafor's names."""
        return {"k": self.k, "clusters": self.clusters, "method": "REML", "test": self.test, "df": self.df,
                "estimate": self.estimate, "se": self.se, "zval": self.zval, "pval": self.pval,
                "ci_lower": self.ci_lower, "ci_upper": self.ci_upper, "sigma2": list(self.sigma2),
                "q": self.q, "q_df": self.q_df, "q_p": self.q_p}  # fmt: skip


def _gls(y: np.ndarray, v: np.ndarray, codes: np.ndarray, n: int, s_outer: float, s_inner: float) -> tuple[float, float, float, float]:
    """(beta, 1'V^-1 1, y'V^-1 y - beta^2 1'V^-1 1 (the residual form), log det V) for the block-diagonal V, in O(k)."""
    d = v + s_inner
    inv_d = 1 / d
    sum_inv = np.bincount(codes, inv_d, n)
    sum_y = np.bincount(codes, y * inv_d, n)
    denom = 1 + s_outer * sum_inv
    one = float(np.sum(sum_inv - s_outer * sum_inv**2 / denom))
    oy = float(np.sum(sum_y - s_outer * sum_inv * sum_y / denom))
    yy = float(np.sum(np.bincount(codes, y * y * inv_d, n) - s_outer * sum_y**2 / denom))
    beta = oy / one
    logdet = float(np.sum(np.log(d)) + np.sum(np.log(denom)))
    return beta, one, yy - beta * oy, logdet


def three_level(
    yi: Sequence[float], vi: Sequence[float], cluster: Sequence[str], level: float = 0.95,
) -> ThreeLevel:
    """Fit the three-level model by REML (effects nested in clusters), the z test as rma.mv's default."""
    from scipy import optimize, stats

    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    codes, n = _groups(cluster)
    k = len(y)
    if k < 3 or n < 2:
        raise InvalidInput("a three-level model needs at least three effects in at least two clusters")

    def negative_reml(params: np.ndarray) -> float:
        _, one, rss, logdet = _gls(y, v, codes, n, float(params[0]), float(params[1]))
        return 0.5 * (logdet + math.log(one) + rss)

    # the variance components themselves, bounded at 0 (a component can be exactly 0, as metafor reports ~0)
    start = max(float(np.var(y)) / 2, 1e-4)
    best = optimize.minimize(negative_reml, np.array([start, start]), method="L-BFGS-B", bounds=[(0.0, None)] * 2,
                             options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000})  # fmt: skip
    s_outer, s_inner = (float(x) for x in best.x)
    beta, one, _, _ = _gls(y, v, codes, n, s_outer, s_inner)
    se = math.sqrt(1 / one)
    crit = float(stats.norm.isf((1 - level) / 2))
    w = 1 / v
    q = float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))
    return ThreeLevel(k, n, beta, se, beta / se, float(2 * stats.norm.sf(abs(beta / se))), beta - crit * se, beta + crit * se,
                      (s_outer, s_inner), q, k - 1, float(stats.chi2.sf(q, k - 1)))  # fmt: skip


def robust(model: ThreeLevel, yi: Sequence[float], vi: Sequence[float], cluster: Sequence[str], level: float = 0.95) -> ThreeLevel:
    """robust(model, cluster, adjust = TRUE): the cluster-robust (sandwich) SE with n / (n - p), t tests with n - p df."""
    from scipy import stats

    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    codes, n = _groups(cluster)
    s_outer, s_inner = model.sigma2
    d = v + s_inner
    sum_inv = np.bincount(codes, 1 / d, n)
    e = y - model.estimate
    sum_e = np.bincount(codes, e / d, n)
    # per cluster: 1'V_c^-1 e_c, with V_c^-1 = D^-1 - s D^-1 11' D^-1 / (1 + s 1'D^-1 1)
    we = sum_e - s_outer * sum_inv * sum_e / (1 + s_outer * sum_inv)
    bread = model.se**2
    vb = bread * float(np.sum(we**2)) * bread * n / (n - 1)
    se = math.sqrt(vb)
    df = n - 1
    t = model.estimate / se
    crit = float(stats.t.isf((1 - level) / 2, df))
    return ThreeLevel(model.k, n, model.estimate, se, t, float(2 * stats.t.sf(abs(t), df)), model.estimate - crit * se,
                      model.estimate + crit * se, model.sigma2, model.q, model.q_df, model.q_p, "t", df)  # fmt: skip
