"""Pooling findings held in the store (a construct pair or a trial comparison) and saving the result as a DerivedFinding."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Literal, URIRef

from evidencekg import __version__
from evidencekg.errors import InvalidInput, NothingFound
from evidencekg.evidence.batch import Batch, insert_batch, linked_context, slug, validate_batch
from evidencekg.meta.multilevel import aggregate
from evidencekg.meta.pooling import Pooled, Scale, fisher_z, pool, summary
from evidencekg.model.measures import measure_name
from evidencekg.model.namespaces import EKG, ID, OBO, PEARSON_R, PROV, sparql_prologue
from evidencekg.settings import Settings, get_settings
from evidencekg.store.cache import cached
from evidencekg.store.names import resolve_name
from evidencekg.store.protocol import Store

# How several effects of one study become one, by default as Metapsy users expect (metapsyTools: within
# each comparison of arms, rho 0.6) with metafor's aggregate() default weighting (inverse-variance).
AGGREGATE_BY: tuple[str, ...] = ("arms", "studies")
DEFAULT_AGGREGATE, DEFAULT_RHO, DEFAULT_WEIGHTED = "arms", 0.6, True


@dataclass(frozen=True)
class Aggregation:
    """How one study's (or one arm comparison's) several effects were combined: metafor's aggregate(struct = "CS")."""

    by: str = DEFAULT_AGGREGATE  # "arms": per study and pair of arms (when the store names arms), "studies": per study
    rho: float = DEFAULT_RHO
    weighted: bool = DEFAULT_WEIGHTED

    @classmethod
    def parse(cls, by: str = DEFAULT_AGGREGATE, rho: float = DEFAULT_RHO, weighted: bool = DEFAULT_WEIGHTED) -> Aggregation:
        """Checked choices (an InvalidInput names a bad one)."""
        if by not in AGGREGATE_BY:
            raise InvalidInput(f"aggregate {by!r}: choose arms or studies")
        if not 0 <= rho < 1:
            raise InvalidInput(f"rho {rho}: choose a within-study correlation from 0 up to (not including) 1")
        return cls(by, rho, weighted)

    def text(self) -> str:
        """The rule in words, as every output states it."""
        unit = "study and pair of arms" if self.by == "arms" else "study"
        mean = "inverse-variance weighted mean" if self.weighted else "unweighted mean"
        return (f"several effects of one {unit} combined into one: their {mean}, assuming they correlate rho = {self.rho:g} "
                f"(metafor aggregate(struct = \"CS\", rho = {self.rho:g}, weighted = {str(self.weighted).upper()}))")  # fmt: skip
RANDOM_EFFECTS, FIXED_EFFECT = OBO["STATO_0000099"], OBO["STATO_0000082"]

INPUTS = sparql_prologue() + """
SELECT ?f ?study ?label ?year ?est ?se ?n ?measure ?outcome WHERE {
  ?f a ekg:ReportedFinding ; ekg:fromStudy ?study ; ekg:estimate ?est ; ekg:effectSizeMeasure ?measure .
  ?study a ekg:PrimaryStudy .
  %s
  %s
  OPTIONAL { ?f ekg:standardError ?se }
  OPTIONAL { ?f ekg:sampleSize ?n }
  OPTIONAL { ?f ekg:toConstruct ?outcome }
  OPTIONAL { ?study ekg:studyLabel ?label }
  OPTIONAL { ?study dcterms:issued ?year }
  OPTIONAL { ?f ekg:interventionArm ?arm1 } OPTIONAL { ?f ekg:comparatorArm ?arm2 }
}"""
ASSOCIATION = "{ ?f ekg:fromConstruct ?a ; ekg:toConstruct ?b } UNION { ?f ekg:fromConstruct ?b ; ekg:toConstruct ?a }"
COMPARISON = "?f ekg:interventionCondition ?a ; ekg:comparatorCondition ?b ."


class PairError(NothingFound, ValueError):
    """The pair cannot be pooled (mixed kinds, no usable findings); unknown names are an UnknownName."""


class PairInputError(InvalidInput, PairError):
    """The pair was asked for wrongly (a malformed --where condition, a kind the view does not take)."""


Where = tuple[tuple[str, str, str], ...]  # (study characteristic, operator, value) conditions
OPERATORS = ("!=", ">=", "<=", "=", ">", "<")  # longest first, so "rob>=2" is not read as "rob>" "=2"


