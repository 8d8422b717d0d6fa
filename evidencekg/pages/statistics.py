"""What the store holds, counted: for the home page and the VoID description."""

from __future__ import annotations

from dataclasses import dataclass

from evidencekg.model.namespaces import CONSTRUCT_SCHEME, EKG, sparql_prologue
from evidencekg.pages.describe import Link, make_link
from evidencekg.store.cache import cached
from evidencekg.store.protocol import Store

_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
_DISTINCT = (
    "SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties) "
    "(COUNT(DISTINCT ?o) AS ?objects) WHERE { ?s ?p ?o }"
)
_CLASSES = "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY ?class"
_FINDINGS = sparql_prologue() + (
    "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { VALUES ?t { ekg:ReportedFinding ekg:DerivedFinding ekg:Finding } ?f a ?t }"
)
_IS_CONSTRUCT = f"{{ ?c a ekg:Construct }} UNION {{ ?c skos:inScheme <{CONSTRUCT_SCHEME}> }}"
_CONSTRUCT_COUNT = sparql_prologue() + f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ {_IS_CONSTRUCT} }}"
_CONSTRUCTS = sparql_prologue() + f"""
SELECT ?c ?label ?findings WHERE {{ {{
SELECT ?c (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?f) AS ?findings) WHERE {{
  {_IS_CONSTRUCT}
  OPTIONAL {{ ?c skos:prefLabel ?l }}
  OPTIONAL {{ ?f ekg:fromConstruct|ekg:toConstruct ?c }}
}} GROUP BY ?c
}} }} ORDER BY LCASE(STR(?label))
"""  # ordered outside the grouping subquery: Virtuoso refuses ORDER BY on an aggregate's alias
_CONDITIONS = sparql_prologue() + """
SELECT ?c ?label ?findings WHERE { {
SELECT ?c (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?f) AS ?findings) WHERE {
  ?f ekg:interventionCondition|ekg:comparatorCondition ?c .
  OPTIONAL { ?c skos:prefLabel ?l }
} GROUP BY ?c
} } ORDER BY DESC(?findings) LCASE(STR(?label))
"""
_SOURCES = sparql_prologue() + """
SELECT ?d ?title ?publisher ?sentences WHERE { {
SELECT ?d (SAMPLE(?t) AS ?title) (SAMPLE(?pub) AS ?publisher) (COUNT(DISTINCT ?s) AS ?sentences) WHERE {
  ?d a ekg:SourceDocument .
  OPTIONAL { ?d dcterms:title ?t }
  OPTIONAL { ?d dcterms:publisher ?pub }
  OPTIONAL { ?s dcterms:isPartOf ?d }
} GROUP BY ?d
} } ORDER BY LCASE(STR(?title))
"""
_PUBLICATIONS = sparql_prologue() + """
SELECT ?p (SAMPLE(?t) AS ?title) (SAMPLE(?c) AS ?citation) (SAMPLE(?y) AS ?year) WHERE {
  ?p a ekg:Publication .
  OPTIONAL { ?p dcterms:title ?t }
  OPTIONAL { ?p dcterms:bibliographicCitation ?c }
  OPTIONAL { ?p dcterms:issued ?y }
} GROUP BY ?p ORDER BY ?p
"""


@dataclass(frozen=True)
class Counts:
    """Sizes of the store: triples in the data union (a query's default graph), quads overall, and resources by kind."""

    triples: int
    quads: int
    distinct_subjects: int
    distinct_properties: int
    distinct_objects: int
    findings: int
    constructs: int
    publications: int
    sources: int
    classes: dict[str, int]
    studies: int = 0
    conditions: int = 0


@dataclass(frozen=True)
class ListedResource:
    """A resource listed on the home page, with a short note (finding count, publisher...)."""

    link: Link
    note: str


def _int(rows: list[dict], name: str) -> int:
    return int(rows[0][name].value) if rows and name in rows[0] else 0


def counts(store: Store) -> Counts:
    """Count the data union's triples, all quads, and resources per class (kept until the store's next write)."""
    return cached(store, ("counts",), lambda: _counts(store))


def _counts(store: Store) -> Counts:
    """counts without the cache."""
    distinct = store.select(_DISTINCT)
    classes = {row["class"].value: int(row["n"].value) for row in store.select(_CLASSES)}
    return Counts(
        triples=_int(store.select(_TRIPLES), "n"),
        quads=len(store),
        distinct_subjects=_int(distinct, "subjects"),
        distinct_properties=_int(distinct, "properties"),
        distinct_objects=_int(distinct, "objects"),
        findings=_int(store.select(_FINDINGS), "n"),
        constructs=_int(store.select(_CONSTRUCT_COUNT), "n"),
        publications=classes.get(str(EKG.Publication), 0),
        sources=classes.get(str(EKG.SourceDocument), 0),
        classes=classes,
        studies=classes.get(str(EKG.PrimaryStudy), 0),
        conditions=classes.get(str(EKG.Condition), 0),
    )


def plural(n: int, word: str) -> str:
    """`1 finding`, `2 findings`.

    >>> plural(1, "sentence"), plural(29, "sentence")
    ('1 sentence', '29 sentences')
    """
    return f"{n} {word}{'s' * (n != 1)}"


def _text(row: dict, name: str) -> str:
    return row[name].value if name in row else ""


def _listed(row: dict, iri_var: str, label_var: str, *notes: str) -> ListedResource:
    """A listed resource from a result row: a link labelled by `label_var`, notes joined by commas."""
    iri, label = row[iri_var].value, _text(row, label_var)
    return ListedResource(make_link(iri, {iri: label} if label else {}), ", ".join(n for n in notes if n))


def constructs(store: Store) -> list[ListedResource]:
    """The constructs of the scheme, each with how many findings touch it."""
    rows = cached(store, ("constructs",), lambda: store.select(_CONSTRUCTS))
    return [_listed(r, "c", "label", plural(int(r["findings"].value), "finding")) for r in rows]


def conditions(store: Store) -> list[ListedResource]:
    """The trial conditions (interventions and comparators) findings compare, most findings first."""
    rows = cached(store, ("conditions",), lambda: store.select(_CONDITIONS))
    return [_listed(r, "c", "label", plural(int(r["findings"].value), "finding")) for r in rows]


def sources(store: Store) -> list[ListedResource]:
    """The source documents facts were read from, with publisher and sentence count."""
    return [
        _listed(r, "d", "title", _text(r, "publisher"), plural(int(r["sentences"].value), "sentence"))
        for r in cached(store, ("sources",), lambda: store.select(_SOURCES))
    ]


def publications(store: Store) -> list[ListedResource]:
    """The publications cited, with their year."""
    return [_listed(r, "p", "title", _text(r, "year")[:4]) for r in cached(store, ("publications",), lambda: store.select(_PUBLICATIONS))]
