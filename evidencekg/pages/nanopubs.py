"""A finding as a nanopublication: head, assertion (the finding), provenance (its sentences and documents), publication info.

The nanopublication of https://w3id.org/evidencekg/id/finding/KEY is
https://w3id.org/evidencekg/np/finding/KEY, with the graphs `#Head`, `#assertion`, `#provenance`
and `#pubinfo` (the layout the nanopub library reads). The assertion holds the finding's own
triples; the provenance says the assertion was derived from the source sentences (their
verbatim text) and has the documents as primary sources; the publication info gives the
creator, the time and the licence (the source document's own where it states one). Unsigned:
signing needs a key of the publisher's (nanopub's `Nanopub.sign`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pyoxigraph as ox

from evidencekg.model.namespaces import ID, sparql_prologue
from evidencekg.store.protocol import Store

NP = "http://www.nanopub.org/nschema#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
LICENCE = "https://creativecommons.org/licenses/by/4.0/"  # the ontology's own dcterms:license (ontology/evidencekg.ttl)
FINDING = str(ID) + "finding/"

_ASSERTION = "CONSTRUCT { ?f ?p ?o } WHERE { ?f ?p ?o FILTER(?p != prov:wasDerivedFrom) }"
_SOURCES = sparql_prologue() + """
SELECT ?s ?d ?licence WHERE {
  ?f prov:wasDerivedFrom ?s .
  OPTIONAL { ?s dcterms:isPartOf ?d OPTIONAL { ?d dcterms:license ?licence } }
} ORDER BY ?s"""
_SENTENCES = sparql_prologue() + """
CONSTRUCT { ?s ?p ?o . ?d ?dp ?do } WHERE {
  ?f prov:wasDerivedFrom ?s . ?s ?p ?o .
  OPTIONAL { ?s dcterms:isPartOf ?d . ?d ?dp ?do FILTER(!isBlank(?do)) }
}"""
_FINDINGS = sparql_prologue() + "SELECT DISTINCT ?f WHERE { VALUES ?t { ekg:ReportedFinding ekg:DerivedFinding } ?f a ?t } ORDER BY ?f"


def nanopub_iri(finding: str, base_url: str) -> str:
    """The nanopublication IRI of a finding IRI.

    >>> nanopub_iri("https://w3id.org/evidencekg/id/finding/x", "https://w3id.org/evidencekg/")
    'https://w3id.org/evidencekg/np/finding/x'
    """
    return base_url.rstrip("/") + "/np/finding/" + finding.removeprefix(FINDING)


def findings(store: Store) -> list[str]:
    """Every reported and derived finding's IRI, in order."""
    return [r["f"].value for r in store.select(_FINDINGS)]


def nanopub_quads(store: Store, finding: str, base_url: str, created: datetime | None = None) -> list[ox.Quad] | None:
    """The four graphs of a finding's nanopublication, None when the store holds nothing about the finding."""
    subject = ox.NamedNode(finding)
    bound = {"f": subject}
    assertion = store.construct(sparql_prologue() + _ASSERTION, bound)
    if not assertion:
        return None
    np = nanopub_iri(finding, base_url)
    node = ox.NamedNode(np)
    head, a, p, i = (ox.NamedNode(f"{np}#{name}") for name in ("Head", "assertion", "provenance", "pubinfo"))
    quads = [
        ox.Quad(node, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(NP + "Nanopublication"), head),
        ox.Quad(node, ox.NamedNode(NP + "hasAssertion"), a, head),
        ox.Quad(node, ox.NamedNode(NP + "hasProvenance"), p, head),
        ox.Quad(node, ox.NamedNode(NP + "hasPublicationInfo"), i, head),
    ]
    quads += [ox.Quad(t.subject, t.predicate, t.object, a) for t in assertion]
    sources = store.select(_SOURCES, bound)
    quads += _provenance(a, p, sources)
    quads += [ox.Quad(t.subject, t.predicate, t.object, p) for t in store.construct(_SENTENCES, bound)]
    licences = sorted({r["licence"].value for r in sources if "licence" in r}) or [LICENCE]
    stamp = (created or datetime.now(UTC)).replace(microsecond=0).isoformat()
    quads += [
        ox.Quad(node, ox.NamedNode(DCTERMS + "creator"), ox.NamedNode(base_url), i),
        ox.Quad(node, ox.NamedNode(DCTERMS + "created"), ox.Literal(stamp, datatype=XSD_DATETIME), i),
        ox.Quad(node, ox.NamedNode(PROV + "generatedAtTime"), ox.Literal(stamp, datatype=XSD_DATETIME), i),
        *(ox.Quad(node, ox.NamedNode(DCTERMS + "license"), ox.NamedNode(x), i) for x in licences),
        ox.Quad(node, ox.NamedNode(DCTERMS + "subject"), subject, i),
    ]
    return quads


def _provenance(assertion: ox.NamedNode, graph: ox.NamedNode, sources: Sequence[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]) -> list[ox.Quad]:
    """The assertion derived from each sentence, its documents its primary sources."""
    quads = [ox.Quad(assertion, ox.NamedNode(PROV + "wasDerivedFrom"), r["s"], graph) for r in sources]
    documents = sorted({r["d"].value for r in sources if "d" in r})
    return quads + [ox.Quad(assertion, ox.NamedNode(PROV + "hadPrimarySource"), ox.NamedNode(d), graph) for d in documents]


def nanopub_trig(store: Store, finding: str, base_url: str, created: datetime | None = None) -> bytes | None:
    """A finding's nanopublication as TriG (None when unknown)."""
    quads = nanopub_quads(store, finding, base_url, created)
    if quads is None:
        return None
    body = ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes={"np": NP, "prov": PROV, "dcterms": DCTERMS,
                                                                    "ekg": "https://w3id.org/evidencekg/ontology#"})  # fmt: skip
    assert body is not None  # the stub says bytes | None: bytes when no output is given
    return body
