"""Discovery metadata: the schema.org Dataset of the home page, and the link sets and named graphs VoID states."""

from __future__ import annotations

import json
from dataclasses import dataclass

from evidencekg.model.namespaces import DOI_RESOLVER, PUBMED, sparql_prologue
from evidencekg.pages.nanopubs import LICENCE
from evidencekg.store.cache import cached
from evidencekg.store.protocol import Store

TITLE = "evidencekg: psychotherapy research evidence"
DESCRIPTION = (
    "Reported and derived statistical findings of psychotherapy research (effect sizes with confidence "
    "intervals, p-values, k, N, heterogeneity and moderator tests), the constructs they relate, the "
    "publications and the source sentences each number was read from."
)
CREATOR = "the evidencekg project"

# The external datasets our triples link to: (key, IRI prefix of their terms, the dataset, its title).
LINK_TARGETS = (
    ("mesh", "http://id.nlm.nih.gov/mesh/", "http://id.nlm.nih.gov/mesh/", "MeSH (Medical Subject Headings)"),
    ("mf", "http://purl.obolibrary.org/obo/MF_", "http://purl.obolibrary.org/obo/mf.owl", "Mental Functioning Ontology"),
    ("bcio", "http://humanbehaviourchange.org/ontology/BCIO_", "http://humanbehaviourchange.org/ontology/bcio.owl",
     "Behaviour Change Intervention Ontology"),
    ("doi", DOI_RESOLVER, DOI_RESOLVER, "DOI (publications and datasets, resolved by doi.org)"),
    ("pubmed", PUBMED, PUBMED, "PubMed"),
)  # fmt: skip

_LINKS = sparql_prologue() + """
SELECT ?prefix ?p (COUNT(*) AS ?n) WHERE {
  VALUES ?prefix { %s }
  ?s ?p ?o FILTER (isIRI(?o) && STRSTARTS(STR(?o), ?prefix))
} GROUP BY ?prefix ?p ORDER BY ?prefix ?p
""" % " ".join(json.dumps(prefix) for _, prefix, _, _ in LINK_TARGETS)  # noqa: UP031
_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
_MEASURES = sparql_prologue() + """
SELECT ?m (SAMPLE(?l) AS ?label) WHERE {
  ?f ekg:effectSizeMeasure ?m .
  OPTIONAL { GRAPH ?g { ?m rdfs:label ?l } }
} GROUP BY ?m ORDER BY ?m
"""
_CITATIONS = sparql_prologue() + """
SELECT DISTINCT ?c WHERE {
  VALUES ?kind { ekg:Publication ekg:Dataset }
  ?r a ?kind ; dcterms:bibliographicCitation ?c .
} ORDER BY ?c
"""
# What every finding records besides its effect size (the ekg: terms of docs/model.md).
RECORDED = (("confidence interval", "ciLower"), ("p-value", "pValue"), ("number of studies (k)", "numberOfStudies"),
            ("sample size (N)", "sampleSize"), ("standard error", "standardError"))  # fmt: skip


@dataclass(frozen=True)
class Linkset:
    """Triples of ours whose object is a term of an external dataset, by link predicate."""

    key: str
    target: str
    title: str
    predicate: str
    triples: int


def linksets(store: Store) -> list[Linkset]:
    """The link sets to MeSH, MF, BCIO, DOI and PubMed, counted in the data union (mappings included)."""
    return cached(store, "discovery-linksets", lambda: _linksets(store))


def _linksets(store: Store) -> list[Linkset]:
    targets = {prefix: (key, target, title) for key, prefix, target, title in LINK_TARGETS}
    found = []
    for row in store.select(_LINKS):
        key, target, title = targets[row["prefix"].value]
        found.append(Linkset(key, target, title, row["p"].value, int(row["n"].value)))
    return found


def named_graphs(store: Store) -> list[str]:
    """The IRIs of the store's named graphs (ontology, shapes, each data file, each ingest...)."""
    return cached(store, "discovery-graphs", lambda: [row["g"].value for row in store.select(_GRAPHS)])


def dataset_jsonld(store: Store, dataset: str, service: str) -> str:
    """The schema.org Dataset description, as JSON safe inside a <script type="application/ld+json">."""
    service = service.rstrip("/")
    measures = [
        {"@type": "PropertyValue", "name": row["label"].value if "label" in row else row["m"].value, "propertyID": row["m"].value}
        for row in cached(store, "discovery-measures", lambda: store.select(_MEASURES))
    ]
    measures += [{"@type": "PropertyValue", "name": name, "propertyID": f"https://w3id.org/evidencekg/ontology#{term}"}
                 for name, term in RECORDED]  # fmt: skip
    citations = [row["c"].value for row in cached(store, "discovery-citations", lambda: store.select(_CITATIONS))]
    description = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": dataset,
        "name": TITLE,
        "description": DESCRIPTION,
        "url": service + "/",
        "license": LICENCE,
        "creator": {"@type": "Organization", "name": CREATOR},
        "isAccessibleForFree": True,
        "distribution": [
            {"@type": "DataDownload", "contentUrl": service + "/dump.ttl", "encodingFormat": "text/turtle"},
            {"@type": "DataDownload", "contentUrl": service + "/dump.nq", "encodingFormat": "application/n-quads"},
        ],
        "citation": citations,
        "variableMeasured": measures,
    }
    # "<", ">" and "&" escaped so no text in the data can close the script element
    return json.dumps(description, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
