"""Static pictures of the construct network (matplotlib SVG/PNG) and forest plots of a construct pair."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import networkx as nx

from evidencekg.forest import ForestRow, figure_bytes, forest_plot
from evidencekg.network import (
    CONSTRUCT,
    FINDING,
    STRUCTURE_KINDS,
    construct_nodes,
    findings_between,
)
from evidencekg.network_export import NEGATIVE, NODE_COLOURS, POSITIVE, STRUCTURE_COLOUR, edge_colour

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Position = tuple[float, float]
COLUMN_GAP, ROW_GAP, INDENT = 6.0, 1.3, 0.35


def _roots(graph: nx.MultiDiGraph) -> dict[str, str]:
    """Each construct's top ancestor along the scheme's structure (itself when it has none)."""
    parents = {u: v for u, v, k in graph.edges(data="kind") if k in STRUCTURE_KINDS}
    roots = {}
    for node in construct_nodes(graph):
        seen, current = {node}, node
        while current in parents and parents[current] not in seen:
            current = parents[current]
            seen.add(current)
        roots[node] = current
    return roots


def layered_layout(graph: nx.MultiDiGraph) -> dict[str, Position]:
    """Columns follow the findings' stated direction between scheme roots; narrower constructs sit indented under their root."""
    roots = _roots(graph)
    flow = nx.DiGraph()
    flow.add_nodes_from(set(roots.values()))
    for u, v, kind in graph.edges(data="kind"):
        if kind == FINDING and roots.get(u) != roots.get(v) and u in roots and v in roots:
            flow.add_edge(roots[u], roots[v])
    condensed = nx.condensation(flow)  # cycles share a column
    level = {c: 0 for c in condensed}
    for component in nx.topological_sort(condensed):
        for successor in condensed.successors(component):
            level[successor] = max(level[successor], level[component] + 1)
    column = {root: level[condensed.graph["mapping"][root]] for root in flow}
    members: dict[str, list[str]] = defaultdict(list)
    for node in construct_nodes(graph):
        if node != roots[node]:
            members[roots[node]].append(node)
    stacks: dict[int, list[str]] = defaultdict(list)
    label = lambda n: graph.nodes[n]["label"].lower()  # noqa: E731
    with_findings = {roots[e] for u, v, k in graph.edges(data="kind") if k == FINDING for e in (u, v) if e in roots}
    for root in sorted(flow, key=lambda r: (r not in with_findings, label(r))):
        stacks[column[root]] += [root, *sorted(members[root], key=label)]
    tallest = max(len(stack) for stack in stacks.values())
    positions = {}
    for col, stack in stacks.items():
        offset = (tallest - len(stack)) * ROW_GAP / 2
        for row, node in enumerate(stack):
            indent = 0.0 if roots[node] == node else INDENT
            positions[node] = (col * COLUMN_GAP + indent, -(offset + row * ROW_GAP))
    return positions


def page_positions(graph: nx.MultiDiGraph, scale: float = 80.0) -> dict[str, Position]:
    """Pixel positions for the interactive page: constructs as in the picture, layer nodes in a band below."""
    positions = {n: (x * scale, -y * scale) for n, (x, y) in layered_layout(graph).items()}
    bottom = max((y for _, y in positions.values()), default=0.0) + 1.6 * scale
    others = [n for n, kind in graph.nodes(data="kind") if kind != CONSTRUCT]
    wanted = {}
    for node in others:
        linked = [positions[m] for m in nx.all_neighbors(graph, node) if m in positions]
        wanted[node] = sum(x for x, _ in linked) / len(linked) if linked else 0.0
    kinds = sorted({graph.nodes[n]["kind"] for n in others})
    for row, kind in enumerate(kinds):
        placed = -1e9
        members = sorted((n for n in others if graph.nodes[n]["kind"] == kind), key=lambda n: (wanted[n], n))
        for i, node in enumerate(members):
            placed = max(wanted[node], placed + 1.5 * scale)  # keep neighbours apart, stagger their rows
            positions[node] = (placed, bottom + (row * 1.2 + (i % 2) * 0.4) * scale)
    return positions


def _wrap(text: str, width: int = 18) -> str:
    """Break a label over lines of about `width` characters."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _along(a: Position, b: Position, rad: float, t: float = 0.55) -> Position:
    """The point at t on matplotlib's arc3 curve from a to b (a quadratic Bezier; equal-aspect axes)."""
    (x1, y1), (x2, y2) = a, b
    cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
    s = 1 - t
    return (s * s * x1 + 2 * s * t * cx + t * t * x2, s * s * y1 + 2 * s * t * cy + t * t * y2)


