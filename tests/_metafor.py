"""Run metafor itself through Rscript: an R script per test, its results read back as JSON lines (no jsonlite needed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

# emit(name = value, ...) prints one JSON object on a line starting with @@JSON; numbers keep 17 digits,
# NA / NaN / Inf become null, character values become strings, vectors of length != 1 become lists.
PRELUDE = r"""
suppressPackageStartupMessages(library(metafor))
.json1 <- function(v) {
  if (is.null(v)) return("null")
  if (is.factor(v)) v <- as.character(v)
  if (is.logical(v) && !all(is.na(v))) v <- as.numeric(v)
  if (is.character(v)) s <- ifelse(is.na(v), "null", paste0('"', gsub('"', '\\\\"', v), '"'))
  else { v <- as.numeric(v); s <- ifelse(is.finite(v), sprintf("%.17g", v), "null") }
  if (length(s) == 1 && is.null(attr(v, "aslist"))) s else paste0("[", paste(s, collapse = ","), "]")
}
aslist <- function(v) { if (is.null(v)) v <- numeric(0); attr(v, "aslist") <- TRUE; v }
emit <- function(...) {
  x <- list(...)
  cat("@@JSON {", paste0('"', names(x), '":', vapply(x, .json1, ""), collapse = ","), "}\n", sep = "")
}
"""


def rscript() -> str:
    """The Rscript executable with metafor installed; skips the test where either is absent."""
    exe = shutil.which("Rscript")
    if exe is None:
        pytest.skip("Rscript is not installed (make system installs r-base-core and r-cran-metafor)")
    probe = subprocess.run([exe, "-e", "cat(requireNamespace('metafor', quietly = TRUE))"], capture_output=True, text=True, timeout=120)
    if probe.stdout.strip() != "TRUE":
        pytest.skip("the R package metafor is not installed (Debian: r-cran-metafor)")
    return exe


def run_r(body: str, folder: Path, name: str = "reference") -> list[dict[str, object]]:
    """Write PRELUDE + body to folder/name.R, run it with Rscript, and return every emit() as a dict."""
    script = folder / f"{name}.R"
    script.write_text(PRELUDE + body)
    done = subprocess.run([rscript(), "--vanilla", str(script)], capture_output=True, text=True, timeout=600, cwd=folder)
    if done.returncode != 0:
        raise AssertionError(f"Rscript {script} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return [json.loads(line[len("@@JSON ") :]) for line in done.stdout.splitlines() if line.startswith("@@JSON ")]


def metafor_version(folder: Path) -> str:
    """metafor's version as R reports it (e.g. 3.8.1)."""
    return str(run_r('emit(version = as.character(packageVersion("metafor")))', folder, "version")[0]["version"])
