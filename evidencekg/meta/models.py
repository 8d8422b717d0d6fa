"""Mixed-effects meta-regression as metafor's rma.uni(yi, vi, mods, method, test): O(k p^2) per iteration, never k x k."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from evidencekg.errors import InvalidInput

TESTS: tuple[str, ...] = ("z", "knha")
TAU2_TOL = 1e-10  # metafor stops when tau2 changes by < 1e-5; a tighter stop lands on the same optimum
MAX_ITER = 1000


@dataclass(frozen=True)
class Coefficient:
    """One model coefficient as metafor prints it (the intercept is named `intrcpt`)."""

    name: str
    estimate: float
    se: float
    zval: float  # a t value under test = "knha"
    pval: float
    ci_lower: float
    ci_upper: float

    def as_json(self) -> dict[str, object]:
        """The metafor row: name, estimate, se, zval, pval, ci_lower, ci_upper."""
        return {"name": self.name, "estimate": self.estimate, "se": self.se, "zval": self.zval,
                "pval": self.pval, "ci_lower": self.ci_lower, "ci_upper": self.ci_upper}  # fmt: skip


@dataclass(frozen=True)
class Fit:
    """One fitted rma.uni model: coefficients, residual heterogeneity (tau2, I2, H2, QE), the omnibus QM test, R2."""

    k: int
    method: str
    test: str
    level: float
    df: int | None  # t / F denominator degrees of freedom under Knapp-Hartung (k - p), None for z
    coefficients: list[Coefficient]
    tau2: float
    i2: float
    h2: float
    qe: float
    qe_df: int
    qe_p: float
    qm: float | None  # None for an intercept-only model
    qm_df: tuple[int, int | None]
    qm_p: float | None
    r2: float | None  # percent; None without moderators (or with tau2 = 0 in the model without them)
    vt: float  # metafor's typical sampling variance (k - p) / tr(P), for I2
    s2w: float  # the Knapp-Hartung scale factor applied to vb (1 under test = "z")
    vb: np.ndarray = field(repr=False, compare=False)  # covariance matrix of the coefficients

    def coefficient(self, name: str) -> Coefficient:
        """The coefficient with this name (`intrcpt` for the intercept)."""
        for c in self.coefficients:
            if c.name == name:
                return c
        raise KeyError(name)


def checked(y: np.ndarray | list[float], v: np.ndarray | list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Effects and variances as float arrays, checked for length, finiteness and positivity."""
    ya, va = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    if ya.ndim != 1 or ya.shape != va.shape or len(ya) == 0:
        raise InvalidInput("need one or more effects with one sampling variance each")
    if not (np.all(np.isfinite(ya)) and np.all(np.isfinite(va)) and np.all(va > 0)):
        raise InvalidInput("effects must be finite and sampling variances finite and > 0")
    return ya, va


