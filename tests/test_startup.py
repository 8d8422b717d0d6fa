"""CLI start-up stays light: `evidencekg --help` and `evidencekg query NAME` load none of the heavy numeric libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("scipy", "pandas", "statsmodels", "matplotlib", "pymare")
# Runs the command line as the console script does, then reports which heavy top-level packages were imported.
PROBE = f"""
import sys
from evidencekg.cli import app
try:
    app(sys.argv[1:], prog_name="evidencekg")
except SystemExit as exit:
    status = exit.code
else:
    status = 0
heavy = sorted({{name.split(".")[0] for name in sys.modules}} & {set(HEAVY)!r})
print(f"\\nSTATUS {{status}} LOADED {{','.join(heavy)}}")
"""


def loaded_by(args: tuple[str, ...], prelude: str = "") -> tuple[str, list[str]]:
    """The command's output and the heavy packages loaded while running it (in a fresh interpreter)."""
    result = subprocess.run([sys.executable, "-c", prelude + PROBE, *args], capture_output=True, text=True)
    output, _, last = result.stdout.rstrip().rpartition("\n")
    assert last.startswith("STATUS 0 LOADED"), f"evidencekg {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return output, [name for name in last.removeprefix("STATUS 0 LOADED").strip().split(",") if name]


@pytest.mark.parametrize(
    ("args", "shows"),
    [(("--help",), "Usage: evidencekg"), (("query", "associations", "--format", "csv"), "https://w3id.org/evidencekg/id/finding/")],
    ids=["help", "query"],
)
def test_cli_start_up_loads_no_heavy_library(args: tuple[str, ...], shows: str) -> None:
    output, heavy = loaded_by(args)
    assert shows in output, f"evidencekg {' '.join(args)} did not print {shows!r}:\n{output}"
    assert heavy == [], f"evidencekg {' '.join(args)} imported {heavy}: import them inside the functions that need them"


def test_the_probe_reports_a_heavy_import() -> None:
    _output, heavy = loaded_by(("--help",), prelude="import pandas\n")
    assert heavy == ["pandas"]
