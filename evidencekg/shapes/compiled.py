"""pyshacl with the shapes read once per process: validate chosen focus nodes of a small Oxigraph store.

pyshacl's `validate()` rebuilds its shapes (and prepares every SPARQL constraint) on each call, which
cost more than the checks themselves for a write of a few nodes. Here the ShapesGraph is built once
per shapes graph and its shapes are run directly, each on the nodes it targets among the ones asked
for; nested checks (sh:node, sh:class, SPARQL constraints) see the whole data store as usual. Runs
over one compiled ShapesGraph are serialised by its lock (pyshacl's shapes are not known to be
thread-safe).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from pyshacl.pytypes import SHACLExecutor
from pyshacl.shapes_graph import ShapesGraph
from pyshacl.validator import Validator

from evidencekg.shapes.validate import TruthyData, to_rdflib


@lru_cache(maxsize=4)
def _compiled(shapes: rdflib.Graph) -> tuple[ShapesGraph, threading.Lock]:
    """The pyshacl ShapesGraph of a shapes graph, its shapes harvested (cached per graph object)."""
    compiled = ShapesGraph(shapes)
    _ = compiled.shapes  # the property harvests and keeps them
    return compiled, threading.Lock()


def validate_nodes(data: ox.Store, shapes: rdflib.Graph, nodes: Iterable[ox.NamedNode | ox.BlankNode]) -> rdflib.Graph:
    """pyshacl's results graph for the `nodes` of a data store that some shape targets (no inference, in place)."""
    compiled, lock = _compiled(shapes)
    graph = TruthyData(data)
    graph.default_union = True  # type: ignore[misc]  # as pyshacl sets it on a multigraph
    wanted = {to_rdflib(node) for node in nodes}
    executor = SHACLExecutor(allow_warnings=True)
    reports: list[tuple] = []
    conforms = True
    with lock:
        for shape in compiled.shapes:
            focus = [node for node in shape.focus_nodes(graph) if node in wanted]
            if focus:
                ok, found = shape.validate(executor, graph, focus=focus)
                conforms = conforms and ok
                reports.extend(found)
    results, _text = Validator.create_validation_report(compiled, conforms, reports)
    return results
