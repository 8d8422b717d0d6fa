"""The shipped evidence into an external SPARQL engine (Virtuoso, Oxigraph server...): each file's named graph, in batches.

An embedded store takes the whole reload as one atomic update (evidencekg.load.shipped); a remote
engine gets it graph by graph in requests of a few thousand triples, which any engine accepts.
Each graph's fingerprint (in the meta graph) is removed before its graph is replaced and written
after its last batch, so a load that stops half-way is finished by the next one, and a graph
whose files did not change is not sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from evidencekg.load.shipped import (
    FINGERPRINT,
    Progress,
    fingerprint,
    graph_fingerprints,
    is_shipped,
    own_blank_nodes,
    shipped_files,
    shipped_graphs,
    stored_fingerprint,
)
from evidencekg.model.graphs import META_GRAPH
from evidencekg.settings import Settings
from evidencekg.store.files import parse_file
from evidencekg.store.remote import BATCH_TRIPLES, RemoteStore


@dataclass(frozen=True)
class EndpointLoad:
    """What loading into an endpoint did."""

    replaced: tuple[str, ...]  # graphs (re)written
    dropped: tuple[str, ...]  # shipped graphs whose files are gone
    triples: int  # triples sent
    batches: int  # INSERT requests sent (about `batch` triples each)


def _stamp(store: RemoteStore, subject: str, value: str | None) -> None:
    """Set (None: remove) one fingerprint in the meta graph."""
    ops = [f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{subject}> <{FINGERPRINT}> ?f }} }}"]
    if value is not None:
        ops.append(f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{subject}> <{FINGERPRINT}> {ox.Literal(value)} }} }}")
    store.update(" ;\n".join(ops))


def load_shipped_into(
    store: RemoteStore, settings: Settings, progress: Progress | None = None, batch: int = BATCH_TRIPLES
) -> EndpointLoad | None:
    """Bring the shipped graphs in an endpoint up to date (None when they already were); other graphs are left alone."""
    files = shipped_files(settings)
    stamp = fingerprint(files)
    with store.write_lock:
        if stored_fingerprint(store) == stamp:
            return None
        loaded = graph_fingerprints(store)
        graphs = shipped_graphs(files, settings, progress)
        names = {g.name for g in graphs}
        dropped = tuple(sorted(g for g in loaded if is_shipped(g) and g not in names))
        _stamp(store, META_GRAPH, None)
        replaced, triples, batches = [], 0, 0
        for graph in graphs:
            if loaded.get(graph.name) == graph.fingerprint:
                continue
            _stamp(store, graph.name, None)
            store.drop_graphs([graph.name])
            batches += store.insert_batches(graph.quads, batch)
            _stamp(store, graph.name, graph.fingerprint)
            replaced.append(graph.name)
            triples += len(graph.quads)
        for name in dropped:
            _stamp(store, name, None)
        store.drop_graphs(dropped)
        _stamp(store, META_GRAPH, stamp)
    return EndpointLoad(tuple(replaced), dropped, triples, batches)


def load_files_into(
    store: RemoteStore, files: Sequence[Path], graph: str | None, progress: Progress | None = None, batch: int = BATCH_TRIPLES
) -> EndpointLoad:
    """Add RDF files to one graph of an endpoint (None: its default graph), each parsed whole before any batch is sent."""
    target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
    triples = batches = 0
    for done, path in enumerate(files, start=1):
        quads = own_blank_nodes(ox.Quad(q.subject, q.predicate, q.object, target) for q in parse_file(path))
        batches += store.insert_batches(quads, batch)
        triples += len(quads)
        if progress is not None:
            progress(path, done, len(files))
    return EndpointLoad((graph,) if graph else (), (), triples, batches)
