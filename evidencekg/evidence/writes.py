"""Validated, atomic writes: SPARQL Update and Graph Store operations, checked by SHACL before they commit.

How a write runs (one writer lock per store is held from the copy to the commit):

1. The store's whole dataset is copied into an in-memory pyoxigraph store and the write is
   applied to the copy (a Graph Store payload becomes a `DROP/CLEAR` + `INSERT DATA` update
   string built from the parsed payload; a SPARQL Update runs as given), followed by the
   superclass types it implies (evidencekg.shapes.entailment: `?f a ekg:Finding` for an
   ekg:ReportedFinding), which are part of the write.
2. The delta (quads added and removed) decides what to check: the nodes it touches and the
   nodes linking to a changed subject within two hops (`affected_nodes`). One pyshacl run
   (evidencekg.shapes.validate.run_shacl) over the copy's whole post-write data (all graphs merged,
   plus the ontology's vocabulary) validates them: the shapes' targets are narrowed to those
   nodes (`focused_shapes`), while nested checks (sh:node, sh:or, sh:class of linked nodes)
   see the whole data. The write is refused (ShapeViolation, with the readable report) only
   for violations it introduces: when some are found, the same nodes are checked in the
   pre-write state and violations already there are not held against the write.
3. The write reaches the live store in ONE `store.update()` call, which is atomic in
   Oxigraph and forwarded as one request by `RemoteStore`: the same update string for Graph
   Store operations; for SPARQL Update, the exact delta (`DELETE DATA` + `INSERT DATA`) when
   it holds no blank nodes and the set of named graphs did not change, otherwise the update
   text itself (same starting state under the lock, so the same result up to fresh blank
   node labels).

Copying the whole store is the simplest correct approach for the stores this project ships
(a few thousand triples; about 20k after the Metapsy import); a store of millions of triples
would need the copy replaced by a CONSTRUCT of the affected neighbourhood. Writes made
outside these functions (the loader, another client of a remote endpoint) do not take the lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from rdflib.namespace import SH

from evidencekg.errors import BadRequest, NotFound, QuerySyntaxError, ShapeViolation, StoreError, UnsupportedMediaType
from evidencekg.evidence.protect import refuse_unforced
from evidencekg.evidence.xml_guard import xml_problem
from evidencekg.settings import Settings
from evidencekg.shapes.entailment import implied_types_update
from evidencekg.shapes.validate import (
    ShapeProblem,
    ValidationReport,
    from_rdflib,
    run_shacl,
    shape_problems,
    shapes_graph,
    to_rdflib,
    vocabulary_quads,
)
from evidencekg.sparql import guard
from evidencekg.sparql.parse_errors import error_position, error_text
from evidencekg.store.protocol import Capability, Store, data_block, delta_update, graph_term, rdf_format, store_errors

NQUADS = "application/n-quads"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SUBCLASS_OF = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")

# Identifies one SHACL result independently of message order: (focus node, path, value, message).
ProblemKey = tuple[str, str | None, str | None, str]


class RdfSyntaxError(QuerySyntaxError):
    """An RDF payload could not be parsed; `line` and `column` are 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def shape_violation(problems: Sequence[ShapeProblem]) -> ShapeViolation:
    """The error for a refused write, carrying the readable report of the violations it introduced."""
    report = ValidationReport(list(problems)).text()
    violations = [
        {"severity": p.severity, "focus_node": p.focus_node, "path": p.path, "value": p.value, "message": p.message}
        for p in problems
    ]
    return ShapeViolation(f"the write was refused: it breaks the SHACL shapes\n{report}", report, violations)


@dataclass(frozen=True)
class Payload:
    """One RDF document sent by a client: its bytes and its media type."""

    data: bytes
    media_type: str


@dataclass(frozen=True)
class WriteResult:
    """What a committed write changed."""

    added: int
    removed: int
    created: bool = False  # the target graph did not exist before this write
    graph: str | None = None


def iri(value: str) -> ox.NamedNode:
    """A graph IRI checked for syntax (raises BadRequest naming the bad IRI)."""
    try:
        node = ox.NamedNode(value)
    except ValueError as exc:
        raise BadRequest(f"not a valid graph IRI: {value!r} ({exc})") from exc
    if ":" not in value:
        raise BadRequest(f"not an absolute graph IRI: {value!r}")
    return node


def new_graph_iri(base: str) -> str:
    """A fresh graph IRI under `base` (for POST to the Graph Store itself)."""
    return f"{base.rstrip('/')}/{uuid.uuid4().hex}"


