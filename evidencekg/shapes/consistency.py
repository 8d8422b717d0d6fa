"""statcheck-like consistency of reported estimate, CI and p-value, allowing for the rounding of each."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import cast

import rdflib
from rdflib import Literal, URIRef

from evidencekg.model.namespaces import EKG, PEARSON_R

Bounds = tuple[float, float]


@dataclass(frozen=True)
class Reported:
    """A printed number: its value and the half-width of what rounds to it (0.005 for "0.01")."""

    value: float
    half_step: float

    @property
    def bounds(self) -> Bounds:
        """The values that print as this number."""
        return self.value - self.half_step, self.value + self.half_step


@dataclass(frozen=True)
class ConsistencyResult:
    """The check of one finding: severity "ok", "ok-within-rounding" or "Warning", with the recomputed p."""

    finding: str
    severity: str
    recomputed_p: float
    recomputed_p_range: Bounds
    reported_p: float
    relation: str
    message: str

    @property
    def focus_node(self) -> str:
        """The finding's IRI (the name evidencekg.shapes.validate reads)."""
        return self.finding


def reported(literal: Literal | str | float) -> Reported:
    """A Reported from a literal's lexical form ("-0.09" has 2 printed decimals)."""
    lexical_form = str(literal).strip()
    try:
        exponent = Decimal(lexical_form).as_tuple().exponent
    except InvalidOperation:
        raise ValueError(f"{lexical_form!r} is not a decimal number") from None
    decimals = max(0, -exponent) if isinstance(exponent, int) else 0
    return Reported(float(lexical_form), 0.5 * 10.0**-decimals)


def _scale(value: float, correlation: bool) -> float:
    """Fisher's z for correlations (clamped inside (-1, 1)), the value itself otherwise."""
    if not correlation:
        return value
    return math.atanh(max(-0.999999999, min(0.999999999, value)))


def p_from_ci(estimate: float, lower: float, upper: float, level: float = 0.95, correlation: bool = False) -> float:
    """Two-sided z-test p recomputed from an estimate and its CI (on Fisher's z for correlations)."""
    from scipy import stats  # loaded on first use: scipy is slow to import
    est, lo, up = (_scale(x, correlation) for x in (estimate, lower, upper))
    if up <= lo:
        return math.nan
    se = (up - lo) / (2 * float(stats.norm.ppf(1 - (1 - level) / 2)))
    return float(2 * stats.norm.sf(abs(est) / se))


def p_range(
    estimate: Reported, lower: Reported, upper: Reported, level: float = 0.95, correlation: bool = False
) -> Bounds:
    """The smallest and largest p that values rounding to the reported ones can give.

    p falls as |estimate| grows and as the CI narrows, so the extremes sit at the corners.
    """
    e_lo, e_hi = estimate.bounds
    abs_min = 0.0 if e_lo <= 0 <= e_hi else min(abs(e_lo), abs(e_hi))
    abs_max = max(abs(e_lo), abs(e_hi))
    narrow = (lower.bounds[1], upper.bounds[0])
    wide = (lower.bounds[0], upper.bounds[1])
    p_wide = p_from_ci(abs_min, wide[0], wide[1], level, correlation)
    if narrow[1] <= narrow[0]:
        return 0.0, p_wide
    return p_from_ci(abs_max, narrow[0], narrow[1], level, correlation), p_wide


def _agrees(p_low: float, p_high: float, p: Reported, relation: str) -> bool:
    """Whether some p in [p_low, p_high] is consistent with "p = x" (as rounded) or "p < x"."""
    if relation == "<":
        return p_low < p.value
    lo, hi = p.bounds
    return p_low <= hi and p_high >= lo


def check_values(
    finding: str,
    estimate: Literal | str,
    lower: Literal | str,
    upper: Literal | str,
    p_value: Literal | str,
    relation: str = "=",
    level: float = 0.95,
    correlation: bool = False,
) -> ConsistencyResult:
    """Check one finding given its values as printed (lexical forms decide the rounding)."""
    est, lo, up, p = (reported(x) for x in (estimate, lower, upper, p_value))
    exact = p_from_ci(est.value, lo.value, up.value, level, correlation)
    low, high = p_range(est, lo, up, level, correlation)
    scale = "Fisher's z" if correlation else "the raw scale"
    stated = f"p {relation} {p_value}"
    if _agrees(exact, exact, p, relation):
        severity, why = "ok", f"recomputed p = {exact:.3g} agrees with {stated}"
    elif _agrees(low, high, p, relation):
        severity = "ok-within-rounding"
        why = (
            f"recomputed p = {exact:.3g} does not match {stated} exactly, but values that round to the "
            f"reported ones give p from {low:.3g} to {high:.3g}, which includes it"
        )
    else:
        severity = "Warning"
        why = (
            f"inconsistent: the estimate and CI give p = {exact:.3g} (from {low:.3g} to {high:.3g} "
            f"allowing for rounding), which cannot be {stated}"
        )
    message = f"{why} (z-test on {scale}, SE from the {level:.0%} CI width)"
    return ConsistencyResult(finding, severity, exact, (low, high), p.value, relation, message)


def _checkable(graph: rdflib.Graph) -> Iterator[URIRef]:
    """Findings with an estimate, both CI limits and a p-value."""
    for finding in sorted(set(graph.subjects(EKG.pValue, None))):  # type: ignore[type-var]  # rdflib terms are ordered
        if all(graph.value(finding, prop) is not None for prop in (EKG.estimate, EKG.ciLower, EKG.ciUpper)):
            yield finding  # type: ignore[misc]


def check_finding(graph: rdflib.Graph, finding: URIRef | str) -> ConsistencyResult | None:
    """Check one finding of a graph (None when it lacks an estimate, a CI or a p-value)."""
    node = URIRef(str(finding))
    values = [graph.value(node, prop) for prop in (EKG.estimate, EKG.ciLower, EKG.ciUpper, EKG.pValue)]
    if any(v is None for v in values):
        return None
    level_literal = graph.value(node, EKG.confidenceLevel)
    relation = graph.value(node, EKG.pValueRelation)
    correlation = (node, EKG.effectSizeMeasure, PEARSON_R) in graph
    return check_values(  # type: ignore[misc]  # *values is the four terms, not the keywords
        str(node), *values,  # type: ignore[arg-type]
        relation=str(relation) if relation is not None else "=",
        level=float(cast(Literal, level_literal)) if level_literal is not None else 0.95,
        correlation=correlation,
    )  # fmt: skip


def check_graph(graph: rdflib.Graph) -> list[ConsistencyResult]:
    """Check every finding in a graph that has an estimate, a CI and a p-value (sorted by IRI)."""
    results = [check_finding(graph, f) for f in _checkable(graph)]
    return [r for r in results if r is not None]
