"""What every input format builds on: rows to RDF with provenance (Batch), validation, one atomic write."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, XSD, Literal, URIRef

from evidencekg.errors import Conflict, Refused
from evidencekg.evidence.tabular import RowError, Table, TableRow, lexical, require_columns, text
from evidencekg.load.shipped import ensure_loaded
from evidencekg.model.graphs import derived_graph, ingest_graph
from evidencekg.model.namespaces import (
    CONSTRUCT_SCHEME,
    DCTERMS,
    DOI_RESOLVER,
    EKG,
    ID,
    IS_ABOUT,
    PROV,
    SKOS,
    sparql_prologue,
)
from evidencekg.settings import Settings, get_settings
from evidencekg.shapes.compiled import Progress, validate_nodes
from evidencekg.shapes.entailment import with_implied_types
from evidencekg.shapes.validate import (
    cached_quads,
    from_rdflib,
    ontology_files,
    quads_of,
    shape_problems,
    shapes_graph,
)
from evidencekg.store.protocol import Capability, Store, data_block

# Rater words accepted in sheets and Metapsy files -> ekg:RaterPerspective individuals.
RATERS: dict[str, URIRef] = {
    "patient": EKG.PatientRated, "client": EKG.PatientRated, "patient-rated": EKG.PatientRated,
    "therapist": EKG.TherapistRated, "therapist-rated": EKG.TherapistRated,
    "observer": EKG.ObserverRated, "observer-rated": EKG.ObserverRated,
    "self-report": EKG.SelfReport, "self": EKG.SelfReport,
    "clinician": EKG.ClinicianRated, "clinician-rated": EKG.ClinicianRated,
}  # fmt: skip

DOI_PATTERN = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)


class IngestError(Refused):
    """The input was rejected and nothing was written; the message says where and why."""


class AlreadyIngested(Conflict, IngestError):
    """The document, or a file with the same bytes under another name, is already in the store.

    The message tells how to replace the earlier import with `how_to_replace`, which a caller
    (CLI, HTTP) may set to its own terms before the error is shown.
    """

    def __init__(self, document: str, earlier: str, same_bytes: bool) -> None:
        self.document, self.earlier, self.same_bytes = document, earlier, same_bytes
        self.how_to_replace = "`evidencekg ingest FILE --name {name} --replace`"
        super().__init__(document, earlier, same_bytes)

    def __str__(self) -> str:
        """The message in the terms `how_to_replace` gives."""
        return self.explain(self.how_to_replace)

    def explain(self, how_to_replace: str) -> str:
        """The message, with how to replace the earlier import in the caller's terms ({name}: its name)."""
        how = how_to_replace.format(name=self.earlier.rsplit("/", 1)[-1])
        if self.same_bytes:
            return (f"this file (same SHA-256 of its bytes) was already ingested as {self.earlier}; ingesting it "
                    f"again as {self.document} would count its studies twice, so nothing was written. "
                    f"To re-import it, replace that import: {how}")  # fmt: skip
        return f"{self.document} was already ingested; nothing was written. To re-import it: {how}"


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


