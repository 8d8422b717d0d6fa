"""Find, parse and load the shipped evidence files (ontology/*.ttl + data/*.ttl) into a store, each file in its own named graph."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from evidencekg.errors import QuerySyntaxError
from evidencekg.model.graphs import (
    DATA,
    DATA_IN_ONTOLOGY_FOLDER,
    META_GRAPH,
    ONTOLOGY,
    SHAPES_GRAPH,
    data_graph,
    ontology_graph,
)
from evidencekg.model.namespaces import EKG
from evidencekg.settings import Settings
from evidencekg.shapes.entailment import with_implied_types
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.files import LoadError, parse_file, parse_problem, ttl_files
from evidencekg.store.mappings import MAPPINGS_GRAPH, mapping_files, mapping_quads
from evidencekg.store.protocol import Capability, Store, data_block

FINGERPRINT = str(EKG["loadFingerprint"])
log = logging.getLogger(__name__)
BULK_THRESHOLD = 20_000_000  # bytes: files above this go through bulk_load_file when possible

# Called after each file: (file, files done, files in total).
Progress = Callable[[Path, int, int], None]

def evidence_files(settings: Settings) -> list[Path]:
    """The shipped evidence: ontology/*.ttl then data/*.ttl, each sorted (ontology/checks excluded)."""
    return ttl_files(settings.ontology_dir) + ttl_files(settings.data_dir)


def shipped_files(settings: Settings) -> list[Path]:
    """Everything the shipped graphs are made of: the evidence files, then ontology/mappings/*.sssom.tsv."""
    return evidence_files(settings) + mapping_files(settings.ontology_dir)


def fingerprint(files: Iterable[Path]) -> str:
    """sha256 over the files' names and contents, in order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def load_files(
    store: Store, files: Sequence[Path], progress: Progress | None = None, graph: str | None = None
) -> int:
    """Load files one by one into a graph (default graph); each file is all-or-nothing. Returns files loaded."""
    for done, path in enumerate(files, start=1):
        load_one(store, path, graph)
        if progress is not None:
            progress(path, done, len(files))
    return len(files)


def load_one(store: Store, path: Path, graph: str | None = None) -> None:
    """Load one file; large files go through bulk_load_file when the store has it."""
    if Capability.BULK_LOAD in store.capabilities and path.stat().st_size > BULK_THRESHOLD:
        try:
            store.bulk_load_file(path, graph)  # type: ignore[attr-defined]
            return
        except QuerySyntaxError as exc:
            problem = parse_problem(path, exc)
            raise LoadError(problem.text(), problem) from exc
    quads = parse_file(path)  # parse first: precise file:line:col, nothing reaches the store
    store.load(ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES), "application/n-triples", graph)  # type: ignore[arg-type]  # stub: bytes when no output is given


def stored_fingerprint(store: Store) -> str | None:
    """The fingerprint of all shipped files recorded at the last reload, if any."""
    rows = store.select(f"SELECT ?f {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{FINGERPRINT}> ?f }} }}")
    return rows[0]["f"].value if rows else None


def graph_fingerprints(store: Store) -> dict[str, str]:
    """Each shipped graph with the fingerprint of the file(s) it was last loaded from."""
    rows = store.select(f"SELECT ?g ?f {{ GRAPH <{META_GRAPH}> {{ ?g <{FINGERPRINT}> ?f FILTER(?g != <{META_GRAPH}>) }} }}")
    return {r["g"].value: r["f"].value for r in rows}


def shipped_graph(path: Path, settings: Settings) -> str:
    """The named graph a shipped file is loaded into (evidencekg.model.graphs)."""
    if path.name.endswith(".sssom.tsv"):
        return MAPPINGS_GRAPH
    if path.parent == settings.ontology_dir and path.stem not in DATA_IN_ONTOLOGY_FOLDER:
        return SHAPES_GRAPH if "shapes" in path.stem else ontology_graph(path.stem)
    return data_graph(path.stem)


def own_blank_nodes(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads with every blank node renamed to a fresh one (two files' `_:b1` stay apart in one update)."""
    names: dict[str, ox.BlankNode] = {}

    def term(node: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if isinstance(node, ox.BlankNode):
            return names.setdefault(node.value, ox.BlankNode())
        return node

    return [ox.Quad(term(q.subject), q.predicate, term(q.object), q.graph_name) for q in quads]  # type: ignore[arg-type]


@dataclass(frozen=True)
class ShippedGraph:
    """The quads of one shipped graph (one file, or all the shapes files) and their fingerprint."""

    name: str
    files: tuple[Path, ...]
    quads: tuple[ox.Quad, ...]

    @property
    def fingerprint(self) -> str:
        """sha256 over the graph's files."""
        return fingerprint(self.files)


def shipped_graphs(files: Sequence[Path], settings: Settings, progress: Progress | None = None) -> list[ShippedGraph]:
    """Parse every shipped file (raising LoadError at the first broken one) into its graph, with implied types."""
    parsed: dict[str, tuple[list[Path], list[ox.Quad]]] = {}
    for done, path in enumerate(files, start=1):
        name = shipped_graph(path, settings)
        target = ox.NamedNode(name)
        paths, quads = parsed.setdefault(name, ([], []))
        paths.append(path)
        if name == MAPPINGS_GRAPH:
            quads += mapping_quads([path], name)
        else:
            quads += own_blank_nodes(ox.Quad(q.subject, q.predicate, q.object, target) for q in parse_file(path))
        if progress is not None:
            progress(path, done, len(files))
    return [ShippedGraph(n, tuple(p), tuple(with_implied_types(q, settings))) for n, (p, q) in parsed.items()]


@dataclass(frozen=True)
class Reload:
    """What a reload of the shipped evidence did."""

    fingerprint: str
    replaced: tuple[str, ...]  # shipped graphs (re)loaded because their files changed or are new
    dropped: tuple[str, ...]  # shipped graphs whose files are gone


def reload_update(graphs: Sequence[ShippedGraph], dropped: Sequence[str], stamp: str, legacy: Sequence[ox.Quad] = ()) -> str:
    """One SPARQL Update: replace each changed graph (DROP + INSERT DATA), drop the gone ones, record fingerprints.

    `legacy`: shipped triples an older version kept in the default graph, deleted at the same time.
    """
    meta = ox.NamedNode(META_GRAPH)
    ops = [f"DROP SILENT GRAPH <{g}>" for g in (*dropped, *(g.name for g in graphs))]
    ops += [
        f"DELETE WHERE {{ GRAPH <{META_GRAPH}> {{ <{g}> <{FINGERPRINT}> ?f }} }}"
        for g in (META_GRAPH, *dropped, *(g.name for g in graphs))
    ]
    if legacy:
        ops.append(f"DELETE DATA {{\n{data_block(legacy)}\n}}")
    stamps = [ox.Quad(meta, ox.NamedNode(FINGERPRINT), ox.Literal(stamp), meta)]
    stamps += [ox.Quad(ox.NamedNode(g.name), ox.NamedNode(FINGERPRINT), ox.Literal(g.fingerprint), meta) for g in graphs]
    ops.append(f"INSERT DATA {{\n{data_block([q for g in graphs for q in g.quads] + stamps)}\n}}")
    return " ;\n".join(ops)


def is_shipped(graph: str) -> bool:
    """Whether a named graph is one the shipped files fill (ontology, shapes, data, mappings)."""
    return graph.startswith((ONTOLOGY, DATA)) or graph in (SHAPES_GRAPH, MAPPINGS_GRAPH)


def reload_shipped(store: Store, settings: Settings, progress: Progress | None = None) -> Reload | None:
    """Bring the shipped graphs in the store up to date with ontology/ and data/; None when they already were.

    Every file is parsed first (a broken one raises LoadError and changes nothing). Then, in one
    atomic SPARQL Update under the store's writer lock, the graph of each changed or new file is
    replaced, the graphs of removed files are dropped, and the fingerprints are recorded in the
    meta graph, so readers see the old evidence or the new one. Other graphs (the real default
    graph, ingests, saved pooled findings, graphs users made) are never touched.
    """
    files = shipped_files(settings)
    with store.write_lock:
        stamp = fingerprint(files)
        loaded = graph_fingerprints(store)
        emptied = emptied_graphs(store, loaded)
        if stored_fingerprint(store) == stamp and not emptied:
            return None
        graphs = shipped_graphs(files, settings, progress)
        changed = [g for g in graphs if loaded.get(g.name) != g.fingerprint or g.name in emptied]
        names = {g.name for g in graphs}
        dropped = sorted(g for g in loaded if is_shipped(g) and g not in names)
        store.update(reload_update(changed, dropped, stamp, legacy_quads(store)))
        store.flush()
        remove_legacy_snapshots(store)
    return Reload(stamp, tuple(g.name for g in changed), tuple(dropped))


def emptied_graphs(store: Store, loaded: dict[str, str]) -> set[str]:
    """The shipped graphs the meta graph records as loaded that hold nothing now (a forced DROP or CLEAR removed them).

    Their fingerprints alone would say they are up to date; they are loaded again, so the shipped
    evidence is back at the next start-up (or file change) whatever was removed.
    """
    return {g for g in loaded if is_shipped(g) and not store.ask(f"ASK {{ GRAPH <{g}> {{ ?s ?p ?o }} }}")}


def legacy_snapshots(store: Store) -> list[Path]:
    """The `<store>.shipped.nq` (and `.pending`) files older versions kept beside an on-disk store."""
    path = getattr(store, "path", None)
    if not isinstance(path, Path):
        return []
    return [path.with_name(path.name + suffix) for suffix in (".shipped.nq", ".shipped.nq.pending")]


def legacy_quads(store: Store) -> list[ox.Quad]:
    """The shipped triples an older version loaded into the default graph, from its snapshot (none if unreadable)."""
    for path in legacy_snapshots(store):
        try:
            return [q for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS) if isinstance(q.graph_name, ox.DefaultGraph)]
        except (OSError, SyntaxError, ValueError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning("%s: old snapshot not usable, its triples stay in the default graph: %s", path, exc)
    return []


def remove_legacy_snapshots(store: Store) -> None:
    """Delete the old snapshot files once their triples are gone from the default graph (harmless when absent)."""
    for path in legacy_snapshots(store):
        path.unlink(missing_ok=True)


def ensure_loaded(store: Store, settings: Settings, progress: Progress | None = None) -> bool:
    """Reload the shipped evidence when its files changed (see reload_shipped); True if it reloaded."""
    return reload_shipped(store, settings, progress) is not None


def shipped_store(settings: Settings) -> OxigraphStore:
    """A fresh in-memory store holding the shipped evidence (ontology/*.ttl + data/*.ttl)."""
    store = OxigraphStore()
    ensure_loaded(store, settings)
    return store
