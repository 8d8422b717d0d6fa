"""How estimates for a construct pair changed across meta-analyses, showing when a source pooled a related construct."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pyoxigraph as ox

from evidencekg.meta.pairs import PairInputError, resolve, year_of
from evidencekg.model.citations import short_citation
from evidencekg.model.namespaces import sparql_prologue
from evidencekg.store.protocol import Store

# One step through the constructs scheme (either direction); two steps reach siblings and "related" neighbours.
STEP = "(skos:broader|^skos:broader|skos:narrower|^skos:narrower|skos:related|^skos:related|ekg:componentOf|^ekg:componentOf|ekg:hasComponent|^ekg:hasComponent)"

# Constructs within two scheme steps of one construct (itself included); the path starts at the bound end.
NEAR = sparql_prologue() + f"""
SELECT DISTINCT ?near WHERE {{ ?c {STEP}? ?m . ?m {STEP}? ?near . ?near a ekg:Construct }}"""

HISTORY = sparql_prologue() + """
SELECT DISTINCT ?f ?kind ?from ?to ?fromLabel ?toLabel ?est ?lo ?hi ?k ?n ?year ?generated ?source ?subgroup WHERE {{
  ?f ekg:fromConstruct ?from ; ekg:toConstruct ?to ; ekg:estimate ?est ; a ?kind .
  VALUES ?kind {{ ekg:ReportedFinding ekg:DerivedFinding }}
  FILTER ((?from IN ({near_a}) && ?to IN ({near_b})) || (?from IN ({near_b}) && ?to IN ({near_a})))
  FILTER NOT EXISTS {{ ?f ekg:fromStudy/a ekg:PrimaryStudy }}
  OPTIONAL {{ ?from skos:prefLabel ?fromLabel }} OPTIONAL {{ ?to skos:prefLabel ?toLabel }}
  OPTIONAL {{ ?f ekg:ciLower ?lo }} OPTIONAL {{ ?f ekg:ciUpper ?hi }}
  OPTIONAL {{ ?f ekg:numberOfStudies ?k }} OPTIONAL {{ ?f ekg:sampleSize ?n }}
  OPTIONAL {{ ?f ekg:subgroup ?subgroup }}
  OPTIONAL {{ ?f ekg:reportedIn ?pub . ?pub dcterms:issued ?year .
             OPTIONAL {{ ?pub dcterms:bibliographicCitation ?source }} }}
  OPTIONAL {{ ?f prov:generatedAtTime ?generated }}
}}"""


@dataclass(frozen=True)
class HistoryRow:
    """One meta-analytic (or evidencekg-pooled) estimate, with the constructs it actually pooled."""

    finding: str
    year: int | None
    source: str
    kind: str  # "reported" | "derived"
    pair_label: str
    estimate: float
    ci_lower: float | None
    ci_upper: float | None
    k: int | None
    n: int | None
    same_pair: bool
    note: str
    citation: str | None = None  # the source's full citation (source is its short form)
    subgroup: str | None = None  # the study characteristics a derived finding was restricted to

    def as_json(self) -> dict[str, object]:
        """The row as a JSON object."""
        return asdict(self)


def _label(row: dict[str, ox.Literal | ox.NamedNode | ox.BlankNode], var: str, label_var: str) -> str:
    term = row.get(label_var) or row[var]
    return term.value if isinstance(term, ox.Literal) else term.value.rsplit("/", 1)[-1]


def _num(row: dict[str, ox.Literal | ox.NamedNode | ox.BlankNode], var: str) -> float | None:
    return float(row[var].value) if var in row else None


def near(store: Store, construct: str) -> list[str]:
    """The constructs within two steps of a construct in the scheme (broader, narrower, related, components)."""
    return sorted(r["near"].value for r in store.select(NEAR, {"c": ox.NamedNode(construct)}))


def history(store: Store, a: str, b: str) -> list[HistoryRow]:
    """Meta-analytic findings about a/b or constructs within two scheme steps of them, oldest first.

    Rows whose constructs differ from the asked pair say so in `note` (e.g. Diener & Monroe 2011
    pooled attachment security, where Notsu et al. 2024 pooled anxiety and avoidance separately).
    """
    (a_iri, a_kind), (b_iri, b_kind) = resolve(store, a), resolve(store, b)
    if a_kind != "construct" or b_kind != "construct":
        raise PairInputError("the history view compares construct pairs; give two constructs")
    near_a, near_b = (", ".join(f"<{iri}>" for iri in near(store, x)) for x in (a_iri, b_iri))
    rows = store.select(HISTORY.format(near_a=near_a, near_b=near_b))
    asked = {a_iri, b_iri}
    result = []
    for r in rows:
        pooled = {r["from"].value, r["to"].value}
        pair_label = f"{_label(r, 'from', 'fromLabel')} -> {_label(r, 'to', 'toLabel')}"
        differs = sorted(pooled - asked)
        note = (
            f"pools {', '.join(x.rsplit('/', 1)[-1] for x in differs)}, not the asked "
            f"{' / '.join(x.rsplit('/', 1)[-1] for x in sorted(asked - pooled))} (related through the constructs scheme)"
            if differs else ""
        )  # fmt: skip
        if "subgroup" in r:
            note = (note + "; " if note else "") + f"subgroup: {r['subgroup'].value}"
        result.append(HistoryRow(
            finding=r["f"].value,
            year=year_of(r.get("year") or r.get("generated")),  # type: ignore[arg-type]
            source=short_citation(r["source"].value) if "source" in r else r["f"].value.rsplit("/", 1)[-1],
            kind="derived" if r["kind"].value.endswith("DerivedFinding") else "reported",
            pair_label=pair_label, estimate=float(r["est"].value),
            ci_lower=_num(r, "lo"), ci_upper=_num(r, "hi"),
            k=int(r["k"].value) if "k" in r else None, n=int(r["n"].value) if "n" in r else None,
            same_pair=not differs, note=note, citation=r["source"].value if "source" in r else None,
            subgroup=r["subgroup"].value if "subgroup" in r else None,
        ))  # fmt: skip
    return sorted(result, key=lambda h: (h.year or 0, h.pair_label, h.finding))
