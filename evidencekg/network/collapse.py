"""Study-level findings collapsed into one pooled edge per construct pair (with its k), so a network stays readable."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import networkx as nx

from evidencekg.errors import InvalidInput
from evidencekg.meta.pooling import fisher_z, pool
from evidencekg.network.build import FINDING, is_significant, slug_of

STUDY_MODES = ("pooled", "each")  # how an API call or export shows study-level findings
STUDIES = "studies"  # finding_type of a collapsed edge (the page draws it apart from reported and derived findings)
Z95 = 1.959963984540054


def _is_study_level(attrs: dict[str, Any]) -> bool:
    """A reported finding of one primary study (a meta-analysis's own statement, or a derived one, is not)."""
    return attrs.get("kind") == FINDING and attrs.get("finding_type") == "reported" and bool(attrs.get("primary_study"))


def _pooled(items: list[dict[str, Any]]) -> dict[str, Any]:
    """REML over Fisher's z of the studies' r (n > 3); {} when fewer than two can be pooled or r is not the measure."""
    usable = [(a["estimate"], a["n"]) for a in items
              if a.get("measure_name") == "r" and a.get("n") and a["n"] > 3 and abs(a.get("estimate", 1)) < 1]  # fmt: skip
    if len(usable) < 2:
        return {}
    effects = [fisher_z(r, n) for r, n in usable]
    result = pool([y for y, _ in effects], [v for _, v in effects], "REML", 0.95)
    return {
        "estimate": round(math.tanh(result.estimate), 3), "ci_lower": round(math.tanh(result.ci_lower), 3),
        "ci_upper": round(math.tanh(result.ci_upper), 3), "pooled_k": result.k, "i2": round(result.i2, 1),
    }  # fmt: skip


def _study(attrs: dict[str, Any]) -> dict[str, Any]:
    """What the edge panel lists for one study: its finding, name and numbers."""
    keep = ("finding", "estimate", "ci_lower", "ci_upper", "n", "study", "publication_label", "label")
    return {key: attrs[key] for key in keep if key in attrs}


def collapsed_edge(u: str, v: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """One edge standing for every study-level finding between u and v: pooled r [CI], k, and the studies."""
    measure = items[0].get("measure_name", "r")
    pooled = _pooled(items)
    k = len({a.get("study", a["finding"]) for a in items})
    attrs: dict[str, Any] = {
        "kind": FINDING, "finding_type": STUDIES, "finding": f"{u}|{STUDIES}|{v}", "measure_name": measure,
        "k": k, "n": sum(a.get("n", 0) for a in items) or None, "studies": sorted((_study(a) for a in items), key=lambda s: s.get("publication_label") or ""),
        "study_findings": " ".join(sorted(a["finding"] for a in items)),
        "meta_href": f"/meta?a={slug_of(u)}&b={slug_of(v)}", "forest_href": f"/plots/forest?a={slug_of(u)}&b={slug_of(v)}",
        **pooled,
    }  # fmt: skip
    attrs = {key: value for key, value in attrs.items() if value is not None}
    if pooled:
        attrs["significant"] = is_significant(attrs)
        attrs["label"] = f"{measure} = {pooled['estimate']:.2f} [{pooled['ci_lower']:.2f}, {pooled['ci_upper']:.2f}], k = {k}"
        attrs["source_label"] = f"{k} studies, pooled (REML)"
    else:
        attrs["significant"] = None
        attrs["label"] = f"k = {k} studies"
        attrs["source_label"] = f"{k} studies (not poolable here)"
    return attrs


def collapse_studies(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """A copy where the study-level findings of each construct pair (either direction) become one edge.

    A pair with a single study keeps that study's own edge; meta-analytic and derived findings are never folded in.
    """
    groups: dict[tuple[str, str], list[tuple[str, str, str, dict[str, Any]]]] = defaultdict(list)
    for u, v, key, attrs in graph.edges(keys=True, data=True):
        if _is_study_level(attrs):
            groups[(u, v) if (v, u) not in groups else (v, u)].append((u, v, key, attrs))
    out = graph.copy()
    for (u, v), edges in groups.items():
        if len(edges) < 2:
            continue
        for a, b, key, _ in edges:
            out.remove_edge(a, b, key=key)
        attrs = collapsed_edge(u, v, [attrs for *_, attrs in edges])
        out.add_edge(u, v, key=attrs["finding"], **attrs)
    return out


def with_studies(graph: nx.MultiDiGraph, studies: str) -> nx.MultiDiGraph:
    """The graph as asked for: `pooled` (one edge per pair, the default) or `each` (every study's finding)."""
    if studies not in STUDY_MODES:
        raise InvalidInput(f"studies: {studies!r} is not one of {', '.join(STUDY_MODES)}")
    return collapse_studies(graph) if studies == "pooled" else graph
