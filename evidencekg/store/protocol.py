"""The Store contract shared by every backend, with the term, format and binding helpers they all use."""

from __future__ import annotations

import enum
import errno
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, runtime_checkable

import pyoxigraph as ox

from evidencekg.errors import BadRequest, QuerySyntaxError, StoreError, StoreFull
from evidencekg.model.graphs import in_data_union
from evidencekg.sparql.parse_errors import parse_error_message
from evidencekg.sparql.text import has_dataset_clause, where_group_start

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]  # SELECT rows: no triple terms in our data
Bindings = Mapping[str, Term]


class QueryKind(str, enum.Enum):
    """The family a query's result belongs to (decides which formats apply)."""

    SOLUTIONS = "solutions"  # SELECT
    BOOLEAN = "boolean"  # ASK
    GRAPH = "graph"  # CONSTRUCT / DESCRIBE


# Media type -> pyoxigraph format, per result family.
RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}

# Chooses a media type for a result family; returns None when nothing acceptable.
FormatChooser = Callable[[QueryKind], str | None]


class Capability(str, enum.Enum):
    """Something a backend can do beyond the shared contract; callers ask `Capability.X in store.capabilities`."""

    BULK_LOAD = "bulk-load"  # bulk_load_file(path, graph): a large file loaded fast, all-or-nothing
    WORKER_COPIES = "worker-copies"  # checkpoints (backup/dump) that killable query worker processes open
    SHIPPED_EVIDENCE = "shipped-evidence"  # ours to load the shipped ontology/ and data/ into, and reload on change
    NATIVE_QUADS = "native-quads"  # `oxigraph`: the pyoxigraph store itself, read quad by quad
    SUBSTITUTIONS = "substitutions"  # variables pre-bound by the engine (else a VALUES block carries them)
    UPDATE = "update"  # accepts SPARQL Update (a remote store only when its update URL is given)
    GRAPH_STORE = "graph-store"  # speaks the Graph Store Protocol (a remote store only when its URL is given)
    EXCLUSIVE_WRITES = "exclusive-writes"  # write_lock excludes every writer, not only this process's


@runtime_checkable
class Store(Protocol):
    """What every backend offers: read by SPARQL, write by SPARQL Update or RDF payloads."""

    write_lock: threading.Lock  # one writer at a time, from validation to commit
    capabilities: frozenset[Capability]  # what this backend can do beyond the methods below

    @property
    def location(self) -> str:
        """Where the data lives, for messages (a folder, "memory", an endpoint URL)."""

    def select(self, query: str, bindings: Bindings | None = None) -> list[Row]:
        """Run a SELECT and return its rows (unbound variables are absent from a row)."""

    def ask(self, query: str, bindings: Bindings | None = None) -> bool:
        """Run an ASK."""

    def construct(self, query: str, bindings: Bindings | None = None) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE and return its triples."""

    def query_serialized(
        self,
        query: str,
        choose: FormatChooser,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        bindings: Bindings | None = None,
    ) -> tuple[str, bytes]:
        """Run any query and serialize its result in the format `choose` picks: (media type, body).

        `bindings` pre-bind variables (as `select` does), e.g. a named query's parameters.
        """

    def update(self, update: str) -> None:
        """Run a SPARQL Update atomically."""

    def load(self, data: bytes, media_type: str, graph: str | None = None) -> None:
        """Add RDF (in the given media type) to a graph (None: default graph), atomically."""

    def dump(self, media_type: str, graph: str | None = None) -> bytes:
        """Serialize one graph (None: default graph) or, for quad formats, the whole dataset."""

    def graph_exists(self, graph: str | None) -> bool:
        """Whether a named graph exists (the default graph always exists)."""

    def flush(self) -> None:
        """Make the writes so far durable (nothing to do where the server owns durability)."""

    def __len__(self) -> int:
        """Number of quads held."""


@contextmanager
def store_errors() -> Iterator[None]:
    """Raise pyoxigraph's errors inside the block as QuerySyntaxError (parse errors) or StoreError."""
    try:
        yield
    except SyntaxError as exc:
        raise QuerySyntaxError(parse_error_message(exc)) from exc
    except (OSError, ValueError, RuntimeError) as exc:
        if is_disk_full(exc):
            raise StoreFull(DISK_FULL) from exc
        raise StoreError(parse_error_message(exc)) from exc


DISK_FULL = (
    "the disk holding the store is full (No space left on device): nothing of this write was kept and the "
    "store is as it was; queries still answer; free space on that disk, then restart the server to write again"
)


def is_disk_full(exc: BaseException) -> bool:
    """Whether an error is the file system running out of space (pyoxigraph names it only in its message)."""
    return getattr(exc, "errno", None) == errno.ENOSPC or "No space left on device" in str(exc)


def graph_term(graph: str | None) -> ox.NamedNode | ox.DefaultGraph:
    """The pyoxigraph graph name for an IRI, or the default graph for None."""
    return ox.DefaultGraph() if graph is None else ox.NamedNode(graph)


def rdf_format(media_type: str) -> ox.RdfFormat:
    """The pyoxigraph RDF format for a media type (parameters such as charset are ignored)."""
    base = media_type.split(";")[0].strip().lower()
    fmt = GRAPH_FORMATS.get(base) or ox.RdfFormat.from_media_type(base)
    if fmt is None:
        raise StoreError(f"unsupported RDF media type: {media_type}")
    return fmt


def rdf_format_for(path: Path) -> ox.RdfFormat:
    """The RDF format of a file, from its extension (Turtle when unknown)."""
    return ox.RdfFormat.from_extension(path.suffix.lstrip(".").lower()) or ox.RdfFormat.TURTLE


