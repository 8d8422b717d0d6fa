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
from collections.abc import Callable, Iterable
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


CHUNK = 500  # focus nodes per pyshacl call (progress is reported after each)

# Called after each chunk: (focus nodes checked, focus nodes in all).
Progress = Callable[[int, int], None]


def validate_nodes(
    data: ox.Store, shapes: rdflib.Graph, nodes: Iterable[ox.NamedNode | ox.BlankNode], progress: Progress | None = None
) -> rdflib.Graph:
    """pyshacl's results graph for the `nodes` of a data store that some shape targets (no inference, in place)."""
    compiled, lock = _compiled(shapes)
    graph = TruthyData(data)
    graph.default_union = True  # type: ignore[misc]  # as pyshacl sets it on a multigraph
    wanted = {to_rdflib(node) for node in nodes}
    executor = SHACLExecutor(allow_warnings=True)
    reports: list[tuple] = []
    conforms = True
    with lock:
        work = [(shape, [node for node in shape.focus_nodes(graph) if node in wanted]) for shape in compiled.shapes]
        total, done = sum(len(focus) for _shape, focus in work), 0
        for shape, focus in work:
            for start in range(0, len(focus), CHUNK):
                chunk = focus[start : start + CHUNK]
                ok, found = shape.validate(executor, graph, focus=chunk)
                conforms = conforms and ok
                reports.extend(found)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    results, _text = Validator.create_validation_report(compiled, conforms, reports)
    return results
