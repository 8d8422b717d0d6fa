"""Ingest our correlation sheet (docs/sheet-format.md): one primary-study correlation per row."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rdflib import RDF, XSD, Literal, URIRef

from evidencekg.evidence.batch import Batch, doi_iri, find_doi, rater, slug, table_batch
from evidencekg.evidence.tabular import (
    RowError,
    Table,
    TableError,
    TableRow,
    integer,
    lexical,
    number,
    read_table,
    text,
)
from evidencekg.model.measures import correlation_problem
from evidencekg.model.names import NameIndex, UnknownName
from evidencekg.model.namespaces import BIBO, DCTERMS, EKG, ID, PEARSON_R, PROV, SCHEMA
from evidencekg.settings import Settings
from evidencekg.store.names import name_index
from evidencekg.store.protocol import Store

REQUIRED = ("study", "n", "r", "construct_a", "construct_b")
OPTIONAL = ("authors", "year", "title", "doi", "rater", "citation")
MODERATOR_PREFIX = "mod_"  # moderator columns: ekg:StudyCharacteristic named without the prefix

# Which column each finding property comes from (validation messages name it).
COLUMNS: dict[URIRef, str] = {
    EKG.estimate: "r", EKG.sampleSize: "n", EKG.fromConstruct: "construct_a",
    EKG.toConstruct: "construct_b", EKG.raterPerspective: "rater", BIBO.doi: "doi",
    DCTERMS.issued: "year", EKG.reportedIn: "doi", DCTERMS.title: "title",
}  # fmt: skip


def construct_names(store: Store) -> NameIndex:
    """Every construct of the store, findable by any name the store resolver accepts.

    Constructs outside the scheme are found too, so that the shapes (not this lookup) say what
    is wrong with them.
    """
    return name_index(store, "construct")


def construct_iri(value: str, constructs: NameIndex, row: int, column: str) -> URIRef:
    """The construct a cell names (a RowError suggesting close names when none matches)."""
    try:
        return URIRef(constructs.resolve(value, limit=3))
    except UnknownName as exc:
        raise RowError(row, column, str(exc)) from exc


def _row(batch: Batch, table: Table, row: TableRow, doc: str, constructs: NameIndex) -> None:
    """The study, publication and finding of one sheet row."""
    n = number(table, row, "n", required=True)
    r = number(table, row, "r", required=True)
    problem = correlation_problem(r, n)
    if problem:
        raise RowError(row.number, *problem)
    n_int = integer(table, row, "n", required=True, minimum=4)
    study_id = text(table, row, "study", required=True)
    assert study_id is not None and n_int is not None
    a = construct_iri(row.cells["construct_a"], constructs, row.number, "construct_a")
    b = construct_iri(row.cells["construct_b"], constructs, row.number, "construct_b")
    if a == b:
        raise RowError(row.number, "construct_b", "is the same construct as construct_a")
    year = integer(table, row, "year", minimum=1800) if "year" in table.columns else None
    authors = text(table, row, "authors") if "authors" in table.columns else None
    doi_cell = text(table, row, "doi") if "doi" in table.columns else None
    doi = find_doi(doi_cell) if doi_cell else None
    if doi_cell and not doi:
        raise RowError(row.number, "doi", f"{doi_cell!r} is not a DOI (expected 10.xxxx/...)")
    rater_cell = text(table, row, "rater") if "rater" in table.columns else None

    key = f"{doc}-{slug(study_id)}"
    study, publication, finding = ID[f"study/{key}"], ID[f"publication/{key}"], ID[f"finding/{doc}-row{row.number}"]
    label = f"{authors.split(',')[0].split(';')[0].strip()}, {year}" if authors and year else study_id
    citation = (text(table, row, "citation") if "citation" in table.columns else None) or (
        f"{authors} ({year})." if authors else f"{study_id} ({year})." if year else study_id
    )
    sentence = batch.source_row(row)
    batch.reported_finding(finding, row, study, publication, PEARSON_R, lexical(table, row, "r") or "", sentence)
    batch.primary_study(study, row, label, citation, year, sentence)
    add = batch.add
    add(study, EKG.reportedIn, publication)
    add(publication, RDF.type, EKG.Publication, row.number)
    add(publication, DCTERMS.bibliographicCitation, Literal(citation))
    title = text(table, row, "title") if "title" in table.columns else None
    add(publication, DCTERMS.title, Literal(title) if title else None)
    add(publication, BIBO.doi, Literal(doi) if doi else None)
    add(publication, SCHEMA.sameAs, doi_iri(doi) if doi else None)
    add(publication, DCTERMS.issued, Literal(str(year), datatype=XSD.gYear) if year else None)
    add(publication, EKG.authorList, Literal(authors) if authors else None)
    for author in (authors or "").split(";"):
        add(publication, DCTERMS.creator, Literal(author.strip()) if author.strip() else None)
    add(publication, PROV.wasDerivedFrom, sentence)
    add(finding, EKG.fromConstruct, a)
    add(finding, EKG.toConstruct, b)
    add(finding, EKG.sampleSize, Literal(n_int, datatype=XSD.integer))
    add(finding, EKG.raterPerspective, rater(rater_cell, row.number, "rater") if rater_cell else None)
    moderators = {c[len(MODERATOR_PREFIX):]: c for c in table.columns if c.startswith(MODERATOR_PREFIX) and len(c) > len(MODERATOR_PREFIX)}
    batch.characteristics(finding, table, row, moderators)


def build_sheet(
    source: Path | bytes, doc: str, store: Store, settings: Settings, options: Mapping[str, str] | None = None
) -> Batch:
    """Build the triples of a correlation sheet (RowError/TableError on the first bad cell; it takes no options)."""
    if options:
        raise TableError(f"the sheet format takes no options (got {', '.join(sorted(options))}): its rows carry everything")
    batch = table_batch(table := read_table(source, sep=","), REQUIRED, doc, COLUMNS)
    batch.source_document(f"correlation sheet {doc}", "text/csv")
    if isinstance(source, Path):
        batch.add(batch.document, DCTERMS.source, Literal(source.name))
    constructs = construct_names(store)
    for row in table.rows:
        _row(batch, table, row, doc, constructs)
    return batch