def substitutions(bindings: Bindings | None) -> dict[ox.Variable, Term] | None:
    """pyoxigraph substitutions from a name -> term mapping."""
    if not bindings:
        return None
    return {ox.Variable(name.lstrip("?$")): term for name, term in bindings.items()}


def solution_rows(result: ox.QuerySolutions) -> list[Row]:
    """The rows of a SELECT result (unbound variables left out); consume it on the thread that made it."""
    names = [v.value for v in result.variables]
    return [{n: sol[n] for n in names if sol[n] is not None} for sol in result]  # type: ignore[misc]


def bound_query(store: ox.Store, query: str, bindings: Bindings | None = None, **kwargs: object) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """`store.query` with pre-bound variables (pyoxigraph's own errors pass through)."""
    try:
        return store.query(query, substitutions=substitutions(bindings), **kwargs)  # type: ignore[arg-type]
    except RuntimeError as exc:
        if not bindings or "projection" not in str(exc):
            raise
        # pyoxigraph substitutes only projected variables; bind the others by a VALUES block
        return store.query(with_values(query, bindings), **kwargs)  # type: ignore[arg-type]


GRAPH_BLOCK_TRIPLES = 1_000  # triples per GRAPH { } block: Virtuoso's parser runs out of stack near 5,000 in one


def data_block(quads: Iterable[ox.Quad]) -> str:
    """The body of an INSERT DATA / DELETE DATA block for some quads, grouped by graph.

    A large graph's triples are cut into several `GRAPH <g> { }` blocks of GRAPH_BLOCK_TRIPLES
    (the same data in one operation, so the update stays atomic), which every engine parses.
    """
    groups: dict[str, list[str]] = {}
    for q in quads:
        key = "" if isinstance(q.graph_name, ox.DefaultGraph) else str(q.graph_name)
        groups.setdefault(key, []).append(f"{q.subject} {q.predicate} {q.object} .")
    parts = []
    for name, lines in groups.items():
        if not name:
            parts.append("\n".join(lines))
            continue
        for start in range(0, len(lines), GRAPH_BLOCK_TRIPLES):
            body = "\n".join(lines[start : start + GRAPH_BLOCK_TRIPLES])
            parts.append(f"GRAPH {name} {{\n{body}\n}}")
    return "\n".join(parts)


def delta_update(removed: Sequence[ox.Quad], added: Sequence[ox.Quad]) -> str:
    """One update string applying an exact delta (no blank nodes allowed in DELETE DATA)."""
    ops = []
    if removed:
        ops.append(f"DELETE DATA {{\n{data_block(removed)}\n}}")
    if added:
        ops.append(f"INSERT DATA {{\n{data_block(added)}\n}}")
    return " ;\n".join(ops)


def dataset_options(default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()) -> dict[str, object]:
    """pyoxigraph query() keywords for a protocol dataset (default-graph-uri / named-graph-uri).

    As the SPARQL Protocol says, a dataset given by the request replaces FROM / FROM NAMED, and
    when only one of the two lists is given the other part of the dataset is empty.
    """
    if not default_graphs and not named_graphs:
        return {}
    return {
        "default_graph": [graph_node(g, "default-graph-uri") for g in default_graphs],
        "named_graphs": [graph_node(g, "named-graph-uri") for g in named_graphs],
    }


def query_dataset(
    store: ox.Store, query: str, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()
) -> dict[str, object]:
    """pyoxigraph query() keywords for the dataset a query reads (evidencekg.model.graphs).

    A protocol dataset (default-graph-uri / named-graph-uri) or the query's own FROM / FROM NAMED
    decide when given; otherwise the default graph is the data union: the store's real default
    graph and every named graph but the ontology, shapes and meta graphs (all named graphs stay
    reachable by GRAPH).
    """
    if default_graphs or named_graphs:
        return dataset_options(default_graphs, named_graphs)
    if has_dataset_clause(query):
        return {}
    union: list[ox.NamedNode | ox.DefaultGraph] = [ox.DefaultGraph()]
    # sorted: the same data gives the same order of results (GROUP_CONCAT) in every copy of a store
    union += sorted((g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and in_data_union(g.value)), key=str)
    return {"default_graph": union}


def graph_node(value: str, parameter: str) -> ox.NamedNode:
    """The graph a protocol parameter names, or BadRequest (400) saying the value is not an absolute IRI.

    >>> graph_node("no iri", "default-graph-uri")
    Traceback (most recent call last):
    ...
    evidencekg.errors.BadRequest: default-graph-uri 'no iri' is not an absolute IRI: ...
    """
    try:
        return ox.NamedNode(value)
    except ValueError as exc:
        raise BadRequest(f"{parameter} {value!r} is not an absolute IRI: {exc}") from None


def result_kind(result: object) -> QueryKind:
    """The family of a pyoxigraph query result."""
    if isinstance(result, ox.QueryTriples):
        return QueryKind.GRAPH
    if isinstance(result, ox.QueryBoolean):
        return QueryKind.BOOLEAN
    return QueryKind.SOLUTIONS


def with_values(query: str, bindings: Bindings) -> str:
    """The query with its variables bound by a VALUES block at the start of its WHERE group.

    There the bindings hold inside the group (FILTERs, aggregates, unprojected variables); a
    trailing VALUES would only join with the projected result. Trailing when no group is found.
    """
    start = where_group_start(query)
    if start is None:
        return query + values_clause(bindings)
    return f"{query[:start]}{values_clause(bindings)}\n{query[start:]}"


def values_clause(bindings: Bindings) -> str:
    """A trailing VALUES block expressing bindings for endpoints without substitutions."""
    names = " ".join(f"?{n.lstrip('?$')}" for n in bindings)
    terms = " ".join(str(t) for t in bindings.values())
    return f"\nVALUES ({names}) {{ ({terms}) }}"
