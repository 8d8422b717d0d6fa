"""Study-level ingest common to every format: rows to RDF with provenance, validation, one atomic write."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from rdflib import RDF, RDFS, XSD, Literal, URIRef

from evidencekg.namespaces import DCTERMS, EKG, ID, PROV, SKOS, sparql_prologue
from evidencekg.settings import Settings, get_settings
from evidencekg.store import Store
from evidencekg.tabular import RowError, TableError, TableRow

FORMATS: tuple[str, ...] = ("sheet", "metapsy")
CHUNK_ROWS = 10  # rows per SHACL run (see validate_batch)

# Rater words accepted in sheets and Metapsy files -> ekg:RaterPerspective individuals.
RATERS: dict[str, URIRef] = {
    "patient": EKG.PatientRated, "client": EKG.PatientRated, "patient-rated": EKG.PatientRated,
    "therapist": EKG.TherapistRated, "therapist-rated": EKG.TherapistRated,
    "observer": EKG.ObserverRated, "observer-rated": EKG.ObserverRated,
    "self-report": EKG.SelfReport, "self": EKG.SelfReport,
    "clinician": EKG.ClinicianRated, "clinician-rated": EKG.ClinicianRated,
}  # fmt: skip

DOI_PATTERN = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)


class IngestError(ValueError):
    """The input was rejected and nothing was written; the message says where and why."""


def slug(text: str) -> str:
    """A lower-case, '-'-separated IRI slug ("Abbas, 2023a" -> "abbas-2023a")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    result = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not result:
        raise ValueError(f"cannot make an identifier from {text!r}")
    return result


def find_doi(citation: str) -> str | None:
    """The DOI a citation states (e.g. "doi:10.1186/x." -> "10.1186/x"), or None."""
    match = DOI_PATTERN.search(citation)
    return match.group(1).rstrip(".,;)") if match else None


def rater(value: str, row: int, column: str) -> URIRef:
    """The rater perspective for a rater word (a RowError naming the accepted words otherwise)."""
    found = RATERS.get(value.strip().lower())
    if found is None:
        raise RowError(row, column, f"unknown rater {value!r}; use one of {', '.join(sorted(RATERS))}")
    return found


def decimal(lexical_form: str) -> Literal:
    """An xsd:decimal literal that keeps its printed digits (the consistency checker reads them)."""
    return Literal(lexical_form, datatype=XSD.decimal)


@dataclass
class Batch:
    """Triples built from one file, with each subject's row (for error messages) and counts."""

    document: URIRef
    graph: rdflib.Graph = field(default_factory=rdflib.Graph)
    rows_of: dict[URIRef, int] = field(default_factory=dict)
    columns_of: dict[URIRef, str] = field(default_factory=dict)  # property -> column it came from
    context: rdflib.Graph = field(default_factory=rdflib.Graph)  # validated alongside, never written
    findings: int = 0

    def add(self, subject: URIRef, predicate: URIRef, obj: rdflib.term.Node | None, row: int | None = None) -> None:
        """Add one triple (skipped when the object is None) and remember the subject's row."""
        if obj is None:
            return
        self.graph.add((subject, predicate, obj))
        if row is not None:
            self.rows_of.setdefault(subject, row)

    def source_row(self, row: TableRow) -> URIRef:
        """An ekg:SourceSentence for one row: its raw text, its position, part of the document."""
        sentence = ID[f"sentence/{self.document.split('/')[-1]}-row{row.number}"]
        self.add(sentence, RDF.type, EKG.SourceSentence, row.number)
        self.add(sentence, RDF.value, Literal(row.raw))
        self.add(sentence, EKG.position, Literal(row.number, datatype=XSD.integer))
        self.add(sentence, DCTERMS.isPartOf, self.document)
        self.add(sentence, EKG.sentenceKind, Literal("row"))
        return sentence

    def concept(
        self, kind: str, scheme: URIRef, cls: URIRef, code: str, label: str, notation: str | None = None
    ) -> URIRef:
        """A SKOS concept of a scheme (a condition or a measure) named by its code; first label wins."""
        iri = ID[f"{kind}/{slug(code)}"]
        if (iri, RDF.type, cls) in self.graph:
            return iri
        self.add(iri, RDF.type, SKOS.Concept)
        self.add(iri, SKOS.inScheme, scheme)
        self.add(iri, SKOS.prefLabel, Literal(label, lang="en"))
        self.add(iri, RDF.type, cls)
        self.add(iri, SKOS.notation, Literal(notation or label))
        return iri

    def row_message(self, focus: str, path: str | None, message: str) -> str:
        """A validation message located at the row (and column, when known) it came from."""
        node = URIRef(focus)
        row = self.rows_of.get(node)
        column = self.columns_of.get(URIRef(path)) if path else None
        where = f"row {row}" if row is not None else focus
        if column:
            where += f", column '{column}'"
        return f"{where}: {message} ({focus})"


