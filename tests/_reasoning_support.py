"""The reused ontologies of ../shared/ontologies for the reasoning tests: which file holds which namespace, a module of them."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, Literal, URIRef

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EVIDENCEKG_SHARED", ROOT.parent / "shared"))
REFERENCE_DIR = SHARED / "ontologies"

# Reference file(s) per reused namespace (their README says where each comes from). OBI and
# BFO terms appear inside the OBO files (STATO and SEPIO import them).
REFERENCE_FILES: dict[str, tuple[str, ...]] = {
    "http://purl.obolibrary.org/obo/": ("sepio.owl", "stato.owl", "iao.owl"),
    "http://www.w3.org/ns/prov#": ("prov-o.ttl",),
    "http://purl.org/ontology/bibo/": ("bibo.owl",),
    "http://purl.org/spar/fabio/": ("fabio.nt",),
    "http://www.w3.org/2004/02/skos/core#": ("skos.ttl",),
    "http://purl.org/dc/terms/": ("dcterms.ttl",),
    "http://www.w3.org/ns/dcat#": ("dcat3.ttl",),
    "http://xmlns.com/foaf/0.1/": ("foaf.ttl",),
}
# What the consistency check merges: the files whose axioms bear on our classes and properties.
# STATO is left out: we only name its classes (as values of ekg:effectSizeMeasure and
# ekg:statisticalModel), type nothing with them, and its 2 MB would triple the run time.
REASONING_FILES = ("sepio.owl", "iao.owl", "prov-o.ttl", "bibo.owl", "fabio.nt", "skos.ttl", "dcterms.ttl",
                   "dcat3.ttl", "foaf.ttl")
FORMATS = {".owl": "xml", ".ttl": "turtle", ".nt": "nt"}

# Axioms stated on the other term of a pair: a module must follow them backwards too.
_BACKWARD = (OWL.disjointWith, OWL.equivalentClass, OWL.inverseOf, OWL.propertyDisjointWith, OWL.equivalentProperty)


def reference_graph(names: Iterable[str]) -> rdflib.Graph:
    """The named reference files parsed into one graph (skips the test when ../shared is absent)."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference ontologies not available at {REFERENCE_DIR}")
    graph = rdflib.Graph()
    for name in names:
        path = REFERENCE_DIR / name
        graph.parse(path, format=FORMATS[path.suffix])
    return graph


def ours() -> rdflib.Graph:
    """Our ontology, the construct scheme and every shipped data file (what a consumer would merge)."""
    graph = rdflib.Graph()
    for path in [ROOT / "ontology" / "evidencekg.ttl", ROOT / "ontology" / "constructs.ttl",
                 *sorted((ROOT / "data").glob("*.ttl"))]:
        graph.parse(path, format="turtle")
    return graph


def _list_owners(reused: rdflib.Graph, term: rdflib.term.Node) -> list[rdflib.term.Node]:
    """The nodes whose owl:members / owl:distinctMembers list holds term (AllDisjointClasses, AllDifferent)."""
    owners = []
    for cell in reused.subjects(RDF.first, term):
        head = cell
        while (before := reused.value(predicate=RDF.rest, object=head)) is not None:
            head = before
        owners += [s for s, p in reused.subject_predicates(head) if p in (OWL.members, OWL.distinctMembers)]
    return owners


def module(reused: rdflib.Graph, signature_of: rdflib.Graph) -> rdflib.Graph:
    """The part of reused that can bear on signature_of's terms: their axioms, and those of everything they reach.

    From every IRI the graph uses, it takes each triple about that term and follows its
    objects (superclasses, domains, ranges, restrictions, lists), plus the axioms stated
    on the other side of a pair (disjointness, equivalence, inverses) and the
    AllDisjointClasses a term is a member of. A classical upward module: what it leaves out
    is about terms nothing of ours reaches.
    """
    seen: set[rdflib.term.Node] = set()
    todo: list[rdflib.term.Node] = [t for triple in signature_of for t in triple if isinstance(t, URIRef)]
    out = rdflib.Graph()
    while todo:
        term = todo.pop()
        if term in seen:
            continue
        seen.add(term)
        for p, o in reused.predicate_objects(term):
            out.add((term, p, o))
            if not isinstance(o, Literal):
                todo.append(o)
        for p in _BACKWARD:
            for s in reused.subjects(p, term):
                out.add((s, p, term))
                todo.append(s)
        todo += _list_owners(reused, term)
    return out


def hermit_ready(graph: rdflib.Graph) -> rdflib.Graph:
    """A copy HermiT accepts offline: no owl:imports, no literals of datatypes outside the OWL 2 datatype map.

    HermiT refuses an xsd:gYear or xsd:date literal outright (publication years, online
    dates); it could not reason about their values anyway, and no axiom restricts them.
    """
    owl2 = {rdflib.XSD[name] for name in (
        "decimal integer nonNegativeInteger nonPositiveInteger positiveInteger negativeInteger long int short byte "
        "unsignedLong unsignedInt unsignedShort unsignedByte double float string normalizedString token language "
        "Name NCName NMTOKEN boolean hexBinary base64Binary anyURI dateTime dateTimeStamp").split()}
    out = rdflib.Graph()
    for s, p, o in graph:
        if p == OWL.imports:  # owlready2 would fetch them from the web; the merge already holds what we reuse
            continue
        if isinstance(o, Literal) and o.datatype is not None and o.datatype not in owl2 \
                and not str(o.datatype).startswith(str(RDF)):
            continue
        out.add((s, p, o))
    return out