def parse_payload(payload: Payload, graph: str | None, base_iri: str | None = None) -> list[ox.Quad]:
    """Parse an RDF payload into quads of `graph`; bad syntax raises RdfSyntaxError with its position."""
    try:
        fmt = rdf_format(payload.media_type)
    except StoreError as exc:
        raise UnsupportedMediaType(
            f"unsupported content type {payload.media_type!r}: send Turtle, N-Triples, RDF/XML or JSON-LD"
        ) from exc
    if fmt == ox.RdfFormat.RDF_XML and (problem := xml_problem(payload.data)) is not None:
        message, line, column = problem  # pyoxigraph reads a truncated document as a whole one
        where = f" at line {line}, column {column}" if line else ""
        raise RdfSyntaxError(f"could not parse the {fmt.name} body{where}: {message}", line, column)
    target = graph_term(graph)
    try:
        triples = ox.parse(
            payload.data, format=fmt, base_iri=base_iri, without_named_graphs=True, rename_blank_nodes=True
        )
        return [ox.Quad(q.subject, q.predicate, q.object, target) for q in triples]
    except SyntaxError as exc:
        line, column = error_position(exc)
        where = f" at line {line}, column {column}" if line else ""
        raise RdfSyntaxError(f"could not parse the {fmt.name} body{where}: {error_text(exc)}", line, column) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise RdfSyntaxError(f"could not parse the {fmt.name} body: {exc}") from exc


def replace_graph_update(graph: str | None, quads: Sequence[ox.Quad]) -> str:
    """One update string that empties a graph and fills it with `quads` (PUT semantics)."""
    ops = ["CLEAR SILENT DEFAULT"] if graph is None else [f"DROP SILENT GRAPH <{graph}>", f"CREATE SILENT GRAPH <{graph}>"]
    if quads:
        ops.append(f"INSERT DATA {{\n{data_block(quads)}\n}}")
    return " ;\n".join(ops)


def merge_graph_update(graph: str | None, quads: Sequence[ox.Quad]) -> str:
    """One update string that adds `quads` to a graph, creating it when missing (POST semantics)."""
    ops = [] if graph is None else [f"CREATE SILENT GRAPH <{graph}>"]
    if quads:
        ops.append(f"INSERT DATA {{\n{data_block(quads)}\n}}")
    return " ;\n".join(ops)


def delete_graph_update(graph: str | None) -> str:
    """One update string that removes a named graph, or empties the default graph."""
    return "CLEAR DEFAULT" if graph is None else f"DROP GRAPH <{graph}>"


def _snapshot(store: Store) -> list[ox.Quad]:
    """Every quad of the store, blank node labels kept (so a copy compares equal)."""
    if Capability.NATIVE_QUADS in store.capabilities:
        return list(store.oxigraph)  # type: ignore[attr-defined]
    return list(ox.parse(store.dump(NQUADS), format=ox.RdfFormat.N_QUADS))


def affected_nodes(copy: ox.Store, changed: Iterable[ox.Quad]) -> set[ox.NamedNode | ox.BlankNode]:
    """The nodes whose validity a change can alter: its subjects and objects (not classes), plus
    whatever links to a changed subject within two hops (sh:class / sh:node checks look that far)."""
    subjects: set[ox.NamedNode | ox.BlankNode] = set()
    nodes: set[ox.NamedNode | ox.BlankNode] = set()
    for q in changed:
        subjects.add(q.subject)  # type: ignore[arg-type]
        if not isinstance(q.object, ox.Literal) and q.predicate != RDF_TYPE:
            nodes.add(q.object)  # type: ignore[arg-type]
    frontier = set(subjects)
    for _hop in range(2):
        frontier = {q.subject for n in frontier for q in copy.quads_for_pattern(None, None, n)} - subjects - nodes  # type: ignore[assignment]  # no triple terms in our data
        nodes |= frontier
    return subjects | nodes


NARROWED = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf)


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


def _subclasses(data: ox.Store, cls: ox.NamedNode) -> set[ox.NamedNode]:
    """A class and its rdfs:subClassOf descendants in the data (SHACL class targets include them)."""
    found, frontier = {cls}, [cls]
    while frontier:
        for q in data.quads_for_pattern(None, SUBCLASS_OF, frontier.pop()):
            if isinstance(q.subject, ox.NamedNode) and q.subject not in found:
                found.add(q.subject)
                frontier.append(q.subject)
    return found