def parse_where(conditions: list[str] | tuple[str, ...]) -> Where:
    """("format=ind", "rob>2") -> (("format", "=", "ind"), ("rob", ">", "2")); a PairError names a malformed one.

    Several "=" conditions on one characteristic mean any of those values (rob=3, rob=4: rob is 3 or 4);
    the comparisons >, >=, <, <= compare numbers, != excludes a value; conditions on different
    characteristics must all hold.
    """
    parsed = []
    for condition in conditions:
        at = min(((condition.find(op), op) for op in OPERATORS if op in condition), default=None)
        if at is None:
            raise PairInputError(f"--where {condition!r}: expected NAME=VALUE (or NAME>VALUE, >=, <, <=, !=), e.g. format=ind or rob>2")
        index, op = at
        if op in (">", "<") and condition[index : index + 2] in (">=", "<="):
            op = condition[index : index + 2]
        name, value = condition[:index].strip(), condition[index + len(op) :].strip()
        if not name or not value:
            raise PairInputError(f"--where {condition!r}: expected NAME=VALUE (or NAME>VALUE, >=, <, <=, !=), e.g. format=ind or rob>2")
        if op not in ("=", "!=") and not _is_number(value):
            raise PairInputError(f"--where {condition!r}: {op} compares numbers, and {value!r} is not one")
        parsed.append((name, op, value))
    return tuple(parsed)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def where_sparql(where: Where) -> tuple[str, dict[str, ox.Literal]]:
    """Graph patterns (and their bindings) keeping findings whose study characteristics match, case-insensitively.

    One pattern per characteristic: its "=" values are alternatives, its other conditions all apply.
    """
    patterns, bindings = [], {}
    names = sorted({name for name, _, _ in where})
    for i, name in enumerate(names):
        wanted = [(op, value) for n, op, value in where if n == name]
        tests = []
        equal = [value for op, value in wanted if op == "="]
        if equal:
            for j, value in enumerate(equal):
                bindings[f"want{i}_{j}"] = ox.Literal(value)
            alternatives = ", ".join(f"LCASE(STR(?want{i}_{j}))" for j in range(len(equal)))
            tests.append(f"LCASE(STR(?wv{i})) IN ({alternatives})")
        for j, (op, value) in enumerate(w for w in wanted if w[0] != "="):
            bindings[f"cmp{i}_{j}"] = ox.Literal(value)
            if op == "!=":
                tests.append(f"LCASE(STR(?wv{i})) != LCASE(STR(?cmp{i}_{j}))")
            else:
                tests.append(f"xsd:double(STR(?wv{i})) {op} xsd:double(STR(?cmp{i}_{j}))")
        patterns.append(f"?f ekg:hasStudyCharacteristic ?wc{i} . ?wc{i} ekg:characteristic ?wn{i} ; rdf:value ?wv{i} . "
                        f"FILTER ({' && '.join(tests)})")  # fmt: skip
        bindings[f"wn{i}"] = ox.Literal(name)
    return "\n  ".join(patterns), bindings


def where_text(where: Where) -> str:
    """The filter as people write it: "format=ind, rob>2"."""
    return ", ".join(f"{name}{op}{value}" for name, op, value in where)


@dataclass(frozen=True)
class StudyEffect:
    """One study's effect as pooled: label, year, effect and variance on the pooling scale, its findings."""

    label: str
    year: int | None
    y: float
    v: float
    findings: tuple[str, ...]
    study: str = ""  # the study's IRI (a multi-arm trial has one unit per comparison of arms, all with one study)
    parts: tuple[tuple[float, float], ...] = ()  # the (y, v) of each finding before aggregation


