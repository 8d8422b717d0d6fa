"""Moderators: meta-regression (metafor's rma(yi, vi, mods = ~ a + b)) and subgroup analysis (per-level fits, Q-between)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from evidencekg.errors import InvalidInput
from evidencekg.meta.models import Fit, fit
from evidencekg.meta.pooling import Pooled, effect_summary, pool


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ".")) if text.strip() else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Design:
    """A model matrix with metafor's column names: `intrcpt`, a numeric moderator by its name, a level as NAMElevel."""

    x: np.ndarray
    names: list[str]
    keep: list[int]  # the rows used (a row with any moderator missing is left out, as metafor's na.omit)
    kinds: dict[str, str]  # moderator -> "numeric" | "categorical"


def design(columns: Mapping[str, Sequence[str]]) -> Design:
    """The model matrix of moderators given as text cells ("" = missing).

    A moderator whose every given value is a number is numeric; any other is categorical, coded
    like an R character column in a formula: its levels sorted, the first the reference, one
    dummy column per other level named moderator + level (`formatind`).
    """
    if not columns:
        raise InvalidInput("name at least one moderator column")
    k = len(next(iter(columns.values())))
    keep = [i for i in range(k) if all(values[i].strip() not in ("", "NA") for values in columns.values())]
    if not keep:
        raise InvalidInput("no row has a value for every moderator")
    blocks, names, kinds = [np.ones((len(keep), 1))], ["intrcpt"], {}
    for name, values in columns.items():
        cells = [values[i].strip() for i in keep]
        numbers = [_number(c) for c in cells]
        if all(n is not None for n in numbers):
            blocks.append(np.array(numbers, dtype=float).reshape(-1, 1))
            names.append(name)
            kinds[name] = "numeric"
            continue
        levels = sorted(set(cells))
        if len(levels) < 2:
            raise InvalidInput(f"moderator {name!r} has one value ({levels[0]!r}) in the rows used: nothing to compare")
        blocks.append(np.array([[1.0 if c == level else 0.0 for level in levels[1:]] for c in cells]))
        names += [f"{name}{level}" for level in levels[1:]]
        kinds[name] = "categorical"
    return Design(np.hstack(blocks), names, keep, kinds)


@dataclass(frozen=True)
class MetaRegression:
    """rma(yi, vi, mods = ...): the fit, which rows were used, and what the moderators were."""

    fit: Fit
    moderators: list[str]
    kinds: dict[str, str]
    used: list[str]
    dropped: list[str]  # labels of rows left out for a missing moderator

    def as_json(self) -> dict[str, object]:
        """metafor's names: coefficients (intrcpt first), qm, qm_df, qm_p, qe, qe_df, qe_p, tau2, i2, h2, r2 (percent)."""
        f = self.fit
        return {
            "k": f.k, "method": f.method, "test": f.test, "moderators": self.moderators, "moderator_kinds": self.kinds,
            "coefficients": [c.as_json() for c in f.coefficients],
            "qm": f.qm, "qm_df": list(f.qm_df), "qm_p": f.qm_p, "qe": f.qe, "qe_df": f.qe_df, "qe_p": f.qe_p,
            "tau2": f.tau2, "i2": f.i2, "h2": f.h2, "r2": f.r2, "dropped": self.dropped,
        }  # fmt: skip


def meta_regression(
    labels: Sequence[str], yi: Sequence[float], vi: Sequence[float], columns: Mapping[str, Sequence[str]],
    method: str = "REML", test: str = "z", level: float = 0.95,
) -> MetaRegression:
    """Fit a mixed-effects meta-regression on the named moderator columns (text cells, one per study)."""
    d = design(columns)
    y, v = np.asarray(yi, dtype=float)[d.keep], np.asarray(vi, dtype=float)[d.keep]
    model = fit(y, v, d.x, d.names, method, test, level)
    kept = set(d.keep)
    return MetaRegression(model, list(columns), d.kinds, [labels[i] for i in d.keep],
                          [labels[i] for i in range(len(labels)) if i not in kept])  # fmt: skip


