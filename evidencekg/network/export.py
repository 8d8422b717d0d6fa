"""Exports of the construct network: GraphML, GEXF, Cytoscape.js JSON, DOT (and SVG/PNG via network_plot)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Collection, Mapping
from typing import Any

import networkx as nx
import pydot

from evidencekg.errors import InvalidInput
from evidencekg.network.build import FINDING
from evidencekg.network.collapse import STUDIES
from evidencekg.network.layout import page_positions
from evidencekg.network.pictures import network_picture
from evidencekg.network.style import NODE_COLOURS, edge_colour, edge_width

Scalar = str | int | float | bool


def _scalar(value: Any) -> bool:
    """Whether a value can be written as a GraphML/GEXF/DOT attribute."""
    return isinstance(value, (str, int, float, bool)) and value != ""


def scalar_graph(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy keeping only scalar attributes (lists such as `sources` survive in their joined forms).

    Every node also gets `name` (its label): the column Cytoscape desktop shows as a node's name.
    """
    flat = nx.MultiDiGraph(name=graph.graph.get("name", ""))
    for node, attrs in graph.nodes(data=True):
        flat.add_node(node, **{k: v for k, v in attrs.items() if _scalar(v)}, name=attrs.get("label", node))
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        flat.add_edge(u, v, key=key, **{k: val for k, val in attrs.items() if _scalar(val)})
    return flat


def to_graphml(graph: nx.MultiDiGraph) -> bytes:
    """GraphML (UTF-8), readable by nx.read_graphml, Gephi, yEd and Cytoscape desktop."""
    buffer = io.BytesIO()
    nx.write_graphml(scalar_graph(graph), buffer, encoding="utf-8")
    return buffer.getvalue()


def _rgb(colour: str) -> dict[str, Any]:
    """GEXF's viz:color from "#rrggbb"."""
    return {"r": int(colour[1:3], 16), "g": int(colour[3:5], 16), "b": int(colour[5:7], 16), "a": 1.0}


def to_gexf(graph: nx.MultiDiGraph) -> bytes:
    """GEXF 1.3 (UTF-8) for Gephi: finding edges weighted by |effect|, each element's colour, thickness and the page's positions.

    Readable by nx.read_gexf too. Structure and layer edges keep GEXF's default weight (1) and are grey.
    """
    flat = scalar_graph(graph)
    positions = page_positions(graph)
    for node, attrs in flat.nodes(data=True):
        x, y = positions.get(node, (0.0, 0.0))
        attrs["viz"] = {"color": _rgb(NODE_COLOURS.get(attrs.get("kind", ""), "#ffffff")),
                        "position": {"x": round(x, 1), "y": round(-y, 1), "z": 0.0}, "size": 10.0}  # fmt: skip  # GEXF's y points up
    for _, _, attrs in flat.edges(data=True):
        if attrs.get("kind") == FINDING and attrs.get("estimate") is not None:
            attrs["weight"] = abs(attrs["estimate"])
        attrs["viz"] = {"color": _rgb(edge_colour(attrs)), "thickness": edge_width(attrs, scale=10.0)}
    buffer = io.BytesIO()
    nx.write_gexf(flat, buffer, encoding="utf-8", version="1.3")
    # networkx 3.6 names the XML Schema instance namespace without "www."; GEXF's schema location needs the real one
    return buffer.getvalue().replace(b'"http://w3.org/2001/XMLSchema-instance"', b'"http://www.w3.org/2001/XMLSchema-instance"')


def edge_id(u: str, v: str, key: str, attrs: Mapping[str, Any]) -> str:
    """A stable element id: the finding IRI for findings, `from|kind|to` for the rest."""
    return attrs["finding"] if attrs.get("kind") == FINDING else f"{u}|{key}|{v}"


