"""What a meta-analysis can be asked for: the poolable pairs with their counts, labels, study-characteristic filters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TypeVar

import pyoxigraph as ox

from evidencekg.meta.pairs import ASSOCIATION, COMPARISON
from evidencekg.model.namespaces import sparql_prologue
from evidencekg.store.cache import cached
from evidencekg.store.protocol import Store

PAIRS = sparql_prologue() + """
SELECT ?kind ?a ?b (COUNT(DISTINCT ?f) AS ?findings) (COUNT(DISTINCT ?s) AS ?studies) WHERE {
  ?f a ekg:ReportedFinding ; ekg:fromStudy ?s ; ekg:estimate ?e .
  ?s a ekg:PrimaryStudy .
  { ?f ekg:interventionCondition ?a ; ekg:comparatorCondition ?b . BIND("comparison" AS ?kind) }
  UNION { ?f ekg:fromConstruct ?a ; ekg:toConstruct ?b . BIND("association" AS ?kind) }
} GROUP BY ?kind ?a ?b"""

LABELS = sparql_prologue() + """
SELECT ?x (SAMPLE(?p) AS ?pref) (SAMPLE(?l) AS ?label) WHERE {
  VALUES ?x { %s }
  OPTIONAL { ?x skos:prefLabel ?p } OPTIONAL { ?x rdfs:label ?l }
} GROUP BY ?x"""

CHARACTERISTICS = sparql_prologue() + """
SELECT ?name ?value (COUNT(DISTINCT ?f) AS ?n) WHERE {
  %s
  ?f a ekg:ReportedFinding ; ekg:fromStudy ?study ; ekg:hasStudyCharacteristic ?c .
  ?study a ekg:PrimaryStudy .
  ?c ekg:characteristic ?name ; rdf:value ?value .
} GROUP BY ?name ?value ORDER BY ?name ?value"""

MAX_FILTER_VALUES = 12  # a characteristic with more distinct values (a percentage, a count) gets no pick list
T = TypeVar("T")


def while_unchanged(store: Store, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """compute(), remembered until the store's next write (evidencekg.store.cache); stores that do not count writes: always computed.

    The pick lists scan every finding; they change only when the store does.
    """
    return cached(store, key, compute)


@dataclass(frozen=True)
class PairCount:
    """One poolable pair: kind ("comparison" or "association"), the two IRIs, findings and studies held."""

    kind: str
    a: str
    b: str
    findings: int
    studies: int


@dataclass(frozen=True)
class Option:
    """One entry of a pick list: what to put in the URL, the label people read, the findings it has."""

    value: str
    label: str
    findings: int
    group: str  # "construct", "intervention" or "comparator"


@dataclass(frozen=True)
class Menu:
    """Everything the pick lists show: the A and B options and the pairs, most studied first."""

    a: list[Option]
    b: list[Option]
    pairs: list[PairCount]
    labels: dict[str, str]


def slug_label(iri: str) -> str:
    """A readable fallback label from an IRI's last segment ("care-as-usual" -> "care as usual")."""
    return iri.rstrip("/").rsplit("/", 1)[-1].replace("-", " ")


def labels(store: Store, iris: set[str] | list[str]) -> dict[str, str]:
    """IRI -> skos:prefLabel, else rdfs:label, else the slug in words."""
    wanted = sorted(set(iris))
    found: dict[str, str] = {}
    if wanted:
        for row in store.select(LABELS % " ".join(f"<{i}>" for i in wanted)):
            term = row.get("pref") or row.get("label")
            if term is not None:
                found[row["x"].value] = term.value
    return {iri: found.get(iri) or slug_label(iri) for iri in wanted}


def pair_counts(store: Store) -> list[PairCount]:
    """Every pair with primary-study findings, most studies first."""
    rows = [
        PairCount(r["kind"].value, r["a"].value, r["b"].value, int(r["findings"].value), int(r["studies"].value))
        for r in store.select(PAIRS)
    ]
    return sorted(rows, key=lambda p: (-p.studies, -p.findings, p.a, p.b))


def menu(store: Store) -> Menu:
    """The A list (constructs, intervention conditions) and B list (constructs, comparators), with findings counts."""
    return while_unchanged(store, ("menu",), lambda: _menu(store))


def _menu(store: Store) -> Menu:
    pairs = pair_counts(store)
    names = labels(store, {p.a for p in pairs} | {p.b for p in pairs})
    side_a: dict[tuple[str, str], int] = defaultdict(int)
    side_b: dict[tuple[str, str], int] = defaultdict(int)
    for p in pairs:
        if p.kind == "comparison":
            side_a[("intervention", p.a)] += p.findings
            side_b[("comparator", p.b)] += p.findings
        else:
            for side in (side_a, side_b):
                side[("construct", p.a)] += p.findings
                side[("construct", p.b)] += p.findings

    def options(side: dict[tuple[str, str], int]) -> list[Option]:
        listed = [Option(iri.rstrip("/").rsplit("/", 1)[-1], names[iri], n, group) for (group, iri), n in side.items()]
        return sorted(listed, key=lambda o: (o.group, -o.findings, o.label.lower()))

    return Menu(options(side_a), options(side_b), pairs, names)


@dataclass(frozen=True)
class Filter:
    """One study characteristic the findings can be filtered on, with its values and their counts."""

    name: str
    values: list[tuple[str, int]]


def filters(store: Store, pair: tuple[str, str, str] | None = None, keep: frozenset[str] = frozenset()) -> list[Filter]:
    """Study characteristics held (for the pair's findings when given: (kind, a IRI, b IRI)) with few enough values.

    Counts ignore any filter chosen, so every value stays pickable; names in `keep` are listed whatever their size.
    """
    held = while_unchanged(store, ("filters", pair), lambda: _characteristics(store, pair))
    return [Filter(name, values) for name, values in held if len(values) <= MAX_FILTER_VALUES or name in keep]


def _characteristics(store: Store, pair: tuple[str, str, str] | None) -> list[tuple[str, list[tuple[str, int]]]]:
    bindings: dict[str, ox.NamedNode] = {}
    restrict = ""
    if pair is not None:
        kind, a, b = pair
        restrict = (ASSOCIATION if kind == "association" else COMPARISON)
        bindings = {"a": ox.NamedNode(a), "b": ox.NamedNode(b)}
    counts: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in store.select(CHARACTERISTICS % restrict, bindings):
        counts[row["name"].value].append((row["value"].value, int(row["n"].value)))
    return sorted(counts.items())
