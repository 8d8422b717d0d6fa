"""The query worker process: opens a read-only copy of the store, runs one query at a time, replies with bytes.

A worker is started by evidencekg.store.executor and may be SIGKILLed at any moment (that is how a
query that runs too long is stopped). It talks over one multiprocessing Connection:

    worker -> parent   ("ready", pid)                        once, after start-up
    parent -> worker   Job                                    one query
    worker -> parent   ("loaded",)                            only when the Job named a new Source
    worker -> parent   ("ok", media_type, body) | ("error", StoreError)
    parent -> worker   None                                   stop
"""

from __future__ import annotations

import io
import os
import resource
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

import pyoxigraph as ox

from evidencekg.errors import NotAcceptable, QuerySyntaxError, ResourceLimit, ResultTooLarge, StoreError
from evidencekg.sparql import guard
from evidencekg.sparql.parse_errors import error_position, parse_error_message
from evidencekg.store.protocol import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    QueryKind,
    Term,
    bound_query,
    query_dataset,
    result_kind,
)

CHECKPOINT = "checkpoint"  # a store.backup() folder, opened read-only
SNAPSHOT = "snapshot"  # an N-Quads dump, loaded into memory
TSV = "text/tab-separated-values"


@dataclass(frozen=True)
class Source:
    """A published, immutable copy of the store: what it is, where it is, which write generation.

    A snapshot may carry `updates`: files of SPARQL Updates to apply to it, in order (the writes made
    since it was dumped); a worker that has the same snapshot open with fewer of them applies only the rest.
    """

    kind: str
    path: str
    generation: int
    updates: tuple[str, ...] = ()

    def extends(self, other: Source | None) -> bool:
        """Whether this copy is `other` with more updates applied (a worker holding `other` can catch up)."""
        return (
            other is not None
            and other.kind == self.kind == SNAPSHOT
            and other.path == self.path
            and self.updates[: len(other.updates)] == other.updates
        )


@dataclass(frozen=True)
class Job:
    """One query to run: the media type chosen per result kind (None: not acceptable) and the limits."""

    query: str
    formats: dict[str, str | None]
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    base_iri: str | None
    limit: int
    source: Source
    bindings: tuple[tuple[str, Term], ...] = ()  # pre-bound variables (a named query's parameters)
    allowlist: tuple[str, ...] = ()  # settings.service_allowlist, checked here, under the timeout
    byte_limit: int = 128 * 2**20  # settings.result_bytes_limit
    max_nesting: int = 200  # settings.max_nesting


class _TooMany(Exception):
    """Raised inside the serializer's output once the row limit is passed (stops the query's work)."""


