"""The write path at field size: a validated write of one finding, the first query after it, a sheet ingest (not asserted).

`python -m benchmarks.writes [--findings N] [--memory]` (also part of `make bench`): a store holding the
shipped evidence plus `evidencekg synth --findings N` (default 100,000; EVIDENCEKG_BENCH_FINDINGS), then,
interleaved in one process:

- one validated SPARQL Update of a new finding (19 triples: finding, source sentence, publication)
  through evidencekg.evidence.writes, against raw pyoxigraph `Store.update` of the same kind of text
  (no validation: the floor);
- the first query through the worker pool right after such a write, against the same query with no
  write before it;
- a 10,000-row correlation sheet ingest (target 30 s).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks import servers
from evidencekg.evidence import writes
from evidencekg.evidence.ingest import ingest
from evidencekg.evidence.synth import write_synth
from evidencekg.load.shipped import ensure_loaded
from evidencekg.settings import Settings, get_settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.executor import ProcessExecutor
from evidencekg.store.protocol import QueryKind

CACHE = Path(tempfile.gettempdir()) / "evidencekg-bench"
PREFIXES = """PREFIX ekg: <https://w3id.org/evidencekg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX obo: <http://purl.obolibrary.org/obo/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def finding_update(key: str, position: int) -> str:
    """INSERT DATA of one new reported finding (19 triples) between two shipped constructs."""
    f, s, p = (f"<https://w3id.org/evidencekg/id/{kind}/bench-{key}>" for kind in ("finding", "sentence", "publication"))
    return PREFIXES + f"""INSERT DATA {{ GRAPH <https://example.org/bench/{key}> {{
  {f} a ekg:ReportedFinding ; ekg:reportedIn {p} ; ekg:fromConstruct <https://w3id.org/evidencekg/id/construct/attachment-anxiety> ;
    ekg:toConstruct <https://w3id.org/evidencekg/id/construct/therapeutic-alliance> ; ekg:effectSizeMeasure obo:STATO_0000280 ;
    ekg:estimate -0.20 ; ekg:ciLower -0.30 ; ekg:ciUpper -0.10 ; ekg:numberOfStudies 1 ; ekg:sampleSize 120 ;
    prov:wasDerivedFrom {s} .
  {s} a ekg:SourceSentence ; dcterms:isPartOf <https://w3id.org/evidencekg/id/document/diener2011-pubmed> ; ekg:position {position} ;
    rdf:value "A benchmark sentence: r = -.20, 95% CI [-.30, -.10], N = 120." .
  {p} a ekg:Publication ; bibo:doi "10.5555/evidencekg-bench.{key}" ; dcterms:title "A benchmark article" ;
    dcterms:issued "2020"^^xsd:gYear .
}} }}"""


def synth_file(findings: int) -> Path:
    """The synthetic base of `findings` findings as N-Quads (the scale run's file, or made once here and cached)."""
    scale_run = Path(__file__).resolve().parents[1] / "var" / "bench" / f"synth-{findings}-s1.nq"
    if scale_run.is_file():
        return scale_run
    path = CACHE / f"synth-{findings}.nq"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"synth-{findings}.part.nq")
        write_synth(part, findings)
        part.rename(path)
    return path


def field_store(findings: int, memory: bool, settings: Settings) -> OxigraphStore:
    """The shipped evidence plus the synthetic base, in memory or in a fresh folder (a checkpoint of a cached one)."""
    scale_run = Path(__file__).resolve().parents[1] / "var" / "bench" / f"store-{findings}"  # left by benchmarks/scale.py
    cached = scale_run if scale_run.is_dir() else CACHE / f"store-{findings}"
    if not memory and cached.is_dir():
        folder = Path(tempfile.mkdtemp(prefix="evidencekg-bench-store-")) / "store"
        OxigraphStore(cached).oxigraph.backup(str(folder))  # hard links: a writable copy in milliseconds
        store = OxigraphStore(folder)
        ensure_loaded(store, settings)
        return store
    store = OxigraphStore(None if memory else cached)
    ensure_loaded(store, settings)
    start = time.perf_counter()
    store.bulk_load_file(synth_file(findings))
    print(f"  loaded {len(store):,} triples ({findings:,} synthetic findings) in {time.perf_counter() - start:.1f} s")
    if memory:
        return store
    del store  # the cache is kept; this run writes to a copy
    return field_store(findings, memory, settings)


