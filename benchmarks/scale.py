"""`make bench SIZE=N`: N synthetic findings; evidencekg serve against oxigraph serve on the same data, over HTTP, interleaved.

Prints medians and ratios and writes docs/benchmarks.md (machine, load average, every line).
Targets (issue 14) are printed next to the numbers they judge; nothing is asserted.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks import servers
from benchmarks.load import run_load
from evidencekg.evidence.synth import busiest_pair, write_synth
from evidencekg.model.namespaces import sparql_prologue

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
P = sparql_prologue()
C = "https://w3id.org/evidencekg/id/construct/"
JSON, CSV, NT = "application/sparql-results+json", "text/csv", "application/n-triples"


def queries(a: str, b: str) -> list[tuple[str, str, str]]:
    """The benchmark query set: (name, query, Accept)."""
    return [
        ("one finding by IRI", "SELECT ?p ?o { <https://w3id.org/evidencekg/id/finding/synthetic-s1-1-1> ?p ?o }", JSON),
        ("one pair's findings", P + f"SELECT ?f ?r {{ ?f ekg:fromConstruct <{C}{a}> ; ekg:toConstruct <{C}{b}> ; ekg:estimate ?r }}", JSON),
        ("COUNT/AVG by pair", P + "SELECT ?a ?b (COUNT(?f) AS ?n) (AVG(?e) AS ?mean) { ?f ekg:fromConstruct ?a ; ekg:toConstruct ?b ; ekg:estimate ?e } GROUP BY ?a ?b ORDER BY DESC(?n)", JSON),
        ("CI excludes zero, ORDER BY LIMIT 100", P + "SELECT ?f ?r ?lo ?hi { ?f ekg:estimate ?r ; ekg:ciLower ?lo ; ekg:ciUpper ?hi FILTER(?lo > 0 || ?hi < 0) } ORDER BY DESC(ABS(?r)) LIMIT 100", JSON),
        ("two-hop path GROUP BY area", P + "SELECT ?area (COUNT(?f) AS ?n) { ?f ekg:fromConstruct ?c . ?c skos:broader ?area } GROUP BY ?area", JSON),
        ("COUNT(*)", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", JSON),
        ("100k-row SELECT as JSON", P + "SELECT ?f ?r { ?f ekg:estimate ?r } LIMIT 100000", JSON),
        ("100k-row SELECT as CSV", P + "SELECT ?f ?r { ?f ekg:estimate ?r } LIMIT 100000", CSV),
        ("100k-triple CONSTRUCT", P + "CONSTRUCT { ?f ekg:estimate ?r } WHERE { ?f ekg:estimate ?r } LIMIT 100000", NT),
    ]


CHEAP = "ASK { <https://w3id.org/evidencekg/id/finding/synthetic-s1-1-1> ?p ?o }"
HEAVY = queries("x", "y")[2][1]  # COUNT/AVG by pair: an aggregate over every finding


class Report:
    """Lines printed as they come and kept for docs/benchmarks.md."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str) -> None:
        print(text, flush=True)
        self.lines.append(text)


def timed(client: httpx.Client, url: str, query: str, accept: str, timeout: float = 300) -> tuple[float, int, int]:
    """(seconds, status, bytes) of one POSTed query."""
    began = time.perf_counter()
    response = client.post(url, data={"query": query}, headers={"Accept": accept}, timeout=timeout)
    return time.perf_counter() - began, response.status_code, len(response.content)


def prepare(size: int, seed: int, folder: Path, say: Report) -> tuple[Path, Path, Path]:
    """The synthetic file, our store (shipped evidence + file) and Oxigraph's copy of the same quads; load rates."""
    folder.mkdir(parents=True, exist_ok=True)
    synth, ours, peer = folder / f"synth-{size}-s{seed}.nq", folder / f"store-{size}", folder / f"oxigraph-{size}"
    if not synth.is_file():
        began = time.perf_counter()
        write_synth(synth, size, seed)
        say(f"synth {size} findings: {time.perf_counter() - began:.0f} s, {synth.stat().st_size / 2**20:.0f} MiB")
    for path in (ours, peer):
        shutil.rmtree(path, ignore_errors=True)
    cli = str(servers.BIN / "evidencekg")
    subprocess.run([cli, "load", "--store", str(ours)], check=True, capture_output=True)
    triples = sum(1 for _ in synth.open("rb"))
    began = time.perf_counter()
    subprocess.run([cli, "load", str(synth), "--store", str(ours)], check=True, capture_output=True)
    ours_s = time.perf_counter() - began
    dump = folder / "all.nq"
    subprocess.run([str(servers.BIN / "oxigraph"), "dump", "--location", str(ours), "--file", str(dump)], check=True, capture_output=True)
    began = time.perf_counter()
    subprocess.run([str(servers.BIN / "oxigraph"), "load", "--location", str(peer), "--file", str(dump)], check=True, capture_output=True)
    peer_s = time.perf_counter() - began
    total = sum(1 for _ in dump.open("rb"))
    dump.unlink()
    say(f"| load | {triples / ours_s:,.0f} triples/s ({triples:,} in {ours_s:.1f} s) | oxigraph load {total / peer_s:,.0f} triples/s ({total:,} in {peer_s:.1f} s) | {ours_s / peer_s:.2f}x | >= 150k triples/s |")
    return synth, ours, peer


