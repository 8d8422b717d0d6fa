"""Sensitivity of a pooled estimate: leave-one-out and cumulative (by year) re-pooling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evidencekg.errors import InvalidInput
from evidencekg.meta.pooling import Pooled, pool


@dataclass(frozen=True)
class Step:
    """One re-pooling: which study was left out (or added last) and the result."""

    label: str
    pooled: Pooled


def leave_one_out(labels: Sequence[str], yi: Sequence[float], vi: Sequence[float], method: str = "REML", level: float = 0.95, test: str = "z") -> list[Step]:
    """Pool k times, each time without one study (needs k >= 2), like metafor's leave1out()."""
    if len(yi) < 2:
        raise InvalidInput("leave-one-out needs at least two studies")
    steps = []
    for i, label in enumerate(labels):
        keep = [j for j in range(len(yi)) if j != i]
        steps.append(Step(label, pool([yi[j] for j in keep], [vi[j] for j in keep], method, level, test if len(keep) > 1 else "z")))
    return steps


def cumulative(
    labels: Sequence[str], years: Sequence[int | None], yi: Sequence[float], vi: Sequence[float],
    method: str = "REML", level: float = 0.95, test: str = "z",
) -> list[Step]:
    """Pool the first 1, 2, ... k studies in order of year (unknown years last), like metafor's cumul()."""
    order = sorted(range(len(yi)), key=lambda i: (years[i] is None, years[i] or 0, i))
    return [
        Step(labels[i], pool([yi[j] for j in order[: n + 1]], [vi[j] for j in order[: n + 1]], method, level, test if n > 0 else "z"))
        for n, i in enumerate(order)
    ]  # fmt: skip
