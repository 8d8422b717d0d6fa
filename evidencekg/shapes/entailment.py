"""The superclass types our ontology implies (rdfs:subClassOf among ekg: classes, transitively), made explicit when data is written.

A researcher asks `?f a ekg:Finding` and expects reported and derived findings alike, while the
data asserts only ekg:ReportedFinding or ekg:DerivedFinding. The store has no reasoner, so every
write adds the implied `rdf:type` triples itself, in the same graph as the asserted type: the
shipped files at load (evidencekg.load.shipped), ingests and saved pooled findings
(evidencekg.evidence.batch), validated SPARQL Update and Graph Store writes
(evidencekg.evidence.writes). Only our own classes count (an ekg: class under an ekg: class);
superclasses from other vocabularies (prov:Entity, skos:Concept) are not added. Deleting an
asserted type later leaves the implied one in place.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from evidencekg.model.namespaces import EKG
from evidencekg.settings import Settings
from evidencekg.shapes.validate import RDF_TYPE, vocabulary_quads

SUBCLASS_OF = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")


def superclasses(settings: Settings) -> dict[ox.NamedNode, frozenset[ox.NamedNode]]:
    """Each ekg: class with the ekg: classes above it (transitively), read from the ontology files."""
    direct: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    for q in vocabulary_quads(settings):
        if q.predicate == SUBCLASS_OF and ours(q.subject) and ours(q.object):
            direct.setdefault(q.subject, set()).add(q.object)  # type: ignore[arg-type]
    closed: dict[ox.NamedNode, frozenset[ox.NamedNode]] = {}
    for cls in direct:
        seen: set[ox.NamedNode] = set()
        frontier = list(direct[cls])
        while frontier:
            sup = frontier.pop()
            if sup not in seen and sup != cls:
                seen.add(sup)
                frontier.extend(direct.get(sup, ()))
        closed[cls] = frozenset(seen)
    return closed


def ours(term: object) -> bool:
    """Whether a term is a class of the evidencekg ontology."""
    return isinstance(term, ox.NamedNode) and term.value.startswith(str(EKG))


def with_implied_types(quads: Iterable[ox.Quad], settings: Settings) -> list[ox.Quad]:
    """The quads followed by the superclass types they imply (same subject, same graph) that they lack."""
    above = superclasses(settings)
    result = list(quads)
    present = set(result)
    for q in list(result):
        if q.predicate != RDF_TYPE:
            continue
        if not isinstance(q.object, ox.NamedNode):
            continue
        for sup in sorted(above.get(q.object, ()), key=str):
            implied = ox.Quad(q.subject, RDF_TYPE, sup, q.graph_name)
            if implied not in present:
                present.add(implied)
                result.append(implied)
    return result


def implied_types_update(settings: Settings) -> str:
    """A SPARQL Update adding, in every graph, the superclass types its asserted types imply ("" when none)."""
    pairs = " ".join(f"({sub} {sup})" for sub, sups in sorted(superclasses(settings).items(), key=str) for sup in sorted(sups, key=str))
    if not pairs:
        return ""
    values = f"VALUES (?sub ?sup) {{ {pairs} }}"
    return (
        f"INSERT {{ ?s a ?sup }} WHERE {{ {values} ?s a ?sub }} ;\n"
        f"INSERT {{ GRAPH ?g {{ ?s a ?sup }} }} WHERE {{ {values} GRAPH ?g {{ ?s a ?sub }} }}"
    )
