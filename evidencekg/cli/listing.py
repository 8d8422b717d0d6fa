"""CLI `list`: what the store holds, by name: constructs, conditions, study characteristics, catalogue queries."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from evidencekg.cli.evidence import AUTO, fail, output_format
from evidencekg.cli.meta import EndpointOption, StoreOption, _store, table_console
from evidencekg.meta.choices import filters
from evidencekg.model.conditions import characteristic_label
from evidencekg.pages import statistics
from evidencekg.query.catalogue import list_queries
from evidencekg.settings import get_settings

KINDS = ("constructs", "conditions", "characteristics", "queries")


def _rows(kind: str, store: StoreOption, endpoint: EndpointOption) -> tuple[list[str], list[dict[str, object]]]:
    """The columns and rows of one kind."""
    if kind == "queries":
        return ["name", "title", "parameters"], [
            {"name": q.name, "title": q.title, "parameters": ", ".join(p.name for p in q.params)} for q in list_queries(get_settings())
        ]
    held = _store(store, endpoint)
    if kind in ("constructs", "conditions"):
        listed = statistics.constructs(held) if kind == "constructs" else statistics.conditions(held)
        return ["name", "label", "findings"], [
            {"name": r.link.href.rsplit("/", 1)[-1], "label": r.link.label, "findings": int(r.note.split()[0])} for r in listed
        ]
    return ["characteristic", "value", "meaning", "findings"], [
        {"characteristic": f.name, "value": value, "meaning": characteristic_label(f.name, value).removesuffix(f" ({value})")
         if characteristic_label(f.name, value) != value else "", "findings": n}
        for f in filters(held) for value, n in f.values
    ]  # fmt: skip


def list_command(
    kind: Annotated[str, typer.Argument(help="constructs, conditions, characteristics or queries")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json (default: table on a terminal, json when piped)", callback=output_format)] = AUTO,
    store: StoreOption = None,
    endpoint: EndpointOption = None,
) -> None:
    """List what can be named in other commands: constructs and conditions (slug, label, findings), study
    characteristics (the --where filters of `meta`, with their values) or the query catalogue."""
    if kind not in KINDS:
        raise fail(f"list {kind!r}: choose one of {', '.join(KINDS)}", 2)
    if fmt not in ("table", "json"):
        raise fail(f"--format {fmt!r}: choose table or json", 2)
    columns, rows = _rows(kind, store, endpoint)
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(title=f"{kind} ({len(rows)})")
    for column in columns:
        table.add_column(column, overflow="fold", justify="right" if column == "findings" else "left")
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    table_console().print(table)


def register(app: typer.Typer) -> None:
    """Add list to the root app."""
    app.command("list")(list_command)