@dataclass
class PairPool:
    """A pooled pair: what was asked, the study effects, the pooled result and what was left out."""

    a: str
    b: str
    kind: str  # "association" | "comparison"
    measure: str
    scale: Scale
    studies: list[StudyEffect]
    pooled: Pooled
    outcome: str | None = None
    excluded: list[str] = field(default_factory=list)
    where: Where = ()
    aggregation: Aggregation = field(default_factory=Aggregation)
    arms_known: bool = False  # whether the store named the arms of the findings (else "arms" fell back to studies)

    @property
    def findings(self) -> list[str]:
        """Every input finding."""
        return [f for s in self.studies for f in s.findings]

    def aggregation_note(self) -> str:
        """What the aggregation did here: which share of the pooled units had several effects combined into one."""
        several = sum(1 for s in self.studies if len(s.findings) > 1)
        rule = self.aggregation.text()
        if self.aggregation.by == "arms" and not self.arms_known:
            rule += "; the store names no arms for these findings, so per study"
        unit = "studies" if self.aggregation.by == "studies" or not self.arms_known else "arm comparisons"
        if not several:
            return f"Every one of the {len(self.studies)} {unit} has one effect for this pair ({rule}; not needed here)."
        return f"{several} of {len(self.studies)} {unit} had several effects; {rule}."

    def as_json(self) -> dict[str, object]:
        """The pooled summary plus the pair, the studies and the exclusions."""
        return {
            "a": self.a, "b": self.b, "kind": self.kind, "effect_size_measure": self.measure,
            "effect_size_measure_name": measure_name(self.measure),
            **summary(self.pooled, self.scale),
            "studies": [{"label": s.label, "year": s.year, "y": s.y, "v": s.v, "findings": list(s.findings)}
                        for s in self.studies],
            "excluded": self.excluded,
            "where": where_text(self.where) or None,
            "within_study_rho": self.aggregation.rho,
            "aggregation": {"by": self.aggregation.by, "rho": self.aggregation.rho, "weighted": self.aggregation.weighted,
                            "arms_known": self.arms_known, "text": self.aggregation_note()},
        }  # fmt: skip


def resolve(store: Store, term: str) -> tuple[str, str]:
    """(IRI, "construct"|"condition") for any name the store resolver accepts, Metapsy codes included."""
    return resolve_name(store, term, ("construct", "condition"), limit=3)


def _aggregate(effects: list[tuple[float, float]], how: Aggregation) -> tuple[float, float]:
    """One unit's effects combined as metafor's aggregate() (compound symmetry with how.rho, weighted or not)."""
    _, ys, vs = aggregate([y for y, _ in effects], [v for _, v in effects], ["one"] * len(effects), how.rho, how.weighted)
    return ys[0], vs[0]


def year_of(term: ox.Literal | None) -> int | None:
    """The year a date, dateTime or gYear literal starts with (None when absent or not a year)."""
    return int(term.value[:4]) if term is not None and term.value[:4].isdigit() else None


def study_effects(
    store: Store, a: str, b: str, kind: str, where: Where = (), how: Aggregation | None = None,
) -> tuple[str, Scale, list[StudyEffect], str | None, list[str], bool]:
    """The pair's findings as one effect per study or arm comparison (measure, scale, effects, outcome, excluded, arms known).

    Kept until the store's next write (evidencekg.store.cache): every view of a pair reads them.
    """
    how = how or Aggregation()
    return cached(store, ("study_effects", a, b, kind, where, how), lambda: _study_effects(store, a, b, kind, where, how))


def _study_effects(
    store: Store, a: str, b: str, kind: str, where: Where, how: Aggregation
) -> tuple[str, Scale, list[StudyEffect], str | None, list[str], bool]:
    """study_effects without the cache."""
    patterns, bindings = where_sparql(where)
    rows = store.select(INPUTS % (ASSOCIATION if kind == "construct" else COMPARISON, patterns),
                        {"a": ox.NamedNode(a), "b": ox.NamedNode(b), **bindings})  # fmt: skip
    if not rows:
        only = f" with {where_text(where)}" if where else ""
        raise PairError(f"no primary-study findings between {a} and {b}{only} in the store")
    arms_known = any("arm1" in r or "arm2" in r for r in rows)
    return (*effects_from_rows(rows, f"between {a} and {b}", how), arms_known)


Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]


