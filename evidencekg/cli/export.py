"""CLI `export nanopubs`: every finding as a nanopublication (TriG), one file each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evidencekg.cli.evidence import EndpointOption, fail, pick_store
from evidencekg.pages.nanopubs import findings, nanopub_trig
from evidencekg.settings import get_settings

app = typer.Typer(no_args_is_help=True)


@app.command("nanopubs")
def nanopubs(
    out: Annotated[Path, typer.Option("--out", help="Folder for the .trig files (made if missing)")],
    store: Annotated[Path | None, typer.Option("--store", help="Read an on-disk store (default: the shipped evidence)")] = None,
    endpoint: EndpointOption = None,
) -> None:
    """Write each reported and derived finding as an unsigned nanopublication, OUT/<finding key>.trig."""
    settings = get_settings()
    source = pick_store(settings, store, False, endpoint)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(f"cannot make {out}: {exc}", 2) from exc
    written = 0
    for finding in findings(source):
        body = nanopub_trig(source, finding, settings.base_url)
        if body is not None:
            (out / f"{finding.rsplit('/', 1)[-1]}.trig").write_bytes(body)
            written += 1
    typer.echo(f"{written} nanopublications in {out}")
