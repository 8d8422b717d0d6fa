"""A bounded load test at small size: 50 concurrent clients of mixed catalogue queries, pages and /api/meta, zero errors."""

from __future__ import annotations

from pathlib import Path

from benchmarks.load import run_load
from evidencekg.evidence.synth import busiest_pair, write_synth
from evidencekg.load.shipped import load_files
from evidencekg.store.embedded import OxigraphStore
from tests._server import live_server, memory_app

CLIENTS, SECONDS = 50, 4.0


def test_fifty_clients_of_mixed_requests_get_no_errors(tmp_path: Path) -> None:
    synthetic = tmp_path / "s1500.nq"
    write_synth(synthetic, 1500, seed=1)
    store = OxigraphStore()
    # the 50 clients stand for 50 people but share one loopback address: give that address room for all of them
    app = memory_app(store, load_evidence=True, settings_overrides={"token": None, "client_share": CLIENTS, "heavy_queue": CLIENTS})
    load_files(store, [synthetic])
    a, b = busiest_pair(1)
    paths = [
        f"/queries/evidence-between?a={a}&b={b}&format=json",
        "/queries/ci-excludes-zero?format=csv",
        f"/api/meta?a={a}&b={b}",
        f"/id/construct/{a}",
        "/id/finding/synthetic-s1-1-1",
        "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D",
        "/.well-known/void",
        "/",
    ]
    with live_server(app) as base_url:
        result = run_load(base_url, paths, clients=CLIENTS, seconds=SECONDS)
    print(f"\nload test, {CLIENTS} clients, {len(store)} quads: {result.summary()}")
    assert result.requests >= len(paths), result.summary()
    assert result.errors == 0, result.failures[:10]
    assert set(result.statuses) == {200}, result.statuses  # nothing refused at this size either
    assert 0 < result.percentile(50) <= result.percentile(99)
