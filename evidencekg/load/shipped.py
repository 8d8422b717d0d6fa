"""Find, parse and load the shipped evidence files (ontology/*.ttl + data/*.ttl) into a store."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from evidencekg.errors import QuerySyntaxError
from evidencekg.load.snapshot import SnapshotError, snapshot_for
from evidencekg.model.namespaces import EKG
from evidencekg.settings import Settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.files import LoadError, parse_file, parse_problem, ttl_files
from evidencekg.store.protocol import Capability, Store, delta_update

META_GRAPH = "https://w3id.org/evidencekg/graph/meta"
FINGERPRINT = str(EKG["loadFingerprint"])
log = logging.getLogger(__name__)
BULK_THRESHOLD = 20_000_000  # bytes: files above this go through bulk_load_file when possible

# Called after each file: (file, files done, files in total).
Progress = Callable[[Path, int, int], None]

def evidence_files(settings: Settings) -> list[Path]:
    """The shipped evidence: ontology/*.ttl then data/*.ttl, each sorted (ontology/checks excluded)."""
    return ttl_files(settings.ontology_dir) + ttl_files(settings.data_dir)


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
    """The fingerprint recorded at the last ensure_loaded, if any."""
    rows = store.select(f"SELECT ?f {{ GRAPH <{META_GRAPH}> {{ <{META_GRAPH}> <{FINGERPRINT}> ?f }} }}")
    return rows[0]["f"].value if rows else None


def genid_base(settings: Settings) -> str:
    """Where skolem IRIs of the shipped files' blank nodes live (RDF 1.1 section 3.5)."""
    return f"{settings.base_url.rstrip('/')}/.well-known/genid/"


def skolemize(quads: Iterable[ox.Quad], prefix: str) -> list[ox.Quad]:
    """Blank nodes replaced by IRIs `<prefix>-<n>`, numbered by first appearance (same file, same IRIs).

    DELETE DATA cannot name a blank node and INSERT DATA makes fresh ones, so shipped blank nodes
    (OWL restrictions, SHACL shapes, lists) could neither be retracted nor reloaded without copies.
    """
    names: dict[str, ox.NamedNode] = {}

    def term(node: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.NamedNode | ox.Literal:
        if not isinstance(node, ox.BlankNode):
            return node
        if node.value not in names:
            names[node.value] = ox.NamedNode(f"{prefix}-{len(names) + 1}")
        return names[node.value]

    return [ox.Quad(term(q.subject), q.predicate, term(q.object)) for q in quads]  # type: ignore[arg-type]


def shipped_quads(files: Sequence[Path], settings: Settings, progress: Progress | None = None) -> list[ox.Quad]:
    """Parse every shipped file (raising LoadError at the first broken one), skolemized, in the default graph."""
    quads: list[ox.Quad] = []
    base = genid_base(settings)
    for done, path in enumerate(files, start=1):
        quads += skolemize(parse_file(path), f"{base}{path.parent.name}-{path.stem}")
        if progress is not None:
            progress(path, done, len(files))
    return quads


@dataclass(frozen=True)
class Reload:
    """What a reload of the shipped evidence did."""

    fingerprint: str
    retracted: int  # triples of the previous version no longer shipped, deleted
    added: int  # shipped triples the previous version did not have
    exact: bool  # False: no snapshot of the previous version, so nothing could be retracted


def reload_update(gone: Sequence[ox.Quad], new: Sequence[ox.Quad], stamp: str) -> str:
    """One SPARQL Update: delete the `gone` shipped triples, insert the `new` ones, record the fingerprint.

    Everything else in the store (ingested studies, saved pooled findings, named graphs) is left alone.
    """
    meta = ox.Quad(ox.NamedNode(META_GRAPH), ox.NamedNode(FINGERPRINT), ox.Literal(stamp), ox.NamedNode(META_GRAPH))
    return f"DROP SILENT GRAPH <{META_GRAPH}> ;\n{delta_update(gone, [*new, meta])}"


def reload_shipped(store: Store, settings: Settings, progress: Progress | None = None) -> Reload | None:
    """Bring the shipped evidence in the store up to date with ontology/ and data/; None when it already was.

    Every file is parsed first (a broken one raises LoadError and changes nothing). Then, in one
    atomic SPARQL Update under the store's writer lock, the triples of the previously loaded
    version that are no longer shipped are deleted and the new ones inserted, so readers see the
    old evidence or the new one and every other triple stays. The previous version comes from the
    snapshot beside the store (evidencekg.load.snapshot); without one (a store loaded before
    snapshots existed, or the file was deleted) the new triples are only added, with a warning.
    """

    files = evidence_files(settings)
    snapshot = snapshot_for(store)
    with store.write_lock:
        stamp = fingerprint(files)
        loaded = stored_fingerprint(store)
        if loaded == stamp:
            return None
        new = shipped_quads(files, settings, progress)
        try:
            old = [] if loaded is None else snapshot.read(loaded)
        except SnapshotError as exc:
            log.warning("%s", exc)
            old = None
        if old is None:
            log.warning(
                "%s holds shipped evidence loaded without a usable snapshot (%s): the new shipped triples "
                "are added, but those of the previous version that changed or were removed cannot be "
                "retracted. For an exact store: stop the service, move the store aside, run `evidencekg "
                "load`, then ingest your files again.",
                store.location,
                snapshot.where(),
            )
        before = set(old or [])
        gone = sorted(before.difference(new), key=str)
        snapshot.stage(new, stamp)
        store.update(reload_update(gone, new, stamp))
        store.flush()
        snapshot.commit()
    return Reload(stamp, len(gone), len(set(new) - before), old is not None)


def ensure_loaded(store: Store, settings: Settings, progress: Progress | None = None) -> bool:
    """Reload the shipped evidence when its files changed (see reload_shipped); True if it reloaded."""
    return reload_shipped(store, settings, progress) is not None


def shipped_store(settings: Settings) -> OxigraphStore:
    """A fresh in-memory store holding the shipped evidence (ontology/*.ttl + data/*.ttl)."""
    store = OxigraphStore()
    ensure_loaded(store, settings)
    return store
