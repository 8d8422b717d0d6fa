"""Random- and fixed-effects pooling with metafor's rma() conventions (estimators, I2, Q, intervals)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from evidencekg.errors import InvalidInput
from evidencekg.meta.models import TESTS, checked, fit, q_profile, tau2_for

METHODS: tuple[str, ...] = ("REML", "DL", "PM", "FE", "ML", "HE", "SJ")
Scale = Literal["r", "raw"]



@dataclass(frozen=True)
class Pooled:
    """One pooled estimate with its heterogeneity, on the scale the effects were pooled on.

    Under test = "knha" (Knapp-Hartung) se is rescaled, zval is a t value with df = k - 1 degrees of
    freedom and the CI and prediction interval use t quantiles, as metafor's rma(..., test = "knha").
    A fixed-effect model has no prediction interval (None), as metafor prints none.
    """

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
    pi_lower: float | None
    pi_upper: float | None
    test: str = "z"
    df: int | None = None
    tau2_ci: tuple[float, float] | None = None  # Q-profile (metafor's confint()); None when not asked or k < 2
    i2_ci: tuple[float, float] | None = None
    h2_ci: tuple[float, float] | None = None


_arrays = checked


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
        "REML": lambda a, b: tau2_for(a, b, np.ones((len(a), 1)), "REML"),
        "ML": lambda a, b: tau2_for(a, b, np.ones((len(a), 1)), "ML"),
    }[method](y, v)


def pool(
    yi: np.ndarray | list[float], vi: np.ndarray | list[float], method: str = "REML", level: float = 0.95,
    test: str = "z", confint: bool = False,
) -> Pooled:
    """Pool effects with sampling variances like metafor::rma(yi, vi, method, level, test).

    `confint` adds Q-profile intervals for tau2, I2 and H2 (metafor's confint(), type "QP").
    """
    if not 0 < level < 1:
        raise InvalidInput(f"level must be between 0 and 1, got {level}")
    if test.lower() not in TESTS:
        raise InvalidInput(f"test {test!r}: choose z or knha (Knapp-Hartung)")
    y, v = _arrays(yi, vi)
    method = method.upper()
    tau2 = tau2_estimate(y, v, method)
    k = len(y)
    if k == 1 and test.lower() == "knha":
        raise InvalidInput("the Knapp-Hartung test needs at least two studies (its t test has k - 1 degrees of freedom)")
    model = fit(y, v, None, ["intrcpt"], method, test, level, tau2=tau2)
    c = model.coefficients[0]
    if k == 1:
        i2, h2, q, q_p = 0.0, 1.0, 0.0, 1.0
    else:
        i2, h2, q, q_p = model.i2, model.h2, model.qe, model.qe_p
    pi_lower = pi_upper = None
    if method != "FE":
        crit = (c.ci_upper - c.estimate) / c.se if c.se > 0 else 0.0
        pi_half = crit * math.sqrt(tau2 + c.se**2)
        pi_lower, pi_upper = c.estimate - pi_half, c.estimate + pi_half
    tau2_ci = i2_ci = h2_ci = None
    if confint and k > 1 and method != "FE":
        tau2_ci = q_profile(y, v, None, level, max(100.0, 10 * tau2))
        vt = model.vt
        i2_ci = (100 * tau2_ci[0] / (vt + tau2_ci[0]), 100 * tau2_ci[1] / (vt + tau2_ci[1]))
        h2_ci = (tau2_ci[0] / vt + 1, tau2_ci[1] / vt + 1)
    return Pooled(
        k=k, method=method, level=level, estimate=c.estimate, se=c.se,
        ci_lower=c.ci_lower, ci_upper=c.ci_upper, zval=c.zval, pval=c.pval,
        tau2=tau2, i2=i2, h2=h2, q=q, q_df=k - 1, q_p=q_p, pi_lower=pi_lower, pi_upper=pi_upper,
        test=model.test, df=model.df, tau2_ci=tau2_ci, i2_ci=i2_ci, h2_ci=h2_ci,
    )  # fmt: skip


def fisher_z(r: float, n: float) -> tuple[float, float]:
    """Fisher's z of a correlation and its sampling variance 1/(n-3)."""
    return math.atanh(r), 1.0 / (n - 3)


def pool_correlations(
    r: list[float], n: list[float], method: str = "REML", level: float = 0.95, test: str = "z", confint: bool = False,
) -> Pooled:
    """Pool correlations on the Fisher-z scale (estimates stay on z; see correlation_summary)."""
    zs = [fisher_z(ri, ni) for ri, ni in zip(r, n)]
    return pool([z for z, _ in zs], [v for _, v in zs], method, level, test, confint)


def _clean(value: float) -> float | None:
    """JSON-safe number: None for NaN or infinity."""
    return value if math.isfinite(value) else None


def _extra(p: Pooled, back: Callable[[float], float] | None = None) -> dict[str, object]:
    """The keys every `meta pool` JSON adds after today's: the test, the estimate's p, z-scale intervals, tau2/I2 CIs."""
    out: dict[str, object] = {"test": p.test, "df": p.df, "zval": p.zval, "pval": p.pval}
    if back is not None:  # correlations: the intervals on Fisher's z too
        out |= {"z_ci_lower": p.ci_lower, "z_ci_upper": p.ci_upper, "z_pi_lower": p.pi_lower, "z_pi_upper": p.pi_upper}
    out["h2"] = p.h2
    for name, ci in (("tau2", p.tau2_ci), ("i2", p.i2_ci), ("h2", p.h2_ci)):
        out[f"{name}_ci_lower"], out[f"{name}_ci_upper"] = ci if ci is not None else (None, None)
    return out


def _opt(f: Callable[[float], float], value: float | None) -> float | None:
    return None if value is None else f(value)


def correlation_summary(p: Pooled) -> dict[str, object]:
    """The `meta pool` JSON for correlations: r values back-transformed, z and se on Fisher's z."""
    tanh = math.tanh
    return {
        "k": p.k, "method": p.method, "r": tanh(p.estimate),
        "r_ci_lower": tanh(p.ci_lower), "r_ci_upper": tanh(p.ci_upper),
        "z": p.estimate, "se": p.se, "tau2": p.tau2, "i2": p.i2,
        "q": p.q, "q_df": p.q_df, "q_p": _clean(p.q_p),
        "r_pi_lower": _opt(tanh, p.pi_lower), "r_pi_upper": _opt(tanh, p.pi_upper),
        **_extra(p, tanh),
    }  # fmt: skip


def effect_summary(p: Pooled) -> dict[str, object]:
    """The `meta pool` JSON for effects given with their variance or SE, on the effect's own scale."""
    return {
        "k": p.k, "method": p.method, "estimate": p.estimate, "se": p.se,
        "ci_lower": p.ci_lower, "ci_upper": p.ci_upper, "tau2": p.tau2, "i2": p.i2,
        "q": p.q, "q_df": p.q_df, "q_p": _clean(p.q_p),
        "pi_lower": p.pi_lower, "pi_upper": p.pi_upper,
        **_extra(p),
    }  # fmt: skip


def summary(p: Pooled, scale: Scale) -> dict[str, object]:
    """The JSON object for a pooled result on its scale ("r": correlations, "raw": anything else)."""
    return correlation_summary(p) if scale == "r" else effect_summary(p)
