"""CLI commands over the evidence itself: validate, load and query."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from evidencekg.load.endpoint import load_files_into, load_shipped_into
from evidencekg.load.shipped import Reload, evidence_files, load_files, reload_shipped, shipped_store
from evidencekg.query.catalogue import load_query, projected_variables, run_query
from evidencekg.settings import Settings, get_settings
from evidencekg.shapes.validate import validate_files
from evidencekg.store.backends import open_remote, open_store
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.protocol import Row, Store
from evidencekg.store.results import columns_of, display, to_records

FORMATS = ("table", "csv", "json")


AUTO = "auto"  # --format's default: see output_format


def output_format(value: str) -> str:
    """The one --format default rule of every command that prints results: a table on a terminal, JSON when piped.

    An explicit --format always wins; `auto` (the default) is "table" when stdout is a terminal, else "json".
    """
    if value != AUTO:
        return value
    return "table" if sys.stdout.isatty() else "json"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error on stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def validate(
    files: Annotated[list[Path] | None, typer.Argument(help="Turtle files (default: data/*.ttl and ontology/*.ttl)")] = None,
) -> None:
    """Check files against the ontology, shipped data and SHACL shapes: exit 0 valid, 1 violations, 2 unparseable."""
    settings = get_settings()
    targets = list(files or evidence_files(settings))
    missing = [str(p) for p in targets if not p.is_file()]
    if missing:
        raise fail(f"no such file: {', '.join(missing)}", 2)
    report = validate_files(targets, settings)
    typer.echo(report.text())
    raise typer.Exit(report.exit_code)


def progress_bar(console: Console) -> Progress:
    """The rich progress bar used while loading files."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console)


EndpointOption = Annotated[
    str | None, typer.Option("--endpoint", help="A remote SPARQL query endpoint (Oxigraph server, Virtuoso, Fuseki...)")
]
UpdateEndpointOption = Annotated[str | None, typer.Option("--update-endpoint", help="The remote endpoint's update URL")]
UpdateAuthOption = Annotated[
    str | None,
    typer.Option("--update-auth", help="user:password for the update endpoint, Basic or Digest (or EVIDENCEKG_UPDATE_AUTH)"),
]


def remote_settings(settings: Settings, endpoint: str | None, update_endpoint: str | None, update_auth: str | None) -> Settings:
    """The settings with the remote endpoint options given on the command line on top."""
    chosen = {"endpoint": endpoint, "update_endpoint": update_endpoint, "update_auth": update_auth}
    if update_endpoint and not (endpoint or settings.endpoint):
        raise fail("--update-endpoint needs --endpoint (the query URL)", 2)
    return settings.model_copy(update={k: v for k, v in chosen.items() if v is not None})


def load(
    files: Annotated[list[Path] | None, typer.Argument(help="RDF files (default: ontology/*.ttl + data/*.ttl)")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="On-disk store folder (default var/store)")] = None,
    graph: Annotated[str | None, typer.Option("--graph", help="Named graph IRI (default: default graph)")] = None,
    endpoint: EndpointOption = None,
    update_endpoint: UpdateEndpointOption = None,
    update_auth: UpdateAuthOption = None,
) -> None:
    """Load RDF into the on-disk store or an external engine; with no files, (re)load the shipped evidence if it changed."""
    settings = get_settings(**({"store_path": store} if store else {}))
    if endpoint:
        if store:
            raise fail("choose one of --store and --endpoint", 2)
        load_endpoint(remote_settings(settings, endpoint, update_endpoint, update_auth), files, graph)
        return
    target = OxigraphStore(settings.resolved_store_path)
    console = Console(stderr=True)
    with progress_bar(console) as bar:
        task = bar.add_task("loading", total=len(files) if files else len(evidence_files(settings)))

        def advance(path: Path, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=path.name)

        try:
            if files:
                load_files(target, files, advance, graph)
                note = ""
            else:
                note = reload_note(reload_shipped(target, settings, advance))
        except OSError as exc:
            raise fail(str(exc), 2) from exc
    target.flush()
    typer.echo(f"{len(target)} quads in {settings.resolved_store_path}{note}")


