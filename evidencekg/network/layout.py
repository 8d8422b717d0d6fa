"""Layouts of the construct network, shared by the static picture and the interactive page.

Constructs are grouped by scheme: each top concept (a construct with no broader one) heads a
block, its narrower constructs and components listed under it, indented one step per level and
anchored at their left edge, so the scheme's edges can run down a trunk left of the block and
never cross a node. Blocks sit in columns that follow the findings' stated direction (attachment
-> alliance -> outcome); blocks linked by findings come first in a column. On the page, proposed
mechanisms and practice implications sit in bands below, one row per kind, each node under the
constructs it is linked to and never overlapping its neighbours.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from evidencekg.network.build import CONSTRUCT, FINDING, STRUCTURE_KINDS, construct_nodes

Position = tuple[float, float]


@dataclass(frozen=True)
class Spacing:
    """Distances of a layout, in its own units (inches-like for the picture, pixels for the page)."""

    column: float = 6.0  # between the trunks of neighbouring columns
    row: float = 1.3  # between the centres of two constructs of a block
    indent: float = 0.35  # from a parent's trunk to its children's left edge, per level
    block: float = 0.4  # extra space between two blocks of one column


PICTURE = Spacing()
PAGE = Spacing(column=400.0, row=78.0, indent=26.0, block=34.0)
LAYER_ROW, LAYER_SPACING = 120.0, 185.0  # page: band row height, least distance between layer nodes


def scheme_parents(graph: nx.MultiDiGraph) -> dict[str, str]:
    """Each construct's parent in the scheme (component of / narrower than); one per child."""
    parents: dict[str, str] = {}
    for u, v, kind in sorted(graph.edges(data="kind"), key=lambda e: (e[0], e[2] != "componentOf", e[1])):
        if kind in STRUCTURE_KINDS:
            parents.setdefault(u, v)
    return parents


def scheme_roots(graph: nx.MultiDiGraph) -> dict[str, str]:
    """Each construct's top ancestor along the scheme's structure (itself when it has none)."""
    parents = scheme_parents(graph)
    roots = {}
    for node in construct_nodes(graph):
        seen, current = {node}, node
        while current in parents and parents[current] not in seen:
            current = parents[current]
            seen.add(current)
        roots[node] = current
    return roots


def left_anchored(graph: nx.MultiDiGraph) -> set[str]:
    """The constructs placed by their left edge (every one under a top concept)."""
    return {node for node, root in scheme_roots(graph).items() if node != root}


def _block(graph: nx.MultiDiGraph, root: str, parents: dict[str, str]) -> list[tuple[str, int]]:
    """A top concept and its descendants in outline order, with their depth."""
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in parents.items():
        children[parent].append(child)
    label = lambda n: graph.nodes[n]["label"].lower()  # noqa: E731
    outline: list[tuple[str, int]] = []
    stack = [(root, 0)]
    seen: set[str] = set()
    while stack:
        node, depth = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        outline.append((node, depth))
        stack.extend((c, depth + 1) for c in sorted(children[node], key=label, reverse=True))
    return outline


def _columns(graph: nx.MultiDiGraph, roots: dict[str, str]) -> dict[str, int]:
    """The column of each top concept: findings between blocks point right (cycles share a column)."""
    flow = nx.DiGraph()
    flow.add_nodes_from(set(roots.values()))
    for u, v, kind in graph.edges(data="kind"):
        if kind == FINDING and u in roots and v in roots and roots[u] != roots[v]:
            flow.add_edge(roots[u], roots[v])
    condensed = nx.condensation(flow)
    level = {c: 0 for c in condensed}
    for component in nx.topological_sort(condensed):
        for successor in condensed.successors(component):
            level[successor] = max(level[successor], level[component] + 1)
    return {root: level[condensed.graph["mapping"][root]] for root in flow}


def layered_layout(graph: nx.MultiDiGraph, spacing: Spacing = PICTURE) -> dict[str, Position]:
    """Construct positions, y growing upwards: blocks in columns, children indented and left-anchored."""
    roots = scheme_roots(graph)
    parents = scheme_parents(graph)
    column = _columns(graph, roots)
    linked = {roots[e] for u, v, k in graph.edges(data="kind") if k == FINDING for e in (u, v) if e in roots}
    label = lambda n: graph.nodes[n]["label"].lower()  # noqa: E731
    stacks: dict[int, list[list[tuple[str, int]]]] = defaultdict(list)
    for root in sorted(column, key=lambda r: (r not in linked, label(r))):
        stacks[column[root]].append(_block(graph, root, parents))
    heights = {col: sum(len(b) for b in blocks) * spacing.row + (len(blocks) - 1) * spacing.block
               for col, blocks in stacks.items()}
    tallest = max(heights.values(), default=0.0)
    positions: dict[str, Position] = {}
    for col, blocks in stacks.items():
        y = (tallest - heights[col]) / 2
        for block in blocks:
            for node, depth in block:
                indent = 0.0 if depth == 0 else spacing.indent * depth
                positions[node] = (col * spacing.column + indent, -y)
                y += spacing.row
            y += spacing.block
    return positions


def _spread(wanted: dict[str, float], gap: float) -> dict[str, float]:
    """x positions at least `gap` apart, in the order of the wanted ones, centred on them as a group."""
    order = sorted(wanted, key=lambda n: (wanted[n], n))
    placed: dict[str, float] = {}
    last = float("-inf")
    for node in order:
        last = max(wanted[node], last + gap)
        placed[node] = last
    if placed:
        shift = sum(wanted[n] - placed[n] for n in order) / len(order)
        placed = {n: x + shift for n, x in placed.items()}
    return placed


def page_positions(graph: nx.MultiDiGraph) -> dict[str, Position]:
    """Pixel positions for the page (y grows downwards): constructs by scheme, layer nodes in bands below."""
    positions = {n: (x, -y) for n, (x, y) in layered_layout(graph, PAGE).items()}
    anchored = left_anchored(graph)
    centre = {n: (x + 60.0 if n in anchored else x) for n, (x, _) in positions.items()}  # about half a label
    y = max((y for _, y in positions.values()), default=0.0) + PAGE.row
    span = max(centre.values(), default=0.0) - min(centre.values(), default=0.0) + 2 * LAYER_SPACING
    per_row = max(3, int(span // LAYER_SPACING))  # a band is no wider than the constructs above it
    for kind in sorted({kind for _, kind in graph.nodes(data="kind") if kind != CONSTRUCT}):
        wanted = {}
        for node in (n for n, k in graph.nodes(data="kind") if k == kind):
            linked = [centre[m] for m in nx.all_neighbors(graph, node) if m in centre]
            wanted[node] = sum(linked) / len(linked) if linked else 0.0
        order = sorted(wanted, key=lambda n: (wanted[n], n))
        rows = -(-len(order) // per_row)
        for row in range(rows):  # every rows-th node per row: each row spans the same stretch
            members = {n: wanted[n] for n in order[row::rows]}
            for node, x in _spread(members, LAYER_SPACING).items():
                positions[node] = (x + (row % 2) * LAYER_SPACING / 2 * (rows > 1), y)
            y += LAYER_ROW * 0.7
        y += LAYER_ROW * 0.3
    return positions
