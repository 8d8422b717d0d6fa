"""Validated, atomic writes: SPARQL Update and Graph Store operations, checked by SHACL before they commit.

How a write runs (one writer lock per store is held from the delta to the commit):

1. The write's change is worked out without applying it (evidencekg.evidence.delta): an overlay of
   quads added and removed over the live store, plus the superclass types the added quads imply
   (evidencekg.shapes.entailment: `?f a ekg:Finding` for an ekg:ReportedFinding). A Graph Store
   payload becomes a `DROP/CLEAR` + `INSERT DATA` update string built from the parsed payload first.
2. The nodes the change touches and those linking to a changed subject within two hops
   (evidencekg.evidence.focus.affected_nodes) are validated on their neighbourhood with the shapes
   (evidencekg.evidence.focus.violations). The write is refused (ShapeViolation, with the readable
   report) only for violations it introduces: when some are found, the same nodes are checked in the
   pre-write state and violations already there are not held against the write.
3. The write reaches the live store in ONE `store.update()` call, which is atomic in Oxigraph and
   forwarded as one request by `RemoteStore`: for SPARQL Update, the exact delta (`DELETE DATA` +
   `INSERT DATA`) when it holds no blank nodes and the set of named graphs did not change, otherwise
   the update text itself (same starting state under the lock, so the same result up to fresh blank
   node labels); the same update string for Graph Store operations.

Updates the delta reader does not work out, and every write to a remote store, take the general
path instead (`_commit_copy`): the whole dataset copied into an in-memory store, the write applied
to the copy, the delta read from before/after sets; its cost grows with the store. Writes made
outside these functions (the loader, another client of a remote endpoint) do not take the lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass

import pyoxigraph as ox

from evidencekg.errors import BadRequest, NotFound, QuerySyntaxError, ShapeViolation, StoreError, UnsupportedMediaType
from evidencekg.evidence.delta import Overlay, delta
from evidencekg.evidence.depth_guard import nesting_problem
from evidencekg.evidence.focus import Readable, affected_nodes, violations
from evidencekg.evidence.protect import refuse_unforced
from evidencekg.evidence.xml_guard import xml_problem
from evidencekg.settings import Settings
from evidencekg.shapes.entailment import implied_types_update, with_implied_types
from evidencekg.shapes.validate import ShapeProblem, ValidationReport
from evidencekg.sparql import guard
from evidencekg.sparql.parse_errors import error_position, error_text
from evidencekg.store.files import decimal_literal
from evidencekg.store.protocol import Capability, Store, data_block, delta_update, graph_term, rdf_format, store_errors

NQUADS = "application/n-quads"

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


def parse_payload(payload: Payload, graph: str | None, base_iri: str | None = None, max_nesting: int = 200) -> list[ox.Quad]:
    """Parse an RDF payload into quads of `graph`; bad syntax raises RdfSyntaxError with its position.

    JSON numbers typed xsd:decimal by a JSON-LD context are rewritten in decimal form (store.files.decimal_literal).
    A JSON-LD or RDF/XML body nesting deeper than `max_nesting` is refused before parsing (depth_guard).
    """
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
    if fmt in (ox.RdfFormat.JSON_LD, ox.RdfFormat.RDF_XML):
        if (too_deep := nesting_problem(payload.data, fmt == ox.RdfFormat.JSON_LD, max_nesting)) is not None:
            raise RdfSyntaxError(f"could not parse the {fmt.name} body: {too_deep}")
    target = graph_term(graph)
    try:
        triples = ox.parse(
            payload.data, format=fmt, base_iri=base_iri, without_named_graphs=True, rename_blank_nodes=True
        )
        if fmt == ox.RdfFormat.JSON_LD:  # a JSON number typed xsd:decimal arrives as "-9.0E-2": rewritten "-0.09"
            return [ox.Quad(q.subject, q.predicate, decimal_literal(q.object), target) for q in triples]
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


def _key(problem: ShapeProblem) -> ProblemKey:
    return (problem.focus_node, problem.path, problem.value, problem.message)


def check_shapes(before: Readable, after: Readable, changed: Iterable[ox.Quad], settings: Settings) -> None:
    """Raise ShapeViolation for the violations of the affected nodes that the write introduces
    (violations they already had before the write are not held against it)."""
    nodes = affected_nodes(after, changed)
    found = violations(after, nodes, settings)
    if found:
        known = set(map(_key, violations(before, nodes, settings)))
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


def _probe(update: str) -> None:
    """Raise the parser's error for an update that does not parse (run on an empty store: cheap, changes nothing)."""
    try:
        ox.Store().update(update)
    except SyntaxError as exc:
        with store_errors():
            raise exc
    except (OSError, RuntimeError, ValueError):
        pass  # an evaluation error on an empty store says nothing about the live one


