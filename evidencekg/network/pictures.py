"""Static pictures of the construct network (matplotlib SVG/PNG) and forest plots of a construct pair."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, cast

import networkx as nx

from evidencekg.errors import NothingFound
from evidencekg.meta.forest import ForestRow, figure_bytes, forest_plot
from evidencekg.model.measures import measure_name
from evidencekg.network.build import CONSTRUCT, FINDING, STRUCTURE_KINDS, findings_between, slug_of
from evidencekg.network.layout import Position, layered_layout, left_anchored
from evidencekg.network.style import NEGATIVE, NODE_COLOURS, POSITIVE, STRUCTURE_COLOUR, edge_colour

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _wrap(text: str, width: int = 18) -> str:
    """Break a label over lines of about `width` characters."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


LABEL_SHARES = (0.45, 0.3, 0.6, 0.2, 0.72, 0.12, 0.82)  # where a label may sit on the gap between two boxes, best first
Box = tuple[float, float, float, float]  # centre x, centre y, half width, half height (data units)
NOT_SIGNIFICANT, STRUCTURE_STYLE = (0, (2, 2)), (0, (5, 3))


def _exit(box: Box, dx: float, dy: float) -> float:
    """The fraction of a straight segment of extent (dx, dy) from the box's centre that lies inside the box."""
    limits = [box[2] / abs(dx) if dx else float("inf"), box[3] / abs(dy) if dy else float("inf")]
    return min(1.0, *limits)


def label_t(a: Box, b: Box, share: float = LABEL_SHARES[0]) -> float:
    """Where along the curve from box a to box b a label sits: `share` of the way across the gap between them."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    start, end = _exit(a, dx, dy), 1.0 - _exit(b, dx, dy)
    return start + share * (end - start) if end > start else 0.5


def _shared_area(a: Any, b: Any) -> float:
    """The area two display boxes (matplotlib Bbox) have in common."""
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0)) * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))


def _place(label: Any, spots: list[Position], taken: list[Any], renderer: Any) -> None:
    """Move a label to the first spot where it covers no node or earlier label (else where it covers least)."""
    best, best_area = spots[0], float("inf")
    for spot in spots:
        label.set_position(spot)
        extent = label.get_window_extent(renderer).expanded(1.05, 1.1)
        area = sum(_shared_area(extent, other) for other in taken)
        if area < best_area:
            best, best_area = spot, area
        if area == 0:
            break
    label.set_position(best)
    taken.append(label.get_window_extent(renderer))


def _along(a: Position, b: Position, rad: float, t: float = 0.5) -> Position:
    """The point at t on matplotlib's arc3 curve from a to b (a quadratic Bezier; equal-aspect axes)."""
    (x1, y1), (x2, y2) = a, b
    cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
    s = 1 - t
    return (s * s * x1 + 2 * s * t * cx + t * t * x2, s * s * y1 + 2 * s * t * cy + t * t * y2)


def _hollow(width: float, colour: str) -> list[Any]:
    """Path effects drawing a line as a coloured outline with a white core (a derived finding)."""
    from matplotlib import patheffects

    return [patheffects.Stroke(linewidth=width + 3.0, foreground=colour),
            patheffects.Stroke(linewidth=max(width - 0.5, 1.2), foreground="white")]


def edge_text(attrs: dict[str, Any]) -> str:
    """A finding's label in the picture: `r [CI]` over its source (and subgroup), then `as cited in` a summary."""
    source = attrs.get("publication_label") if attrs.get("cited_in_label") else attrs.get("source_label")
    text = attrs["label"] + (f"\n{source}" if source else "")
    text += f", {attrs['subgroup']}" if attrs.get("subgroup") else ""
    return text + (f"\nas cited in {attrs['cited_in_label']}" if attrs.get("cited_in_label") else "")