def _targeted(data: ox.Store, kind: rdflib.term.Node, value: rdflib.term.Node, nodes: set[ox.NamedNode | ox.BlankNode]) -> list[ox.NamedNode | ox.BlankNode]:
    """Which of `nodes` a class / subjects-of / objects-of target of `value` picks in the data."""
    term = from_rdflib(value)
    if kind == SH.targetClass:
        classes = _subclasses(data, term)  # type: ignore[arg-type]
        return [n for n in nodes if any(q.object in classes for q in data.quads_for_pattern(n, RDF_TYPE, None))]
    if kind == SH.targetSubjectsOf:
        return [n for n in nodes if next(data.quads_for_pattern(n, term, None), None) is not None]  # type: ignore[arg-type]
    return [n for n in nodes if next(data.quads_for_pattern(None, term, n), None) is not None]  # type: ignore[arg-type]


def focused_shapes(shapes: rdflib.Graph, data: ox.Store, nodes: set[ox.NamedNode | ox.BlankNode]) -> rdflib.Graph:
    """The shapes with each class / subjects-of / objects-of target narrowed to the `nodes` it picks (as sh:targetNode).

    A full pyshacl run with these shapes validates only those nodes at the top, while nested
    shapes (sh:node, sh:or, sh:class of value nodes) still see every node of the data, unlike
    pyshacl's `focus_nodes` option, which filters the nested checks too (a finding could then
    link to a blank-node construct outside the scheme and pass).
    """
    base, targets = _untargeted(shapes)
    focused = rdflib.Graph()
    focused += base
    for shape, kind, value in targets:
        for node in _targeted(data, kind, value, nodes):
            focused.add((shape, SH.targetNode, to_rdflib(node)))
    return focused


def _violations(quads: Iterable[ox.Quad], nodes: set[ox.NamedNode | ox.BlankNode], settings: Settings) -> list[ShapeProblem]:
    """The Violations of some nodes in a store state (graphs merged), judged with the ontology's vocabulary.

    Only the vocabulary (classes, properties, named individuals) comes from files: everything
    else, the construct scheme included, is judged as the store holds it, so a write that
    removes data is checked against what remains, not against the shipped files. One
    evidencekg.shapes.validate.run_shacl over the whole state with the shapes' targets narrowed to
    `nodes` (focused_shapes); sh:targetNode targets are kept as they are.
    """
    shapes = shapes_graph(settings)
    if shapes is None or not nodes:
        return []
    data = ox.Store()
    data.extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    data.extend(vocabulary_quads(settings))
    results = run_shacl(data, focused_shapes(shapes, data, nodes))
    return [p for p in shape_problems(results, lambda _node: None) if p.severity == "Violation"]


def _key(problem: ShapeProblem) -> ProblemKey:
    return (problem.focus_node, problem.path, problem.value, problem.message)


def check_shapes(before: Iterable[ox.Quad], copy: ox.Store, changed: Iterable[ox.Quad], settings: Settings) -> None:
    """Raise ShapeViolation for the violations of the affected nodes that the write introduces
    (violations they already had before the write are not held against it)."""
    nodes = affected_nodes(copy, changed)
    found = _violations(copy, nodes, settings)
    if found:
        known = set(map(_key, _violations(before, nodes, settings)))
        new = [p for p in found if _key(p) not in known]
        if new:
            raise shape_violation(new)


def then(update: str, more: str) -> str:
    """One update text running `update`, then `more` (a trailing comment or `;` of `update` is harmless)."""
    if not more:
        return update
    return f"{update}\n{more}" if update.rstrip().endswith(";") else f"{update}\n;\n{more}"


def _has_blank_nodes(quads: Iterable[ox.Quad]) -> bool:
    return any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads)


def check_literal_sizes(quads: Iterable[ox.Quad], limit: int) -> None:
    """BadRequest naming the subject when a written literal is longer than `limit` UTF-8 bytes."""
    for quad in quads:
        value = quad.object.value if isinstance(quad.object, ox.Literal) else ""
        if len(value) > limit // 4 and len(value.encode("utf-8")) > limit:
            raise BadRequest(
                f"a literal of {len(value.encode('utf-8'))} bytes on {quad.subject} {quad.predicate} is longer than "
                f"the {limit} bytes a write may store (settings.max_literal_bytes, EVIDENCEKG_MAX_LITERAL_BYTES)"
            )


