"""`make bench` lines against metafor through Rscript: REML (k = 200, 2000), a meta-regression and a three-level model.

In-process: our best-of-5 fit against the same fit timed inside one R session (best of 5 system.time runs).
Whole-process: `python -c` (imports, read the CSV, fit) against `Rscript` (load metafor, read the CSV, fit).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

# (name, R call on data frame d, our call in Python on arrays y, v, x1, x2, cluster)
CASES: list[tuple[str, int, str, str]] = [
    ("REML, k = 200", 200, "rma(yi, vi, data = d)", "pool(y, v, 'REML')"),
    ("REML, k = 2000", 2000, "rma(yi, vi, data = d)", "pool(y, v, 'REML')"),
    ("meta-regression (2 mods), k = 2000", 2000, "rma(yi, vi, mods = ~ x1 + x2, data = d)",
     "fit(y, v, np.column_stack([np.ones(len(y)), x1, x2]), ['intrcpt', 'x1', 'x2'])"),
    ("three-level REML, k = 2000 in 500 studies", 2000, "rma.mv(yi, vi, random = ~ 1 | cluster/es, data = d)",
     "three_level(y, v, cluster)"),
]  # fmt: skip

IMPORTS = ("import numpy as np, csv, sys\nfrom evidencekg.meta.pooling import pool\nfrom evidencekg.meta.models import fit\n"
           "from evidencekg.meta.multilevel import three_level\n")  # fmt: skip
READ = ("rows = list(csv.DictReader(open(sys.argv[1])))\n"
        "y, v = np.array([float(r['yi']) for r in rows]), np.array([float(r['vi']) for r in rows])\n"
        "x1, x2 = np.array([float(r['x1']) for r in rows]), np.array([float(r['x2']) for r in rows])\n"
        "cluster = [r['cluster'] for r in rows]\n")  # fmt: skip


def _data(k: int, folder: Path) -> Path:
    rng = np.random.default_rng(k)
    cluster = np.repeat(np.arange(k // 4), 4)[:k]
    x1, x2 = rng.normal(0, 1, k), rng.integers(0, 2, k)
    y = 0.4 + 0.1 * x1 - 0.2 * x2 + rng.normal(0, 0.3, k // 4 + 1)[cluster] + rng.normal(0, 0.2, k)
    v = rng.uniform(0.01, 0.1, k)
    path = folder / f"data-{k}.csv"
    path.write_text("yi,vi,x1,x2,cluster,es\n" + "".join(f"{float(a)!r},{float(b)!r},{float(c)!r},{int(d)},{int(e)},{i}\n"
                                                       for i, (a, b, c, d, e) in enumerate(zip(y, v, x1, x2, cluster))))  # fmt: skip
    return path


def _best(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _run(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed: {done.stderr[-2000:]}")
    return done.stdout


def _case(rscript: str, folder: Path, name: str, k: int, r_call: str, py_call: str) -> None:
    """One case: in-process and whole-process lines."""
    data = _data(k, folder)
    script = folder / "fit.R"
    script.write_text(f"suppressPackageStartupMessages(library(metafor))\nd <- read.csv({str(data)!r})\n"
                      f"t <- min(sapply(1:5, function(i) system.time(res <- {r_call})[['elapsed']]))\n"
                      "cat(sprintf('%.6f', t))\n")  # fmt: skip
    inside_r = float(_run([rscript, "--vanilla", str(script)]).strip())
    scope: dict[str, object] = {}
    exec(IMPORTS + READ.replace("sys.argv[1]", repr(str(data))), scope)  # noqa: S102 - our own benchmark text
    ours = _best(lambda: eval(py_call, scope))  # noqa: S307
    print(f"{'metafor ' + name:<44} ours {ours * 1e3:9.2f} ms  {'metafor (in R)':<22} {inside_r * 1e3:9.2f} ms  "
          f"ratio {inside_r / ours:6.2f}x")  # fmt: skip
    whole_r = folder / "whole.R"
    whole_r.write_text(f"suppressPackageStartupMessages(library(metafor))\nd <- read.csv({str(data)!r})\nres <- {r_call}\n")
    r_time = _best(lambda: _run([rscript, "--vanilla", str(whole_r)]), 3)
    py = IMPORTS + READ + py_call + "\n"
    py_time = _best(lambda: _run([sys.executable, "-c", py, str(data)]), 3)
    print(f"{'  whole process: ' + name:<44} ours {py_time * 1e3:9.2f} ms  {'Rscript':<22} {r_time * 1e3:9.2f} ms  "
          f"ratio {r_time / py_time:6.2f}x")  # fmt: skip


def metafor() -> None:
    """Print one in-process and one whole-process line per case (skipped without Rscript)."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        print("metafor comparison: skipped (Rscript not installed; make system installs it)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name, k, r_call, py_call in CASES:
            _case(rscript, Path(tmp), name, k, r_call, py_call)
