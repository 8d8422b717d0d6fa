"""A remote SPARQL 1.1 endpoint (Oxigraph server, Virtuoso, Fuseki, GraphDB, QLever) behind the Store contract."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from evidencekg.errors import NotAcceptable, QuerySyntaxError, StoreError
from evidencekg.model.graphs import in_data_union
from evidencekg.sparql.text import has_dataset_clause, query_form
from evidencekg.store.engines import REMOTE_DEFAULT_GRAPH, Engine, detect
from evidencekg.store.protocol import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Bindings,
    Capability,
    FormatChooser,
    QueryKind,
    Row,
    data_block,
    rdf_format,
    solution_rows,
    with_values,
)
from evidencekg.store.remote_http import XML_RESULTS, Transport, solutions_or_boolean

GRAPH_LIST_SECONDS = 1.0  # how long the list of graphs (for the data union) is reused; our own writes renew it
BATCH_TRIPLES = 5_000  # triples per request when loading in batches
_TRIPLES = "application/n-triples"
_NO_DEFAULT_GRAPH = "No plain default graph specified"  # Virtuoso's words for an update writing outside GRAPH


class RemoteStore:
    """Talks the SPARQL 1.1 Protocol (and the Graph Store Protocol when its URL is given).

    Every request is a form-encoded POST (the one form every engine answers; Virtuoso does not
    answer `application/sparql-query` bodies); results are asked for as SPARQL XML and N-Triples
    and made standard (evidencekg.store.remote_http). What differs between engines is in its
    profile (evidencekg.store.engines), detected from the endpoint's `Server` header on first use
    unless given. A query that names no dataset reads the data union, as in the embedded store:
    Oxigraph server's `union-default-graph` (every graph, the ontology included); over Virtuoso each
    data graph named with default-graph-uri (the ontology, shapes and the engine's own graphs left
    out); elsewhere the server's default graph as configured (docs/engines.md). Every failure to reach the endpoint is StoreUnavailable (QueryTimeout when too slow)
    naming the URL; `update_auth` (user, password) answers the update endpoint's Basic or Digest challenge.
    """

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        store_url: str | None = None,
        timeout: float = 60.0,
        engine: Engine | None = None,
        update_auth: tuple[str, str] | None = None,
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url
        self.store_url = store_url
        self.timeout = timeout
        self.write_lock = threading.Lock()  # serialises this process's validated writes
        self.capabilities = frozenset(
            {Capability.UPDATE} if update_url else set()) | frozenset({Capability.GRAPH_STORE} if store_url else set())
        self._http = Transport(timeout, update_auth)
        self._engine = engine
        self._graphs: tuple[float, tuple[str, ...]] | None = None

    @property
    def location(self) -> str:
        """The query endpoint's URL."""
        return self.query_url

    @property
    def engine(self) -> Engine:
        """The endpoint's profile (asked for once, from its `Server` header, when not given)."""
        if self._engine is None:
            self._engine = detect(self._http.server(self.query_url))
        return self._engine

    # -- reading -------------------------------------------------------------------------------

    def graphs(self) -> tuple[str, ...]:
        """The endpoint's named graphs, the engine's own left out (reused for GRAPH_LIST_SECONDS)."""
        now = time.monotonic()
        if self._graphs is not None and now - self._graphs[0] < GRAPH_LIST_SECONDS:
            return self._graphs[1]
        rows = self._rows("SELECT ?g { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")  # Virtuoso: 0.04 s where DISTINCT takes 12 s
        names = tuple(sorted(r["g"].value for r in rows if not self.engine.is_system_graph(r["g"].value)))
        self._graphs = (now, names)
        return names

    def _dataset(self, query: str) -> list[tuple[str, str]]:
        """Protocol parameters giving a query without FROM its default graph: the data union."""
        if has_dataset_clause(query):
            return []
        if self.engine.union_parameter:
            return [("union-default-graph", "")]
        if not self.engine.names_data_graphs:
            return []
        graphs = self.graphs()
        union = sorted({*(g for g in graphs if in_data_union(g)), *([] if self.engine.own_default_graph else [REMOTE_DEFAULT_GRAPH])})
        named = [g for g in graphs if g != REMOTE_DEFAULT_GRAPH]  # the default graph is no named graph, as embedded
        return [("default-graph-uri", g) for g in union] + [("named-graph-uri", g) for g in named]

    def _query(self, query: str, accept: str, dataset: Sequence[tuple[str, str]] | None = None) -> bytes:
        """POST a query with its dataset (the data union unless given) and return the answer's body."""
        fields = [("query", query), *(self._dataset(query) if dataset is None else dataset)]
        return self._http.form(self.query_url, fields, accept).content

    def _rows(self, query: str) -> list[Row]:
        """A SELECT over the endpoint's own dataset (no union asked for): its graphs, counts, dumps."""
        result = solutions_or_boolean(self._query(query, XML_RESULTS, dataset=()))
        return solution_rows(result) if isinstance(result, ox.QuerySolutions) else []

    @staticmethod
    def _with_bindings(query: str, bindings: Bindings | None) -> str:
        return with_values(query, bindings) if bindings else query

    def select(self, query: str, bindings: Bindings | None = None) -> list[Row]:
        """Run a SELECT remotely; bindings travel as a VALUES block."""
        result = solutions_or_boolean(self._query(self._with_bindings(query, bindings), XML_RESULTS))
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("expected a SELECT query")
        return solution_rows(result)

    def ask(self, query: str, bindings: Bindings | None = None) -> bool:
        """Run an ASK remotely."""
        return bool(solutions_or_boolean(self._query(self._with_bindings(query, bindings), XML_RESULTS)))

    def construct(self, query: str, bindings: Bindings | None = None) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE remotely."""
        return _triples(self._query(self._with_bindings(query, bindings), _TRIPLES))

    def query_serialized(
        self,
        query: str,
        choose: FormatChooser,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        bindings: Bindings | None = None,
    ) -> tuple[str, bytes]:
        """Forward the query (bindings as a VALUES block); the answer comes back in the format `choose` picks.

        The endpoint is asked for the one format its result family has everywhere (engines such as
        Virtuoso answer the first type of an Accept list, whatever the query), then re-serialized.
        """
        text = self._with_bindings(query, bindings)
        dataset = [("default-graph-uri", g) for g in default_graphs] + [("named-graph-uri", g) for g in named_graphs]
        graph = query_form(text) in ("CONSTRUCT", "DESCRIBE")
        body = self._query(text, _TRIPLES if graph else XML_RESULTS, dataset or None)
        if graph:
            media_type = _chosen(choose, QueryKind.GRAPH)
            return media_type, ox.serialize(_triples(body), format=GRAPH_FORMATS[media_type])  # type: ignore[return-value]  # stub: bytes when no output is given
        result = solutions_or_boolean(body)
        media_type = _chosen(choose, QueryKind.BOOLEAN if isinstance(result, ox.QueryBoolean) else QueryKind.SOLUTIONS)
        return media_type, result.serialize(format=RESULT_FORMATS[media_type])  # type: ignore[return-value]  # stub: bytes when no output is given

    # -- writing -------------------------------------------------------------------------------

    def update(self, update: str) -> None:
        """Run a SPARQL Update remotely (on engines without a default graph of their own, it is REMOTE_DEFAULT_GRAPH)."""
        if not self.update_url:
            raise StoreError("this remote store has no update endpoint configured")
        try:
            try:
                self._http.form(self.update_url, [("update", update)], XML_RESULTS, authenticate=True)
            except QuerySyntaxError as exc:
                if self.engine.own_default_graph or _NO_DEFAULT_GRAPH not in str(exc):
                    raise
                # Virtuoso refused (writing nothing) triples outside GRAPH: name the graph they go to. Only then,
                # as a default-graph-uri also empties the named graphs a DELETE WHERE { GRAPH <g> ... } matches
                fields = [("update", update), ("default-graph-uri", REMOTE_DEFAULT_GRAPH)]
                self._http.form(self.update_url, fields, XML_RESULTS, authenticate=True)
        finally:
            self._graphs = None

    def _target(self, graph: str | None) -> ox.NamedNode | ox.DefaultGraph:
        """Where triples meant for a graph (None: the default graph) go on this engine."""
        if graph is not None:
            return ox.NamedNode(graph)
        return ox.DefaultGraph() if self.engine.own_default_graph else ox.NamedNode(REMOTE_DEFAULT_GRAPH)

    def insert_update(self, quads: Sequence[ox.Quad]) -> str:
        """The update adding these quads: INSERT DATA, or INSERT { } WHERE { } where blank nodes are refused in data."""
        block = data_block(quads)
        if self.engine.blank_nodes_in_insert_data or not any(_has_blank_node(q) for q in quads):
            return f"INSERT DATA {{\n{block}\n}}"
        return f"INSERT {{\n{block}\n}} WHERE {{}}"

    def load(self, data: bytes, media_type: str, graph: str | None = None) -> None:
        """Add RDF in one update (parsed locally first, so bad RDF never reaches the remote)."""
        target = self._target(graph)
        try:
            quads = [ox.Quad(q.subject, q.predicate, q.object, target) for q in ox.parse(data, format=rdf_format(media_type))]
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        self.update(self.insert_update(quads))

    def insert_batches(self, quads: Sequence[ox.Quad], batch: int = BATCH_TRIPLES) -> int:
        """Add many quads in requests of about `batch` triples; quads sharing a blank node stay in one request. Returns requests sent.

        Not atomic as a whole (each request is): for loaders that can redo what a broken load left half-written.
        """
        default = self._target(None)
        quads = [ox.Quad(q.subject, q.predicate, q.object, default) if isinstance(q.graph_name, ox.DefaultGraph) else q for q in quads]
        sent = 0
        for chunk in batches(quads, batch):
            self.update(self.insert_update(chunk))
            sent += 1
        return sent

    def drop_graphs(self, graphs: Iterable[str]) -> None:
        """Remove whole graphs in one update (absent ones are fine)."""
        ops = [f"DROP SILENT GRAPH <{g}>" for g in graphs]
        if ops:
            self.update(" ;\n".join(ops))

    def clear(self) -> None:
        """Remove everything that is not the engine's own."""
        if self.engine.own_default_graph and not self.engine.system_graphs:
            self.update("CLEAR ALL")
        else:
            self.drop_graphs(self.graphs_now())

    def graphs_now(self) -> tuple[str, ...]:
        """The named graphs as they are now (the reused list dropped)."""
        self._graphs = None
        return self.graphs()

    def flush(self) -> None:
        """Nothing to do: the remote server owns durability."""

    # -- the whole dataset ----------------------------------------------------------------------

    def _quad(self, row: Row) -> ox.Quad:
        graph = row.get("g")
        name = ox.DefaultGraph() if graph is None or (graph.value == REMOTE_DEFAULT_GRAPH and not self.engine.own_default_graph) else graph
        return ox.Quad(row["s"], row["p"], row["o"], name)  # type: ignore[arg-type]

    def quads(self) -> list[ox.Quad]:
        """Every quad that is not the engine's own (REMOTE_DEFAULT_GRAPH's as the default graph's)."""
        own = "{ ?s ?p ?o } UNION " if self.engine.own_default_graph else ""
        rows = self._rows(f"SELECT ?s ?p ?o ?g {{ {own}{{ GRAPH ?g {{ ?s ?p ?o }} }} }}")
        return [self._quad(r) for r in rows if "g" not in r or not self.engine.is_system_graph(r["g"].value)]

    def dump(self, media_type: str, graph: str | None = None) -> bytes:
        """Serialize a graph by SELECT (quad formats: the whole dataset but the engine's own graphs)."""
        fmt = rdf_format(media_type)
        if fmt.supports_datasets:
            return ox.serialize(self.quads(), format=fmt)  # type: ignore[return-value]  # stub: bytes when no output is given
        target = self._target(graph)
        where = "?s ?p ?o" if isinstance(target, ox.DefaultGraph) else f"GRAPH {target} {{ ?s ?p ?o }}"
        rows = self._rows(f"SELECT ?s ?p ?o {{ {where} }}")
        body = ox.serialize([ox.Triple(r["s"], r["p"], r["o"]) for r in rows], format=fmt)  # type: ignore[arg-type]
        assert body is not None  # the stub says bytes | None: bytes when no output is given
        return body

    def graph_exists(self, graph: str | None) -> bool:
        """Whether a named graph exists remotely."""
        if graph is None:
            return True
        return bool(solutions_or_boolean(self._query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", XML_RESULTS, dataset=())))

    def __len__(self) -> int:
        rows = self._rows("SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        named = sum(int(r["n"].value) for r in rows if not self.engine.is_system_graph(r["g"].value))
        if not self.engine.own_default_graph:
            return named
        default = self._rows("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
        return named + int(default[0]["n"].value)


def _chosen(choose: FormatChooser, kind: QueryKind) -> str:
    media_type = choose(kind)
    if media_type is None:
        raise NotAcceptable(f"no acceptable format for a {kind.value} result")
    return media_type


def _triples(body: bytes) -> list[ox.Triple]:
    try:
        return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
    except SyntaxError as exc:
        raise StoreError(f"the SPARQL endpoint's answer is not N-Triples: {exc}: {body[:200]!r}") from exc


def _has_blank_node(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def batches(quads: Sequence[ox.Quad], size: int) -> list[list[ox.Quad]]:
    """Quads cut into lists of about `size`, never splitting quads joined by a blank node (which would make two nodes of one).

    >>> b = ox.BlankNode("x"); p = ox.NamedNode("http://e/p"); g = ox.DefaultGraph()
    >>> q = [ox.Quad(ox.NamedNode(f"http://e/{i}"), p, b if i < 3 else ox.Literal(str(i)), g) for i in range(5)]
    >>> [len(c) for c in batches(q, 2)]
    [3, 2]
    """
    parent: dict[str, str] = {}

    def root(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    for quad in quads:
        labels = [t.value for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        for other in labels[1:]:
            parent[root(other)] = root(labels[0])
    groups: dict[str, list[ox.Quad]] = {}
    plain: list[ox.Quad] = []
    for quad in quads:
        label = next((t.value for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)), None)
        (groups.setdefault(root(label), []) if label else plain).append(quad)
    out: list[list[ox.Quad]] = []
    for group in [*groups.values(), *([q] for q in plain)]:
        if not out or len(out[-1]) + len(group) > size and out[-1]:
            out.append([])
        out[-1].extend(group)
    return out
