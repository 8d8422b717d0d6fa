"""Paths between two constructs, each hop with its evidence, and the naive product of r along a chain.

Choices (documented in docs/network.md):
- Findings are traversed in either direction: a correlation is symmetric, so a finding
  stated "alliance -> outcome" also links outcome to alliance (the hop says `reversed`).
- The scheme's structure is traversed too: up from a component or narrower construct to
  its whole or broader one (bond -> alliance), and down (outcome -> symptom reduction).
  Going up and then straight down again is refused: that would jump between siblings
  (attachment anxiety -> attachment insecurity -> attachment avoidance), which are
  distinct constructs. Every path needs at least one finding hop.
- When several findings state the same hop, one is chosen for the product (all are listed):
  first those that stand for the whole association (no subgroup, or `sameAssociationAs` a
  finding without one), then reported before derived, with a CI before without, larger k,
  larger N, then IRI order. So when a summary and the original publication report the same
  association, the publication's complete statement wins: for the seed's alliance -> outcome
  hop, Flückiger et al. 2018's r = .278 [.256, .299] (same association as the
  PPRNet summary's rounded r = .28, no CI) is used, and the internet-based subgroup's
  r = .275 is not; avoidance -> alliance -> outcome gives -0.13 x 0.278 = -0.03614.
- The product is shown only for chains of two or more finding hops whose chosen findings
  are all Pearson r, and is labelled a rough indirect association, not a tested mediation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from evidencekg.network.build import (
    FINDING,
    STRUCTURE_KINDS,
    construct_graph,
    findings_between,
)

UP, DOWN = "up", "down"
INDIRECT_NOTE = (
    "a rough indirect association (the chosen r of each finding hop multiplied), "
    "NOT a tested mediation (no study estimated this chain)"
)
DEFAULT_MAX_HOPS = 4


@dataclass
class Hop:
    """One step of a path: a finding hop (with all its findings) or a structure hop (up/down)."""

    source: str
    target: str
    kind: str  # FINDING, UP or DOWN
    relation: str | None = None  # componentOf / broader for structure hops
    findings: list[dict[str, Any]] = field(default_factory=list)
    chosen: dict[str, Any] | None = None

    def to_dict(self, graph: nx.MultiDiGraph) -> dict[str, Any]:
        """A JSON-ready view of the hop."""
        chosen = self.chosen
        return {
            "from": self.source, "from_label": graph.nodes[self.source]["label"],
            "to": self.target, "to_label": graph.nodes[self.target]["label"],
            "kind": self.kind, "relation": self.relation,
            "r": chosen.get("r") if chosen else None,
            "chosen": chosen["finding"] if chosen else None,
            "reversed": bool(chosen and chosen["from"] != self.source),
            "findings": self.findings,
        }


@dataclass
class ConstructPath:
    """A path between two constructs with its hops and, for chains, the naive product of r."""

    nodes: list[str]
    hops: list[Hop]

    @property
    def finding_hops(self) -> list[Hop]:
        """The hops that rest on findings."""
        return [hop for hop in self.hops if hop.kind == FINDING]

    @property
    def naive_product(self) -> float | None:
        """Product of the chosen r over finding hops (None unless a chain of 2+ r hops)."""
        hops = self.finding_hops
        if len(hops) < 2 or any(h.chosen is None or "r" not in h.chosen for h in hops):
            return None
        return math.prod(h.chosen["r"] for h in hops)  # type: ignore[index]

    def to_dict(self, graph: nx.MultiDiGraph) -> dict[str, Any]:
        """A JSON-ready view of the path."""
        product = self.naive_product
        return {
            "nodes": self.nodes,
            "labels": [graph.nodes[n]["label"] for n in self.nodes],
            "hops": [hop.to_dict(graph) for hop in self.hops],
            "naive_product": None if product is None else round(product, 6),
            "naive_product_note": INDIRECT_NOTE if product is not None else None,
            "crosses_structure": any(h.kind != FINDING for h in self.hops),
        }


def choose_finding(findings: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The finding a hop's product uses (see the module docstring for the order)."""
    if not findings:
        return None
    whole = {f["finding"] for f in findings if "subgroup" not in f}

    def rank(f: dict[str, Any]) -> tuple[Any, ...]:
        stands_for_whole = f["finding"] in whole or bool(whole & set(f.get("same_as", "").split()))
        has_ci = "ci_lower" in f and "ci_upper" in f
        return (
            not stands_for_whole, f.get("finding_type") == "derived", not has_ci,
            -f.get("k", 0), -f.get("n", 0), f["finding"],
        )

    return min(findings, key=rank)


def _hop(graph: nx.MultiDiGraph, u: str, v: str) -> Hop:
    """The hop from u to v: a finding hop when findings join them, else a structure hop."""
    findings = findings_between(graph, u, v)
    if findings:
        return Hop(u, v, FINDING, findings=findings, chosen=choose_finding(findings))
    for a, b, direction in ((u, v, UP), (v, u, DOWN)):
        for attrs in graph.get_edge_data(a, b, default={}).values():
            if attrs["kind"] in STRUCTURE_KINDS:
                return Hop(u, v, direction, relation=attrs["kind"])
    raise ValueError(f"no finding or structure edge between {u} and {v}")


def _allowed(hops: list[Hop]) -> bool:
    """At least one finding hop, and never up then straight down (a sibling jump)."""
    if not any(h.kind == FINDING for h in hops):
        return False
    return not any(a.kind == UP and b.kind == DOWN for a, b in zip(hops, hops[1:]))


def find_paths(
    graph: nx.MultiDiGraph, source: str, target: str, max_hops: int = DEFAULT_MAX_HOPS
) -> list[ConstructPath]:
    """All allowed simple paths of at most max_hops between two constructs, shortest first."""
    if source == target:
        raise ValueError("a path needs two different constructs")
    simple = construct_graph(graph)
    paths = []
    for nodes in nx.all_simple_paths(simple, source, target, cutoff=max_hops):
        hops = [_hop(graph, u, v) for u, v in zip(nodes, nodes[1:])]
        if _allowed(hops):
            paths.append(ConstructPath(nodes, hops))
    labels = lambda p: [graph.nodes[n]["label"] for n in p.nodes]  # noqa: E731
    return sorted(paths, key=lambda p: (len(p.hops), len(p.hops) - len(p.finding_hops), labels(p)))