def _solve(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(X'WX)^-1 and X'W as a weighted design, refusing a design whose columns are collinear."""
    xw = x.T * w
    a = xw @ x
    if np.linalg.matrix_rank(a) < x.shape[1]:
        raise InvalidInput("the moderators are collinear (a column is a combination of others, or a level has no studies)")
    return np.linalg.inv(a), xw


def residual_q(tau2: float, y: np.ndarray, v: np.ndarray, x: np.ndarray) -> float:
    """y'Py with weights 1/(v + tau2): Cochran's QE at tau2 = 0, the generalised Q (Q-profile) above it."""
    w = 1.0 / (v + tau2)
    a_inv, xw = _solve(x, w)
    b = a_inv @ (xw @ y)
    return float(np.sum(w * (y - x @ b) ** 2))


def trace_p(w: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """(tr P, tr PP) for P = W - WX(X'WX)^-1X'W, in O(k p^2)."""
    a_inv, _ = _solve(x, w)
    b1 = a_inv @ ((x.T * w**2) @ x)
    b2 = a_inv @ ((x.T * w**3) @ x)
    return float(np.sum(w) - np.trace(b1)), float(np.sum(w**2) - 2 * np.trace(b2) + np.trace(b1 @ b1))


def _fisher_scoring(y: np.ndarray, v: np.ndarray, x: np.ndarray, reml: bool, start: float) -> float:
    """ML/REML tau2 by Fisher scoring, halving steps that would go below 0 (metafor's algorithm)."""
    tau2 = start
    for _ in range(MAX_ITER):
        w = 1.0 / (v + tau2)
        a_inv, xw = _solve(x, w)
        py = w * (y - x @ (a_inv @ (xw @ y)))
        if reml:
            tr_p, tr_pp = trace_p(w, x)
            adj = (float(py @ py) - tr_p) / tr_pp
        else:
            adj = (float(py @ py) - float(np.sum(w))) / float(np.sum(w**2))
        while tau2 + adj < 0:
            adj /= 2
            if abs(adj) < 1e-300:
                adj = -tau2
                break
        tau2 += adj
        if abs(adj) < TAU2_TOL:
            return max(0.0, tau2)
    raise ArithmeticError(f"{'REML' if reml else 'ML'} did not converge in {MAX_ITER} iterations")


def tau2_he(y: np.ndarray, v: np.ndarray, x: np.ndarray) -> float:
    """Hedges' estimator for a model with moderators (metafor's method = "HE"), truncated at 0."""
    k, p = x.shape
    a_inv, xt = _solve(x, np.ones(k))
    resid = y - x @ (a_inv @ (xt @ y))
    # tr(P_ols V) with P_ols = I - X(X'X)^-1X'
    tr = float(np.sum(v) - np.trace(a_inv @ ((x.T * v) @ x)))
    return max(0.0, (float(resid @ resid) - tr) / (k - p))


def tau2_dl(y: np.ndarray, v: np.ndarray, x: np.ndarray) -> float:
    """DerSimonian-Laird generalised to moderators: (QE - (k - p)) / tr(P), truncated at 0."""
    k, p = x.shape
    tr_p, _ = trace_p(1.0 / v, x)
    return max(0.0, (residual_q(0.0, y, v, x) - (k - p)) / tr_p)


def tau2_for(y: np.ndarray, v: np.ndarray, x: np.ndarray, method: str) -> float:
    """tau2 of a model with design x by REML, ML, DL, HE or FE (0); PM/SJ of intercept-only models: evidencekg.meta.pooling."""
    k, p = x.shape
    if method == "FE" or k <= p:
        return 0.0
    if method == "DL":
        return tau2_dl(y, v, x)
    if method == "HE":
        return tau2_he(y, v, x)
    if method in ("REML", "ML"):
        return _fisher_scoring(y, v, x, method == "REML", tau2_he(y, v, x))
    raise InvalidInput(f"method {method!r} is not available with moderators: choose REML, ML, DL, HE or FE")


def fit(
    y: np.ndarray | list[float], v: np.ndarray | list[float], x: np.ndarray | None = None, names: list[str] | None = None,
    method: str = "REML", test: str = "z", level: float = 0.95, tau2: float | None = None,
) -> Fit:
    """Fit rma.uni(yi, vi, mods = x[, without its intercept column], method, test, level); tau2 given: taken as is."""
    from scipy import stats  # loaded on first use: scipy is slow to import

    ya, va = checked(y, v)
    k = len(ya)
    xa = np.ones((k, 1)) if x is None else np.asarray(x, dtype=float)
    names = names or ["intrcpt"] + [f"x{i}" for i in range(1, xa.shape[1])]
    p = xa.shape[1]
    method, test = method.upper(), test.lower()
    if test not in TESTS:
        raise InvalidInput(f"test {test!r}: choose z or knha (Knapp-Hartung)")
    if k < p:
        raise InvalidInput(f"{k} studies cannot fit {p} coefficients")
    t2 = tau2_for(ya, va, xa, method) if tau2 is None else tau2
    w = 1.0 / (va + t2)
    a_inv, xw = _solve(xa, w)
    b = a_inv @ (xw @ ya)
    vb = a_inv
    df: int | None = None
    s2w = 1.0
    if test == "knha":
        rss = float(np.sum(w * (ya - xa @ b) ** 2))
        s2w = 0.0 if rss <= np.finfo(float).eps else rss / (k - p) if k > p else math.nan
        vb = vb * s2w
        df = k - p
    se = np.sqrt(np.diag(vb))
    zval = b / se
    if df is not None:
        pval = 2 * stats.t.sf(np.abs(zval), df) if df > 0 else np.full(p, math.nan)
        crit = float(stats.t.isf((1 - level) / 2, df)) if df > 0 else math.nan
    else:
        pval, crit = 2 * stats.norm.sf(np.abs(zval)), float(stats.norm.isf((1 - level) / 2))
    coefficients = [Coefficient(n, float(bi), float(si), float(zi), float(pi), float(bi - crit * si), float(bi + crit * si))
                    for n, bi, si, zi, pi in zip(names, b, se, zval, pval)]  # fmt: skip
    # residual heterogeneity with fixed-effect weights; I2 from metafor's vt = (k - p) / tr(P)
    if k > p:
        qe = max(0.0, residual_q(0.0, ya, va, xa))
        qe_p = float(stats.chi2.sf(qe, k - p))
        vt = (k - p) / trace_p(1.0 / va, xa)[0]
        if method == "FE":
            i2, h2 = max(0.0, 100 * (qe - (k - p)) / qe) if qe > 0 else 0.0, qe / (k - p)
        else:
            i2, h2 = 100 * t2 / (vt + t2), t2 / vt + 1
    else:
        qe, qe_p, vt, i2, h2 = 0.0, 1.0, 0.0, 0.0, 1.0
    qm: float | None = None
    qm_p: float | None = None
    r2: float | None = None
    m = p - 1
    if m > 0:
        bm = b[1:]
        qm = float(bm @ np.linalg.solve(vb[1:, 1:], bm))
        if df is not None:
            qm /= m
            qm_p = float(stats.f.sf(qm, m, df)) if df > 0 else math.nan
        else:
            qm_p = float(stats.chi2.sf(qm, m))
        if method != "FE":
            tau2_re = tau2_for(ya, va, np.ones((k, 1)), method)
            r2 = 0.0 if tau2_re == 0 else max(0.0, 100 * (tau2_re - t2) / tau2_re)
    return Fit(k, method, test, level, df, coefficients, t2, i2, h2, qe, k - p, qe_p, qm, (m, df), qm_p, r2, vt, s2w, vb)


def q_profile(
    y: np.ndarray, v: np.ndarray, x: np.ndarray | None = None, level: float = 0.95, tau2_max: float | None = None,
) -> tuple[float, float]:
    """Q-profile confidence interval for tau2 (metafor's confint(), type = "QP"), bounded to [0, tau2_max]."""
    from scipy import optimize, stats

    xa = np.ones((len(y), 1)) if x is None else x
    k, p = xa.shape
    if k - p < 1:
        return math.nan, math.nan
    alpha = 1 - level
    crit_u, crit_l = float(stats.chi2.isf(alpha / 2, k - p)), float(stats.chi2.ppf(alpha / 2, k - p))
    upper = tau2_max if tau2_max is not None else 100.0

    def q(t: float) -> float:
        return residual_q(t, y, v, xa)

    def bound(target: float) -> float:
        if q(0.0) < target:
            return 0.0
        if q(upper) > target:
            return upper
        return float(optimize.brentq(lambda t: q(t) - target, 0.0, upper, xtol=1e-12, rtol=1e-12))

    return bound(crit_u), bound(crit_l)
