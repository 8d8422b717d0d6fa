"""Ingest our correlation sheet (docs/sheet-format.md): one primary-study correlation per row."""

from __future__ import annotations

from pathlib import Path

import rdflib
from rdflib import RDF, XSD, Literal, URIRef

from evidencekg.ingest import Batch, decimal, find_doi, rater, slug
from evidencekg.meta import correlation_problem
from evidencekg.namespaces import BIBO, DCTERMS, EKG, ID, PEARSON_R, PROV, sparql_prologue
from evidencekg.settings import Settings
from evidencekg.store import Store
from evidencekg.tabular import RowError, Table, TableRow, integer, lexical, number, read_table, require_columns, text

REQUIRED = ("study", "n", "r", "construct_a", "construct_b")
OPTIONAL = ("authors", "year", "title", "doi", "rater", "citation")
MODERATOR_PREFIX = "mod_"  # moderator columns: ekg:StudyCharacteristic named without the prefix

# Which column each finding property comes from (validation messages name it).
COLUMNS: dict[URIRef, str] = {
    EKG.estimate: "r", EKG.sampleSize: "n", EKG.fromConstruct: "construct_a",
    EKG.toConstruct: "construct_b", EKG.raterPerspective: "rater", BIBO.doi: "doi",
    DCTERMS.issued: "year", EKG.reportedIn: "doi", DCTERMS.title: "title",
}  # fmt: skip


def known_constructs(store: Store, settings: Settings) -> set[str]:
    """IRIs of every ekg:Construct in the store or in the ontology files."""
    from evidencekg.validate import cached_graph, ontology_files

    found = {str(c) for c in cached_graph(ontology_files(settings)).subjects(RDF.type, EKG.Construct)}
    rows = store.select(sparql_prologue() + "SELECT ?c WHERE { ?c a ekg:Construct }")
    return found | {row["c"].value for row in rows}


def construct_iri(value: str, known: set[str], row: int, column: str) -> URIRef:
    """Resolve a construct given as slug, id:construct/slug or full IRI to a known construct."""
    candidate = value.strip()
    if not candidate.startswith("http"):
        candidate = str(ID[f"construct/{slug(candidate.split('/')[-1].split(':')[-1])}"])
    if candidate not in known:
        sample = ", ".join(sorted(k.rsplit("/", 1)[-1] for k in known)[:12])
        raise RowError(row, column, f"unknown construct {value!r} (known constructs include: {sample})")
    return URIRef(candidate)


def _row(batch: Batch, table: Table, row: TableRow, doc: str, known: set[str]) -> None:
    """The study, publication and finding of one sheet row."""
    n = number(table, row, "n", required=True)
    r = number(table, row, "r", required=True)
    problem = correlation_problem(r, n)
    if problem:
        raise RowError(row.number, *problem)
    n_int = integer(table, row, "n", required=True, minimum=4)
    study_id = text(table, row, "study", required=True)
    assert study_id is not None and n_int is not None
    a = construct_iri(row.cells["construct_a"], known, row.number, "construct_a")
    b = construct_iri(row.cells["construct_b"], known, row.number, "construct_b")
    if a == b:
        raise RowError(row.number, "construct_b", "is the same construct as construct_a")
    year = integer(table, row, "year", minimum=1800) if "year" in table.columns else None
    authors = text(table, row, "authors") if "authors" in table.columns else None
    doi_cell = text(table, row, "doi") if "doi" in table.columns else None
    doi = find_doi(doi_cell) if doi_cell else None
    if doi_cell and not doi:
        raise RowError(row.number, "doi", f"{doi_cell!r} is not a DOI (expected 10.xxxx/...)")
    rater_cell = text(table, row, "rater") if "rater" in table.columns else None

    sentence = batch.source_row(row)
    key = f"{doc}-{slug(study_id)}"
    study, publication, finding = ID[f"study/{key}"], ID[f"publication/{key}"], ID[f"finding/{doc}-row{row.number}"]
    label = f"{authors.split(',')[0].split(';')[0].strip()}, {year}" if authors and year else study_id
    citation = (text(table, row, "citation") if "citation" in table.columns else None) or (
        f"{authors} ({year})." if authors else f"{study_id} ({year})." if year else study_id
    )
    add = batch.add
    issued = Literal(str(year), datatype=XSD.gYear) if year else None
    add(publication, RDF.type, EKG.Publication, row.number)
    add(publication, DCTERMS.bibliographicCitation, Literal(citation))
    title = text(table, row, "title") if "title" in table.columns else None
    add(publication, DCTERMS.title, Literal(title) if title else None)
    add(publication, BIBO.doi, Literal(doi) if doi else None)
    add(publication, DCTERMS.issued, issued)
    add(publication, EKG.authorList, Literal(authors) if authors else None)
    for author in (authors or "").split(";"):
        add(publication, DCTERMS.creator, Literal(author.strip()) if author.strip() else None)
    add(publication, PROV.wasDerivedFrom, sentence)
    add(study, RDF.type, EKG.PrimaryStudy, row.number)
    add(study, EKG.studyLabel, Literal(label))
    add(study, EKG.reportedIn, publication)
    add(study, DCTERMS.bibliographicCitation, Literal(citation))
    add(study, DCTERMS.issued, issued)
    add(study, PROV.wasDerivedFrom, sentence)
    add(finding, RDF.type, EKG.ReportedFinding, row.number)
    add(finding, EKG.fromStudy, study)
    add(finding, EKG.reportedIn, publication)
    add(finding, EKG.fromConstruct, a)
    add(finding, EKG.toConstruct, b)
    add(finding, EKG.effectSizeMeasure, PEARSON_R)
    add(finding, EKG.estimate, decimal(lexical(table, row, "r") or ""))
    add(finding, EKG.sampleSize, Literal(n_int, datatype=XSD.integer))
    add(finding, EKG.numberOfStudies, Literal(1, datatype=XSD.integer))
    add(finding, EKG.raterPerspective, rater(rater_cell, row.number, "rater") if rater_cell else None)
    add(finding, PROV.wasDerivedFrom, sentence)
    moderators = {c[len(MODERATOR_PREFIX):]: c for c in table.columns if c.startswith(MODERATOR_PREFIX) and len(c) > len(MODERATOR_PREFIX)}
    batch.characteristics(finding, table, row, moderators)
    batch.findings += 1


def build_sheet(source: Path | bytes, doc: str, store: Store, settings: Settings) -> Batch:
    """Build the triples of a correlation sheet (RowError/TableError on the first bad cell)."""
    table = read_table(source, sep=",")
    require_columns(table, REQUIRED)
    batch = Batch(ID[f"document/{doc}"], rdflib.Graph())
    batch.columns_of.update(COLUMNS)
    known = known_constructs(store, settings)
    document = batch.document
    batch.add(document, RDF.type, EKG.SourceDocument)
    batch.add(document, DCTERMS.title, Literal(f"correlation sheet {doc}"))
    batch.add(document, DCTERMS["format"], Literal("text/csv"))
    if isinstance(source, Path):
        batch.add(document, DCTERMS.source, Literal(source.name))
    if not table.rows:
        raise RowError(1, "*", "the sheet has a header but no data rows")
    for row in table.rows:
        _row(batch, table, row, doc, known)
    return batch
