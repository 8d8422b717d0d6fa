"""The ingest pipeline: pick the input format's builder, build, validate and write one file atomically."""

from __future__ import annotations

__all__ = ["FORMATS", "AlreadyIngested", "IngestError", "IngestResult", "ingest"]

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDFS, Literal

from evidencekg.evidence.batch import (
    AlreadyIngested,
    Batch,
    IngestError,
    check_new,
    ensure_evidence,
    file_digest,
    linked_context,
    slug,
    validate_batch,
    write_batch,
)
from evidencekg.evidence.metapsy import build_metapsy, data_file
from evidencekg.evidence.sheet import build_sheet
from evidencekg.evidence.tabular import RowError, TableError
from evidencekg.model.namespaces import EKG, ID
from evidencekg.settings import Settings, get_settings
from evidencekg.shapes.compiled import Progress
from evidencekg.store.protocol import Store


@dataclass(frozen=True)
class IngestResult:
    """What an ingest wrote."""

    document: str
    findings: int
    triples: int
    loaded_evidence: bool = False  # the shipped evidence was loaded into the store first


Builder = Callable[[Path | bytes, str, Store, Settings, Mapping[str, str]], Batch]  # options: format-specific

# The input formats: name -> row->RDF builder. A new format is a module with a builder, added here.
BUILDERS: dict[str, Builder] = {"sheet": build_sheet, "metapsy": build_metapsy}
FORMATS: tuple[str, ...] = tuple(BUILDERS)


def builder_for(fmt: str) -> Builder:
    """The row->RDF builder for a format name."""
    builder = BUILDERS.get(fmt)
    if builder is not None:
        return builder
    raise IngestError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def guess_format(data: bytes) -> str:
    """'metapsy' for ;-separated files with a .g column, 'sheet' otherwise."""
    header = data[:4096].split(b"\n", 1)[0].replace(b'"', b"")
    return "metapsy" if b";.g;" in header or header.endswith(b";.g") else "sheet"


def document_name(path: Path) -> str:
    """The default document slug for a file: its stem, or folder-stem for generic names like data.csv."""
    stem = path.stem
    return slug(f"{path.parent.name}-{stem}" if stem.lower() in ("data", "sheet", "export") else stem)


def ingest(
    store: Store,
    source: Path | bytes,
    fmt: str | None = None,
    *,
    name: str | None = None,
    settings: Settings | None = None,
    replace: bool = False,
    options: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Read, build, validate and write one file; on any error raise IngestError and write nothing.

    The shipped evidence is loaded into an embedded store first when it is missing or out of
    date (ensure_evidence). A file whose bytes were already ingested under another name is
    refused (AlreadyIngested), as is a second import of the same name unless `replace`. `progress`
    is told how many of the nodes built have been checked against the shapes (the long part).
    A folder is a Metapsy dataset repository (its data.csv is read); `options` are the format's
    own (Metapsy: dataset_doi, outcome, title, licence).
    """
    settings = settings or get_settings()
    if isinstance(source, Path) and source.is_dir():
        fmt = fmt or "metapsy"
    data = data_file(source).read_bytes() if isinstance(source, Path) else source
    fmt = fmt or guess_format(data)
    if name is None:
        name = document_name(data_file(source)) if isinstance(source, Path) else f"upload-{fmt}"
    digest = file_digest(data)
    check_new(store, ID[f"document/{slug(name)}"], digest, replace)  # early: before the work of building it
    loaded = ensure_evidence(store, settings)
    try:
        batch = builder_for(fmt)(source, slug(name), store, settings, options or {})
    except (RowError, TableError) as exc:
        raise IngestError(f"{exc}; nothing was written") from exc
    batch.add(batch.document, RDFS.label, Literal(f"{name} ({fmt} import)"))
    batch.add(batch.document, EKG.contentSha256, Literal(digest))
    linked_context(store, batch)
    validate_batch(batch, settings, progress)
    write_batch(store, batch, digest, replace, settings)
    return IngestResult(str(batch.document), batch.findings, len(batch.graph), loaded)