def _chunks(batch: Batch, size: int) -> Iterator[tuple[rdflib.Graph, set[rdflib.term.Node]]]:
    """Split the batch by rows: each chunk holds its rows' triples, the shared (row-less) triples and the
    rdf:type of every node it links to; its focus nodes are its own subjects (shared ones in chunk 0)."""
    by_chunk: dict[int, rdflib.Graph] = {}
    shared = rdflib.Graph()
    for s, p, o in batch.graph:
        row = batch.rows_of.get(s)  # type: ignore[arg-type]
        target = shared if row is None else by_chunk.setdefault((row - 1) // size, rdflib.Graph())
        target.add((s, p, o))
    for index in sorted(by_chunk) or [0]:
        chunk = by_chunk.get(index, rdflib.Graph())
        focus: set[rdflib.term.Node] = set(chunk.subjects()) | (set(shared.subjects()) if index == 0 else set())
        for obj in set(chunk.objects()):
            for cls in batch.graph.objects(obj, RDF.type):
                chunk.add((obj, RDF.type, cls))
        chunk += shared
        chunk += batch.context
        yield chunk, focus


def validate_batch(batch: Batch, settings: Settings, chunk_rows: int = CHUNK_ROWS) -> None:
    """SHACL-validate every node the batch creates (with the ontology); IngestError naming rows on Violations.

    pyshacl's cost grows with the square of the data it holds (each result it builds counts the
    whole graph), so rows are validated in small chunks; each row's triples only link within their
    row or to shared nodes (document, conditions, measures), which every chunk carries.
    """
    import pyoxigraph as ox
    import pyshacl

    from evidencekg.validate import cached_quads, ontology_files, quads_of, shape_problems, shapes_graph

    shapes = shapes_graph(settings)
    if shapes is None:
        return
    kept = (str(RDF.type), str(RDFS.subClassOf))  # what sh:targetClass and sh:class read
    ontology = [ox.Quad(q.subject, q.predicate, q.object) for q in cached_quads(ontology_files(settings)) if q.predicate.value in kept]
    violations = []
    for chunk, focus in _chunks(batch, chunk_rows):
        data = ox.Store()
        data.extend(quads_of(chunk))
        data.extend(ontology)
        _ok, results, _text = pyshacl.validate(
            data, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=True,
            focus_nodes=[n for n in focus if isinstance(n, URIRef)],
        )  # fmt: skip
        violations += [p for p in shape_problems(results, lambda _node: None) if p.severity == "Violation"]
    if violations:
        lines = [batch.row_message(v.focus_node, v.path, v.message) for v in violations]
        shown = "\n".join(lines[:20]) + (f"\n... and {len(lines) - 20} more" if len(lines) > 20 else "")
        raise IngestError(f"{len(lines)} problem(s), nothing was written:\n{shown}")


def already_ingested(store: Store, document: URIRef) -> bool:
    """Whether a source document with this IRI is already in the store."""
    return store.ask(sparql_prologue() + f"ASK {{ <{document}> a ekg:SourceDocument }}")


def write_batch(store: Store, batch: Batch, replace: bool = False) -> None:
    """Write the batch in one atomic load (after removing an earlier import of the same file if asked)."""
    if already_ingested(store, batch.document):
        if not replace:
            raise IngestError(
                f"{batch.document} was already ingested; nothing was written (use --replace to re-import it)"
            )
        store.update(delete_document_update(batch.document))
    store.load(batch.graph.serialize(format="nt", encoding="utf-8"), "application/n-triples")
    flush = getattr(store, "flush", None)
    if callable(flush):
        flush()


def delete_document_update(document: URIRef) -> str:
    """A SPARQL Update removing what an earlier ingest of a document wrote (rows, findings, studies)."""
    return sparql_prologue() + f"""
DELETE {{ ?s ?p ?o }} WHERE {{
  {{ BIND(<{document}> AS ?s) }}
  UNION {{ ?s dcterms:isPartOf <{document}> }}
  UNION {{ ?s prov:wasDerivedFrom/dcterms:isPartOf <{document}> }}
  ?s ?p ?o
}}"""


@dataclass(frozen=True)
class IngestResult:
    """What an ingest wrote."""

    document: str
    findings: int
    triples: int


Builder = Callable[[Path | bytes, str, Store, Settings], Batch]


def builder_for(fmt: str) -> Builder:
    """The row->RDF builder for a format name."""
    if fmt == "sheet":
        from evidencekg.ingest_sheet import build_sheet

        return build_sheet
    if fmt == "metapsy":
        from evidencekg.ingest_metapsy import build_metapsy

        return build_metapsy
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
) -> IngestResult:
    """Read, build, validate and write one file; on any error raise IngestError and write nothing."""
    settings = settings or get_settings()
    data = source.read_bytes() if isinstance(source, Path) else source
    fmt = fmt or guess_format(data)
    if name is None:
        name = document_name(source) if isinstance(source, Path) else f"upload-{fmt}"
    try:
        batch = builder_for(fmt)(source, slug(name), store, settings)
    except (RowError, TableError) as exc:
        raise IngestError(f"{exc}; nothing was written") from exc
    batch.add(batch.document, RDFS.label, Literal(f"{name} ({fmt} import)"))
    validate_batch(batch, settings)
    write_batch(store, batch, replace)
    return IngestResult(str(batch.document), batch.findings, len(batch.graph))
