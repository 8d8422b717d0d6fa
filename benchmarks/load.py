"""A bounded load test: many concurrent clients on loopback for a while, every status and latency counted."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

REFUSED = (429, 503)  # told to come back later (with Retry-After): counted apart from errors


@dataclass
class LoadResult:
    """What the clients saw: statuses, latencies (seconds) and transport errors."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        """Requests answered (any status)."""
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        """Answers that are neither 2xx nor a refusal with Retry-After, plus transport failures."""
        bad = sum(n for s, n in self.statuses.items() if not 200 <= s < 300 and s not in REFUSED)
        return bad + len(self.failures)

    def percentile(self, q: float) -> float:
        """The q-th percentile of the latencies (seconds; 0 when nothing was answered)."""
        if not self.latencies:
            return 0.0
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[max(0, min(98, round(q) - 1))]

    def summary(self) -> str:
        """One line: requests, rate, p50/p99, errors and refusals."""
        refused = sum(self.statuses[s] for s in REFUSED)
        rate = self.requests / self.seconds if self.seconds else 0.0
        return (
            f"{self.requests} requests in {self.seconds:.1f} s ({rate:.0f}/s), p50 {self.percentile(50) * 1e3:.0f} ms, "
            f"p99 {self.percentile(99) * 1e3:.0f} ms, {self.errors} errors, {refused} refused (429/503)"
        )


def run_load(base_url: str, paths: Sequence[str], clients: int = 50, seconds: float = 5.0, timeout: float = 60.0) -> LoadResult:
    """`clients` threads, each with its own connection, cycling through `paths` (GET) until the time is up."""
    result = LoadResult()
    lock = threading.Lock()
    stop = [0.0]  # set once every client is connected and ready
    began = [0.0]

    def go() -> None:
        began[0] = time.monotonic()
        stop[0] = began[0] + seconds

    start_together = threading.Barrier(clients, action=go)

    def client(offset: int) -> None:
        with httpx.Client(base_url=base_url, timeout=timeout) as http:
            start_together.wait()
            index = offset
            while time.monotonic() < stop[0]:
                path = paths[index % len(paths)]
                index += 1
                began = time.perf_counter()
                try:
                    status = http.get(path).status_code
                except httpx.HTTPError as exc:
                    with lock:
                        result.failures.append(f"{path}: {exc!r}")
                    continue
                took = time.perf_counter() - began
                with lock:
                    result.statuses[status] += 1
                    result.latencies.append(took)
                    if not 200 <= status < 300 and status not in REFUSED:
                        result.failures.append(f"{path}: HTTP {status}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout + 60)
    result.seconds = time.monotonic() - began[0]
    return result