def effects_from_rows(
    rows: list[Row], between: str, how: Aggregation | None = None,
) -> tuple[str, Scale, list[StudyEffect], str | None, list[str]]:
    """One effect per study from rows of INPUTS' variables (?f ?study ?label ?year ?est ?se ?n ?measure ?outcome).

    The most frequent measure is pooled; Pearson r on Fisher's z (needs n), other measures need a standard error.
    """
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r["measure"].value] += 1
    measure = max(counts, key=lambda m: counts[m])
    scale: Scale = "r" if measure == str(PEARSON_R) else "raw"
    excluded = [f"{r['f'].value}: a different effect size measure" for r in rows if r["measure"].value != measure]
    per_study: dict[tuple[str, str, str], list[tuple[str, float, float]]] = defaultdict(list)
    meta: dict[str, tuple[str, int | None]] = {}
    how = how or Aggregation()
    outcomes = {r["outcome"].value for r in rows if "outcome" in r}
    for r in rows:
        if r["measure"].value != measure:
            continue
        est = float(r["est"].value)
        if scale == "r":
            if "n" not in r or float(r["n"].value) <= 3 or abs(est) >= 1:
                excluded.append(f"{r['f'].value}: no usable sample size (n > 3) or |r| >= 1")
                continue
            y, v = fisher_z(est, float(r["n"].value))
        elif "se" in r and float(r["se"].value) > 0:
            y, v = est, float(r["se"].value) ** 2
        else:
            excluded.append(f"{r['f'].value}: no standard error")
            continue
        study = r["study"].value
        arms = (r["arm1"].value if "arm1" in r else "", r["arm2"].value if "arm2" in r else "") if how.by == "arms" else ("", "")
        per_study[(study, *arms)].append((r["f"].value, y, v))
        meta[study] = (r["label"].value if "label" in r else study.rsplit("/", 1)[-1], year_of(r.get("year")))  # type: ignore[arg-type]
    effects = []
    units: dict[str, int] = defaultdict(int)
    for key in per_study:
        units[key[0]] += 1
    seen: dict[str, int] = defaultdict(int)
    for key, items in sorted(per_study.items(), key=lambda kv: (meta[kv[0][0]][1] or 0, meta[kv[0][0]][0], kv[0])):
        y, v = _aggregate([(y, v) for _, y, v in items], how)
        label, year = meta[key[0]]
        seen[key[0]] += 1
        if units[key[0]] > 1:  # a multi-arm trial: one row per comparison of arms
            label = f"{label} ({seen[key[0]]} of {units[key[0]]} comparisons)"
        ordered = sorted(items)
        effects.append(StudyEffect(label, year, y, v, tuple(f for f, _, _ in ordered), key[0], tuple((y, v) for _, y, v in ordered)))
    if not effects:
        raise PairError(f"none of the findings {between} can be pooled: " + "; ".join(excluded[:5]))
    return measure, scale, effects, (outcomes.pop() if len(outcomes) == 1 else None), sorted(excluded)


def pool_pair(
    store: Store, a: str, b: str, method: str = "REML", level: float = 0.95, where: Where = (), test: str = "z",
    aggregation: Aggregation | None = None,
) -> PairPool:
    """Pool the primary-study findings between two constructs, or an intervention vs a comparator condition.

    `where` keeps only findings with those study characteristics (a subgroup, e.g. format=ind). The
    result is kept until the store's next write (evidencekg.store.cache), so the busiest pair of a
    large store is pooled once per write, not once per request.
    """
    how = aggregation or Aggregation()
    key = ("pool_pair", a, b, method, level, where, test, how)
    return cached(store, key, lambda: _pool_pair(store, a, b, method, level, where, test, how))


def _pool_pair(store: Store, a: str, b: str, method: str, level: float, where: Where, test: str, how: Aggregation) -> PairPool:
    """pool_pair without the cache."""
    (a_iri, a_kind), (b_iri, b_kind) = resolve(store, a), resolve(store, b)
    if a_kind != b_kind:
        raise PairError(f"{a!r} is a {a_kind} and {b!r} a {b_kind}: give two constructs or two conditions")
    measure, scale, effects, outcome, excluded, arms_known = study_effects(store, a_iri, b_iri, a_kind, where, how)
    pooled = pool([e.y for e in effects], [e.v for e in effects], method, level, test, confint=True)
    kind = "association" if a_kind == "construct" else "comparison"
    return PairPool(a_iri, b_iri, kind, measure, scale, effects, pooled, outcome, excluded, where, how, arms_known)


def _dec(value: float) -> Literal:
    """An estimate or statistic as xsd:decimal with six decimals (as sources print them, never tiny)."""
    return Literal(f"{value:.6f}", datatype=XSD.decimal)