def _draw_edges(ax: Axes, graph: nx.MultiDiGraph, boxes: dict[str, Box], patches: dict[str, Any], renderer: Any) -> None:
    """Findings as arcs (width |r|, colour by sign, dotted when not significant, hollow when derived); structure as elbows.

    Each finding's label goes to the first place along its edge that hides no node and no other label.
    """
    taken = [patch.get_window_extent(renderer) for patch in patches.values()]
    pairs: dict[frozenset[str], list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
    pos = {node: (box[0], box[1]) for node, box in boxes.items()}
    for u, v, attrs in graph.edges(data=True):
        if u in pos and v in pos:
            pairs[frozenset((u, v))].append((u, v, attrs))
    for edges in pairs.values():
        edges.sort(key=lambda e: (e[2]["kind"] != FINDING, e[2].get("finding", "")))
        for i, (u, v, attrs) in enumerate(edges):
            upward = -1.0 if pos[v][0] >= pos[u][0] else 1.0  # parallel findings bow upwards, the first straight
            rad = upward * 0.3 * i
            finding = attrs["kind"] == FINDING
            colour = edge_colour(attrs)
            # structure: an elbow from the indented child to its parent's trunk (a tree outline)
            connection = f"arc3,rad={rad}" if finding else "angle,angleA=180,angleB=90,rad=4"
            width = max(1.0, abs(attrs.get("estimate") or 0) * 14) if finding else 1.0
            style = STRUCTURE_STYLE if not finding else ("solid" if attrs.get("significant") else NOT_SIGNIFICANT)
            arrow = ax.annotate(
                "", xy=pos[v], xytext=pos[u],
                arrowprops=dict(
                    arrowstyle="-|>", mutation_scale=14, lw=width, color=colour, linestyle=style,
                    connectionstyle=connection, patchA=patches[u], patchB=patches[v], shrinkA=2, shrinkB=2,
                ),
                zorder=3,  # after the node boxes, whose patches clip the arrow, are laid out
            )
            if finding and attrs.get("finding_type") == "derived":
                assert arrow.arrow_patch is not None  # arrowprops were given
                arrow.arrow_patch.set_path_effects(_hollow(width, colour))
            if finding:
                spots = [_along(pos[u], pos[v], rad, label_t(boxes[u], boxes[v], s)) for s in LABEL_SHARES]
                derived = attrs.get("finding_type") == "derived"
                label = ax.text(*spots[0], edge_text(attrs), ha="center", va="center", fontsize=8.5, color=colour, zorder=4,
                        style="italic" if derived else "normal",
                        bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=colour if derived else "none", alpha=0.9))
                _place(label, spots, taken, renderer)


def _legend(ax: Axes, derived: bool) -> None:
    """Legend: sign colours, width by |r|, significance, derived findings and structure line styles, label format."""
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=POSITIVE, lw=0.3 * 14, label="positive r (width = |r|; r = .30)"),
        Line2D([], [], color=NEGATIVE, lw=0.1 * 14, label="negative r (r = -.10)"),
        Line2D([], [], color="#555555", lw=2, ls=NOT_SIGNIFICANT, label="not significant or unknown"),
        Line2D([], [], color=STRUCTURE_COLOUR, lw=1, ls=STRUCTURE_STYLE, label="component of / narrower than"),
    ]
    if derived:
        handles.append(Line2D([], [], color="#555555", lw=3, path_effects=_hollow(3, "#555555"),
                              label="derived: pooled by evidencekg, not reported"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.01), ncol=2, frameon=False,
              fontsize=9, title="edge label: r [95% CI], source (all findings as reported unless marked derived)",
              title_fontsize=9, alignment="left")


def _measure(ax: Axes, texts: dict[str, Any], renderer: Any) -> dict[str, Box]:
    """Each node's drawn box in data units (edges run between box centres; labels sit between boxes)."""
    ax.apply_aspect()
    inverse = ax.transData.inverted()
    boxes = {}
    for node, text in texts.items():
        text.draw(renderer)  # lays out the bbox patch
        (x0, y0), (x1, y1) = inverse.transform(text.get_bbox_patch().get_window_extent(renderer).get_points())
        boxes[node] = ((x0 + x1) / 2, (y0 + y1) / 2, abs(x1 - x0) / 2, abs(y1 - y0) / 2)
    return boxes


