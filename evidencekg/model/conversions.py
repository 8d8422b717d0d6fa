"""Effect-size conversions kept side by side with a finding (ekg:EffectSizeExpression): g, d, r and log odds/risk ratios.

Formulas as in Borenstein, Hedges, Higgins & Rothstein (2009), Introduction to Meta-Analysis,
chapters 4 and 7. Each returns the estimate and its variance; CONVERSION_METHODS holds the
text an ekg:conversionMethod states for each, and MEASURES the STATO IRI of each measure.
"""

from __future__ import annotations

import math

from evidencekg.model.namespaces import HEDGES_G, PEARSON_R, RELATIVE_RISK, STANDARDIZED_MEAN_DIFFERENCE

MEASURES = {"g": HEDGES_G, "d": STANDARDIZED_MEAN_DIFFERENCE, "r": PEARSON_R, "log_rr": RELATIVE_RISK}
CONVERSION_METHODS = {
    "d_from_g": "d = g / J, J = 1 - 3 / (4 (n1 + n2 - 2) - 1); var(d) = var(g) / J^2",
    "r_from_d": "r = d / sqrt(d^2 + a), a = (n1 + n2)^2 / (n1 n2); var(r) = a^2 var(d) / (d^2 + a)^3",
    "d_from_log_or": "d = ln(OR) sqrt(3) / pi; var(d) = var(ln OR) 3 / pi^2",
}


def small_sample_correction(n1: int, n2: int) -> float:
    """Hedges' J for two groups: 1 - 3 / (4 df - 1), df = n1 + n2 - 2.

    >>> round(small_sample_correction(20, 20), 4)
    0.9801
    """
    if n1 < 2 or n2 < 2:
        raise ValueError(f"each group needs at least 2 participants (got {n1} and {n2})")
    return 1 - 3 / (4 * (n1 + n2 - 2) - 1)


def d_from_g(g: float, var_g: float, n1: int, n2: int) -> tuple[float, float]:
    """Cohen's d and its variance from Hedges' g (undoing the small-sample correction).

    >>> [round(x, 4) for x in d_from_g(0.49, 0.0396, 20, 20)]
    [0.4999, 0.0412]
    """
    j = small_sample_correction(n1, n2)
    return g / j, var_g / j**2


def r_from_d(d: float, var_d: float, n1: int, n2: int) -> tuple[float, float]:
    """The point-biserial r and its variance from d (Borenstein et al. 2009, eq. 7.5-7.6).

    >>> [round(x, 4) for x in r_from_d(0.5, 0.0416, 50, 50)]
    [0.2425, 0.0087]
    """
    a = (n1 + n2) ** 2 / (n1 * n2)
    return d / math.sqrt(d**2 + a), a**2 * var_d / (d**2 + a) ** 3


def d_from_log_odds_ratio(log_or: float, var_log_or: float) -> tuple[float, float]:
    """d and its variance from a log odds ratio (the logistic-distribution method, eq. 7.1-7.2).

    >>> [round(x, 4) for x in d_from_log_odds_ratio(0.9069, 0.0676)]
    [0.5, 0.0205]
    """
    return log_or * math.sqrt(3) / math.pi, var_log_or * 3 / math.pi**2
