"""Study characteristics of a pooled pair's units (one value per study), for subgroups and meta-regression over the store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from evidencekg.meta.moderators import MetaRegression, Subgroups, meta_regression, subgroups
from evidencekg.meta.pairs import PairPool
from evidencekg.model.namespaces import sparql_prologue
from evidencekg.store.protocol import Store

VALUES = sparql_prologue() + """
SELECT ?f ?name ?value WHERE {
  VALUES ?f { %s }
  VALUES ?name { %s }
  ?f ekg:hasStudyCharacteristic ?c . ?c ekg:characteristic ?name ; rdf:value ?value .
}"""


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def characteristic_values(store: Store, pair: PairPool, names: Sequence[str]) -> dict[str, list[str]]:
    """Each named characteristic per pooled unit: the value its findings share ("" when none or they disagree)."""
    findings = sorted({f for s in pair.studies for f in s.findings})
    held: dict[tuple[str, str], set[str]] = defaultdict(set)
    for start in range(0, len(findings), 500):  # keep each query's VALUES list small
        chunk = " ".join(f"<{f}>" for f in findings[start : start + 500])
        for row in store.select(VALUES % (chunk, " ".join(_literal(n) for n in names))):
            held[(row["f"].value, row["name"].value)].add(row["value"].value)
    out: dict[str, list[str]] = {}
    for name in names:
        column = []
        for study in pair.studies:
            values = set().union(*(held.get((f, name), set()) for f in study.findings))
            column.append(values.pop() if len(values) == 1 else "")
        out[name] = column
    return out


def pair_subgroups(store: Store, pair: PairPool, by: str) -> Subgroups:
    """Subgroups of a pooled pair by a study characteristic (units whose findings disagree or lack it are left out)."""
    values = characteristic_values(store, pair, [by])[by]
    p = pair.pooled
    return subgroups([s.label for s in pair.studies], [s.y for s in pair.studies], [s.v for s in pair.studies], values, by,
                     p.method, p.test, p.level)  # fmt: skip


def pair_regression(store: Store, pair: PairPool, mods: Sequence[str]) -> MetaRegression:
    """Meta-regression of a pooled pair on study characteristics (numbers as numbers, other values as levels)."""
    columns = characteristic_values(store, pair, mods)
    p = pair.pooled
    return meta_regression([s.label for s in pair.studies], [s.y for s in pair.studies], [s.v for s in pair.studies], columns,
                           p.method, p.test, p.level)  # fmt: skip
