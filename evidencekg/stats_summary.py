"""What the store holds, counted: for the home page and the VoID description."""

from __future__ import annotations

from dataclasses import dataclass

from evidencekg.describe import Link, make_link
from evidencekg.namespaces import EKG, sparql_prologue
from evidencekg.store import Store

_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
_DISTINCT = (
    "SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?p) AS ?properties) "
    "(COUNT(DISTINCT ?o) AS ?objects) WHERE { ?s ?p ?o }"
)
_CLASSES = "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY ?class"
_FINDINGS = sparql_prologue() + (
    "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { VALUES ?t { ekg:ReportedFinding ekg:DerivedFinding ekg:Finding } ?f a ?t }"
)
_CONSTRUCTS = sparql_prologue() + """
SELECT ?c (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?f) AS ?findings) WHERE {
  { ?c a ekg:Construct } UNION { ?c skos:inScheme <https://w3id.org/evidencekg/id/scheme/constructs> }
  OPTIONAL { ?c skos:prefLabel ?l }
  OPTIONAL { ?f ekg:fromConstruct|ekg:toConstruct ?c }
} GROUP BY ?c ORDER BY LCASE(STR(?label))
"""
_SOURCES = sparql_prologue() + """
SELECT ?d (SAMPLE(?t) AS ?title) (SAMPLE(?pub) AS ?publisher) (COUNT(DISTINCT ?s) AS ?sentences) WHERE {
  ?d a ekg:SourceDocument .
  OPTIONAL { ?d dcterms:title ?t }
  OPTIONAL { ?d dcterms:publisher ?pub }
  OPTIONAL { ?s dcterms:isPartOf ?d }
} GROUP BY ?d ORDER BY LCASE(STR(?title))
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
    """Sizes of the store: triples in the default graph, quads overall, and resources by kind."""

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


@dataclass(frozen=True)
class ListedResource:
    """A resource listed on the home page, with a short note (finding count, publisher...)."""

    link: Link
    note: str


def _int(rows: list[dict], name: str) -> int:
    return int(rows[0][name].value) if rows and name in rows[0] else 0


def counts(store: Store) -> Counts:
    """Count the default graph's triples, all quads, and resources per class."""
    distinct = store.select(_DISTINCT)
    classes = {row["class"].value: int(row["n"].value) for row in store.select(_CLASSES)}
    return Counts(
        triples=_int(store.select(_TRIPLES), "n"),
        quads=len(store),
        distinct_subjects=_int(distinct, "subjects"),
        distinct_properties=_int(distinct, "properties"),
        distinct_objects=_int(distinct, "objects"),
        findings=_int(store.select(_FINDINGS), "n"),
        constructs=len(store.select(_CONSTRUCTS)),
        publications=classes.get(str(EKG.Publication), 0),
        sources=classes.get(str(EKG.SourceDocument), 0),
        classes=classes,
    )


def constructs(store: Store) -> list[ListedResource]:
    """The constructs of the scheme, each with how many findings touch it."""
    out = []
    for row in store.select(_CONSTRUCTS):
        iri = row["c"].value
        label = row["label"].value if "label" in row else None
        n = int(row["findings"].value)
        out.append(ListedResource(make_link(iri, {iri: label} if label else {}), f"{n} finding{'s' * (n != 1)}"))
    return out


def sources(store: Store) -> list[ListedResource]:
    """The source documents facts were read from, with publisher and sentence count."""
    out = []
    for row in store.select(_SOURCES):
        iri = row["d"].value
        title = row["title"].value if "title" in row else None
        n = int(row["sentences"].value)
        note = ", ".join(
            x for x in (row["publisher"].value if "publisher" in row else "", f"{n} sentences" if n else "") if x
        )
        out.append(ListedResource(make_link(iri, {iri: title} if title else {}), note))
    return out


def publications(store: Store) -> list[ListedResource]:
    """The publications cited, with their year."""
    out = []
    for row in store.select(_PUBLICATIONS):
        iri = row["p"].value
        title = row["title"].value if "title" in row else None
        year = row["year"].value[:4] if "year" in row else ""
        out.append(ListedResource(make_link(iri, {iri: title} if title else {}), year))
    return out