def cytoscape_elements(
    graph: nx.MultiDiGraph,
    positions: Mapping[str, tuple[float, float]] | None = None,
    left_anchored: Collection[str] = (),
) -> dict[str, Any]:
    """Cytoscape.js JSON (also readable by nx.cytoscape_graph): data.id/source/target, classes = kind.

    Edge classes add `significant`/`not-significant` and `reported`/`derived` for findings;
    nodes in `left_anchored` get `data.anchor = "left"`: their position is their label's left edge.
    """
    nodes = []
    for node, attrs in graph.nodes(data=True):
        data = {**attrs, "id": node, "value": node, "name": attrs.get("label", node)}
        if node in left_anchored:
            data["anchor"] = "left"
        element: dict[str, Any] = {"data": data, "classes": attrs.get("kind", "")}
        if positions and node in positions:
            element["position"] = {"x": round(positions[node][0], 1), "y": round(positions[node][1], 1)}
        nodes.append(element)
    edges = []
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        data = {**attrs, "id": edge_id(u, v, key, attrs), "source": u, "target": v, "key": key}
        data.update(colour=edge_colour(attrs), width=edge_width(attrs, scale=30.0, minimum=1.5))
        classes = [attrs.get("kind", "")]
        if attrs.get("kind") == FINDING:
            classes.append("significant" if attrs.get("significant") else "not-significant")
            kind = attrs.get("finding_type")
            classes.append(kind if kind in ("derived", STUDIES) else "reported")
        edges.append({"data": data, "classes": " ".join(c for c in classes if c)})
    return {
        "data": {"name": graph.graph.get("name", "")},
        "directed": True,
        "multigraph": True,
        "elements": {"nodes": nodes, "edges": edges},
    }


def to_cytoscape_json(graph: nx.MultiDiGraph) -> bytes:
    """Cytoscape.js JSON (.cyjs) as UTF-8 bytes, with the page's node positions (Cytoscape desktop keeps them)."""
    return json.dumps(cytoscape_elements(graph, page_positions(graph)), ensure_ascii=False, indent=1).encode("utf-8")


def _dot_value(value: Scalar) -> str:
    """A DOT attribute value (pydot quotes it when needed; newlines become spaces)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).replace("\n", " ")


def _quoted(node: str) -> str:
    """A DOT id for an IRI (quoted, so ':' is not read as a port)."""
    return '"' + node.replace('"', '\\"') + '"'


def to_dot(graph: nx.MultiDiGraph) -> bytes:
    """Graphviz DOT via pydot: data attributes kept, plus colour/penwidth/style for drawing."""
    flat = scalar_graph(graph)
    dot = pydot.Dot("evidencekg", graph_type="digraph", rankdir="LR")
    dot.set_node_defaults(shape="box", style="rounded,filled", fontname="Helvetica")
    for node, attrs in flat.nodes(data=True):
        fill = NODE_COLOURS.get(attrs.get("kind", ""), "#ffffff")
        values = {k: _dot_value(v) for k, v in attrs.items() if k != "name"}  # pydot's own argument: the node id
        dot.add_node(pydot.Node(_quoted(node), fillcolor=fill, **values))  # type: ignore[arg-type]  # no key is obj_dict
    for u, v, key, attrs in flat.edges(keys=True, data=True):
        values = {k: _dot_value(val) for k, val in attrs.items()}
        values.update(key=_dot_value(key), color=edge_colour(attrs),
                      penwidth=_dot_value(edge_width(attrs, scale=10.0)))
        if attrs.get("kind") != FINDING:
            values["style"] = "dashed"
        elif attrs.get("finding_type") == "derived":  # a hollow (double) line: computed, not reported
            values["color"] = f"{edge_colour(attrs)}:white:{edge_colour(attrs)}"
        dot.add_edge(pydot.Edge(_quoted(u), _quoted(v), **values))  # type: ignore[arg-type]  # no key is obj_dict
    return dot.to_string().encode("utf-8")


def _picture(fmt: str) -> Callable[[nx.MultiDiGraph], bytes]:
    """A picture exporter (evidencekg.network.pictures loads matplotlib only when it draws)."""

    def render(graph: nx.MultiDiGraph) -> bytes:
        return network_picture(graph, fmt)

    return render


# format name -> (media type, file suffix, exporter)
EXPORTS: dict[str, tuple[str, str, Callable[[nx.MultiDiGraph], bytes]]] = {
    "graphml": ("application/graphml+xml", ".graphml", to_graphml),
    "gexf": ("application/gexf+xml", ".gexf", to_gexf),
    "cyjs": ("application/json", ".cyjs", to_cytoscape_json),
    "dot": ("text/vnd.graphviz", ".dot", to_dot),
    "svg": ("image/svg+xml", ".svg", _picture("svg")),
    "png": ("image/png", ".png", _picture("png")),
}


def export_network(graph: nx.MultiDiGraph, fmt: str) -> bytes:
    """The network in one of EXPORTS' formats."""
    if fmt not in EXPORTS:
        raise InvalidInput(f"unknown export format {fmt!r}; choose from {', '.join(EXPORTS)}")
    return EXPORTS[fmt][2](graph)
