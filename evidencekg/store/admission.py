"""Admission control for query workers: cheap and heavy queries in separate lanes, each client within its share.

A query nobody has seen run long starts in the *fast lane* (its own workers, settings.fast_workers)
with a small budget (settings.fast_budget). One that outlives the budget is stopped there, its
text remembered as heavy, and it is run again in the *heavy lane* (settings.query_workers workers,
at a lower CPU priority); later runs of the same text go straight to the heavy lane. So a cheap
query never waits behind a heavy one. The heavy lane admits at most settings.heavy_queue queries
(running or waiting) and each client at most settings.client_share of them: past that the client
gets TooManyRequests (429) or Busy (503), both with a Retry-After, while other clients' queries go on.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from evidencekg.errors import Busy, TooManyRequests

FAST, HEAVY = "fast", "heavy"
ANONYMOUS = "anonymous"


def query_key(query: str, bindings: object = None) -> str:
    """A key for a query text (whitespace runs folded) and its bindings: what the heavy memo remembers."""
    text = " ".join(query.split()) + "\0" + repr(sorted((bindings or {}).items()) if isinstance(bindings, dict) else bindings)
    return hashlib.sha256(text.encode()).hexdigest()


class Admission:
    """Which lane a query goes to, and whether the heavy lane has room for it and for its client."""

    def __init__(self, heavy_queue: int, client_share: int, retry_after: int = 5, memo: int = 4096) -> None:
        self.heavy_queue = heavy_queue
        self.client_share = client_share
        self.retry_after = retry_after
        self._memo: OrderedDict[str, None] = OrderedDict()
        self._memo_size = memo
        self._lock = threading.Lock()
        self._heavy = 0  # heavy queries admitted (running or waiting for a heavy worker)
        self._per_client: Counter[str] = Counter()

    def lane(self, key: str) -> str:
        """FAST for a query not known to be heavy, HEAVY for one that outlived the fast budget before."""
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return HEAVY
            return FAST

    def mark_heavy(self, key: str) -> None:
        """Remember that this query outlived the fast budget (the oldest memories go first)."""
        with self._lock:
            self._memo[key] = None
            self._memo.move_to_end(key)
            while len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)

    @contextmanager
    def heavy(self, client: str | None) -> Iterator[None]:
        """Hold a place in the heavy lane for the block; TooManyRequests or Busy (with retry_after) when there is none."""
        who = client or ANONYMOUS
        with self._lock:
            if self._per_client[who] >= self.client_share:
                raise TooManyRequests(
                    f"this client already has {self._per_client[who]} heavy queries running or waiting "
                    f"(settings.client_share, EVIDENCEKG_CLIENT_SHARE); retry after {self.retry_after} s",
                    self.retry_after,
                )
            if self._heavy >= self.heavy_queue:
                raise Busy(
                    f"{self._heavy} heavy queries are running or waiting (settings.heavy_queue, EVIDENCEKG_HEAVY_QUEUE); "
                    f"retry after {self.retry_after} s (quick queries are still answered)",
                    self.retry_after,
                )
            self._heavy += 1
            self._per_client[who] += 1
        try:
            yield
        finally:
            with self._lock:
                self._heavy -= 1
                self._per_client[who] -= 1
                if not self._per_client[who]:
                    del self._per_client[who]

    @property
    def heavy_admitted(self) -> int:
        """Heavy queries running or waiting now (for monitoring and tests)."""
        with self._lock:
            return self._heavy