def doi_iri(doi: str) -> URIRef:
    """A DOI as the IRI that resolves it (characters an IRI cannot hold percent-encoded).

    >>> str(doi_iri("10.1037/a0022425")), str(doi_iri("10.1002/(SICI)1097<x>"))
    ('https://doi.org/10.1037/a0022425', 'https://doi.org/10.1002/(SICI)1097%3Cx%3E')
    """
    return URIRef(DOI_RESOLVER + quote(doi, safe="/:;()._-~!$&'*+,=@[]"))


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

    def source_document(self, title: str, media: str) -> None:
        """The ekg:SourceDocument the rows are read from: its title and format."""
        self.add(self.document, RDF.type, EKG.SourceDocument)
        self.add(self.document, DCTERMS.title, Literal(title))
        self.add(self.document, DCTERMS["format"], Literal(media))

    def primary_study(
        self, study: URIRef, row: TableRow, label: str, citation: str, year: int | None, sentence: URIRef
    ) -> None:
        """An ekg:PrimaryStudy with its label, citation, year and the row it was read from."""
        self.add(study, RDF.type, EKG.PrimaryStudy, row.number)
        self.add(study, EKG.studyLabel, Literal(label))
        self.add(study, DCTERMS.bibliographicCitation, Literal(citation))
        self.add(study, DCTERMS.issued, Literal(str(year), datatype=XSD.gYear) if year else None)
        self.add(sentence, IS_ABOUT, study)  # a study is an activity: not prov:wasDerivedFrom (docs/model.md)

    def reported_finding(
        self, finding: URIRef, row: TableRow, study: URIRef, reported_in: URIRef, measure: URIRef, estimate: str,
        sentence: URIRef,
    ) -> None:  # fmt: skip
        """A one-study ekg:ReportedFinding: its study, source, effect-size measure, estimate and row sentence."""
        self.add(finding, RDF.type, EKG.ReportedFinding, row.number)
        self.add(finding, EKG.fromStudy, study)
        self.add(finding, EKG.reportedIn, reported_in)
        self.add(finding, EKG.effectSizeMeasure, measure)
        self.add(finding, EKG.estimate, decimal(estimate))
        self.add(finding, EKG.numberOfStudies, Literal(1, datatype=XSD.integer))
        self.add(finding, PROV.wasDerivedFrom, sentence)
        self.findings += 1

    def source_row(self, row: TableRow, key: str | None = None) -> URIRef:
        """An ekg:SourceSentence for one row: its raw text, its position, part of the document.

        Its IRI is id:sentence/{key} when the format gives each record its own id, else {document}-row{N}.
        """
        sentence = ID[f"sentence/{key}" if key else f"sentence/{self.document.split('/')[-1]}-row{row.number}"]
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

    def characteristics(self, finding: URIRef, table: Table, row: TableRow, columns: dict[str, str]) -> None:
        """Link a finding to its row's study characteristics (name -> column; empty and NA cells skipped).

        One node per coded value of a file (id:characteristic/{document}-{name}-{value}), shared by
        every finding with that value; numbers become xsd:decimal keeping their printed digits.
        """
        for name, column in columns.items():
            value = text(table, row, column) if column in table.columns else None
            if value is None:
                continue
            try:
                form = lexical(table, row, column) or value
                literal = decimal(form)
            except RowError:
                form, literal = value, Literal(value)
            node = ID[f"characteristic/{self.document.split('/')[-1]}-{slug(name)}-{quote(form.lower(), safe='')}"]
            self.add(finding, EKG.hasStudyCharacteristic, node)
            if (node, RDF.type, EKG.StudyCharacteristic) not in self.graph:
                self.add(node, RDF.type, EKG.StudyCharacteristic)
                self.add(node, EKG.characteristic, Literal(name))
                self.add(node, RDF.value, literal)

    def row_message(self, focus: str, path: str | None, message: str) -> str:
        """A validation message located at the row (and column, when known) it came from."""
        node = URIRef(focus)
        row = self.rows_of.get(node)
        column = self.columns_of.get(URIRef(path)) if path else None
        where = f"row {row}" if row is not None else focus
        if column:
            where += f", column '{column}'"
        return f"{where}: {message} ({focus})"


def table_batch(table: Table, required: tuple[str, ...], doc: str, columns: dict[URIRef, str]) -> Batch:
    """An empty batch for document `doc` of a table that has the required columns and at least one data row."""
    require_columns(table, required)
    if not table.rows:
        raise RowError(1, "*", "the file has a header but no data rows")
    batch = Batch(ID[f"document/{doc}"])
    batch.columns_of.update(columns)
    return batch


LINKED = sparql_prologue() + """
SELECT ?x ?p ?o WHERE {
  VALUES ?p { rdf:type skos:inScheme }
  ?x ?p ?o .
  FILTER (?x IN (%s))
}"""


def linked_context(store: Store, batch: Batch) -> None:
    """Add to the batch's context what the shapes read about nodes it links to but does not describe.

    That is their classes and concept schemes (a sheet's constructs, a pooled pair's conditions),
    read from the store; the ontology's own terms are added by validate_batch.
    """
    subjects = set(batch.graph.subjects())
    linked = {o for o in batch.graph.objects() if isinstance(o, URIRef) and o not in subjects}
    linked = {o for o in linked if str(o).startswith(str(ID))}  # instances, not vocabulary terms
    if not linked:
        return
    rows = store.select(LINKED % ", ".join(f"<{iri}>" for iri in sorted(linked)))
    for row in rows:
        batch.context.add((URIRef(row["x"].value), URIRef(row["p"].value), URIRef(row["o"].value)))


def validate_batch(batch: Batch, settings: Settings, progress: Progress | None = None) -> None:
    """SHACL-validate every node the batch creates (with the ontology's classes); IngestError naming rows on Violations.

    The shapes run over one in-memory Oxigraph store holding the batch, its context and the ontology's
    class hierarchy, on the batch's own subjects (evidencekg.shapes.compiled, `progress` told after
    each chunk of them); the hierarchy's bare constructs lack labels here but are checked elsewhere.
    """
    shapes = shapes_graph(settings)
    if shapes is None:
        return
    kept = (str(RDF.type), str(RDFS.subClassOf), str(SKOS.inScheme))  # what targets, sh:class and schemes read
    data = ox.Store()
    data.extend(quads_of(batch.graph))
    data.extend(quads_of(batch.context))
    data.extend(ox.Quad(q.subject, q.predicate, q.object) for q in cached_quads(ontology_files(settings)) if q.predicate.value in kept)
    ours = {str(s) for s in batch.graph.subjects()}
    subjects = [from_rdflib(s) for s in set(batch.graph.subjects())]
    problems = shape_problems(validate_nodes(data, shapes, subjects, progress), lambda _node: None)  # type: ignore[arg-type]
    violations = [p for p in problems if p.severity == "Violation" and p.focus_node in ours]
    if violations:
        lines = [batch.row_message(v.focus_node, v.path, v.message) for v in violations]
        shown = "\n".join(lines[:20]) + (f"\n... and {len(lines) - 20} more" if len(lines) > 20 else "")
        raise IngestError(f"{len(lines)} problem(s), nothing was written:\n{shown}")


