"""Answers that depend only on a store's contents, kept until the store's next write (its `changes` counter moves).

An embedded OxigraphStore carries one ResultCache (`store.results`); `cached(store, key, compute)`
returns the answer computed at this write generation (`store.changes`) or computes it. A store without a cache (a
remote endpoint, which others may change behind our back) always computes. Writes made behind the
Store API (on `store.oxigraph` directly) must call `store.results.clear()`, as they call the
executor's notify_write.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class ResultCache:
    """A small LRU of answers of one store, emptied whenever its write generation moves."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._seen = -1
        self._answers: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, generation: int, key: Hashable, compute: Callable[[], T]) -> T:
        """The answer for key at this write generation (computed outside the lock when missing)."""
        with self._lock:
            if generation != self._seen:
                self._answers.clear()
                self._seen = generation
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]  # type: ignore[return-value]
        answer = compute()
        with self._lock:
            if generation == self._seen:  # no later generation seen while computing
                self._answers[key] = answer
                while len(self._answers) > self._size:
                    self._answers.popitem(last=False)
        return answer

    def clear(self) -> None:
        """Forget every answer (after a write the counter does not see)."""
        with self._lock:
            self._answers.clear()

    def __len__(self) -> int:
        return len(self._answers)


def cached(store: object, key: Hashable, compute: Callable[[], T]) -> T:
    """The store's cached answer for key, or compute it (always, for a store without a ResultCache)."""
    cache, generation = getattr(store, "results", None), getattr(store, "changes", None)
    if isinstance(cache, ResultCache) and isinstance(generation, int):
        return cache.get(generation, key, compute)
    return compute()