def query_set(ours: servers.Server, peer: servers.Server, pairs: tuple[str, str], repeat: int, say: Report, label: str = "oxigraph serve") -> None:
    """Every query of the set on both servers, interleaved (order alternating), medians and ratio."""
    say(f"\n| query | evidencekg (median of {repeat}) | {label} | ratio | status, bytes |\n|---|---|---|---|---|")
    with httpx.Client() as client:
        for name, query, accept in queries(*pairs):
            times: dict[str, list[float]] = {ours.name: [], peer.name: []}
            seen = ""
            for rep in range(repeat):
                order = (ours, peer) if rep % 2 == 0 else (peer, ours)
                for server in order:
                    took, status, size = timed(client, server.sparql, query, accept)
                    times[server.name].append(took)
                    if server is ours:
                        seen = f"{status}, {size:,} B"
            mine, theirs = statistics.median(times[ours.name]), statistics.median(times[peer.name])
            say(f"| {name} | {mine * 1e3:,.1f} ms | {theirs * 1e3:,.1f} ms | {mine / theirs:.2f}x | {seen} |")


def cheap_under_heavy(server: servers.Server, heavy: int, say: Report, probes: int = 40) -> None:
    """p50/p99 of a cheap ASK while `heavy` clients loop a heavy aggregate (honouring Retry-After)."""
    stop = threading.Event()
    statuses: Counter[int] = Counter()

    def loop() -> None:
        with httpx.Client(timeout=120) as client:
            while not stop.is_set():
                try:
                    response = client.post(server.sparql, data={"query": HEAVY}, headers={"Accept": JSON})
                except httpx.HTTPError:
                    statuses[0] += 1
                    continue
                statuses[response.status_code] += 1
                if response.status_code in (429, 503):
                    stop.wait(float(response.headers.get("Retry-After", "1")))

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(heavy)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    latencies, bad = [], 0
    with httpx.Client(timeout=120) as client:
        for _ in range(probes):
            took, status, _size = timed(client, server.sparql, CHEAP, JSON)
            latencies.append(took)
            bad += status != 200
            time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(300)
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    say(f"| {server.name}, {heavy} heavy | {statistics.median(latencies) * 1e3:,.1f} ms | {q[98] * 1e3:,.1f} ms | {bad} | {dict(statuses)} |")


def throughput(server: servers.Server, pairs: tuple[str, str], say: Report, clients: int = 20, seconds: float = 10) -> None:
    """Requests per second of 20 clients asking cheap lookups."""
    a, b = pairs
    mix = [CHEAP, queries(a, b)[0][1], queries(a, b)[1][1]]
    paths = [f"{server.sparql[len(server.base):]}?{httpx.QueryParams({'query': q})}" for q in mix]
    result = run_load(server.base, paths, clients=clients, seconds=seconds)
    say(f"| {server.name} | {result.requests / result.seconds:,.0f} req/s | p99 {result.percentile(99) * 1e3:,.0f} ms | {result.errors} errors |")


def pages(server: servers.Server, pairs: tuple[str, str], say: Report) -> None:
    """The pages and APIs outside SPARQL, each once cold and (when quick) twice more; target per line."""
    a, b = pairs
    checks: list[tuple[str, str, float]] = [
        (f"/api/meta?a={a}&b={b}", "/api/meta busiest pair", 0.2), (f"/meta?a={a}&b={b}", "/meta busiest pair", 1.0),
        ("/", "home page", 0.2), ("/.well-known/void", "VoID", 0.2), ("/network", "/network page", 1.0),
        ("/api/network", "/api/network (network data)", 0.2), (f"/id/construct/{a}", "busiest construct page", 0.2),
        ("/id/finding/synthetic-s1-1-1", "one finding page", 0.2), ("/queries/associations?format=json", "catalogue: associations", 1.0),
        ("/dump.nq", "/dump.nq", 0.0),
    ]  # fmt: skip
    say("\n| page | median | status, bytes | target |\n|---|---|---|---|")
    with httpx.Client(base_url=server.base, timeout=300) as client:
        for path, name, target in checks:
            times, seen = [], ""
            for _ in range(3):
                began = time.perf_counter()
                try:
                    response = client.get(path)
                    seen = f"{response.status_code}, {len(response.content):,} B"
                except httpx.HTTPError as exc:
                    seen = f"failed: {exc.__class__.__name__}"
                times.append(time.perf_counter() - began)
                if times[-1] > 5:
                    break
            took = statistics.median(times)
            verdict = "-" if not target else ("met" if took <= target else "MISSED") + f" (<= {target * 1e3:.0f} ms)"
            say(f"| {name} | {took * 1e3:,.0f} ms | {seen} | {verdict} |")


