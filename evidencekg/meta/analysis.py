"""One meta-analysis as the web page, the CLI and the API ask for it: choices in, every result and view out.

`analyse(store, choices)` is the seam: new options go into `Choices`, new results into `Analysis`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from evidencekg import __version__
from evidencekg.errors import InvalidInput
from evidencekg.meta.choices import labels
from evidencekg.meta.extended import Extended, extended
from evidencekg.meta.models import TESTS
from evidencekg.meta.pairs import (
    DEFAULT_AGGREGATE,
    DEFAULT_RHO,
    DEFAULT_WEIGHTED,
    Aggregation,
    PairPool,
    Where,
    parse_where,
    pool_pair,
    where_text,
)
from evidencekg.meta.pooling import METHODS, summary
from evidencekg.meta.sensitivity import Step, cumulative, leave_one_out
from evidencekg.model.measures import measure_name
from evidencekg.store.protocol import Store


@dataclass(frozen=True)
class Choices:
    """What was asked: A and B (any name the resolver takes), the tau2 estimator, the CI level, study filters."""

    a: str
    b: str
    method: str = "REML"
    level: float = 0.95
    where: Where = ()
    test: str = "z"
    aggregation: Aggregation = field(default_factory=Aggregation)
    by: str | None = None  # subgroups by this study characteristic
    mods: tuple[str, ...] = ()  # meta-regression on these study characteristics

    @classmethod
    def parse(
        cls, a: str, b: str, method: str = "REML", level: float = 0.95, where: list[str] | tuple[str, ...] = (), test: str = "z",
        aggregate: str = DEFAULT_AGGREGATE, rho: float = DEFAULT_RHO, weighted: bool = DEFAULT_WEIGHTED,
        by: str | None = None, mods: str | Sequence[str] = (),
    ) -> Choices:
        """Checked choices from request or command-line values; empty filters are ignored."""
        if test not in TESTS:
            raise InvalidInput(f"test {test!r}: choose z or knha (Knapp-Hartung)")
        if method.upper() not in METHODS:
            raise InvalidInput(f"method {method!r}: choose one of {', '.join(METHODS)}")
        if not 0.5 <= level < 1:
            raise InvalidInput(f"level {level}: choose a confidence level between 0.5 and 1")
        names = [m.strip() for m in (mods.split(",") if isinstance(mods, str) else mods) if m.strip()]
        return cls(a.strip(), b.strip(), method.upper(), level, parse_where([w for w in where if w.strip()]), test,
                   Aggregation.parse(aggregate, rho, weighted), (by or "").strip() or None, tuple(names))  # fmt: skip

    def params(self) -> list[tuple[str, str]]:
        """The choices as URL query parameters (what makes a result shareable)."""
        out = [("a", self.a), ("b", self.b), ("method", self.method)]
        if self.level != 0.95:
            out.append(("level", f"{self.level:g}"))
        if self.test != "z":
            out.append(("test", self.test))
        if self.aggregation != Aggregation():
            out += [("aggregate", self.aggregation.by), ("rho", f"{self.aggregation.rho:g}"),
                    ("weighted", "true" if self.aggregation.weighted else "false")]  # fmt: skip
        if self.by:
            out.append(("by", self.by))
        if self.mods:
            out.append(("mods", ",".join(self.mods)))
        return out + [("where", f"{name}{op}{value}") for name, op, value in self.where]


@dataclass
class Analysis:
    """A pooled pair with its names, weights and sensitivity views."""

    choices: Choices
    pair: PairPool
    names: tuple[str, str]  # the labels of A and B
    leave_one_out: list[Step] = field(default_factory=list)
    cumulative: list[Step] = field(default_factory=list)
    more: Extended | None = None  # bias, influence, outliers removed, three-level, subgroups, meta-regression

    def as_json(self) -> dict[str, object]:
        """The whole analysis as one object (keys as metafor names them; docs/meta-analysis.md lists them)."""
        out: dict[str, object] = {"choices": dict(self.choices.params()), "title": self.title, **self.pair.as_json()}
        out["leave_one_out"] = [{"study": s.label, **summary(s.pooled, self.pair.scale)} for s in self.leave_one_out]
        out["cumulative"] = [{"study": s.label, **summary(s.pooled, self.pair.scale)} for s in self.cumulative]
        if self.more is not None:
            out |= self.more.as_json(self.pair)
        out["software"] = {"evidencekg": __version__, "conventions": "metafor 3.8 rma(), rma.mv(), aggregate()"}
        return out

    @property
    def title(self) -> str:
        """"CBT vs waitlist" (labels, never slugs), with the filters when any."""
        only = f" ({where_text(self.pair.where)})" if self.pair.where else ""
        joiner = " vs " if self.pair.kind == "comparison" else " and "
        return f"{self.names[0]}{joiner}{self.names[1]}{only}"

    @property
    def measure(self) -> str:
        """The effect size measure's name (Hedges' g, Pearson's r)."""
        return measure_name(self.pair.measure)

    def back(self, value: float) -> float:
        """A value on the pooling scale as shown: r from Fisher's z, other effects as they are."""
        return math.tanh(value) if self.pair.scale == "r" else value

    def weights(self) -> list[float]:
        """Each study's share of the model's inverse-variance weight, 1 / (v + tau2), summing to 1."""
        tau2 = self.pair.pooled.tau2
        raw = [1 / (s.v + tau2) for s in self.pair.studies]
        total = sum(raw)
        return [w / total for w in raw]

    def study_interval(self, y: float, v: float) -> tuple[float, float, float]:
        """(estimate, lower, upper) of one study at the chosen level, as shown."""
        crit = (self.pair.pooled.ci_upper - self.pair.pooled.estimate) / self.pair.pooled.se
        half = crit * math.sqrt(v)
        return self.back(y), self.back(y - half), self.back(y + half)

    @property
    def favours(self) -> tuple[str, str] | None:
        """("favours B", "favours A") for a trial comparison (positive effects favour the intervention)."""
        if self.pair.kind != "comparison":
            return None
        return f"favours {self.names[1]}", f"favours {self.names[0]}"


def analyse(store: Store, choices: Choices, sensitivity: bool = True, more: bool = False) -> Analysis:
    """Pool the chosen pair (one effect per study), name it, and re-pool leaving one out and cumulatively by year."""
    pair = pool_pair(store, choices.a, choices.b, choices.method, choices.level, choices.where, choices.test, choices.aggregation)
    names = labels(store, [pair.a, pair.b])
    result = Analysis(choices, pair, (names[pair.a], names[pair.b]))
    studies = pair.studies
    if sensitivity and len(studies) > 1:
        ids, ys, vs = [s.label for s in studies], [s.y for s in studies], [s.v for s in studies]
        result.leave_one_out = leave_one_out(ids, ys, vs, choices.method, choices.level, choices.test)
        result.cumulative = cumulative(ids, [s.year for s in studies], ys, vs, choices.method, choices.level, choices.test)
    if more or choices.by or choices.mods:
        result.more = extended(store, pair, choices.by, choices.mods)
    return result
