"""Run SPARQL queries safely: in killable worker processes (embedded stores) or over HTTP (remote stores).

pyoxigraph cannot cancel a query and its results are bound to the thread that made them, so an
embedded store's queries run in a warm pool of worker processes (evidencekg.store.worker). Each
worker reads an immutable copy of the store: a `backup()` checkpoint for a store on disk; for one in
memory an N-Quads snapshot plus the updates made since (files the worker applies to its copy, from
the store's journal: no full dump per write). Every write made through the store object moves its
`changes` counter, and `notify_write()` covers writes made any other way (on `store.oxigraph`
directly); the next query then publishes a new copy and workers switch to it. A query that outlives
settings.query_timeout gets its worker SIGKILLed (its CPU work really stops), raises
QueryTimeout, and a fresh worker takes the dead one's place.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol, cast

import pyoxigraph as ox

from evidencekg.errors import NotAcceptable, QueryTimeout, ResourceLimit, StoreError, StoreFull
from evidencekg.settings import Settings
from evidencekg.sparql import guard
from evidencekg.store import worker
from evidencekg.store.admission import HEAVY, Admission, query_key
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.protocol import DISK_FULL, Bindings, Capability, FormatChooser, QueryKind, Store, is_disk_full

log = logging.getLogger(__name__)

COPIES_PREFIX = ".evidencekg-copies-"  # + "<server pid>-<random>": the folder of published copies
MAX_UPDATES = 200  # update files an in-memory store's copy may carry before it is dumped afresh
STARTUP_TIMEOUT = 60.0  # seconds a new worker may take to start or to open a new copy of the store


class Executor(Protocol):
    """What the SPARQL endpoint needs: run a query to bytes, learn about writes, shut down."""

    def run(
        self,
        query: str,
        choose: FormatChooser,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        base_iri: str | None = None,
        bindings: Bindings | None = None,
        client: str | None = None,
    ) -> tuple[str, bytes]:
        """Run a query (blocking; call it off the event loop) and return (media type, body).

        `bindings` pre-bind variables to terms (a named query's parameters: never pasted into the text);
        `client` names who asks (an address), for its share of the heavy lane.
        """

    def notify_write(self) -> None:
        """The store changed: later queries must see the change."""

    def close(self) -> None:
        """Stop any workers and remove published copies."""


def remove_leftovers(folder: Path) -> list[Path]:
    """Delete published-copy folders whose server process is gone (left by a SIGKILL); returns what was removed.

    A folder is named `.evidencekg-copies-<pid>-<random>`; one whose pid is alive belongs to a running server.
    """
    removed = []
    for path in folder.glob(f"{COPIES_PREFIX}*"):
        owner = path.name[len(COPIES_PREFIX) :].split("-", 1)[0]
        if not owner.isdigit() or _alive(int(owner)):
            continue  # a live server's, or one named without a pid (whose owner cannot be told): left alone
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 probes without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def create_executor(store: Store, settings: Settings) -> Executor:
    """Worker processes for the embedded Oxigraph store, plain calls for any other (remote) store."""
    if Capability.WORKER_COPIES in store.capabilities:
        return ProcessExecutor(cast(OxigraphStore, store), settings)
    return DirectExecutor(store, settings)


def formats_for(choose: FormatChooser) -> dict[str, str | None]:
    """The chooser's answer for every result kind (a plain dict can travel to a worker process)."""
    formats = {kind.value: choose(kind) for kind in QueryKind}
    if not any(formats.values()):
        raise NotAcceptable("none of the media types in the Accept header can carry a SPARQL result")
    return formats


class DirectExecutor:
    """Runs queries through the store itself; for a RemoteStore the HTTP timeout ends a slow query."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def run(
        self,
        query: str,
        choose: FormatChooser,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        base_iri: str | None = None,
        bindings: Bindings | None = None,
        client: str | None = None,
    ) -> tuple[str, bytes]:
        """Check SERVICE targets, then forward the query (the remote server does its own admission)."""
        formats_for(choose)
        # the store raises QueryTimeout / StoreUnavailable itself
        with guard.admitted(query, self.settings.service_allowlist, self.settings.max_nesting, base_iri):
            return self.store.query_serialized(query, choose, default_graphs, named_graphs, bindings)

    def notify_write(self) -> None:
        """Nothing to do: the remote server sees its own writes."""

    def close(self) -> None:
        """Nothing to release."""


@dataclass(eq=False)
class _Worker:
    """One worker process, the parent's end of its pipe, and the copy it has open."""

    process: subprocess.Popen[bytes]
    conn: Connection
    ready: bool = False
    source: worker.Source | None = None


@dataclass
class _Pool:
    """The live workers and the folder of published copies (shared with the finalizer)."""

    folder: Path
    workers: set[_Worker] = field(default_factory=set)


def _shutdown(pool: _Pool) -> None:
    """Stop every worker (politely, then by SIGKILL) and delete the published copies."""
    for w in list(pool.workers):
        try:
            w.conn.send(None)
        except OSError:
            pass
    for w in list(pool.workers):
        try:
            w.process.wait(1.0)
        except subprocess.TimeoutExpired:
            w.process.kill()
            w.process.wait(5.0)
        w.conn.close()
    pool.workers.clear()
    shutil.rmtree(pool.folder, ignore_errors=True)


class _Promotion:
    """A fast-lane query that may turn heavy: past the fast budget it takes a heavy place (or is refused)."""

    def __init__(self, executor: ProcessExecutor, key: str, client: str | None) -> None:
        self.executor, self.key, self.client = executor, key, client
        self._place: contextlib.ExitStack | None = None

    def begin(self) -> None:
        """The query outlived the fast budget: remember it as heavy, hold a heavy place, keep a worker spare."""
        self.executor.admission.mark_heavy(self.key)
        place = contextlib.ExitStack()
        place.enter_context(self.executor.admission.heavy(self.client))  # TooManyRequests / Busy: worker replaced
        self._place = place
        self.executor._spare()  # noqa: SLF001

    def end(self) -> None:
        """Give the heavy place back (if it was taken)."""
        if self._place is not None:
            self._place.close()
            self._place = None


class ProcessExecutor:
    """A warm pool of killable worker processes over published copies of an embedded Oxigraph store."""

    def __init__(self, store: OxigraphStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.heavy_size = settings.query_workers  # heavy queries that may run at once
        self.fast_size = settings.fast_workers  # workers kept for queries not known to be heavy
        self.size = self.heavy_size + self.fast_size
        self.admission = Admission(settings.heavy_queue, settings.client_share)
        self._heavy_slots = threading.BoundedSemaphore(self.heavy_size)
        parent = store.path.parent if store.path is not None else Path(tempfile.gettempdir())  # same disk: hard links
        remove_leftovers(parent)
        self._pool = _Pool(Path(tempfile.mkdtemp(prefix=f"{COPIES_PREFIX}{os.getpid()}-", dir=parent)))
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()  # the warmest worker first
        self._lock = threading.Lock()
        self._notified = 0  # notify_write() calls
        self._published: worker.Source | None = None
        self._dumped = 0  # store.changes when the last in-memory snapshot was dumped
        self._seen = (0, 0)  # (notify_write calls, store.changes) at the last in-memory publication
        self._started = False
        weakref.finalize(self, _shutdown, self._pool)

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers (for monitoring and tests)."""
        return [w.process.pid for w in list(self._pool.workers)]

    def run(
        self,
        query: str,
        choose: FormatChooser,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        base_iri: str | None = None,
        bindings: Bindings | None = None,
        client: str | None = None,
    ) -> tuple[str, bytes]:
        """Run a query in a worker; QueryTimeout (worker killed) when it outlives settings.query_timeout.

        Admission (evidencekg.store.admission): a query known to be heavy waits for a heavy slot
        (TooManyRequests / Busy when its client or the lane is full); any other query runs at once
        on an idle worker and becomes heavy only if it outlives settings.fast_budget.
        """
        formats = formats_for(choose)
        timeout = self.settings.query_timeout
        deadline = time.monotonic() + timeout
        job = worker.Job(
            query,
            formats,
            tuple(default_graphs),
            tuple(named_graphs),
            base_iri,
            self.settings.result_limit,
            self._source(),
            tuple((bindings or {}).items()),
            tuple(self.settings.service_allowlist),
            self.settings.result_bytes_limit,
            self.settings.max_nesting,
        )
        key = query_key(query, bindings)
        if self.admission.lane(key) == HEAVY:
            with self.admission.heavy(client):
                if not self._heavy_slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    raise QueryTimeout(
                        f"all {self.heavy_size} heavy-lane slots stayed busy for {timeout:g} s; try again later"
                    )
                try:
                    return self._run_job(job, deadline, None)
                finally:
                    self._heavy_slots.release()
        return self._run_job(job, deadline, _Promotion(self, key, client))

    def _run_job(self, job: worker.Job, deadline: float, promotion: _Promotion | None) -> tuple[str, bytes]:
        """Run a job on an idle worker until the deadline (promoting it to heavy past the fast budget)."""
        w = self._acquire(deadline)
        switched = w.source != job.source
        try:
            reply = self._exchange(w, job, promotion)
        except BaseException:
            if promotion is not None:
                promotion.end()
            self._replace(w)
            raise
        if promotion is not None:
            promotion.end()
        self._release(w)
        if switched:
            self._prune()  # the copy this worker had open may be unused now
        if reply[0] == "error":
            raise reply[1]
        return reply[1], reply[2]

    def _exchange(self, w: _Worker, job: worker.Job, promotion: _Promotion | None = None) -> tuple:
        """Send a job and wait for its answer; the clock starts once the worker has the right copy open."""
        timeout = self.settings.query_timeout
        deadline = time.monotonic() + timeout
        try:
            w.conn.send(job)
            switching = w.source != job.source
            w.source = job.source
            if switching:  # opening a new copy does not count against the query's time
                if not w.conn.poll(STARTUP_TIMEOUT):
                    raise StoreError(f"a query worker could not open the store copy within {STARTUP_TIMEOUT:g} s")
                reply = w.conn.recv()
                if reply[0] != "loaded":
                    return reply
                deadline = time.monotonic() + timeout
            if promotion is not None and not w.conn.poll(min(self.settings.fast_budget, max(0.0, deadline - time.monotonic()))):
                promotion.begin()  # past the fast budget: heavy from now on (or refused: the worker is replaced)
            if not w.conn.poll(max(0.0, deadline - time.monotonic())):
                raise QueryTimeout(
                    f"the query ran longer than {timeout:g} s (settings.query_timeout, "
                    "EVIDENCEKG_QUERY_TIMEOUT) and was stopped"
                )
            return w.conn.recv()
        except (EOFError, OSError) as exc:
            raise ResourceLimit(worker.memory_message(self.settings.worker_memory_limit)) from exc

    def notify_write(self) -> None:
        """Mark the published copy stale (the next query publishes a new one) and forget the store's cached answers."""
        with self._lock:
            self._notified += 1
        self.store.results.clear()

    def _generation(self) -> int:
        """Which state of the store a copy must reflect: moves with every write (call under the lock)."""
        return 1 + self._notified + self.store.changes

    def close(self) -> None:
        """Stop the workers and delete the published copies (a later query starts afresh)."""
        with self._lock:
            self._started = False
            self._published = None
            while not self._idle.empty():
                self._idle.get_nowait()
            _shutdown(self._pool)

    # -- the pool ---------------------------------------------------------------------------

    def _acquire(self, deadline: float) -> _Worker:
        """An idle, started worker; QueryTimeout when every worker stays busy until the deadline."""
        with self._lock:
            if not self._started:
                self._started = True
                for _ in range(self.size):
                    self._idle.put(self._spawn())
        try:
            w = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise QueryTimeout(
                f"all {self.size} query workers stayed busy for {self.settings.query_timeout:g} s; try again later"
            ) from None
        if not w.ready:
            try:
                if not w.conn.poll(STARTUP_TIMEOUT):
                    raise StoreError(f"a query worker did not start within {STARTUP_TIMEOUT:g} s")
                w.conn.recv()
                w.ready = True
            except (EOFError, OSError, StoreError) as exc:
                self._replace(w)
                raise StoreError(f"a query worker failed to start: {exc}") from exc
        return w

    def _release(self, w: _Worker) -> None:
        """Put a worker back among the idle ones, or stop it when the pool grew past its size for a promotion."""
        with self._lock:
            extra = len(self._pool.workers) > self.size and self._idle.qsize() >= self.fast_size
            if extra:
                self._pool.workers.discard(w)
        if not extra:
            self._idle.put(w)
            return
        try:
            w.conn.send(None)
            w.process.wait(5.0)
        except (OSError, subprocess.TimeoutExpired):
            w.process.kill()
            w.process.wait(5.0)
        w.conn.close()

    def _spare(self) -> None:
        """Keep a worker free for quick queries while promoted ones run (start one more when none is idle)."""
        with self._lock:
            if self._idle.qsize() == 0 and len(self._pool.workers) < self.size + self.heavy_size:
                self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        """Start one worker process (`python -m evidencekg.store.worker FD`; it announces itself when ready)."""
        parent_end, child_end = socket.socketpair()
        with child_end:
            process = subprocess.Popen(
                [sys.executable, "-m", "evidencekg.store.worker", str(child_end.fileno()), str(self.settings.worker_memory_limit)],
                pass_fds=[child_end.fileno()],
                stdin=subprocess.DEVNULL,
            )
        w = _Worker(process, Connection(parent_end.detach()))
        self._pool.workers.add(w)
        return w

    def _replace(self, w: _Worker) -> None:
        """SIGKILL a worker (whatever it is doing stops now), reap it, and start a fresh one."""
        w.process.kill()
        w.process.wait(5.0)
        w.conn.close()
        with self._lock:
            if w in self._pool.workers:  # not already stopped by close()
                self._pool.workers.discard(w)
                self._idle.put(self._spawn())
        self._prune()

    # -- published copies ---------------------------------------------------------------------

    def _source(self) -> worker.Source:
        """The copy of the store that reflects every write notified so far (published on demand)."""
        with self._lock:
            generation = self._generation()
            if self._published is None or self._published.generation != generation:
                self._published = self._republish(generation)
            source = self._published
        self._prune()
        return source

    def _republish(self, generation: int) -> worker.Source:
        """A copy for `generation`; when the disk is full, the last copy (a write that ran out of space changed nothing).

        The half-written copy is deleted by the next prune; the next query tries again.
        """
        try:
            return self._publish(generation)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            if self._published is None:
                raise StoreFull(DISK_FULL) from exc
            log.warning("no space for a fresh copy of the store, queries read the last one: %s", str(exc))  # the text: a record holding the error would keep its frames (and the store) alive
            return self._published

    def _publish(self, generation: int) -> worker.Source:
        """Write a new immutable copy: a hard-link checkpoint on disk; in memory, the updates made since the
        last N-Quads dump (evidencekg.store.embedded journal), or a new dump when they cannot be replayed."""
        self._pool.folder.mkdir(parents=True, exist_ok=True)
        target = self._pool.folder / f"generation-{generation}"
        oxigraph = self.store.oxigraph
        if self.store.path is not None:
            oxigraph.backup(str(target))
            return worker.Source(worker.CHECKPOINT, str(target), generation)
        with self.store.write_lock:  # validated writes, ingests and reloads wait: the dump and its count agree
            changes, notified = self.store.changes, self._notified
            last, (seen_notified, seen_changes) = self._published, self._seen
            self._seen = (notified, changes)
            # a notice with no Store API write since the last copy means a write behind its back: dump afresh
            unseen = notified != seen_notified and changes == seen_changes
            if last is not None and last.kind == worker.SNAPSHOT and not unseen and len(last.updates) < MAX_UPDATES:
                texts = self.store.journal_since(self._dumped)
                if texts is not None and len(texts) >= len(last.updates):
                    added = []
                    for number, text in enumerate(texts[len(last.updates) :], start=len(last.updates)):
                        path = target.with_name(f"generation-{generation}-update-{number}.ru")
                        path.write_text(text, encoding="utf-8")
                        added.append(str(path))
                    return worker.Source(worker.SNAPSHOT, last.path, generation, (*last.updates, *added))
            path = target.with_suffix(".nq")
            oxigraph.dump(str(path), format=ox.RdfFormat.N_QUADS)
            self._dumped = changes
            return worker.Source(worker.SNAPSHOT, str(path), generation)

    def _prune(self) -> None:
        """Delete copies that are neither the current one nor open in a live worker."""
        with self._lock:
            sources = [w.source for w in self._pool.workers if w.source is not None] + [self._published]
            keep = {path for source in sources if source is not None for path in (source.path, *source.updates)}
            for path in self._pool.folder.glob("generation-*"):
                if str(path) in keep:
                    continue
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
