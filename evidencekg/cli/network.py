"""CLI commands over the construct network: export, paths, show, centrality."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import networkx as nx
import typer
from rich.console import Console
from rich.table import Table

from evidencekg.cli.evidence import fail, pick_store
from evidencekg.network.build import (
    LAYERS,
    build_network,
    centrality,
    neighbourhood,
    parse_layers,
    resolve_construct,
)
from evidencekg.network.collapse import with_studies
from evidencekg.network.export import EXPORTS, export_network
from evidencekg.network.paths import DEFAULT_MAX_HOPS, find_paths
from evidencekg.settings import get_settings

app = typer.Typer(no_args_is_help=True)

StoreOption = Annotated[Path | None, typer.Option("--store", help="Use an on-disk store (default: the shipped evidence in memory)")]
EndpointOption = Annotated[str | None, typer.Option("--endpoint", help="Use a remote SPARQL endpoint")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text")]


def _network(store: Path | None, endpoint: str | None, layers: tuple[str, ...] = ()) -> nx.MultiDiGraph:
    """Build the network from the chosen store (its errors are reported by the root command group)."""
    try:
        return build_network(pick_store(get_settings(), store, False, endpoint), layers)
    except OSError as exc:
        raise fail(str(exc), 1) from exc


def _resolve(graph: nx.MultiDiGraph, name: str) -> str:
    """A construct by label, slug or IRI; an unknown name lists close matches and exits 2 (UnknownName)."""
    return resolve_construct(graph, name)


def finding_text(f: dict[str, Any]) -> str:
    """One finding on one line: `r = -0.13 [-0.19, -0.07], p < 0.001, k = 33, N = 2299 (Notsu et al. 2024)`."""
    parts = [f["label"]]
    if "p" in f:
        parts.append(f"p {f.get('p_relation', '=')} {f['p']:g}")
    if "k" in f or "k_description" in f:
        parts.append(f"k = {f['k']}" if "k" in f else f"k {f['k_description']}")
    if "n" in f:
        parts.append(f"N = {f['n']}")
    if f.get("subgroup"):
        parts.append(f"subgroup {f['subgroup']}")
    significance = {True: "significant", False: "not significant", None: "significance unknown"}
    parts.append(significance[f.get("significant")])
    source = f.get("source_label") or ""
    return ", ".join(parts) + (f" ({source})" if source else "") + f" [{f['finding']}]"


@app.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of: {', '.join(EXPORTS)}")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: var/exports/evidencekg-network.FORMAT, never the repository root)")] = None,
    layers: Annotated[str, typer.Option("--layers", help="Extra layers, comma-separated: mechanisms,implications")] = "",
    studies: Annotated[str, typer.Option("--studies", help="pooled: one edge per construct pair for its primary studies; each: every study's finding")] = "pooled",
    store: StoreOption = None,
    endpoint: EndpointOption = None,
) -> None:
    """Write the construct network as GraphML, GEXF, Cytoscape JSON, DOT, SVG or PNG."""
    if fmt not in EXPORTS:
        raise fail(f"--format {fmt!r}: choose one of {', '.join(EXPORTS)}", 2)
    graph = with_studies(_network(store, endpoint, parse_layers(layers)), studies)
    data = export_network(graph, fmt)
    if out is None:
        out = get_settings().var_dir / "exports" / f"evidencekg-network{EXPORTS[fmt][1]}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise fail(f"cannot write {out}: {exc.strerror or exc}", 1) from exc
    typer.echo(f"{out}: {fmt}, {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges, {len(data)} bytes")


@app.command("paths")
def paths(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Construct label, slug or IRI")],
    target: Annotated[str, typer.Argument(metavar="TO", help="Construct label, slug or IRI")],
    max_hops: Annotated[int, typer.Option("--max-hops", min=1, max=8, help="Longest path considered")] = DEFAULT_MAX_HOPS,
    as_json: JsonOption = False,
    store: StoreOption = None,
    endpoint: EndpointOption = None,
) -> None:
    """Paths between two constructs, each hop with its evidence; chains get the naive product of r."""
    graph = _network(store, endpoint)
    a, b = _resolve(graph, source), _resolve(graph, target)
    if a == b:
        raise fail(f"{source!r} and {target!r} name the same construct", 2)
    found = [p.to_dict(graph) for p in find_paths(graph, a, b, max_hops)]
    if as_json:
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    if not found:
        typer.echo(f"no path of at most {max_hops} hops between {graph.nodes[a]['label']} and {graph.nodes[b]['label']}")
        raise typer.Exit(1)
    for number, path in enumerate(found, start=1):
        typer.echo(f"path {number}: " + " -> ".join(path["labels"]))
        for hop in path["hops"]:
            head = f"  {hop['from_label']} -> {hop['to_label']}"
            if hop["kind"] != "finding":
                typer.echo(f"{head}: scheme structure ({hop['kind']}, {hop['relation']}; no effect size)")
                continue
            typer.echo(f"{head}:" + (" (stated in the other direction)" if hop["reversed"] else ""))
            for f in hop["findings"]:
                mark = "*" if f["finding"] == hop["chosen"] else "-"
                typer.echo(f"    {mark} {finding_text(f)}")
        if path["naive_product"] is not None:
            typer.echo(f"  naive product of r = {path['naive_product']:.4g}: {path['naive_product_note']}")
            typer.echo("  (* marks the finding each hop's product uses)")
        typer.echo("")


@app.command("show")
def show(
    construct: Annotated[str, typer.Argument(help="Construct label, slug or IRI")],
    as_json: JsonOption = False,
    store: StoreOption = None,
    endpoint: EndpointOption = None,
) -> None:
    """A construct's neighbourhood: findings, scheme parents/children, mechanisms and practice implications."""
    graph = _network(store, endpoint, LAYERS)
    hood = neighbourhood(graph, _resolve(graph, construct))
    if as_json:
        typer.echo(json.dumps(hood, indent=2, ensure_ascii=False))
        return
    node = hood["construct"]
    typer.echo(f"{node['label']} <{node['iri']}>")
    if node.get("definition"):
        typer.echo(f"  {node['definition']}")
    for title, items in (("part of / narrower than", hood["parents"]), ("components / narrower", hood["children"])):
        if items:
            typer.echo(f"{title}: " + ", ".join(i["label"] for i in items))
    typer.echo(f"findings ({len(hood['findings'])}):")
    for f in hood["findings"]:
        typer.echo(f"  {f['from_label']} -> {f['to_label']}: {finding_text(f)}")
    for title, key in (("proposed mechanisms", "mechanisms"), ("practice implications", "implications")):
        if hood[key]:
            typer.echo(f"{title} ({len(hood[key])}):")
            for item in hood[key]:
                typer.echo(f"  - {item['text']}")


@app.command("centrality")
def centrality_command(
    as_json: JsonOption = False,
    store: StoreOption = None,
    endpoint: EndpointOption = None,
) -> None:
    """Degree and betweenness centrality of each construct (findings and scheme structure, undirected)."""
    rows = centrality(_network(store, endpoint))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title="construct centrality")
    for column in ("construct", "findings", "degree", "degree centrality", "betweenness"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["label"], str(row["findings"]), str(row["degree"]),
                      f"{row['degree_centrality']:.3f}", f"{row['betweenness']:.3f}")
    Console(width=120).print(table)
