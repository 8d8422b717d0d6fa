"""Live reload: while the service runs, reload ontology/*.ttl + data/*.ttl into its embedded store when they change.

A cheap poll (names, sizes and modification times of the shipped files, every
settings.watch_interval seconds) decides when to call loader.reload_shipped, which parses every
file first and then replaces the named graph of each changed file in one atomic update (other
graphs, user data among them, stay). A file that does not parse is logged as `file:line:col: message` and the
service keeps serving the evidence it had; the next change is tried again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from evidencekg.errors import StoreError
from evidencekg.load.shipped import Reload, reload_shipped, shipped_files
from evidencekg.settings import Settings
from evidencekg.store.files import LoadError
from evidencekg.store.protocol import Capability, Store

log = logging.getLogger(__name__)

# What the poll compares: each shipped file with its size and modification time.
FileState = tuple[tuple[Path, int, int], ...]


def file_state(settings: Settings) -> FileState:
    """The shipped files as (path, size, mtime in ns); a file vanishing mid-scan is left out."""
    state = []
    for path in shipped_files(settings):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        state.append((path, info.st_size, info.st_mtime_ns))
    return tuple(state)


class EvidenceWatcher:
    """Polls the shipped files of one store and reloads them on change; `check()` does one round."""

    def __init__(self, store: Store, settings: Settings, on_reload: Callable[[], None] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.on_reload = on_reload  # e.g. the query executor's notify_write
        self.seen: FileState | None = None  # None: never checked, so the first round compares fingerprints

    def check(self) -> Reload | None:
        """Reload when the files changed since the last round; errors are logged, never raised."""
        state = file_state(self.settings)
        if state == self.seen:
            return None
        self.seen = state
        try:
            result = reload_shipped(self.store, self.settings)
        except LoadError as exc:
            where = exc.problem.text() if exc.problem is not None else str(exc)
            log.error("shipped evidence not reloaded, still serving the previous version: %s", where)
            return None
        except (StoreError, OSError) as exc:
            log.error("shipped evidence not reloaded, still serving the previous version: %s", exc)
            return None
        if result is not None:
            log.info(
                "reloaded the shipped evidence from %s and %s: graphs replaced %s, dropped %s",
                self.settings.ontology_dir,
                self.settings.data_dir,
                ", ".join(result.replaced) or "none",
                ", ".join(result.dropped) or "none",
            )
            if self.on_reload is not None:
                self.on_reload()
        return result

    async def run(self) -> None:
        """Check now and then every settings.watch_interval seconds until cancelled (checks run off the event loop)."""
        while True:
            await asyncio.to_thread(self.check)
            await asyncio.sleep(self.settings.watch_interval)


@contextlib.asynccontextmanager
async def watching(
    store: Store, settings: Settings, on_reload: Callable[[], None] | None = None
) -> AsyncIterator[EvidenceWatcher | None]:
    """Run a watcher for the block's duration when settings.watch_files is on and the store is embedded."""
    if not settings.watch_files or Capability.SHIPPED_EVIDENCE not in store.capabilities:
        yield None
        return
    watcher = EvidenceWatcher(store, settings, on_reload)
    task = asyncio.create_task(watcher.run(), name="evidencekg-watch")
    try:
        yield watcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
