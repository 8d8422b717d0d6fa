"""CLI `ingest` (study-level data into the store) and `check` (statcheck-like consistency of findings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import rdflib
import typer
from rich.console import Console

from evidencekg.cli.evidence import (
    EndpointOption,
    UpdateAuthOption,
    UpdateEndpointOption,
    fail,
    progress_bar,
    remote_settings,
)
from evidencekg.evidence.ingest import AlreadyIngested
from evidencekg.evidence.ingest import ingest as run_ingest
from evidencekg.settings import get_settings
from evidencekg.shapes.consistency import check_graph
from evidencekg.store.backends import open_store
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.files import ttl_files


def ingest(
    file: Annotated[Path, typer.Argument(exists=True, help="CSV sheet, Metapsy-standard file or Metapsy dataset folder")],
    fmt: Annotated[str | None, typer.Option("--format", help="sheet or metapsy (default: guessed from the header)")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="On-disk store folder (default var/store)")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Document slug (default: from the file name)")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace an earlier import of the same document")] = False,
    dataset_doi: Annotated[str | None, typer.Option("--dataset-doi", help="Metapsy: the dataset's DOI (else its README.md)")] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="Metapsy: the outcome construct (else its README.md)")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Metapsy: the dataset's title (else its README.md)")] = None,
    licence: Annotated[str | None, typer.Option("--licence", help="Metapsy: licence URL (else its license file, else ODC-By)")] = None,
    endpoint: EndpointOption = None,
    update_endpoint: UpdateEndpointOption = None,
    update_auth: UpdateAuthOption = None,
) -> None:
    """Validate every row and write them all in one step; any bad row writes nothing and names row, column and problem.

    A Metapsy file's dataset (DOI, title, licence, outcome) comes from its folder's README.md,
    license and metadata/ or from the options; without a DOI or an outcome nothing is written and
    the message says which option to give. The shipped evidence is loaded into the store first when it is missing or out of date (the
    constructs rows name live there). A file already ingested, under any name, is refused.
    """
    settings = get_settings(**({"store_path": store} if store else {}))
    if endpoint and store:
        raise fail("choose one of --store and --endpoint", 2)
    if endpoint:
        settings = remote_settings(settings, endpoint, update_endpoint, update_auth)
        if not settings.update_endpoint:
            raise fail("ingesting into an endpoint needs --update-endpoint (the URL updates are sent to)", 2)
    target = open_store(settings) if endpoint else OxigraphStore(settings.resolved_store_path)
    bar = progress_bar(Console(stderr=True))
    task = bar.add_task("checking rows against the shapes", total=None)
    try:
        options = {k: v for k, v in (("dataset_doi", dataset_doi), ("outcome", outcome), ("title", title), ("licence", licence)) if v}
        with bar:  # a bar on stderr (none when it is not a terminal); stdout keeps the one-line result
            result = run_ingest(
                target, file, fmt, name=name, settings=settings, replace=replace, options=options,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )  # fmt: skip
    except AlreadyIngested as exc:  # reported by the root command group; only the hint is said in this command's terms
        where = f" --store {store}" if store else ""
        exc.how_to_replace = f"evidencekg ingest {file} --name {{name}} --replace{where}"
        raise
    if result.loaded_evidence:
        typer.echo(f"loaded the shipped evidence (ontology/, data/) into {target.location} first", err=True)
    typer.echo(f"ingested {result.findings} findings ({result.triples} triples) as {result.document}")


def _graph(files: list[Path] | None, store: Path | None) -> rdflib.Graph:
    """The files parsed with rdflib (printed decimals kept), or the findings of an on-disk store.

    Without files or --store: the default store (var/store) when it exists, so ingested studies are checked too;
    else the shipped data/ files.
    """
    graph = rdflib.Graph()
    settings = get_settings()
    if store is None and not files and settings.resolved_store_path.exists():
        store = settings.resolved_store_path
        typer.echo(f"checking the store at {store} (give files, or --store, to check something else)", err=True)
    if store is not None:
        data = OxigraphStore(store).dump("application/n-triples")
        graph.parse(data=data, format="nt")
        return graph
    for path in files or ttl_files(settings.data_dir):
        try:
            graph.parse(path)
        except Exception as exc:  # rdflib raises many parser types; report the file either way
            raise fail(f"{path}: cannot be parsed: {exc}", 2) from exc
    return graph


def check(
    files: Annotated[list[Path] | None, typer.Argument(help="Turtle files (default: the default store if it exists, else data/*.ttl)")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="Check an on-disk store instead of files")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Recompute p from each finding's estimate and CI; flag only what no rounding of the printed values explains."""
    results = check_graph(_graph(files, store))
    if as_json:
        typer.echo(json.dumps([{**r.__dict__, "recomputed_p_range": list(r.recomputed_p_range)} for r in results]))
    else:
        for r in results:
            typer.echo(f"{r.severity}: {r.finding}\n  {r.message}")
        warnings = sum(r.severity == "Warning" for r in results)
        typer.echo(f"{len(results)} finding(s) checked, {warnings} inconsistent")
    raise typer.Exit(1 if any(r.severity == "Warning" for r in results) else 0)


def register(app: typer.Typer) -> None:
    """Add ingest and check to the root app."""
    app.command("ingest")(ingest)
    app.command("check")(check)