@dataclass(frozen=True)
class Subgroup:
    """One level of the characteristic: its studies and their own pooled estimate (own tau2)."""

    value: str
    labels: list[str]
    pooled: Pooled


@dataclass(frozen=True)
class Subgroups:
    """Per-level fits and two tests of difference between levels.

    qm: the omnibus test of rma(yi, vi, mods = ~ factor(by)) (one tau2 shared by all levels);
    q_between: Cochran's Q over the levels' own estimates (each level its own tau2; the
    `meta` / metapsyTools default), a chi-square test with (levels - 1) df.
    """

    by: str
    groups: list[Subgroup]
    regression: MetaRegression
    q_between: float
    q_between_df: int
    q_between_p: float
    dropped: list[str]

    def as_json(self, summary: object = None) -> dict[str, object]:
        """Each level's pooled summary (via `summary(pooled)` when given) and the tests."""
        show = summary if callable(summary) else effect_summary
        f = self.regression.fit
        return {
            "by": self.by,
            "groups": [{"value": g.value, "studies": g.labels, **show(g.pooled)} for g in self.groups],
            "qm": f.qm, "qm_df": list(f.qm_df), "qm_p": f.qm_p, "tau2_common": f.tau2,
            "q_between": self.q_between, "q_between_df": self.q_between_df, "q_between_p": self.q_between_p,
            "dropped": self.dropped,
        }  # fmt: skip


def subgroups(
    labels: Sequence[str], yi: Sequence[float], vi: Sequence[float], values: Sequence[str], by: str,
    method: str = "REML", test: str = "z", level: float = 0.95,
) -> Subgroups:
    """Pool each level of a characteristic separately and test whether the levels differ."""
    from scipy import stats

    cells = [str(x).strip() for x in values]
    regression = _factor_regression(labels, yi, vi, cells, by, method, test, level)
    groups = []
    for value in _levels(cells):
        idx = [i for i, c in enumerate(cells) if c == value]
        group_test = test if len(idx) > 1 else "z"
        groups.append(Subgroup(value, [labels[i] for i in idx],
                               pool([yi[i] for i in idx], [vi[i] for i in idx], method, level, group_test)))  # fmt: skip
    est = np.array([g.pooled.estimate for g in groups])
    w = 1 / np.array([g.pooled.se for g in groups]) ** 2
    q = float(np.sum(w * (est - np.sum(w * est) / np.sum(w)) ** 2))
    df = len(groups) - 1
    return Subgroups(by, groups, regression, q, df, float(stats.chi2.sf(q, df)), regression.dropped)


def _levels(cells: Sequence[str]) -> list[str]:
    """The distinct given values in R's factor order: numerically when all are numbers, else as text."""
    given = {c for c in cells if c not in ("", "NA")}
    if all(_number(c) is not None for c in given):
        return sorted(given, key=lambda c: (_number(c), c))
    return sorted(given)


def _factor_regression(
    labels: Sequence[str], yi: Sequence[float], vi: Sequence[float], cells: list[str], by: str,
    method: str, test: str, level: float,
) -> MetaRegression:
    """rma(mods = ~ factor(by)): every value a level, numbers included."""
    keep = [i for i, c in enumerate(cells) if c not in ("", "NA")]
    levels = _levels(cells)
    if len(levels) < 2:
        raise InvalidInput(f"{by!r} has {len(levels)} value(s) among these studies: subgroups need at least two")
    x = np.array([[1.0] + [1.0 if cells[i] == lv else 0.0 for lv in levels[1:]] for i in keep])
    names = ["intrcpt"] + [f"factor({by}){lv}" for lv in levels[1:]]
    y, v = np.asarray(yi, dtype=float)[keep], np.asarray(vi, dtype=float)[keep]
    model = fit(y, v, x, names, method, test, level)
    kept = set(keep)
    return MetaRegression(model, [by], {by: "categorical"}, [labels[i] for i in keep],
                          [labels[i] for i in range(len(labels)) if i not in kept])  # fmt: skip
