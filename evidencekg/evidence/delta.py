"""The exact change a SPARQL Update makes to an embedded store, worked out without applying it or copying the store.

`delta(store, update)` reads the update's operations (evidencekg.sparql.operations) and, for each:

- INSERT DATA / DELETE DATA: the quads of the block, parsed by Oxigraph itself (the block is run as
  an INSERT DATA into an empty in-memory store);
- DELETE WHERE and DELETE/INSERT ... WHERE (with WITH and USING): the WHERE group runs as a SELECT on
  the live store (same dataset rules as the update), and the templates are filled with its rows by
  Oxigraph in an empty store (`INSERT { template } WHERE { VALUES ... }`);
- CLEAR / DROP / CREATE: the quads of the graphs named, read from the live store.

The change is kept as an Overlay: the live store seen with the quads added and removed so far, which
later operations and the shape check read by pattern. Cost is proportional to what the update
touches, never to the store. None means "not worked out here" (LOAD, ADD/MOVE/COPY, a pattern
operation after an earlier operation of the same update changed something, a row binding a blank
node, text this reader does not follow): the caller then falls back to applying the update to a copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pyoxigraph as ox

from evidencekg.errors import BadRequest
from evidencekg.sparql.operations import Operation, operations
from evidencekg.store.protocol import store_errors

Subject = ox.NamedNode | ox.BlankNode
Term = ox.NamedNode | ox.BlankNode | ox.Literal


class Overlay:
    """A live pyoxigraph store seen with some quads added and some removed (neither copied nor changed)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.added: set[ox.Quad] = set()
        self.removed: set[ox.Quad] = set()
        self.graphs = set(store.named_graphs())
        self.graphs_before = frozenset(self.graphs)
        self._by_subject: dict[object, set[ox.Quad]] = {}
        self._by_object: dict[object, set[ox.Quad]] = {}

    @property
    def changed(self) -> bool:
        """Whether any quad was added or removed."""
        return bool(self.added or self.removed)

    def __contains__(self, quad: ox.Quad) -> bool:
        return quad in self.added or (quad not in self.removed and quad in self.store)

    def insert(self, quad: ox.Quad) -> None:
        """Add a quad (nothing when present); its named graph exists from now on."""
        if not isinstance(quad.graph_name, ox.DefaultGraph):
            self.graphs.add(quad.graph_name)  # type: ignore[arg-type]
        if quad in self:
            return
        if quad in self.removed:
            self.removed.discard(quad)
            return
        self.added.add(quad)
        self._by_subject.setdefault(quad.subject, set()).add(quad)
        self._by_object.setdefault(quad.object, set()).add(quad)

    def delete(self, quad: ox.Quad) -> None:
        """Remove a quad (nothing when absent)."""
        if quad in self.added:
            self.added.discard(quad)
            self._by_subject[quad.subject].discard(quad)
            self._by_object[quad.object].discard(quad)
        elif quad in self.store:
            self.removed.add(quad)

    def quads(
        self, subject: Subject | None, predicate: ox.NamedNode | None, obj: Term | None, graph: object = None
    ) -> Iterator[ox.Quad]:
        """The quads matching a pattern (None: any) in the changed state, every graph unless one is given."""
        for quad in self.store.quads_for_pattern(subject, predicate, obj, graph):  # type: ignore[arg-type]
            if quad not in self.removed:
                yield quad
        if subject is not None:
            pool: Iterable[ox.Quad] = self._by_subject.get(subject, ())
        elif obj is not None:
            pool = self._by_object.get(obj, ())
        else:
            pool = self.added
        for quad in list(pool):
            if (
                (subject is None or quad.subject == subject)
                and (predicate is None or quad.predicate == predicate)
                and (obj is None or quad.object == obj)
                and (graph is None or quad.graph_name == graph)
            ):
                yield quad

    def quads_for_pattern(
        self, subject: Subject | None, predicate: ox.NamedNode | None, obj: Term | None, graph: object = None, /
    ) -> Iterator[ox.Quad]:
        """The same as quads() (so an Overlay can stand where a pyoxigraph store is read by pattern)."""
        return self.quads(subject, predicate, obj, graph)

    def outgoing(self, nodes: Iterable[object]) -> list[ox.Quad]:
        """Every quad whose subject is one of `nodes` (one lookup each: cheaper here than one query with VALUES)."""
        return [quad for node in nodes for quad in self.quads(node, None, None)]  # type: ignore[arg-type]


