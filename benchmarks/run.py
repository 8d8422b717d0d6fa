"""`python -m benchmarks.run`: our code against a peer in the same process, printed as time ratios (never asserted)."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.meta_page import meta_page
from benchmarks.metafor import metafor
from benchmarks.scale import scale
from benchmarks.writes import main as write_path
from evidencekg.settings import get_settings

METAPSY = Path(__file__).resolve().parents[2] / "shared/evidence-bases/metapsy-depression-psyctr/data.csv"
QUERY = """PREFIX ekg: <https://w3id.org/evidencekg/ontology#>
SELECT ?a ?b (COUNT(?f) AS ?n) (AVG(?e) AS ?mean) WHERE {
  ?f a ekg:ReportedFinding ; ekg:estimate ?e .
  { ?f ekg:fromConstruct ?a ; ekg:toConstruct ?b } UNION { ?f ekg:interventionCondition ?a ; ekg:comparatorCondition ?b }
} GROUP BY ?a ?b ORDER BY DESC(?n)"""


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """The fastest of a few runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def line(name: str, ours: float, peer: float, peer_name: str) -> None:
    """One result line: both times and the ratio."""
    print(f"{name:<44} ours {ours * 1e3:9.2f} ms  {peer_name:<22} {peer * 1e3:9.2f} ms  ratio {peer / ours:6.2f}x")


def pooling() -> None:
    """REML and DL on 200 studies: evidencekg.meta.pooling vs PyMARE and statsmodels."""
    from pymare import Dataset
    from pymare.estimators import DerSimonianLaird, VarianceBasedLikelihoodEstimator
    from statsmodels.stats.meta_analysis import combine_effects

    from evidencekg.meta.pooling import pool

    rng = np.random.default_rng(7)
    y, v = rng.normal(0.3, 0.3, 200), rng.uniform(0.01, 0.1, 200)
    line("pool REML, k = 200", best_of(lambda: pool(y, v, "REML")),
         best_of(lambda: VarianceBasedLikelihoodEstimator(method="REML").fit_dataset(Dataset(y=y, v=v))), "PyMARE REML")  # fmt: skip
    line("pool DL, k = 200", best_of(lambda: pool(y, v, "DL")),
         best_of(lambda: DerSimonianLaird().fit_dataset(Dataset(y=y, v=v))), "PyMARE DL")  # fmt: skip
    line("pool DL, k = 200", best_of(lambda: pool(y, v, "DL")),
         best_of(lambda: combine_effects(y, v, method_re="chi2")), "statsmodels DL")  # fmt: skip
    line("pool PM, k = 200", best_of(lambda: pool(y, v, "PM")),
         best_of(lambda: combine_effects(y, v, method_re="iterated")), "statsmodels PM")  # fmt: skip


def ingest_and_query() -> None:
    """Metapsy ingest throughput; the pair query on Oxigraph vs rdflib's own SPARQL engine."""
    import rdflib

    from evidencekg.evidence.ingest import ingest
    from evidencekg.load.shipped import shipped_store

    settings = get_settings()
    store = shipped_store(settings)
    if METAPSY.is_file():
        start = time.perf_counter()
        result = ingest(store, METAPSY, settings=settings)
        elapsed = time.perf_counter() - start
        print(f"Metapsy ingest: {result.findings} rows, {result.triples} triples in {elapsed:.1f} s "
              f"({result.findings / elapsed:.0f} rows/s, SHACL included)")  # fmt: skip
    else:
        print(f"Metapsy ingest: skipped ({METAPSY} not present)")
    graph = rdflib.Graph()
    graph.parse(data=store.dump("application/n-triples"), format="nt")
    line(f"pair aggregate query, {len(store)} triples", best_of(lambda: store.select(QUERY), 3),
         best_of(lambda: list(graph.query(QUERY)), 1), "rdflib SPARQL")  # fmt: skip


def median_run(command: list[str], repeat: int = 5) -> float:
    """The median wall time of a few runs of a command, in seconds (output discarded, failure raised)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup() -> None:
    """Start-up of `evidencekg --help` (what the console script runs) against `python -c "import typer"`."""
    ours = median_run([sys.executable, "-c", "from evidencekg.cli import app; app(prog_name='evidencekg')", "--help"])
    peer = median_run([sys.executable, "-c", "import typer"])
    line("evidencekg --help start-up (median of 5)", ours, peer, "python -c 'import typer'")


def main() -> None:
    """Run every benchmark (`--size N`: the scale run's synthetic findings; `--only scale`: just that run)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("--size", type=int, default=100_000, help="synthetic findings of the scale run (make bench SIZE=N)")
    parser.add_argument("--only", choices=("scale", "small"), help="only the scale run, or only the small benchmarks")
    parser.add_argument("--load-seconds", type=float, default=60.0, help="length of the 50-client load test")
    options = parser.parse_args()
    if options.only != "scale":
        startup()
        pooling()
        metafor()
        ingest_and_query()
        meta_page(METAPSY)
    if options.only != "small":
        scale(options.size, load_seconds=options.load_seconds)
        write_path(options.size, http=True)  # the validated write, the first query after it, a sheet ingest (disk store)
        write_path(min(options.size, 20_000), memory=True, ingest_rows=0)  # workers load a memory store's first copy whole


if __name__ == "__main__":
    main()