def _draw_edges(ax: "Axes", graph: nx.MultiDiGraph, pos: dict[str, Position], boxes: dict[str, Any]) -> None:
    """Findings as arcs (width |r|, colour by sign, dotted when not significant) and structure as dashed lines."""
    pairs: dict[frozenset[str], list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
    for u, v, attrs in graph.edges(data=True):
        if u in pos and v in pos:
            pairs[frozenset((u, v))].append((u, v, attrs))
    for edges in pairs.values():
        edges.sort(key=lambda e: (e[2]["kind"] != FINDING, e[2].get("finding", "")))
        for i, (u, v, attrs) in enumerate(edges):
            upward = -1.0 if pos[v][0] >= pos[u][0] else 1.0  # parallel findings bow upwards, the first straight
            rad = upward * 0.3 * i
            finding = attrs["kind"] == FINDING
            # structure: an elbow from the indented child to its parent's column (a tree outline)
            connection = f"arc3,rad={rad}" if finding else "angle,angleA=180,angleB=90,rad=4"
            width = max(1.0, abs(attrs.get("estimate") or 0) * 14) if finding else 1.0
            style = "solid" if not finding or attrs.get("significant") else (0, (2, 2))
            if not finding:
                style = (0, (5, 3))
            ax.annotate(
                "", xy=pos[v], xytext=pos[u],
                arrowprops=dict(
                    arrowstyle="-|>", mutation_scale=14, lw=width, color=edge_colour(attrs), linestyle=style,
                    connectionstyle=connection, patchA=boxes[u], patchB=boxes[v], shrinkA=2, shrinkB=2,
                ),
                zorder=3,  # after the node boxes, whose patches clip the arrow, are laid out
            )
            if finding:
                x, y = _along(pos[u], pos[v], rad)
                text = attrs["label"] + (f"\n{attrs['source_label']}" if attrs.get("source_label") else "")
                if attrs.get("subgroup"):
                    text += f", {attrs['subgroup']}"
                ax.text(x, y, text, ha="center", va="center", fontsize=8.5, color=edge_colour(attrs), zorder=4,
                        bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.9))


def _legend(ax: "Axes") -> None:
    """Legend: sign colours, width by |r|, significance and structure line styles, label format."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=POSITIVE, lw=0.3 * 14, label="positive r (width = |r|; r = .30)"),
        Line2D([], [], color=NEGATIVE, lw=0.1 * 14, label="negative r (r = -.10)"),
        Line2D([], [], color="#555555", lw=2, ls=(0, (2, 2)), label="not significant or unknown"),
        Line2D([], [], color=STRUCTURE_COLOUR, lw=1, ls=(0, (5, 3)), label="component of / narrower than"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.01), ncol=2, frameon=False,
              fontsize=9, title="edge label: r [95% CI], source", title_fontsize=9, alignment="left")


def network_figure(graph: nx.MultiDiGraph, title: str = "evidencekg construct network") -> "Figure":
    """The constructs, their findings and the scheme's structure on one landscape page."""
    from matplotlib.figure import Figure

    constructs = graph.subgraph(n for n, k in graph.nodes(data="kind") if k == CONSTRUCT)
    pos = layered_layout(graph)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    width, height = max(xs) - min(xs) + 3.2, max(ys) - min(ys) + 1.6
    fig = Figure(figsize=(11.7, min(8.3, max(4.5, 11.7 * height / width + 1.2))))  # A4 landscape at most
    ax = fig.subplots()
    boxes = {}
    roots = _roots(graph)
    for node in constructs:
        align = "center" if roots[node] == node else "left"  # narrower constructs hang right of the trunk
        label = ax.text(*pos[node], _wrap(constructs.nodes[node]["label"]), ha=align, va="center", fontsize=10,
                        zorder=2, bbox=dict(boxstyle="round,pad=0.4", fc=NODE_COLOURS[CONSTRUCT], ec="#444444"))
        boxes[node] = label.get_bbox_patch()
    _draw_edges(ax, constructs, pos, boxes)
    ax.set_xlim(min(xs) - 1.6, max(xs) + 1.6)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_aspect("equal", adjustable="box")
    ax.axis("off")
    ax.set_title(title, loc="left", fontsize=12)
    _legend(ax)
    fig.tight_layout()
    return fig


def network_picture(graph: nx.MultiDiGraph, fmt: str = "svg") -> bytes:
    """The network picture as SVG or PNG bytes (constructs only; layers are left to the interactive page)."""
    return figure_bytes(network_figure(graph), fmt)


def pair_rows(graph: nx.MultiDiGraph, a: str, b: str) -> list[ForestRow]:
    """Forest rows for every finding between two constructs (direction noted when stated b -> a)."""
    rows = []
    for f in findings_between(graph, a, b):
        if "estimate" not in f:
            continue
        label = f.get("source_label") or f["finding"].rsplit("/", 1)[-1]
        if f.get("subgroup"):
            label += f" ({f['subgroup']})"
        if f["from"] != a:
            label += " [stated b -> a]"
        note = ", ".join(x for x in (
            f"k = {f['k']}" if "k" in f else (f"k {f['k_description']}" if "k_description" in f else ""),
            f"N = {f['n']}" if "n" in f else "",
            f["finding"].rsplit("/", 1)[-1],
        ) if x)
        rows.append(ForestRow(label, f["estimate"], f.get("ci_lower"), f.get("ci_upper"), note=note))
    return rows


def pair_forest(graph: nx.MultiDiGraph, a: str, b: str, fmt: str = "svg") -> bytes:
    """A forest plot of all findings between two constructs (no pooling: each as its source states it)."""
    rows = pair_rows(graph, a, b)
    if not rows:
        la, lb = graph.nodes[a]["label"], graph.nodes[b]["label"]
        raise LookupError(f"no findings with an estimate between {la!r} and {lb!r}")
    title = f"{graph.nodes[a]['label']} \u2013 {graph.nodes[b]['label']}: findings as reported"
    measures = {f.get("measure_name", "r") for f in findings_between(graph, a, b)}
    xlabel = "Pearson r" if measures == {"r"} else "effect size"
    return forest_plot(rows, title=title, xlabel=xlabel, fmt=fmt)