def median_ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1e3:8.1f} ms"


def write_and_query(store: OxigraphStore, settings: Settings, rounds: int = 7) -> None:
    """Validated write vs raw update; first query after a write vs a query with none before it (interleaved)."""
    executor = ProcessExecutor(store, settings)
    choose: Callable[[QueryKind], str | None] = lambda _kind: "application/sparql-results+json"  # noqa: E731
    ask = "ASK { ?f <https://w3id.org/evidencekg/ontology#estimate> ?e }"
    ours, raw, first, steady, cpu = [], [], [], [], []
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        executor.run(ask, choose)  # workers started, copy published
        for i in range(rounds):
            start, used = time.perf_counter(), time.process_time()
            writes.sparql_update(store, finding_update(f"v{i}-{os.getpid()}", 10_000_000 + 2 * i), settings)
            ours.append(time.perf_counter() - start)
            cpu.append(time.process_time() - used)
            start = time.perf_counter()
            executor.run(ask, choose)
            first.append(time.perf_counter() - start)
            start = time.perf_counter()
            executor.run(ask, choose)
            steady.append(time.perf_counter() - start)
            start = time.perf_counter()
            store.update(finding_update(f"r{i}-{os.getpid()}", 10_000_001 + 2 * i))
            raw.append(time.perf_counter() - start)
            executor.run(ask, choose)
    finally:
        executor.close()
    kind = "memory" if store.path is None else "disk"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"  peak RSS of the writing process {peak / 2**10:,.0f} MiB, of which the writes added {(peak - peak_before) / 2**10:,.0f} MiB")
    print(f"  validated write of one finding ({kind}) {median_ms(ours)}   raw pyoxigraph update {median_ms(raw)}"
          f"   ratio {statistics.median(ours) / statistics.median(raw):6.1f}x   (target p50 <= 100 ms; CPU {median_ms(cpu).strip()})")  # fmt: skip
    print(f"  first query after a write ({kind})     {median_ms(first)}   with no write before  {median_ms(steady)}"
          f"   ratio {statistics.median(first) / statistics.median(steady):6.1f}x   (target <= 100 ms)")  # fmt: skip


def discard(folder: Path | None) -> None:
    """Delete the folder of a benchmark's copy of the store once it is closed (the cached store stays)."""
    if folder is not None and folder.parent.name.startswith("evidencekg-bench-store-"):
        shutil.rmtree(folder.parent, ignore_errors=True)


