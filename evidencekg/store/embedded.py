"""The embedded Oxigraph backend of the Store contract: on disk when given a path, in memory otherwise."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from evidencekg.errors import NotAcceptable, QuerySyntaxError, StoreError, StoreFull
from evidencekg.sparql.operations import replayable
from evidencekg.sparql.parse_errors import parse_error_message
from evidencekg.store.cache import ResultCache
from evidencekg.store.protocol import (
    DISK_FULL,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Bindings,
    Capability,
    FormatChooser,
    QueryKind,
    Row,
    bound_query,
    graph_term,
    is_disk_full,
    query_dataset,
    rdf_format,
    rdf_format_for,
    result_kind,
    solution_rows,
    store_errors,
)

JOURNAL = 1000  # writes an in-memory store remembers for its query workers
JOURNAL_TEXT = 4 * 2**20  # a longer update is not remembered (its workers reload the store instead)


class OxigraphStore:
    """The embedded Oxigraph store: on disk when given a path, in memory otherwise."""

    capabilities = frozenset(Capability)  # everything: this process holds the store itself

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.write_lock = threading.Lock()  # held by every validated write, from copy to commit
        if path is None:
            self._store = ox.Store()
        else:
            path.mkdir(parents=True, exist_ok=True)
            try:
                self._store = ox.Store(str(path))
            except OSError as exc:
                if "lock" not in str(exc).lower():
                    raise
                raise StoreError(
                    f"the store at {path} is in use by another process (is `evidencekg serve` running?). "
                    "To read from it, ask the running service instead: --endpoint http://127.0.0.1:8000/sparql "
                    "(query, list, meta, network); to change it, stop the service or send the change over HTTP"
                ) from exc
            for orphan in path.glob("bulk-*.sst"):  # left by a killed bulk_load; safe now that we hold the lock
                orphan.unlink()
        self.changes = 0  # writes made through this object (query executors republish their copy when it moves)
        self.results = ResultCache()  # answers kept until the next write (store/cache.py)
        # In memory: (changes after it, update text; "" for a failed one, None when it cannot be replayed) of the last
        # JOURNAL writes, so query workers can apply them to their copy instead of reloading the whole store.
        self._journal: deque[tuple[int, str | None]] = deque(maxlen=JOURNAL)
        self._journal_lock = threading.Lock()

    @property
    def location(self) -> str:
        """The store's folder, or "memory"."""
        return str(self.path) if self.path is not None else "memory"

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store (for code that needs its full API)."""
        return self._store

    def _query(
        self, query: str, bindings: Bindings | None = None, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run any query over its dataset (the data union unless it names one), pyoxigraph's errors translated."""
        with store_errors():
            dataset = query_dataset(self._store, query, default_graphs, named_graphs)
            return bound_query(self._store, query, bindings, **dataset)

    def select(self, query: str, bindings: Bindings | None = None) -> list[Row]:
        """Run a SELECT and return its rows."""
        result = self._query(query, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise StoreError("expected a SELECT query")
        return solution_rows(result)

    def ask(self, query: str, bindings: Bindings | None = None) -> bool:
        """Run an ASK."""
        result = self._query(query, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise StoreError("expected an ASK query")
        return bool(result)

    def construct(self, query: str, bindings: Bindings | None = None) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE."""
        result = self._query(query, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise StoreError("expected a CONSTRUCT or DESCRIBE query")
        return list(result)

    def query_serialized(
        self,
        query: str,
        choose: FormatChooser,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        bindings: Bindings | None = None,
    ) -> tuple[str, bytes]:
        """Run, negotiate and serialize in one call (pyoxigraph results are thread-bound)."""
        result = self._query(query, bindings, default_graphs, named_graphs)
        kind = result_kind(result)
        media_type = choose(kind)
        if media_type is None:
            raise NotAcceptable(f"no acceptable format for a {kind.value} result")
        if kind is QueryKind.GRAPH:
            return media_type, ox.serialize(cast(ox.QueryTriples, result), format=GRAPH_FORMATS[media_type])  # type: ignore[return-value]  # stub: bytes when no output is given
        assert not isinstance(result, ox.QueryTriples)
        return media_type, result.serialize(format=RESULT_FORMATS[media_type])  # type: ignore[return-value]  # stub: bytes when no output is given

    def update(self, update: str) -> None:
        """Run a SPARQL Update atomically."""
        done = False
        try:
            with store_errors():
                self._store.update(update)
            done = True
        finally:
            kept = update if len(update) <= JOURNAL_TEXT and replayable(update) else None
            self._changed(kept if done else "")

    def _changed(self, entry: str | None = None) -> None:
        """Count a write (and, in memory, journal it: None when it cannot be replayed)."""
        with self._journal_lock:
            self.changes += 1
            if self.path is None:
                self._journal.append((self.changes, entry))

    def journal_since(self, changes: int) -> list[str] | None:
        """The update texts of the writes after the first `changes` ones, in order; None when one cannot be replayed
        or is no longer remembered (in memory only; a store on disk keeps no journal)."""
        with self._journal_lock:
            if self.path is not None:
                return None
            if changes == self.changes:
                return []
            entries = [(n, text) for n, text in self._journal if n > changes]
            if len(entries) != self.changes - changes or any(text is None for _n, text in entries):
                return None
            return [text for _n, text in entries if text]

    def load(self, data: bytes, media_type: str, graph: str | None = None) -> None:
        """Parse and add RDF atomically (nothing is added when parsing fails)."""
        try:
            self._store.load(data, format=rdf_format(media_type), to_graph=graph_term(graph))
        except SyntaxError as exc:
            raise QuerySyntaxError(parse_error_message(exc)) from exc
        except OSError as exc:
            if is_disk_full(exc):
                raise StoreFull(DISK_FULL) from exc
            raise
        finally:
            self._changed()

    def bulk_load_file(self, path: Path, graph: str | None = None) -> None:
        """Load a large file fast (all-or-nothing); the format comes from the file name."""
        try:
            self._store.bulk_load(path=str(path), format=rdf_format_for(path), to_graph=graph_term(graph))
        except SyntaxError as exc:
            raise QuerySyntaxError(f"{path}: {parse_error_message(exc)}") from exc
        finally:
            self._changed()

    def dump(self, media_type: str, graph: str | None = None) -> bytes:
        """Serialize a graph, or the whole dataset for N-Quads/TriG."""
        fmt = rdf_format(media_type)
        if fmt.supports_datasets:
            return self._store.dump(format=fmt)  # type: ignore[return-value]  # stub: bytes when no output is given
        return self._store.dump(format=fmt, from_graph=graph_term(graph))  # type: ignore[return-value]  # stub: bytes when no output is given

    def graph_exists(self, graph: str | None) -> bool:
        """Whether a named graph exists (the default graph always does)."""
        return graph is None or self._store.contains_named_graph(ox.NamedNode(graph))

    def clear(self) -> None:
        """Remove everything."""
        self._store.clear()
        self._changed()

    def flush(self) -> None:
        """Make writes durable on disk."""
        if self.path is not None:
            with store_errors():
                self._store.flush()

    def __len__(self) -> int:
        return len(self._store)