def machine() -> str:
    """CPU model, cores, memory, Python and the load average now."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, {memory / 2**20:.0f} GiB, Python {platform.python_version()}; load average {load}"


def scale(size: int, seed: int = 1, rdflib_peer: bool | None = None, load_seconds: float = 60) -> None:
    """The whole run at one size; writes docs/benchmarks.md."""
    say = Report()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    say(f"## {size:,} synthetic findings ({started})\n\nMachine: {machine()} (at start).\n")
    folder = ROOT / "var" / "bench"
    say("| step | evidencekg | peer | ratio | target |\n|---|---|---|---|---|")
    synth, ours_store, peer_store = prepare(size, seed, folder, say)
    pairs = busiest_pair(seed)
    repeat = 5 if size <= 200_000 else 3
    with servers.running(*servers.oxigraph(peer_store)) as peer, servers.running(*servers.evidencekg(ours_store)) as ours:
        say(f"| start-up (first answer) | {ours.startup:.2f} s | {peer.startup:.2f} s | {ours.startup / peer.startup:.1f}x | <= 1 s |")
        query_set(ours, peer, pairs, repeat, say)
        say("\n| cheap ASK while heavy aggregates run | p50 | p99 | cheap failures | heavy statuses |\n|---|---|---|---|---|")
        for heavy in (1, 4, 8):
            for server in (ours, peer):
                cheap_under_heavy(server, heavy, say)
        say("\n| 20 clients, cheap lookups, 10 s | throughput | latency | errors |\n|---|---|---|---|")
        for server in (ours, peer):
            throughput(server, pairs, say)
        pages(ours, pairs, say)
        a, b = pairs
        mixed = [f"/queries/evidence-between?a={a}&b={b}&format=json", f"/api/meta?a={a}&b={b}", "/id/finding/synthetic-s1-1-1",
                 f"/sparql?{httpx.QueryParams({'query': CHEAP})}", "/.well-known/void"]  # fmt: skip
        result = run_load(ours.base, mixed, clients=50, seconds=load_seconds)
        say(f"\nLoad test, 50 clients, {load_seconds:.0f} s of mixed catalogue queries, pages and /api/meta: {result.summary()}")
        say(f"\n| peak RSS of the process tree | evidencekg {ours.peak_rss / 2**20:,.0f} MiB | oxigraph {peer.peak_rss / 2**20:,.0f} MiB | {ours.peak_rss / max(1, peer.peak_rss):.2f}x | <= 1.5x |")
        with servers.running(*servers.evidencekg(None, endpoint=peer.sparql)) as remote:
            query_set(remote, peer, pairs, repeat, say, "oxigraph serve directly")
    if rdflib_peer if rdflib_peer is not None else size <= 200_000:
        rdflib_lines(ours_store, synth, pairs, say)
    say(f"\nLoad average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    write_doc(size, say.lines)


def rdflib_lines(ours_store: Path, synth: Path, pairs: tuple[str, str], say: Report) -> None:
    """rdflib-endpoint on the aggregate and ORDER BY queries (loading the same quads into rdflib takes minutes)."""
    dump = synth.with_name("rdflib-all.nq")
    subprocess.run([str(servers.BIN / "oxigraph"), "dump", "--location", str(ours_store), "--file", str(dump)], check=True, capture_output=True)
    try:
        with servers.running(*servers.rdflib_endpoint([dump]), limit=3600) as peer, servers.running(*servers.evidencekg(ours_store)) as ours:
            say("\n| query | evidencekg | rdflib-endpoint | rdflib / ours | target |\n|---|---|---|---|---|")
            with httpx.Client() as client:
                for name, query, accept in [queries(*pairs)[2], queries(*pairs)[3]]:
                    mine = min(timed(client, ours.sparql, query, accept)[0] for _ in range(3))
                    theirs, status, _ = timed(client, peer.sparql, query, accept, timeout=1800)
                    say(f"| {name} | {mine * 1e3:,.0f} ms | {theirs * 1e3:,.0f} ms (HTTP {status}) | {theirs / mine:.0f}x | >= 20x |")
    finally:
        dump.unlink(missing_ok=True)


MARK = "<!-- make bench writes below this line -->"


def write_doc(size: int, lines: list[str]) -> None:
    """Replace this size's section of docs/benchmarks.md (other sizes' sections stay)."""
    text = DOC.read_text() if DOC.is_file() else ""
    head, _, body = text.partition(MARK)
    sections = [s for s in body.split("\n## ") if s.strip()]
    kept = [s for s in sections if not s.startswith(f"{size:,} synthetic findings")]
    new = "\n".join(lines).removeprefix("## ")
    DOC.write_text(head.rstrip() + f"\n\n{MARK}\n\n## " + "\n\n## ".join(sorted([*kept, new], key=lambda s: int(s.split()[0].replace(",", "")))) + "\n")