def over_http(findings: int, settings: Settings, rounds: int = 7) -> None:
    """The same write over HTTP: `evidencekg serve --store` (validated) against `oxigraph serve` (not), interleaved,
    each on its own checkpoint of the field store, and the first query after each write on both."""
    source = field_store(findings, False, settings)
    folders = [Path(tempfile.mkdtemp(prefix="evidencekg-bench-http-")) / name for name in ("ours", "oxigraph")]
    for folder in folders:
        source.oxigraph.backup(str(folder))
    copy = source.path
    del source
    discard(copy)
    token = "bench-token"
    port = servers.free_port()
    peer_command = [str(servers.BIN / "oxigraph"), "serve", "--location", str(folders[1]), "--bind", f"127.0.0.1:{port}"]
    ask = "ASK { ?f <https://w3id.org/evidencekg/ontology#estimate> ?e }"
    times: dict[str, list[float]] = {"ours": [], "peer": [], "ours first": [], "peer first": []}
    with (
        servers.running(*servers.evidencekg(folders[0], token=token)) as ours,
        servers.running("oxigraph-writable", peer_command, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/query") as peer,
        httpx.Client(timeout=300) as client,
    ):
        targets = (
            ("ours", ours.sparql, ours.sparql, {"Authorization": f"Bearer {token}"}),
            ("peer", f"{peer.base}/update", peer.sparql, {}),
        )
        for i in range(rounds):
            for name, update_url, query_url, headers in targets if i % 2 == 0 else targets[::-1]:
                text = finding_update(f"h{name}{i}-{os.getpid()}", 30_000_000 + i)
                start = time.perf_counter()
                answer = client.post(update_url, data={"update": text}, headers=headers)
                times[name].append(time.perf_counter() - start)
                if answer.status_code >= 300:
                    raise RuntimeError(f"{name}: {answer.status_code} {answer.text[:300]}")
                start = time.perf_counter()
                client.post(query_url, data={"query": ask}, headers={"Accept": "application/sparql-results+json"}).raise_for_status()
                times[f"{name} first"].append(time.perf_counter() - start)
    ratio = statistics.median(times["ours"]) / statistics.median(times["peer"])
    print(f"  validated write over HTTP                {median_ms(times['ours'])}   oxigraph serve update {median_ms(times['peer'])}   ratio {ratio:6.1f}x")
    ratio = statistics.median(times["ours first"]) / statistics.median(times["peer first"])
    print(f"  first query after it over HTTP           {median_ms(times['ours first'])}   oxigraph serve        {median_ms(times['peer first'])}   ratio {ratio:6.1f}x")
    for folder in folders:
        shutil.rmtree(folder.parent, ignore_errors=True)


def sheet(rows: int) -> bytes:
    """A correlation sheet of `rows` rows over shipped constructs (docs/sheet-format.md)."""
    pairs = [("attachment anxiety", "therapeutic alliance"), ("attachment avoidance", "therapeutic alliance")]
    lines = ["study,authors,year,title,n,r,construct_a,construct_b,doi"]
    for i in range(rows):
        a, b = pairs[i % 2]
        lines.append(f"s{i},Bench {i},{2000 + i % 20},A benchmark study {i},{50 + i % 400},{(i % 17 - 8) / 40:.3f},{a},{b},10.5555/bench.{i}")
    return ("\n".join(lines) + "\n").encode()


def sheet_ingest(store: OxigraphStore, settings: Settings, rows: int = 10_000) -> None:
    """A whole sheet ingest (read, build, validate, write)."""
    start = time.perf_counter()
    result = ingest(store, sheet(rows), "sheet", name=f"bench-sheet-{os.getpid()}", settings=settings)
    elapsed = time.perf_counter() - start
    print(f"  sheet ingest, {result.findings:,} rows, {result.triples:,} triples: {elapsed:6.1f} s   (target <= 30 s)")


def main(findings: int | None = None, memory: bool = False, ingest_rows: int = 10_000, http: bool = False) -> None:
    """Build the store and run each measurement once."""
    settings = get_settings()
    findings = findings or int(os.environ.get("EVIDENCEKG_BENCH_FINDINGS", "100000"))
    print(f"write path at {findings:,} findings ({'memory' if memory else 'disk'} store), load average {os.getloadavg()[0]:.1f}")
    store = field_store(findings, memory, settings)
    write_and_query(store, settings)
    if http and not memory:
        over_http(findings, settings)
    if ingest_rows:
        sheet_ingest(store, settings, ingest_rows)
    folder = store.path
    del store
    discard(folder)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--ingest-rows", type=int, default=10_000)
    parser.add_argument("--http", action="store_true", help="also over HTTP against `oxigraph serve`")
    args = parser.parse_args()
    main(args.findings, args.memory, args.ingest_rows, args.http)