def _apply(
    store: Store,
    update: str,
    settings: Settings,
    *,
    graph: str | None = None,
    exact_delta: bool = False,
    force: bool = False,
) -> WriteResult:
    """Apply an update to a copy, validate, then commit it to the live store in one atomic call.

    Unless forced, an update that would empty the default graph, ALL, NAMED or one of our graphs of a store holding
    the shipped evidence is refused (Conflict).
    """
    with store.write_lock:
        existed = store.graph_exists(graph)
        before_list = _snapshot(store)
        copy = ox.Store()
        copy.extend(before_list)
        if Capability.NATIVE_QUADS in store.capabilities:  # empty named graphs hold no quad but exist (DROP needs them)
            for name in store.oxigraph.named_graphs():  # type: ignore[attr-defined]
                copy.add_graph(name)
        graphs_before = set(copy.named_graphs())
        if not force:
            refuse_unforced(update, (g.value for g in graphs_before))
        implied = implied_types_update(settings)
        with store_errors():  # the store's error types, as a write to the store itself gives
            try:
                copy.update(update)
            except RuntimeError as exc:  # evaluation on an in-memory copy fails only for what the update asks
                raise BadRequest(f"the update cannot be applied: {exc}") from exc
            if implied:
                copy.update(implied)
        before, after = frozenset(before_list), frozenset(copy)
        added, removed = after - before, before - after
        check_literal_sizes(added, settings.max_literal_bytes)
        same_graphs = graphs_before == set(copy.named_graphs())
        if added or removed:
            check_shapes(before_list, copy, added | removed, settings)
        if exact_delta and same_graphs and not _has_blank_nodes(added | removed):
            commit = delta_update(sorted(removed, key=str), sorted(added, key=str))
        else:
            commit = then(update, implied)
        if commit and (added or removed or not same_graphs):
            store.update(commit)
        return WriteResult(added=len(added), removed=len(removed), created=graph is not None and not existed, graph=graph)


def sparql_update(
    store: Store, update_text: str, settings: Settings, *, base_iri: str | None = None, force: bool = False
) -> WriteResult:
    """Run a SPARQL Update after checking its LOAD/SERVICE targets and the shapes; atomic."""
    # a prologue BASE, so the copy and a re-run on the live store resolve alike
    based = f"BASE <{iri(base_iri).value}>\n{update_text}" if base_iri else update_text
    with guard.admitted(update_text, settings.service_allowlist, settings.max_nesting, base_iri, update=True):
        return _apply(store, based, settings, exact_delta=True, force=force)


def _payload_quads(graph: str | None, parts: Sequence[Payload], base_iri: str | None) -> list[ox.Quad]:
    """The quads of every payload, put in `graph` (its IRI checked first; it is their base IRI unless one is given)."""
    if graph is not None:
        iri(graph)
    return [q for part in parts for q in parse_payload(part, graph, base_iri or graph)]


def put_graph(
    store: Store,
    graph: str | None,
    data: bytes,
    media_type: str,
    settings: Settings,
    *,
    base_iri: str | None = None,
    force: bool = False,
) -> WriteResult:
    """Replace a graph (None: the default graph) with an RDF payload, validated and atomic."""
    return put_graph_parts(store, graph, [Payload(data, media_type)], settings, base_iri=base_iri, force=force)


def put_graph_parts(
    store: Store,
    graph: str | None,
    parts: Sequence[Payload],
    settings: Settings,
    *,
    base_iri: str | None = None,
    force: bool = False,
) -> WriteResult:
    """Replace a graph with the merge of several RDF payloads (e.g. a multipart request)."""
    update = replace_graph_update(graph, _payload_quads(graph, parts, base_iri))
    return _apply(store, update, settings, graph=graph, force=force)


def post_graph(
    store: Store, graph: str | None, data: bytes, media_type: str, settings: Settings, *, base_iri: str | None = None
) -> WriteResult:
    """Merge an RDF payload into a graph (created when missing), validated and atomic."""
    return post_graph_parts(store, graph, [Payload(data, media_type)], settings, base_iri=base_iri)


def post_graph_parts(
    store: Store, graph: str | None, parts: Sequence[Payload], settings: Settings, *, base_iri: str | None = None
) -> WriteResult:
    """Merge several RDF payloads into a graph (blank nodes of each payload kept apart)."""
    return _apply(store, merge_graph_update(graph, _payload_quads(graph, parts, base_iri)), settings, graph=graph)


def delete_graph(store: Store, graph: str | None, settings: Settings, *, force: bool = False) -> WriteResult:
    """Remove a named graph (or empty the default graph); NotFound when it does not exist."""
    if graph is not None:
        iri(graph)
        if not store.graph_exists(graph):
            raise NotFound(f"no graph named <{graph}> in this store")
    return _apply(store, delete_graph_update(graph), settings, graph=graph, force=force)


def get_graph(store: Store, graph: str | None, media_type: str) -> bytes:
    """Serialize one graph (None: the default graph); NotFound when it does not exist."""
    if graph is not None:
        iri(graph)
        if not store.graph_exists(graph):
            raise NotFound(f"no graph named <{graph}> in this store")
    return store.dump(media_type, graph)
