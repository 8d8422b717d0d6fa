"""CLI `synth`: write a deterministic synthetic evidence base (benchmarks, load tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evidencekg.cli.evidence import fail
from evidencekg.evidence.synth import TEST_DOI_PREFIX, write_synth


def synth(
    findings: Annotated[int, typer.Option("--findings", min=1, help="How many findings to generate")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="File to write: .nq (N-Quads), .nt or .ttl")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed and size give the same file")] = 1,
) -> None:
    """Write a synthetic evidence base that passes the shapes; every study, DOI and sentence in it says it is synthetic.

    ~200 constructs (20 areas with narrower constructs), ~1,000 popular pairs, studies with 1-20
    correlations (log-normal n, r near 0.1, CI and p from n) and trials (Hedges' g, SE). DOIs use
    Crossref's test prefix 10.5555, which names no real work. Load it with
    `evidencekg load FILE --store DIR` (the shipped evidence too: `evidencekg load --store DIR`).
    """
    if out.suffix.lower() not in (".nq", ".nt", ".ttl"):
        raise fail(f"{out}: write .nq (N-Quads), .nt (N-Triples) or .ttl (Turtle)", 2)
    console = Console(stderr=True)
    columns = (TextColumn("synthesising"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("synth", total=findings)
        triples = write_synth(out, findings, seed, lambda done, total: bar.update(task, completed=done, total=total))
    typer.echo(f"wrote {findings} synthetic findings ({triples} triples, DOIs under {TEST_DOI_PREFIX}/) to {out}")


def register(app: typer.Typer) -> None:
    """Add `synth` to the root command."""
    app.command("synth")(synth)
