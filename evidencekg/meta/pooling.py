"""Random- and fixed-effects pooling with metafor's rma() conventions (estimators, I2, Q, intervals)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from evidencekg.errors import InvalidInput

METHODS: tuple[str, ...] = ("REML", "DL", "PM", "FE", "ML", "HE", "SJ")
Scale = Literal["r", "raw"]

_REML_TOL = 1e-10  # metafor stops at 1e-5; a tighter stop lands on the same optimum
_MAX_ITER = 1000


@dataclass(frozen=True)
class Pooled:
    """One pooled estimate with its heterogeneity, on the scale the effects were pooled on."""

    k: int
    method: str
    level: float
    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    zval: float
    pval: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_lower: float
    pi_upper: float


def _arrays(yi: np.ndarray | list[float], vi: np.ndarray | list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Effects and variances as float arrays, checked for length, finiteness and positivity."""
    y, v = np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)
    if y.ndim != 1 or y.shape != v.shape or len(y) == 0:
        raise InvalidInput("need one or more effects with one sampling variance each")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise InvalidInput("effects must be finite and sampling variances finite and > 0")
    return y, v


def q_statistic(y: np.ndarray, v: np.ndarray) -> float:
    """Cochran's Q from fixed-effect (inverse-variance) weights."""
    w = 1.0 / v
    mu = float(np.sum(w * y) / np.sum(w))
    return float(np.sum(w * (y - mu) ** 2))


def typical_variance(v: np.ndarray) -> float:
    """metafor's typical within-study variance s2 = (k-1) sum(w) / (sum(w)^2 - sum(w^2))."""
    w = 1.0 / v
    return (len(v) - 1) * float(np.sum(w)) / (float(np.sum(w)) ** 2 - float(np.sum(w**2)))