def _implied_update(added: Iterable[ox.Quad], view: Overlay, settings: Settings) -> str:
    """What to run after an update text for the superclass types its added quads imply (added to `view` too)."""
    added = list(added)
    implied = [q for q in with_implied_types(added, settings)[len(added) :] if q not in view]
    if any(isinstance(q.subject, ox.BlankNode) for q in implied):
        return implied_types_update(settings)  # fresh blank nodes cannot be named again: the pattern form
    for quad in implied:
        view.insert(quad)
    return f"INSERT DATA {{\n{data_block(implied)}\n}}" if implied else ""


def _publish(
    store: Store, update: str, implied: str, added: Set[ox.Quad], removed: Set[ox.Quad], *, exact_delta: bool, same_graphs: bool
) -> tuple[int, int]:
    """Commit a validated change in one atomic update: its exact quads where known, else the update itself; (added, removed)."""
    if exact_delta and same_graphs and not _has_blank_nodes(added | removed):
        commit = delta_update(sorted(removed, key=str), sorted(added, key=str))
    else:
        commit = then(update, implied)
    if commit and (added or removed or not same_graphs):
        store.update(commit)
    return len(added), len(removed)


def _commit_delta(store: Store, view: Overlay, update: str, settings: Settings, exact_delta: bool) -> tuple[int, int]:
    """Validate the change an Overlay holds and commit it in one atomic update; (added, removed)."""
    implied = _implied_update(set(view.added), view, settings)
    added, removed = view.added, view.removed
    check_literal_sizes(added, settings.max_literal_bytes)
    if added or removed:
        check_shapes(Overlay(view.store), view, added | removed, settings)
    same_graphs = view.graphs == view.graphs_before
    return _publish(store, update, implied, added, removed, exact_delta=exact_delta, same_graphs=same_graphs)


def _commit_copy(store: Store, update: str, settings: Settings, exact_delta: bool, force: bool) -> tuple[int, int]:
    """The general path: apply the update to an in-memory copy of the whole store, validate, commit (added, removed).

    Used for remote stores and for updates evidencekg.evidence.delta cannot work out (LOAD, ADD/MOVE/COPY, a
    pattern operation after another change in the same update); its cost grows with the store.
    """
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
        previous = ox.Store()
        previous.extend(before_list)
        check_shapes(Overlay(previous), Overlay(copy), added | removed, settings)
    return _publish(store, update, implied, added, removed, exact_delta=exact_delta, same_graphs=same_graphs)


def _apply(
    store: Store,
    update: str,
    settings: Settings,
    *,
    graph: str | None = None,
    exact_delta: bool = False,
    force: bool = False,
) -> WriteResult:
    """Work out the update's change, validate it, then commit it to the live store in one atomic call.

    Unless forced, an update that would empty the default graph, ALL, NAMED or one of our graphs of a store holding
    the shipped evidence is refused (Conflict).
    """
    with store.write_lock:
        existed = store.graph_exists(graph)
        view = None
        if Capability.NATIVE_QUADS in store.capabilities:
            live: ox.Store = store.oxigraph  # type: ignore[attr-defined]
            if not force:
                refuse_unforced(update, [g.value for g in live.named_graphs()])
            _probe(update)
            view = delta(live, update)
        if view is not None:
            added, removed = _commit_delta(store, view, update, settings, exact_delta)
        else:
            added, removed = _commit_copy(store, update, settings, exact_delta, force)
        return WriteResult(added=added, removed=removed, created=graph is not None and not existed, graph=graph)


def sparql_update(
    store: Store, update_text: str, settings: Settings, *, base_iri: str | None = None, force: bool = False
) -> WriteResult:
    """Run a SPARQL Update after checking its LOAD/SERVICE targets and the shapes; atomic."""
    # a prologue BASE, so the copy and a re-run on the live store resolve alike
    based = f"BASE <{iri(base_iri).value}>\n{update_text}" if base_iri else update_text
    with guard.admitted(update_text, settings.service_allowlist, settings.max_nesting, base_iri, update=True):
        return _apply(store, based, settings, exact_delta=True, force=force)


def _payload_quads(graph: str | None, parts: Sequence[Payload], base_iri: str | None, max_nesting: int) -> list[ox.Quad]:
    """The quads of every payload, put in `graph` (its IRI checked first; it is their base IRI unless one is given)."""
    if graph is not None:
        iri(graph)
    return [q for part in parts for q in parse_payload(part, graph, base_iri or graph, max_nesting)]


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
    update = replace_graph_update(graph, _payload_quads(graph, parts, base_iri, settings.max_nesting))
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
    quads = _payload_quads(graph, parts, base_iri, settings.max_nesting)
    return _apply(store, merge_graph_update(graph, quads), settings, graph=graph)


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
