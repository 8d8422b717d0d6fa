"""What a store last loaded from ontology/ + data/, kept beside it so a reload retracts exactly those triples.

The shipped evidence shares the default graph with what users add (ingested studies, saved
pooled findings), so a reload cannot clear the graph: it deletes the triples of the previous
version and inserts the new ones. The previous version is this snapshot: N-Quads whose first
line names the fingerprint it belongs to, in `<store folder>.shipped.nq` for a store on disk
(never inside the Oxigraph folder), or in memory for a store in memory.

Order of a reload: `stage()` writes the new snapshot to `<...>.shipped.nq.pending` (fsynced),
the store commits and flushes, then `commit()` renames it over the old one (os.replace). After a
crash between the two, the store's fingerprint names the pending file, and `read()` takes it.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from evidencekg.errors import StoreError

HEADER = "# evidencekg shipped evidence, fingerprint "

# Snapshots of stores that have no folder (in memory), one per live store object.
_IN_MEMORY: weakref.WeakKeyDictionary[object, ShippedSnapshot] = weakref.WeakKeyDictionary()


class SnapshotError(StoreError):
    """A snapshot file exists for the right fingerprint but cannot be read or parsed."""


def header(stamp: str) -> bytes:
    """The first line of a snapshot for a fingerprint."""
    return f"{HEADER}{stamp}\n".encode()


@dataclass
class ShippedSnapshot:
    """The shipped quads last loaded into one store: a file beside it (`path`) or bytes in memory."""

    path: Path | None = None
    memory: bytes | None = field(default=None, repr=False)
    _staged: bytes | None = field(default=None, repr=False)

    @property
    def pending(self) -> Path | None:
        """Where the next snapshot waits until the store has committed."""
        return None if self.path is None else self.path.with_name(self.path.name + ".pending")

    def _candidates(self) -> list[bytes]:
        """The stored snapshot, then a pending one left by a crash (file snapshots only)."""
        if self.path is None:
            return [self.memory] if self.memory is not None else []
        found = []
        for path in (self.path, self.pending):
            try:
                found.append(path.read_bytes())  # type: ignore[union-attr]
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise SnapshotError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        return found

    def read(self, stamp: str) -> list[ox.Quad] | None:
        """The quads loaded for fingerprint `stamp`, or None when no snapshot of that version exists."""
        expected = header(stamp)
        for data in self._candidates():
            if data.startswith(expected):
                try:
                    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS))
                except (SyntaxError, ValueError) as exc:
                    raise SnapshotError(f"{self.path or 'in-memory snapshot'}: damaged: {exc}") from exc
        return None

    def stage(self, quads: list[ox.Quad], stamp: str) -> None:
        """Write the snapshot of a version about to be committed (durable before the store commits)."""
        data = header(stamp) + ox.serialize(quads, format=ox.RdfFormat.N_QUADS)  # type: ignore[operator]  # stub: bytes when no output is given
        self._staged = data
        if self.pending is not None:
            with open(self.pending, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())

    def commit(self) -> None:
        """Make the staged snapshot the current one (call after the store committed and flushed)."""
        if self.path is None:
            self.memory = self._staged
        elif self.pending is not None:
            os.replace(self.pending, self.path)
        self._staged = None

    def where(self) -> str:
        """Where this snapshot lives, for messages."""
        return str(self.path) if self.path is not None else "memory"


def snapshot_for(store: object) -> ShippedSnapshot:
    """The snapshot of a store: `<folder>.shipped.nq` beside an on-disk store, else one kept in memory."""
    path = getattr(store, "path", None)
    if isinstance(path, Path):
        return ShippedSnapshot(path.with_name(path.name + ".shipped.nq"))
    snapshot = _IN_MEMORY.get(store)
    if snapshot is None:
        snapshot = _IN_MEMORY[store] = ShippedSnapshot()
    return snapshot
