"""SHACL of the nodes a write touches, judged on their neighbourhood in the store (never on the whole store).

A write's delta decides which nodes to check (`affected_nodes`: its subjects and objects, and what
links to a changed subject within two hops). pyshacl then runs over a small in-memory Oxigraph store
holding only what the shapes read about those nodes (`neighbourhood`):

- the triples of each node, of the nodes they link to, and of the nodes those link to (three levels of
  outgoing links, rdf:type objects not followed: finding -> source sentence -> document -> its type is
  the longest chain our shapes follow, through sh:node, sh:class and sh:qualifiedValueShape);
- for the SPARQL constraints that compare a node with its siblings (two sentences of one document at
  one position), the siblings that share both values (`SIBLINGS`);
- the ontology's vocabulary (classes, properties, named individuals), from ontology/.

The shapes' class / subjects-of / objects-of targets are narrowed to those nodes (`focused_shapes`),
so pyshacl validates them at the top while nested checks still see their whole neighbourhood. A shape
that read further than this would need its path added here (and a test in tests/test_write_scale.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, Protocol

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from evidencekg.settings import Settings
from evidencekg.shapes.validate import (
    ShapeProblem,
    from_rdflib,
    run_shacl,
    shape_problems,
    shapes_graph,
    to_rdflib,
    vocabulary_quads,
)

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SUBCLASS_OF = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
DEPTH = 3  # levels of outgoing links the shapes read from a focus node
# (link, key): a node's siblings are the other subjects with the same link object and the same key value.
SIBLINGS = (
    (ox.NamedNode("http://purl.org/dc/terms/isPartOf"), ox.NamedNode("https://w3id.org/evidencekg/ontology#position")),
)
NARROWED = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf)

Node = ox.NamedNode | ox.BlankNode


class Readable(Protocol):
    """A store state read by pattern (a pyoxigraph Store, or evidencekg.evidence.delta.Overlay)."""

    def quads_for_pattern(self, subject: Any, predicate: Any, obj: Any, graph: Any = None, /) -> Iterator[ox.Quad]:
        """The quads matching the pattern (None: any)."""


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
    frontier: set[object] = set(nodes)
    for _level in range(DEPTH):
        following: set[object] = set()
        for node in frontier:
            for q in state.quads_for_pattern(node, None, None):
                triples.add(q.triple)
                if q.predicate != RDF_TYPE and not isinstance(q.object, ox.Literal):
                    following.add(q.object)
        seen |= frontier
        frontier = following - seen
    for node in nodes:
        for link, key in SIBLINGS:
            for linked in state.quads_for_pattern(node, link, None):
                for valued in state.quads_for_pattern(node, key, None):
                    for other in state.quads_for_pattern(None, key, valued.object):
                        for same in state.quads_for_pattern(other.subject, link, linked.object):
                            triples.update((other.triple, same.triple))
    return triples


@lru_cache(maxsize=4)
def _untargeted(shapes: rdflib.Graph) -> tuple[rdflib.Graph, tuple[tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node], ...]]:
    """The shapes without their class / subjects-of / objects-of targets, and those targets (cached per shapes graph)."""
    base = rdflib.Graph()
    targets = []
    for triple in shapes:
        if triple[1] in NARROWED:
            targets.append(triple)
        else:
            base.add(triple)
    return base, tuple(targets)


def _subclasses(data: Readable, cls: ox.NamedNode) -> set[ox.NamedNode]:
    """A class and its rdfs:subClassOf descendants in the data (SHACL class targets include them)."""
    found, frontier = {cls}, [cls]
    while frontier:
        for q in data.quads_for_pattern(None, SUBCLASS_OF, frontier.pop()):
            if isinstance(q.subject, ox.NamedNode) and q.subject not in found:
                found.add(q.subject)
                frontier.append(q.subject)
    return found


def _targeted(data: Readable, state: Readable, kind: rdflib.term.Node, value: rdflib.term.Node, nodes: set[Node]) -> list[Node]:
    """Which of `nodes` a class / subjects-of / objects-of target of `value` picks (incoming links read in `state`)."""
    term = from_rdflib(value)
    if kind == SH.targetClass:
        classes = _subclasses(data, term)  # type: ignore[arg-type]
        return [n for n in nodes if any(q.object in classes for q in data.quads_for_pattern(n, RDF_TYPE, None))]
    if kind == SH.targetSubjectsOf:
        return [n for n in nodes if next(data.quads_for_pattern(n, term, None), None) is not None]
    return [n for n in nodes if next(state.quads_for_pattern(None, term, n), None) is not None]


def focused_shapes(shapes: rdflib.Graph, data: Readable, state: Readable, nodes: set[Node]) -> rdflib.Graph:
    """The shapes with each class / subjects-of / objects-of target narrowed to the `nodes` it picks (as sh:targetNode).

    A pyshacl run with these shapes validates only those nodes at the top, while nested shapes
    (sh:node, sh:or, sh:class of value nodes) still see every node of the data, unlike pyshacl's
    `focus_nodes` option, which filters the nested checks too (a finding could then link to a
    blank-node construct outside the scheme and pass).
    """
    base, targets = _untargeted(shapes)
    focused = rdflib.Graph()
    focused += base
    for shape, kind, value in targets:
        for node in _targeted(data, state, kind, value, nodes):
            focused.add((shape, SH.targetNode, to_rdflib(node)))
    return focused


def violations(state: Readable, nodes: set[Node], settings: Settings) -> list[ShapeProblem]:
    """The Violations of some nodes in a store state, judged on their neighbourhood plus the ontology's vocabulary.

    Only the vocabulary (classes, properties, named individuals) comes from files: everything else,
    the construct scheme included, is judged as the store holds it, so a write that removes data is
    checked against what remains. sh:targetNode targets of the shapes are kept as they are.
    """
    shapes = shapes_graph(settings)
    if shapes is None or not nodes:
        return []
    data = ox.Store()
    data.extend(ox.Quad(t.subject, t.predicate, t.object) for t in neighbourhood(state, nodes))
    data.extend(vocabulary_quads(settings))
    results = run_shacl(data, focused_shapes(shapes, data, state, nodes))
    return [p for p in shape_problems(results, lambda _node: None) if p.severity == "Violation"]