@contextmanager
def evaluation() -> Iterator[None]:
    """pyoxigraph's errors as a write on the store gives them: parse errors as QuerySyntaxError, the rest BadRequest."""
    with store_errors():
        try:
            yield
        except (RuntimeError, OSError, ValueError) as exc:
            raise BadRequest(f"the update cannot be applied: {exc}") from exc


def _scratch(update: str) -> list[ox.Quad]:
    """The quads an update (an INSERT of data or of filled templates) puts into an empty store."""
    store = ox.Store()
    with evaluation():
        store.update(update)
    return list(store)


def _graph(name: str) -> ox.NamedNode | ox.DefaultGraph:
    return ox.DefaultGraph() if name == "DEFAULT" else ox.NamedNode(name)


def _graph_operation(view: Overlay, op: Operation) -> None:
    """CLEAR / DROP / CREATE on the overlay (errors as the store gives them, unless SILENT)."""
    target = op.target or ""
    if op.kind == "CREATE":
        node = ox.NamedNode(target)
        if node in view.graphs and not op.silent:
            raise BadRequest(f"the update cannot be applied: the graph <{target}> already exists")
        view.graphs.add(node)
        return
    if target in ("ALL", "NAMED"):
        graphs: list[object] = [*sorted(view.graphs, key=str)] + ([ox.DefaultGraph()] if target == "ALL" else [])
    else:
        graph = _graph(target)
        if isinstance(graph, ox.NamedNode) and graph not in view.graphs and not op.silent:
            raise BadRequest(f"the update cannot be applied: the graph <{target}> does not exist")
        graphs = [graph]
    for name in graphs:
        for quad in list(view.quads(None, None, None, name)):
            view.delete(quad)
        if op.kind == "DROP" and isinstance(name, ox.NamedNode):
            view.graphs.discard(name)


def _rows(store: ox.Store, op: Operation) -> tuple[list[str], list[list[Term | None]]] | None:
    """The WHERE group's solutions on the live store (variables, rows); None when one binds a blank node."""
    options: dict[str, object] = {}
    if op.using or op.using_named:
        options = {"default_graph": [ox.NamedNode(g) for g in op.using], "named_graphs": [ox.NamedNode(g) for g in op.using_named]}
    elif op.with_graph:
        options = {"default_graph": ox.NamedNode(op.with_graph)}
    with evaluation():
        solutions = store.query(f"{op.prologue}SELECT * WHERE {op.where}", **options)  # type: ignore[arg-type]
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        rows = []
        for solution in solutions:
            row = [solution[name] for name in names]
            if any(isinstance(t, ox.BlankNode) for t in row):
                return None
            rows.append(row)
    return names, rows  # type: ignore[return-value]


def _fill(op: Operation, template: str, names: list[str], rows: list[list[Term | None]]) -> list[ox.Quad]:
    """A template filled with every row (Oxigraph does it in an empty store; unbound parts skip a triple)."""
    if not rows:
        return []
    head = f"WITH <{op.with_graph}>\n" if op.with_graph else ""
    if names:
        values = " ".join("(" + " ".join("UNDEF" if t is None else str(t) for t in row) + ")" for row in rows)
        where = f"{{ VALUES ({' '.join('?' + n for n in names)}) {{ {values} }} }}"
    else:
        where = "{ }"
    return _scratch(f"{op.prologue}{head}INSERT {template} WHERE {where}")


def _pattern_operation(view: Overlay, op: Operation) -> bool:
    """DELETE WHERE or DELETE/INSERT WHERE on the overlay; False when its rows cannot be read here."""
    found = _rows(view.store, op)
    if found is None:
        return False
    names, rows = found
    if op.delete:
        for quad in _fill(op, op.delete, names, rows):
            view.delete(quad)
    if op.insert:
        for quad in _fill(op, op.insert, names, rows):
            view.insert(quad)
    return True


def delta(store: ox.Store, update: str) -> Overlay | None:
    """The live store with the update's change laid over it, or None when it cannot be worked out here."""
    ops = operations(update)
    if any(op.kind not in ("INSERT DATA", "DELETE DATA", "DELETE WHERE", "MODIFY", "CLEAR", "DROP", "CREATE") for op in ops):
        return None
    view = Overlay(store)
    for op in ops:
        if op.kind == "INSERT DATA":
            for quad in _scratch(f"{op.prologue}INSERT DATA {op.insert}"):
                view.insert(quad)
        elif op.kind == "DELETE DATA":
            for quad in _scratch(f"{op.prologue}INSERT DATA {op.delete}"):
                view.delete(quad)
        elif op.kind in ("DELETE WHERE", "MODIFY"):
            if view.changed or not _pattern_operation(view, op):
                return None
        else:
            _graph_operation(view, op)
    return view