def pooling_method_text(result: PairPool) -> str:
    """How the derived finding was computed, in words."""
    p = result.pooled
    model = "fixed-effect" if p.method == "FE" else f"random-effects ({p.method})"
    scale = "on Fisher's z, back-transformed to r" if result.scale == "r" else "on the effect's own scale"
    only = f" (only findings with study characteristics {where_text(result.where)})" if result.where else ""
    return (f"evidencekg {__version__} (metafor rma() conventions) {model} inverse-variance pooling of {p.k} studies "
            f"{scale}{only}; {result.aggregation_note()}; "
            f"{'z-based' if p.test == 'z' else f'Knapp-Hartung t-based (df = {p.df})'} {p.level:.0%} CI")  # fmt: skip


def derived_batch(store: Store, result: PairPool, now: datetime | None = None) -> Batch:
    """The DerivedFinding (and its HeterogeneityAssessment) for a pooled pair, as a batch to validate."""
    now = now or datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    key = f"pooled-{slug(result.a.rsplit('/', 1)[-1])}-{slug(result.b.rsplit('/', 1)[-1])}-{result.pooled.method.lower()}-{stamp}"
    finding, heterogeneity = ID[f"finding/{key}"], ID[f"heterogeneity/{key}"]
    batch = Batch(finding)
    p, add = result.pooled, batch.add
    back = math.tanh if result.scale == "r" else (lambda x: x)
    add(finding, RDF.type, EKG.DerivedFinding)
    add(finding, RDFS.label, Literal(f"pooled {result.a.rsplit('/', 1)[-1]} / {result.b.rsplit('/', 1)[-1]} ({p.method}, k = {p.k})"))
    if result.kind == "association":
        add(finding, EKG.fromConstruct, URIRef(result.a))
        add(finding, EKG.toConstruct, URIRef(result.b))
    else:
        add(finding, EKG.interventionCondition, URIRef(result.a))
        add(finding, EKG.comparatorCondition, URIRef(result.b))
        add(finding, EKG.toConstruct, URIRef(result.outcome) if result.outcome else None)
    add(finding, EKG.effectSizeMeasure, URIRef(result.measure))
    add(finding, EKG.subgroup, Literal(where_text(result.where)) if result.where else None)
    for prop, value in ((EKG.estimate, p.estimate), (EKG.ciLower, p.ci_lower), (EKG.ciUpper, p.ci_upper)):
        add(finding, prop, _dec(back(value)))
    add(finding, EKG.confidenceLevel, _dec(p.level))
    if result.scale == "raw":
        add(finding, EKG.standardError, _dec(p.se))
    add(finding, EKG.pValue, _dec(max(p.pval, 1e-6)))
    add(finding, EKG.pValueRelation, Literal("<" if p.pval < 1e-6 else "="))
    add(finding, EKG.numberOfStudies, Literal(p.k, datatype=XSD.integer))
    add(finding, EKG.statisticalModel, FIXED_EFFECT if p.method == "FE" else RANDOM_EFFECTS)
    add(finding, EKG.estimationMethod, Literal(p.method))
    add(finding, EKG.poolingMethod, Literal(pooling_method_text(result)))
    add(finding, PROV.generatedAtTime, Literal(now.strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=XSD.dateTime))
    add(finding, EKG.hasHeterogeneity, heterogeneity)
    add(heterogeneity, RDF.type, EKG.HeterogeneityAssessment)
    for prop, value in ((EKG.i2, p.i2), (EKG.tau2, p.tau2), (EKG.qStatistic, p.q)):
        add(heterogeneity, prop, _dec(value))
    add(heterogeneity, EKG.qPValue, Literal(repr(float(p.q_p)), datatype=XSD.double))  # all 17 digits, even 1e-22
    add(heterogeneity, EKG.qDf, Literal(p.q_df, datatype=XSD.integer))
    for source in result.findings:
        add(finding, PROV.wasDerivedFrom, URIRef(source))
        add(heterogeneity, PROV.wasDerivedFrom, URIRef(source))
        batch.context.add((URIRef(source), RDF.type, EKG.ReportedFinding))  # lets the shapes see the inputs' class
    return batch


def save_derived(store: Store, result: PairPool, settings: Settings | None = None) -> str:
    """Validate and write the pooled pair as an ekg:DerivedFinding; returns its IRI."""
    settings = settings or get_settings()
    batch = derived_batch(store, result)
    with store.write_lock:  # one writer from reading the inputs' context to the commit, as every write
        linked_context(store, batch)
        validate_batch(batch, settings)
        store.update(insert_batch(batch, settings))  # its own graph, derived/<key> (evidencekg.model.graphs)
        store.flush()
    return str(batch.document)