def load_endpoint(settings: Settings, files: list[Path] | None, graph: str | None) -> None:
    """`load --endpoint`: the shipped evidence (or the files) into an external engine, graph by graph in batches."""
    if not settings.update_endpoint:
        raise fail("loading into an endpoint needs --update-endpoint (the URL updates are sent to)", 2)
    target = open_remote(settings)
    with progress_bar(Console(stderr=True)) as bar:
        task = bar.add_task("parsing", total=len(files) if files else len(evidence_files(settings)))

        def advance(path: Path, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=path.name)

        try:
            result = load_files_into(target, files, graph, advance) if files else load_shipped_into(target, settings, advance)
        except OSError as exc:
            raise fail(str(exc), 2) from exc
    if result is None:
        typer.echo(f"{len(target)} quads at {settings.endpoint} (shipped evidence unchanged; nothing sent)")
        return
    dropped = f", {len(result.dropped)} dropped" if result.dropped else ""
    typer.echo(f"{len(target)} quads at {settings.endpoint} ({result.triples} triples sent in {result.batches} batches "
               f"to {len(result.replaced)} graphs{dropped}; other graphs left as they were)")  # fmt: skip


def reload_note(result: Reload | None) -> str:
    """What a reload of the shipped evidence did, for the end of the load command's summary line."""
    if result is None:
        return " (shipped evidence unchanged; nothing reloaded)"
    dropped = f", {len(result.dropped)} dropped" if result.dropped else ""
    return f" (shipped evidence: {len(result.replaced)} graphs reloaded{dropped}; other graphs left as they were)"


def pick_store(settings: Settings, store: Path | None, memory: bool, endpoint: str | None) -> Store:
    """The store a query runs against: given path or endpoint, else a memory store with the shipped evidence."""
    if endpoint:
        return open_store(settings.model_copy(update={"endpoint": endpoint}))
    if store is not None and not memory:
        return OxigraphStore(store)
    return shipped_store(settings)


def parse_params(pairs: list[str]) -> dict[str, str]:
    """`name=value` pairs into a dict; a pair without '=' is an error naming it."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise fail(f"--param {pair!r}: expected name=value", 2)
        params[name.strip()] = value
    return params


def render(rows: list[Row], columns: list[str], fmt: str, title: str) -> str | Table:
    """Rows as a rich table, CSV text or JSON text."""
    if fmt == "json":
        return json.dumps(to_records(rows, columns), indent=2, ensure_ascii=False, default=str)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[display(r.get(c)) for c in columns] for r in rows])
        return out.getvalue()
    table = Table(title=f"{title} ({len(rows)} rows)")
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*[display(row.get(c), short=True) for c in columns])
    return table


def query(
    file_or_name: Annotated[str, typer.Argument(help="A .rq file or a catalogue name (see queries/)")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="name=value (repeatable)")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json (default: table on a terminal, json when piped)", callback=output_format)] = AUTO,
    store: Annotated[Path | None, typer.Option("--store", help="Query an on-disk store")] = None,
    memory: Annotated[bool, typer.Option("--memory", help="Query a fresh in-memory store with the shipped evidence")] = False,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Query a remote SPARQL endpoint")] = None,
) -> None:
    """Run a SELECT query (by name or file) with parameters; by default over the shipped evidence in memory."""
    if fmt not in FORMATS:
        raise fail(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}", 2)
    settings = get_settings()
    params = parse_params(param or [])
    try:
        named = load_query(file_or_name, settings)
        rows = run_query(pick_store(settings, store, memory, endpoint), named, params)
    except OSError as exc:
        raise fail(str(exc), 1) from exc
    result = render(rows, columns_of(rows, projected_variables(named)), fmt, named.title)
    if isinstance(result, Table):
        Console(width=200).print(result)
    else:
        typer.echo(result, nl=False if result.endswith("\n") else True)


def register(app: typer.Typer) -> None:
    """Add validate, load and query to the root app."""
    app.command("validate")(validate)
    app.command("load")(load)
    app.command("query")(query)
