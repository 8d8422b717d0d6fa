"""A remote SPARQL 1.1 endpoint (Oxigraph server, Fuseki, Virtuoso, GraphDB) behind the Store contract."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import httpx
import pyoxigraph as ox

from evidencekg.errors import QuerySyntaxError, QueryTimeout, StoreError, StoreUnavailable
from evidencekg.sparql.text import has_dataset_clause
from evidencekg.store.protocol import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Bindings,
    Capability,
    FormatChooser,
    QueryKind,
    Row,
    data_block,
    graph_term,
    rdf_format,
    solution_rows,
    with_values,
)

_ACCEPT_ALL = ", ".join([*RESULT_FORMATS, *GRAPH_FORMATS])


class RemoteStore:
    """Talks the SPARQL 1.1 Protocol (and the Graph Store Protocol when its URL is given).

    Every failure to reach the endpoint is raised as StoreUnavailable (QueryTimeout when it is
    too slow), naming the URL: no transport error of httpx leaves this class.

    Queries that name no dataset read the union of all the endpoint's graphs, asked for with
    Oxigraph server's `union-default-graph` parameter (`union_default_graph=False` for endpoints
    configured with a union default graph of their own): a remote server cannot leave the
    ontology and shapes graphs out, as the embedded store does (evidencekg.model.graphs).
    """

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        store_url: str | None = None,
        timeout: float = 60.0,
        union_default_graph: bool = True,
    ) -> None:
        self.query_url = query_url
        self.union_default_graph = union_default_graph  # Oxigraph server's `union-default-graph` parameter
        self.update_url = update_url
        self.store_url = store_url
        self.timeout = timeout
        self.write_lock = threading.Lock()  # serialises this process's validated writes
        self.capabilities = frozenset(
            {Capability.UPDATE} if update_url else set()) | frozenset({Capability.GRAPH_STORE} if store_url else set())
        self._client = httpx.Client(timeout=timeout)

    @property
    def location(self) -> str:
        """The query endpoint's URL."""
        return self.query_url

    def _send(self, url: str, **kwargs: object) -> httpx.Response:
        """POST to the endpoint; transport failures become StoreUnavailable, slowness QueryTimeout, both naming the URL."""
        try:
            return self._client.post(url, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise QueryTimeout(f"the SPARQL endpoint {url} did not answer within {self.timeout:g} s") from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise StoreUnavailable(
                f"the SPARQL endpoint {url} cannot be reached ({exc or type(exc).__name__}): check that its server "
                "is running and that the URL (scheme, host, port and path) is right"
            ) from exc

    def _post_query(
        self, query: str, accept: str, params: list[tuple[str, str]] | None = None, union: bool = True
    ) -> httpx.Response:
        """POST a query; without a dataset of its own (protocol or FROM) it asks for the union default graph."""
        params = list(params or [])
        if union and self.union_default_graph and not params and not has_dataset_clause(query):
            params.append(("union-default-graph", ""))
        response = self._send(
            self.query_url,
            content=query.encode(),
            params=tuple(params),
            headers={"Content-Type": "application/sparql-query", "Accept": accept},
        )
        if response.status_code == 400:
            raise QuerySyntaxError(response.text.strip())
        if response.status_code >= 300:
            raise StoreError(f"remote endpoint answered {response.status_code}: {response.text.strip()[:500]}")
        return response

    @staticmethod
    def _with_bindings(query: str, bindings: Bindings | None) -> str:
        return with_values(query, bindings) if bindings else query

    def select(self, query: str, bindings: Bindings | None = None) -> list[Row]:
        """Run a SELECT remotely; bindings travel as a VALUES block."""
        body = self._post_query(self._with_bindings(query, bindings), "application/sparql-results+json").content
        result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("expected a SELECT query")
        return solution_rows(result)

    def ask(self, query: str, bindings: Bindings | None = None) -> bool:
        """Run an ASK remotely."""
        body = self._post_query(self._with_bindings(query, bindings), "application/sparql-results+json").content
        return bool(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))

    def construct(self, query: str, bindings: Bindings | None = None) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE remotely."""
        body = self._post_query(self._with_bindings(query, bindings), "application/n-triples").content
        return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]

    def query_serialized(
        self,
        query: str,
        choose: FormatChooser,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        bindings: Bindings | None = None,
    ) -> tuple[str, bytes]:
        """Forward the query (bindings as a VALUES block), asking for the formats `choose` accepts."""
        wanted = [m for m in (choose(k) for k in QueryKind) if m]
        params = [("default-graph-uri", g) for g in default_graphs]
        params += [("named-graph-uri", g) for g in named_graphs]
        response = self._post_query(self._with_bindings(query, bindings), ", ".join(wanted) or _ACCEPT_ALL, params)
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        return media_type, response.content

    def update(self, update: str) -> None:
        """Run a SPARQL Update remotely."""
        if not self.update_url:
            raise StoreError("this remote store has no update endpoint configured")
        response = self._send(
            self.update_url, content=update.encode(), headers={"Content-Type": "application/sparql-update"}
        )
        if response.status_code == 400:
            raise QuerySyntaxError(response.text.strip())
        if response.status_code >= 300:
            raise StoreError(f"remote update answered {response.status_code}: {response.text.strip()[:500]}")

    def load(self, data: bytes, media_type: str, graph: str | None = None) -> None:
        """Add RDF by an INSERT DATA (parsed locally first, so bad RDF never reaches the remote)."""
        target = graph_term(graph)
        try:
            quads = [ox.Quad(q.subject, q.predicate, q.object, target) for q in ox.parse(data, format=rdf_format(media_type))]
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        self.update(f"INSERT DATA {{\n{data_block(quads)}\n}}")

    def _rows(self, query: str) -> list[Row]:
        """A SELECT over the endpoint's real default graph and named graphs (no union asked for)."""
        body = self._post_query(query, "application/sparql-results+json", union=False).content
        return solution_rows(ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))  # type: ignore[arg-type]

    def dump(self, media_type: str, graph: str | None = None) -> bytes:
        """Serialize a graph by SELECT (quad formats: the whole dataset)."""
        fmt = rdf_format(media_type)
        if fmt.supports_datasets:
            rows = self._rows("SELECT ?s ?p ?o ?g { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
            quads = [
                ox.Quad(r["s"], r["p"], r["o"], r.get("g", ox.DefaultGraph()))  # type: ignore[arg-type]
                for r in rows
            ]
            return ox.serialize(quads, format=fmt)  # type: ignore[return-value]  # stub: bytes when no output is given
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        rows = self._rows(f"SELECT ?s ?p ?o {{ {where} }}")
        body = ox.serialize([ox.Triple(r["s"], r["p"], r["o"]) for r in rows], format=fmt)  # type: ignore[arg-type]
        assert body is not None  # the stub says bytes | None: bytes when no output is given
        return body

    def graph_exists(self, graph: str | None) -> bool:
        """Whether a named graph exists remotely."""
        return graph is None or self.ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")

    def clear(self) -> None:
        """Remove everything."""
        self.update("CLEAR ALL")

    def flush(self) -> None:
        """Nothing to do: the remote server owns durability."""

    def __len__(self) -> int:
        rows = self._rows("SELECT (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
        return int(rows[0]["n"].value)
