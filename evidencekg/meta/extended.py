"""The analyses of a Metapsy-style report beyond the main estimate, for one pooled pair: bias, influence, three-level."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evidencekg.errors import InvalidInput
from evidencekg.meta.bias import Bias, bias
from evidencekg.meta.influence import OutliersRemoved, StudyInfluence, influence, influence_json, outliers_removed
from evidencekg.meta.moderators import MetaRegression, Subgroups
from evidencekg.meta.multilevel import ThreeLevel, robust, three_level
from evidencekg.meta.pairs import PairPool
from evidencekg.meta.pooling import summary
from evidencekg.meta.studies import pair_regression, pair_subgroups
from evidencekg.store.protocol import Store


@dataclass(frozen=True)
class Extended:
    """Small-study checks, influence and outliers, the three-level model (with robust SEs), subgroups and meta-regression."""

    bias: Bias | None
    influence: list[StudyInfluence]
    outliers: OutliersRemoved | None
    three_level: ThreeLevel | None  # every finding an effect, nested in its study (None: one effect per study)
    robust: ThreeLevel | None
    subgroups: Subgroups | None
    regression: MetaRegression | None

    def as_json(self, pair: PairPool) -> dict[str, object]:
        """Each part under metafor's names (None where it does not apply)."""
        show = lambda p: summary(p, pair.scale)  # noqa: E731
        return {
            **(self.bias.as_json() if self.bias else {"egger": None, "ranktest": None, "trimfill": None, "fail_safe_n": None}),
            "influence": influence_json(self.influence),
            "outliers_removed": None if self.outliers is None else {
                "removed": self.outliers.removed, "pooled": None if self.outliers.pooled is None else show(self.outliers.pooled)},
            "three_level": None if self.three_level is None else {
                **self.three_level.as_json(), "robust": None if self.robust is None else self.robust.as_json()},
            "subgroups": None if self.subgroups is None else self.subgroups.as_json(show),
            "meta_regression": None if self.regression is None else self.regression.as_json(),
        }  # fmt: skip


def extended(store: Store, pair: PairPool, by: str | None = None, mods: Sequence[str] = ()) -> Extended:
    """Everything beyond the main estimate for a pooled pair (the parts needing k >= 3 are None below that)."""
    p, studies = pair.pooled, pair.studies
    labels, ys, vs = [s.label for s in studies], [s.y for s in studies], [s.v for s in studies]
    enough = len(studies) >= 3
    ml = rb = None
    parts = [(s.study or s.label, y, v) for s in studies for y, v in (s.parts or ((s.y, s.v),))]
    if len(parts) > len(studies) and len({c for c, _, _ in parts}) >= 2:
        clusters, py, pv = [c for c, _, _ in parts], [y for _, y, _ in parts], [v for _, _, v in parts]
        try:
            ml = three_level(py, pv, clusters, p.level)
            rb = robust(ml, py, pv, clusters, p.level)
        except InvalidInput:
            ml = rb = None
    return Extended(
        bias=bias(ys, vs, p.method, p.test, p.level) if enough else None,
        influence=influence(labels, ys, vs, p.method, p.test, p.level) if enough else [],
        outliers=outliers_removed(labels, ys, vs, p, p.method, p.test, p.level) if enough else None,
        three_level=ml, robust=rb,
        subgroups=pair_subgroups(store, pair, by) if by else None,
        regression=pair_regression(store, pair, mods) if mods else None,
    )  # fmt: skip
