"""Servers for `make bench`: evidencekg serve, oxigraph serve-read-only and rdflib-endpoint as subprocesses, with RSS sampling."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
ASK = "ASK { ?s ?p ?o }"


def free_port() -> int:
    """A free loopback port (bound by the server right after)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 once gone)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


@dataclass
class Server:
    """A running server: its process, query URL, start-up seconds and the peak RSS of its process tree."""

    name: str
    process: subprocess.Popen[bytes]
    base: str
    sparql: str
    startup: float = 0.0
    peak_rss: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        """Track the peak RSS every 0.2 s until stopped."""
        while not self._stop.wait(0.2):
            self.peak_rss = max(self.peak_rss, tree_rss(self.process.pid))

    def reset_peak(self) -> None:
        """Start the peak over (e.g. after loading)."""
        self.peak_rss = tree_rss(self.process.pid)


def wait_ready(url: str, process: subprocess.Popen[bytes], limit: float) -> float:
    """Seconds until `url` answers an ASK with 200 (RuntimeError if the process dies or the limit passes)."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.post(url, data={"query": ASK}, timeout=5).status_code == 200:
                return time.perf_counter() - began
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer within {limit:g} s")


@contextmanager
def running(name: str, command: Sequence[str], base: str, sparql: str, env: dict[str, str] | None = None, limit: float = 900) -> Iterator[Server]:
    """Start a server, wait until it answers, sample its RSS, stop it at the end."""
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"evidencekg-bench-{name}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    server = Server(name, process, base, sparql)
    sampler = threading.Thread(target=server.sample, daemon=True)
    sampler.start()
    try:
        server.startup = wait_ready(sparql, process, limit)
        yield server
    finally:
        server._stop.set()  # noqa: SLF001
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(20)
        log.close()


def evidencekg(store: Path | None, endpoint: str | None = None, **settings: str) -> tuple[str, list[str], str, str, dict[str, str]]:
    """The command line of `evidencekg serve` over a store folder (or a remote endpoint)."""
    port = free_port()
    command = [str(BIN / "evidencekg"), "serve", "--port", str(port), "--no-watch"]
    command += ["--store", str(store)] if store is not None else ["--endpoint", str(endpoint)]
    env = {f"EVIDENCEKG_{k.upper()}": v for k, v in settings.items()}
    base = f"http://127.0.0.1:{port}"
    return ("evidencekg" if store else "evidencekg-remote"), command, base, base + "/sparql", env


def oxigraph(location: Path) -> tuple[str, list[str], str, str, dict[str, str]]:
    """The command line of `oxigraph serve-read-only` over a store folder, the union as default graph."""
    port = free_port()
    command = [str(BIN / "oxigraph"), "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    base = f"http://127.0.0.1:{port}"
    return "oxigraph", command, base, base + "/query", {}


RDFLIB_SCRIPT = """
import sys, rdflib, uvicorn
from rdflib_endpoint import SparqlEndpoint
data = rdflib.Dataset(default_union=True)
for path in sys.argv[2:]:
    data.parse(path, format="nquads" if path.endswith(".nq") else "turtle")
uvicorn.run(SparqlEndpoint(graph=data, public_url="http://127.0.0.1:%s/" % sys.argv[1]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def rdflib_endpoint(files: Sequence[Path]) -> tuple[str, list[str], str, str, dict[str, str]]:
    """rdflib-endpoint (rdflib's own SPARQL engine behind FastAPI) over the same files, held in memory."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    return "rdflib-endpoint", [sys.executable, "-c", RDFLIB_SCRIPT, str(port), *map(str, files)], base, base + "/", {}
