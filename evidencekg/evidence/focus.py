"""SHACL of the nodes a write touches, judged on their neighbourhood in the store (never on the whole store).

A write's delta decides which nodes to check (`affected_nodes`: its subjects and objects, and what
links to a changed subject within two hops). pyshacl then runs over a small in-memory Oxigraph store
holding only what the shapes read about those nodes (`neighbourhood`):

- the triples of each node, of the nodes they link to, and of the nodes those link to (three levels of
  outgoing links, rdf:type objects not followed: finding -> source sentence -> document -> its type is
  the longest chain our shapes follow, through sh:node, sh:class and sh:qualifiedValueShape); a node
  linking to more than HUB others (a concept scheme and its top concepts) is read but not followed;
- for the SPARQL constraints that compare a node with its siblings (two sentences of one document at
  one position), the siblings that share both values (`SIBLINGS`);
- the ontology's vocabulary (classes, properties, named individuals), from ontology/.

Each shape runs on the nodes it targets among those (evidencekg.shapes.compiled), so only they are
judged at the top while nested checks see their whole neighbourhood. A shape that read further than
this would need its path added here (and a test in tests/test_write_scale.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import pyoxigraph as ox

from evidencekg.settings import Settings
from evidencekg.shapes.compiled import validate_nodes
from evidencekg.shapes.validate import ShapeProblem, shape_problems, shapes_graph, vocabulary_quads

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DEPTH = 3  # levels of outgoing links the shapes read from a focus node
HUB = 64  # a node with more outgoing links (a concept scheme listing its top concepts) is read but not followed
# (link, key): a node's siblings are the other subjects with the same link object and the same key value.
SIBLINGS = (
    (ox.NamedNode("http://purl.org/dc/terms/isPartOf"), ox.NamedNode("https://w3id.org/evidencekg/ontology#position")),
)

Node = ox.NamedNode | ox.BlankNode


class Readable(Protocol):
    """A store state read by pattern (evidencekg.evidence.delta.Overlay)."""

    def quads_for_pattern(self, subject: Any, predicate: Any, obj: Any, graph: Any = None, /) -> Iterator[ox.Quad]:
        """The quads matching the pattern (None: any)."""

    def outgoing(self, nodes: Iterable[object]) -> list[ox.Quad]:
        """Every quad whose subject is one of `nodes`."""


def affected_nodes(state: Readable, changed: Iterable[ox.Quad]) -> set[Node]:
    """The nodes whose validity a change can alter: its subjects and objects (not classes), plus
    whatever links to a changed subject within two hops (sh:class / sh:node checks look that far)."""
    subjects: set[Node] = set()
    nodes: set[Node] = set()
    for q in changed:
        subjects.add(q.subject)  # type: ignore[arg-type]
        if not isinstance(q.object, ox.Literal) and q.predicate != RDF_TYPE:
            nodes.add(q.object)  # type: ignore[arg-type]
    frontier = set(subjects)
    for _hop in range(2):
        frontier = {q.subject for n in frontier for q in state.quads_for_pattern(None, None, n)} - subjects - nodes  # type: ignore[misc, assignment]  # no triple terms in our data
        nodes |= frontier
    return subjects | nodes


def neighbourhood(state: Readable, nodes: Iterable[Node]) -> set[ox.Triple]:
    """The triples the shapes read about `nodes` (see the module docstring), graphs merged."""
    triples: set[ox.Triple] = set()
    seen: set[object] = set()
    focus: set[object] = set(nodes)
    frontier = set(focus)
    for _level in range(DEPTH):
        following: set[object] = set()
        objects: dict[object, set[object]] = {}
        for q in state.outgoing(frontier):
            triples.add(q.triple)
            if q.predicate != RDF_TYPE and not isinstance(q.object, ox.Literal):
                objects.setdefault(q.subject, set()).add(q.object)
        for node, targets in objects.items():
            if len(targets) <= HUB or node in focus:
                following |= targets
        seen |= frontier
        frontier = following - seen
    for node in focus:
        for link, key in SIBLINGS:
            for linked in state.quads_for_pattern(node, link, None):
                for valued in state.quads_for_pattern(node, key, None):
                    for other in state.quads_for_pattern(None, key, valued.object):
                        for same in state.quads_for_pattern(other.subject, link, linked.object):
                            triples.update((other.triple, same.triple))
    return triples


def violations(state: Readable, nodes: set[Node], settings: Settings) -> list[ShapeProblem]:
    """The Violations of some nodes in a store state, judged on their neighbourhood plus the ontology's vocabulary.

    Only the vocabulary (classes, properties, named individuals) comes from files: everything else,
    the construct scheme included, is judged as the store holds it, so a write that removes data is
    checked against what remains.
    """
    shapes = shapes_graph(settings)
    if shapes is None or not nodes:
        return []
    data = ox.Store()
    data.extend(ox.Quad(t.subject, t.predicate, t.object) for t in neighbourhood(state, nodes))
    data.extend(vocabulary_quads(settings))
    results = validate_nodes(data, shapes, nodes)
    return [p for p in shape_problems(results, lambda _node: None) if p.severity == "Violation"]