def _generalised_q(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    """Q with weights 1/(v + tau2) (the Paule-Mandel estimating function)."""
    return q_statistic(y, v + tau2)


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / v
    c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    return max(0.0, (q_statistic(y, v) - (len(y) - 1)) / c)


def _tau2_he(y: np.ndarray, v: np.ndarray) -> float:
    return max(0.0, float(np.var(y, ddof=1) - np.mean(v)))


def _tau2_sj(y: np.ndarray, v: np.ndarray) -> float:
    tau0 = float(np.var(y, ddof=0))
    if tau0 == 0.0:
        return 0.0
    return tau0 * _generalised_q(tau0, y, v) / (len(y) - 1)


def _tau2_pm(y: np.ndarray, v: np.ndarray) -> float:
    from scipy import optimize  # loaded on first use: scipy is slow to import
    df = len(y) - 1
    if _generalised_q(0.0, y, v) <= df:
        return 0.0
    upper = max(1.0, float(np.var(y, ddof=1)) * 10)
    while _generalised_q(upper, y, v) > df:
        upper *= 10
    return float(optimize.brentq(lambda t: _generalised_q(t, y, v) - df, 0.0, upper, xtol=1e-14, rtol=1e-14))


def _tau2_fisher_scoring(y: np.ndarray, v: np.ndarray, reml: bool) -> float:
    """ML/REML by Fisher scoring from the HE start, step-halving to stay >= 0 (as metafor)."""
    tau2 = _tau2_he(y, v)
    for _ in range(_MAX_ITER):
        w = 1.0 / (v + tau2)
        mu = float(np.sum(w * y) / np.sum(w))
        resid = y - mu
        if reml:
            # P = W - w w' / sum(w); adj = (y'PPy - tr P) / tr(PP)
            p_mat = np.diag(w) - np.outer(w, w) / np.sum(w)
            py = p_mat @ y
            adj = (float(py @ py) - float(np.trace(p_mat))) / float(np.sum(p_mat * p_mat))
        else:
            adj = (float(np.sum(w**2 * resid**2)) - float(np.sum(w))) / float(np.sum(w**2))
        while tau2 + adj < 0:
            adj /= 2
            if abs(adj) < 1e-300:
                adj = -tau2
                break
        tau2 += adj
        if abs(adj) < _REML_TOL:
            return max(0.0, tau2)
    raise ArithmeticError(f"{'REML' if reml else 'ML'} did not converge in {_MAX_ITER} iterations")


def tau2_estimate(yi: np.ndarray | list[float], vi: np.ndarray | list[float], method: str = "REML") -> float:
    """Between-study variance by the named estimator (metafor's definitions, truncated at 0)."""
    y, v = _arrays(yi, vi)
    method = method.upper()
    if method not in METHODS:
        raise InvalidInput(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if method == "FE" or len(y) == 1:
        return 0.0
    return {
        "DL": _tau2_dl,
        "HE": _tau2_he,
        "SJ": _tau2_sj,
        "PM": _tau2_pm,
        "REML": lambda a, b: _tau2_fisher_scoring(a, b, reml=True),
        "ML": lambda a, b: _tau2_fisher_scoring(a, b, reml=False),
    }[method](y, v)


def pool(yi: np.ndarray | list[float], vi: np.ndarray | list[float], method: str = "REML", level: float = 0.95) -> Pooled:
    """Pool effects with sampling variances like metafor::rma(yi, vi, method=method, level=level)."""
    from scipy import stats  # loaded on first use: scipy is slow to import
    if not 0 < level < 1:
        raise InvalidInput(f"level must be between 0 and 1, got {level}")
    y, v = _arrays(yi, vi)
    method = method.upper()
    tau2 = tau2_estimate(y, v, method)
    k = len(y)
    w = 1.0 / (v + tau2)
    estimate = float(np.sum(w * y) / np.sum(w))
    se = math.sqrt(1.0 / float(np.sum(w)))
    crit = float(stats.norm.ppf(1 - (1 - level) / 2))
    zval = estimate / se
    q = q_statistic(y, v) if k > 1 else 0.0
    df = k - 1
    if k == 1:
        i2, h2, q_p = 0.0, 1.0, 1.0
    elif method == "FE":
        i2 = max(0.0, (q - df) / q) * 100 if q > 0 else 0.0
        h2 = q / df
        q_p = float(stats.chi2.sf(q, df))
    else:
        s2 = typical_variance(v)
        i2, h2 = 100 * tau2 / (tau2 + s2), (tau2 + s2) / s2
        q_p = float(stats.chi2.sf(q, df))
    pi_half = crit * math.sqrt(tau2 + se**2)
    return Pooled(
        k=k, method=method, level=level, estimate=estimate, se=se,
        ci_lower=estimate - crit * se, ci_upper=estimate + crit * se,
        zval=zval, pval=float(2 * stats.norm.sf(abs(zval))),
        tau2=tau2, i2=i2, h2=h2, q=q, q_df=df, q_p=q_p,
        pi_lower=estimate - pi_half, pi_upper=estimate + pi_half,
    )  # fmt: skip


def fisher_z(r: float, n: float) -> tuple[float, float]:
    """Fisher's z of a correlation and its sampling variance 1/(n-3)."""
    return math.atanh(r), 1.0 / (n - 3)


def pool_correlations(r: list[float], n: list[float], method: str = "REML", level: float = 0.95) -> Pooled:
    """Pool correlations on the Fisher-z scale (estimates stay on z; see correlation_summary)."""
    zs = [fisher_z(ri, ni) for ri, ni in zip(r, n)]
    return pool([z for z, _ in zs], [v for _, v in zs], method, level)


def _clean(value: float) -> float | None:
    """JSON-safe number: None for NaN or infinity."""
    return value if math.isfinite(value) else None


def correlation_summary(p: Pooled) -> dict[str, object]:
    """The `meta pool` JSON for correlations: r values back-transformed, z and se on Fisher's z."""
    tanh = math.tanh
    return {
        "k": p.k, "method": p.method, "r": tanh(p.estimate),
        "r_ci_lower": tanh(p.ci_lower), "r_ci_upper": tanh(p.ci_upper),
        "z": p.estimate, "se": p.se, "tau2": p.tau2, "i2": p.i2,
        "q": p.q, "q_df": p.q_df, "q_p": _clean(p.q_p),
        "r_pi_lower": tanh(p.pi_lower), "r_pi_upper": tanh(p.pi_upper),
    }  # fmt: skip


def effect_summary(p: Pooled) -> dict[str, object]:
    """The `meta pool` JSON for effects given with their variance or SE, on the effect's own scale."""
    return {
        "k": p.k, "method": p.method, "estimate": p.estimate, "se": p.se,
        "ci_lower": p.ci_lower, "ci_upper": p.ci_upper, "tau2": p.tau2, "i2": p.i2,
        "q": p.q, "q_df": p.q_df, "q_p": _clean(p.q_p),
        "pi_lower": p.pi_lower, "pi_upper": p.pi_upper,
    }  # fmt: skip


def summary(p: Pooled, scale: Scale) -> dict[str, object]:
    """The JSON object for a pooled result on its scale ("r": correlations, "raw": anything else)."""
    return correlation_summary(p) if scale == "r" else effect_summary(p)