class _CountingSink(io.RawIOBase):
    """A binary sink that keeps TSV output and stops it once it holds more than `limit` rows or `byte_limit` bytes."""

    def __init__(self, limit: int, byte_limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.byte_limit = byte_limit
        self.size = 0
        self.lines = 0
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        """Always writable."""
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        """Keep a chunk; raise _TooMany once the rows (lines after the header) exceed the limit."""
        chunk = bytes(data)
        self.lines += chunk.count(b"\n")
        self.size += len(chunk)
        self.chunks.append(chunk)
        if self.lines - 1 > self.limit or self.size > self.byte_limit:
            raise _TooMany
        return len(chunk)


def open_source(source: Source) -> ox.Store:
    """A pyoxigraph store over a published copy."""
    if source.kind == CHECKPOINT:
        return ox.Store.read_only(source.path)
    store = ox.Store()
    store.bulk_load(path=source.path, format=ox.RdfFormat.N_QUADS)
    catch_up(store, source.updates)
    return store


def catch_up(store: ox.Store, updates: Sequence[str]) -> None:
    """Apply published update files to an in-memory copy, in order."""
    for path in updates:
        store.update(Path(path).read_text(encoding="utf-8"))


def syntax_message(text: str, exc: Exception) -> str:
    """The parser's message with its position, followed by the offending line and a caret under it."""
    message = " ".join(str(exc).split()) or exc.__class__.__name__
    if len(message) > 240:
        message = message[:240] + " ..."
    line, col = error_position(exc)
    lines = text.split("\n")
    if 0 < line <= len(lines):
        shown = lines[line - 1].rstrip("\r") or "(end of the query)"
        message += f"\nline {line}: {shown}\n{' ' * (len(str(line)) + 7 + max(0, col - 1))}^"
    return message


def too_large(limit: int, what: str) -> ResultTooLarge:
    """The error for a result over the limit, saying how to get under it."""
    bytes_setting, rows_setting = "result_bytes_limit, EVIDENCEKG_RESULT_BYTES_LIMIT", "result_limit, EVIDENCEKG_RESULT_LIMIT"
    setting = "settings." + (bytes_setting if what == "bytes" else rows_setting)
    return ResultTooLarge(f"the result has more than {limit} {what} ({setting}): add a LIMIT or narrow the query")


def _over(sink: _CountingSink, job: Job) -> ResultTooLarge:
    """The error for a sink that stopped: by bytes or by rows."""
    return too_large(job.byte_limit, "bytes") if sink.size > job.byte_limit else too_large(job.limit, "rows")


def execute(store: ox.Store, job: Job) -> tuple[str, bytes]:
    """Check SERVICE targets, then run the job (see _execute); a failed remote call never shows its answer."""
    with guard.admitted(job.query, job.allowlist, job.max_nesting, job.base_iri):
        return _execute(store, job)


def _execute(store: ox.Store, job: Job) -> tuple[str, bytes]:
    """Run a job: negotiate, count against the limit, serialize. Raises StoreError subclasses."""
    try:
        dataset = query_dataset(store, job.query, job.default_graphs, job.named_graphs)
        result = bound_query(store, job.query, dict(job.bindings), base_iri=job.base_iri, **dataset)
    except SyntaxError as exc:
        raise QuerySyntaxError(syntax_message(job.query, exc)) from exc
    kind = result_kind(result)
    media_type = job.formats.get(kind.value)
    if media_type is None:
        raise NotAcceptable(f"no acceptable format for a {kind.value} result (see the Accept header)")
    if kind is QueryKind.BOOLEAN:
        return media_type, cast(ox.QueryBoolean, result).serialize(format=RESULT_FORMATS[media_type])  # type: ignore[return-value]  # stub: bytes when no output is given
    if kind is QueryKind.GRAPH:
        triples, size = [], 0
        for triple in result:  # type: ignore[union-attr]
            triples.append(triple)
            size += len(str(triple))
            if len(triples) > job.limit:
                raise too_large(job.limit, "triples")
            if size > job.byte_limit:
                raise too_large(job.byte_limit, "bytes")
        return media_type, ox.serialize(triples, format=GRAPH_FORMATS[media_type])  # type: ignore[return-value]  # stub: bytes when no output is given
    sink = _CountingSink(job.limit, job.byte_limit)
    try:
        cast(ox.QuerySolutions, result).serialize(sink, format=ox.QueryResultsFormat.TSV)  # type: ignore[arg-type]  # any binary sink works
    except _TooMany:
        raise _over(sink, job) from None
    except OSError as exc:
        if isinstance(exc.__context__, _TooMany) or isinstance(exc.__cause__, _TooMany):
            raise _over(sink, job) from None
        raise
    tsv = b"".join(sink.chunks)
    sink.chunks.clear()
    if media_type == TSV:
        return media_type, tsv
    solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    body = solutions.serialize(format=RESULT_FORMATS[media_type])
    assert body is not None  # the stub says bytes | None: bytes when no output is given
    if len(body) > job.byte_limit:  # JSON or XML can be a few times larger than the TSV it came from
        raise too_large(job.byte_limit, "bytes")
    return media_type, body


def _exit_with_parent(parent: int) -> None:
    """Die as soon as the parent is gone, even in the middle of a query (it cannot be stopped otherwise)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def bound_memory(limit: int) -> None:
    """Cap this process's address space (RLIMIT_AS) so a memory-hungry query fails here, not in the machine."""
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(conn: Connection, memory_limit: int = 0) -> None:
    """The worker loop: announce readiness, then answer jobs until told to stop or the parent goes away."""
    bound_memory(memory_limit)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    conn.send(("ready", os.getpid()))
    store: ox.Store | None = None
    loaded: Source | None = None
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            if job.source != loaded:
                if store is not None and loaded is not None and job.source.extends(loaded):
                    previous, loaded = loaded, None  # a failure half-way leaves a copy that must be reopened
                    catch_up(store, job.source.updates[len(previous.updates) :])
                else:
                    store = None  # let go of the previous copy first
                    store = open_source(job.source)
                loaded = job.source
                conn.send(("loaded",))
            assert store is not None
            conn.send(("ok", *execute(store, job)))
        except StoreError as exc:
            conn.send(("error", exc))
        except MemoryError:
            conn.send(("error", ResourceLimit(memory_message(memory_limit))))
        except (OSError, ValueError, RuntimeError, TypeError) as exc:
            conn.send(("error", StoreError(f"the query failed: {parse_error_message(exc)}")))


def memory_message(limit: int) -> str:
    """What to tell a client whose query ran out of the worker's memory bound."""
    bound = f"its memory bound of {limit // 2**20} MiB" if limit else "the memory available"
    return (
        f"the query needed more than {bound} (settings.worker_memory_limit, EVIDENCEKG_WORKER_MEMORY_LIMIT) "
        "and was stopped: narrow it, or aggregate in SPARQL"
    )


if __name__ == "__main__":
    main(Connection(int(sys.argv[1])), int(sys.argv[2]) if len(sys.argv) > 2 else 0)