def network_figure(graph: nx.MultiDiGraph, title: str = "evidencekg construct network") -> Figure:
    """The constructs, their findings and the scheme's structure on one landscape page."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    constructs = graph.subgraph(n for n, k in graph.nodes(data="kind") if k == CONSTRUCT)
    pos = layered_layout(graph)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    width, height = max(xs) - min(xs) + 3.2, max(ys) - min(ys) + 1.6
    fig = Figure(figsize=(11.7, min(8.3, max(4.5, 11.7 * height / width + 1.2))))  # A4 landscape at most
    ax = fig.subplots()
    ax.set_xlim(min(xs) - 1.6, max(xs) + 1.6)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_aspect("equal", adjustable="box")
    ax.axis("off")
    ax.set_title(title, loc="left", fontsize=12)
    _legend(ax, any(d.get("finding_type") == "derived" for *_, d in constructs.edges(data=True)))
    fig.tight_layout()  # before measuring: labels are placed in the final page coordinates
    anchored = left_anchored(graph)
    texts = {}
    for node in constructs:
        align = "left" if node in anchored else "center"  # narrower constructs hang right of the trunk
        texts[node] = ax.text(*pos[node], _wrap(constructs.nodes[node]["label"]), ha=align, va="center", fontsize=10,
                              zorder=2, bbox=dict(boxstyle="round,pad=0.4", fc=NODE_COLOURS[CONSTRUCT], ec="#444444"))
    renderer = FigureCanvasAgg(fig).get_renderer()
    patches = {n: text.get_bbox_patch() for n, text in texts.items()}
    _draw_edges(ax, constructs, _measure(ax, texts, renderer), patches, renderer)
    return fig


def network_picture(graph: nx.MultiDiGraph, fmt: str = "svg") -> bytes:
    """The network picture as SVG or PNG bytes (constructs only; layers are left to the interactive page)."""
    return figure_bytes(network_figure(graph), fmt)


def narrower_or_self(graph: nx.MultiDiGraph, construct: str) -> set[str]:
    """A construct with every construct narrower than it or a component of it, transitively (as queries/evidence-between.rq)."""
    structure = nx.DiGraph((u, v) for u, v, kind in graph.edges(data="kind") if kind in STRUCTURE_KINDS)  # child -> parent
    return {construct} | (nx.ancestors(structure, construct) if construct in structure else set())


def pair_findings(graph: nx.MultiDiGraph, a: str, b: str) -> list[dict[str, Any]]:
    """Every finding between a and b or their narrower constructs and components, each once, grouped by construct pair."""
    found: dict[str, dict[str, Any]] = {}
    for x in sorted(narrower_or_self(graph, a)):
        for y in sorted(narrower_or_self(graph, b)):
            if x != y:
                for f in findings_between(graph, x, y):
                    found.setdefault(f["finding"], f)
    label = lambda node: graph.nodes[node].get("label", node).lower()  # noqa: E731
    return sorted(found.values(), key=lambda f: (label(f["from"]), label(f["to"]), f["finding"]))


def pair_rows(graph: nx.MultiDiGraph, a: str, b: str) -> list[ForestRow]:
    """Forest rows for every finding between two constructs (or narrower ones), labelled with source and constructs."""
    rows = []
    for f in pair_findings(graph, a, b):
        if "estimate" not in f:
            continue
        label = f.get("source_label") or slug_of(f["finding"])
        if f.get("subgroup"):
            label += f" ({f['subgroup']})"
        label += f"\n{graph.nodes[f['from']]['label']} \u2192 {graph.nodes[f['to']]['label']}"  # as the source states it
        note = ", ".join(x for x in (
            f"k = {f['k']}" if "k" in f else (f"k {f['k_description']}" if "k_description" in f else ""),
            f"N = {f['n']}" if "n" in f else "",
            slug_of(f["finding"]),
        ) if x)
        rows.append(ForestRow(label, f["estimate"], f.get("ci_lower"), f.get("ci_upper"), note=note))
    return rows


def pair_forest(graph: nx.MultiDiGraph, a: str, b: str, fmt: str = "svg") -> bytes:
    """A forest plot of all findings between two constructs or their narrower ones (no pooling: each as stated)."""
    la, lb = graph.nodes[a]["label"], graph.nodes[b]["label"]
    rows = pair_rows(graph, a, b)
    if not rows:
        raise NothingFound(f"no findings with an estimate between {la!r} and {lb!r} or their narrower constructs")
    findings = pair_findings(graph, a, b)
    wider = any({f["from"], f["to"]} != {a, b} for f in findings)
    title = f"{la} \u2013 {lb}: findings as reported" + ("\nincluding findings about their narrower constructs and components" if wider else "")
    measures = {f.get("measure") for f in findings if "estimate" in f}
    xlabel = measure_name(cast(str, measures.pop())) if len(measures) == 1 and None not in measures else "effect size (mixed measures)"
    return forest_plot(rows, title=title, xlabel=xlabel, fmt=fmt)