def already_ingested(store: Store, document: URIRef) -> bool:
    """Whether a source document with this IRI is already in the store."""
    return store.ask(sparql_prologue() + f"ASK {{ <{document}> a ekg:SourceDocument }}")


def file_digest(data: bytes) -> str:
    """The SHA-256 of a file's bytes, as recorded in ekg:contentSha256."""
    return hashlib.sha256(data).hexdigest()


def check_new(store: Store, document: URIRef, digest: str, replace: bool) -> bool:
    """AlreadyIngested unless the document is new (or replaced) and no other document has these bytes; True if it exists."""
    query = sparql_prologue() + f'SELECT ?d WHERE {{ ?d a ekg:SourceDocument ; ekg:contentSha256 "{digest}" }} ORDER BY ?d'
    for row in store.select(query):
        if row["d"].value != str(document):
            raise AlreadyIngested(str(document), row["d"].value, same_bytes=True)
    exists = already_ingested(store, document)
    if exists and not replace:
        raise AlreadyIngested(str(document), str(document), same_bytes=False)
    return exists


def ensure_evidence(store: Store, settings: Settings) -> bool:
    """Make the constructs and conditions rows refer to available: True when the shipped evidence had to be loaded.

    An embedded store gets the shipped ontology/ and data/ loaded (or brought up to date) by
    evidencekg.load.shipped.ensure_loaded; a remote store without the constructs scheme is refused,
    since loading files into someone's endpoint is not an ingest's business.
    """
    if Capability.SHIPPED_EVIDENCE in store.capabilities:
        return ensure_loaded(store, settings)
    if not store.ask(sparql_prologue() + f"ASK {{ ?c skos:inScheme <{CONSTRUCT_SCHEME}> }}"):
        raise IngestError(
            f"{store.location} holds no constructs scheme ({CONSTRUCT_SCHEME}), so construct names cannot be resolved: "
            "load the shipped ontology/*.ttl and data/*.ttl into it first; nothing was written"
        )
    return False


def batch_graph(batch: Batch) -> str:
    """The named graph a batch is written to: ingest/<slug> for a document, derived/<key> for a pooled finding."""
    name = str(batch.document).rsplit("/", 1)[-1]
    return ingest_graph(name) if str(batch.document).startswith(str(ID["document/"])) else derived_graph(name)


def insert_batch(batch: Batch, settings: Settings) -> str:
    """An INSERT DATA of the batch, with the superclass types it implies, into its own named graph (batch_graph)."""
    target = ox.NamedNode(batch_graph(batch))
    quads = [ox.Quad(q.subject, q.predicate, q.object, target) for q in quads_of(batch.graph)]
    return f"INSERT DATA {{\n{data_block(with_implied_types(quads, settings))}\n}}"


def write_batch(store: Store, batch: Batch, digest: str, replace: bool = False, settings: Settings | None = None) -> None:
    """Write the batch into its own graph in one atomic update, under the store's writer lock (evidencekg.evidence.writes).

    Replacing an earlier import drops its graph (and what an older version wrote of it into the
    default graph) and inserts the new rows in the same SPARQL update, so a failure leaves the
    earlier import as it was.
    """
    insert = insert_batch(batch, settings or get_settings())
    with store.write_lock:
        if check_new(store, batch.document, digest, replace):
            # the older default-graph copy first: its prologue must open the update
            store.update(f"{delete_document_update(batch.document)} ;\nDROP SILENT GRAPH <{batch_graph(batch)}> ;\n{insert}")
        else:
            store.update(insert)
        store.flush()


def delete_document_update(document: URIRef) -> str:
    """A SPARQL Update removing what an earlier ingest of a document wrote (rows, findings, studies, characteristics)."""
    return sparql_prologue() + f"""
DELETE {{ ?s ?p ?o }} WHERE {{
  {{ BIND(<{document}> AS ?s) }}
  UNION {{ ?s dcterms:isPartOf <{document}> }}
  UNION {{ ?s prov:wasDerivedFrom/dcterms:isPartOf <{document}> }}
  UNION {{ ?row dcterms:isPartOf <{document}> ; obo:IAO_0000136 ?s . ?s a ekg:PrimaryStudy }}
  UNION {{ ?f prov:wasDerivedFrom/dcterms:isPartOf <{document}> ; ekg:hasStudyCharacteristic ?s }}
  ?s ?p ?o
}}"""
