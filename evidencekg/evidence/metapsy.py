"""Ingest a Metapsy-standard file (';'-separated, decimal comma, NA): one comparison finding per row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, XSD, Literal, URIRef

from evidencekg.evidence.batch import Batch, decimal, rater, slug, table_batch
from evidencekg.evidence.tabular import RowError, Table, TableRow, integer, lexical, number, read_table, text
from evidencekg.model.conditions import METAPSY_CONDITIONS
from evidencekg.model.namespaces import BIBO, CONDITION_SCHEME, DCTERMS, EKG, HEDGES_G, ID, MEASURE_SCHEME
from evidencekg.settings import Settings
from evidencekg.store.protocol import Store

REQUIRED = ("study", "condition_arm1", "condition_arm2", ".g", ".g_se", "instrument", "rating", "time")
DEPRESSIVE_SYMPTOMS = ID["construct/depressive-symptoms"]
FOAF_PAGE = URIRef("http://xmlns.com/foaf/0.1/page")
DCAT_DATASET = URIRef("http://www.w3.org/ns/dcat#Dataset")

# Study-level columns of the Metapsy standard kept as ekg:StudyCharacteristic (name -> column),
# on each row's finding: one study's comparisons can differ (format, sessions, risk of bias).
CHARACTERISTICS: dict[str, str] = {
    name: name for name in (
        "format", "country", "age_group", "percent_women", "recruitment", "diagnosis", "target_group",
        "comorbid_mental", "n_sessions_arm1", "rob",
    )
}  # fmt: skip

# Which column each finding property comes from (validation messages name it).
COLUMNS: dict[URIRef, str] = {
    EKG.estimate: ".g", EKG.standardError: ".g_se", EKG.interventionCondition: "condition_arm1",
    EKG.comparatorCondition: "condition_arm2", EKG.instrument: "instrument", EKG.timePoint: "time",
    EKG.raterPerspective: "rating", EKG.arm1SampleSize: "n_arm1", EKG.arm2SampleSize: "n_arm2",
}  # fmt: skip


@dataclass(frozen=True)
class Credit:
    """How a Metapsy dataset must be credited (ODC-By 1.0 asks for the dataset DOI and the project)."""

    name: str
    title: str
    doi: str
    citation: str
    issued: str  # year of this version (for data-depression-psyctr: its last search update, 2024-01-01)
    licence: str = "https://opendatacommons.org/licenses/by/1-0/"
    publisher: str = "Metapsy project"
    page: str = "https://www.metapsy.org/"


DEPRESSION_PSYCTR = Credit(
    name="metapsy-depression-psyctr",
    issued="2024",
    title="Metapsy data-depression-psyctr: psychotherapy vs control for adult depression (post-test)",
    doi="10.5281/zenodo.7254845",
    citation=(
        "Metapsy project. data-depression-psyctr: psychotherapy versus control comparisons for adult "
        "depression (Metapsy data standard). Zenodo. https://doi.org/10.5281/zenodo.7254845. "
        "Released under ODC-By 1.0; see https://www.metapsy.org/."
    ),
)


def dataset_node(batch: Batch, credit: Credit) -> URIRef:
    """The ekg:Dataset that reports every row's effect size (with the dataset's DOI and licence)."""
    dataset = ID[f"dataset/{slug(credit.name)}"]
    add = batch.add
    add(dataset, RDF.type, EKG.Dataset)
    add(dataset, RDF.type, DCAT_DATASET)
    add(dataset, DCTERMS.title, Literal(credit.title))
    add(dataset, BIBO.doi, Literal(credit.doi))
    add(dataset, DCTERMS.bibliographicCitation, Literal(credit.citation))
    add(dataset, DCTERMS.issued, Literal(credit.issued, datatype=XSD.gYear))
    add(dataset, DCTERMS.license, URIRef(credit.licence))
    add(dataset, DCTERMS.publisher, Literal(credit.publisher))
    add(batch.document, EKG.summarises, dataset)
    return dataset


def arm_size(table: Table, row: TableRow, arm: int) -> int | None:
    """Analysed participants of an arm: n, else change-score n, else event total; None when fractional."""
    for column in (f"n_arm{arm}", f"n_change_arm{arm}", f"totaln_arm{arm}", f"rand_arm{arm}"):
        if column in table.columns:
            value = number(table, row, column, minimum=0)
            if value is not None:
                return int(value) if value.is_integer() else None  # fractional counts stay in the raw row only
    return None


def _condition(batch: Batch, code: str) -> URIRef:
    """The condition concept for a Metapsy condition code."""
    slug_value, label = METAPSY_CONDITIONS.get(code.lower(), (slug(code), code))
    return batch.concept("condition", CONDITION_SCHEME, EKG.Condition, slug_value, label, notation=code)


def _row(batch: Batch, table: Table, row: TableRow, doc: str, dataset: URIRef, seen: set[URIRef]) -> None:
    """The study (first row only) and the comparison finding of one Metapsy row."""
    g = number(table, row, ".g", required=True)
    g_se = number(table, row, ".g_se", required=True)
    assert g is not None and g_se is not None
    if g_se <= 0:
        raise RowError(row.number, ".g_se", f"{row.cells['.g_se']} is not a positive standard error")
    label = text(table, row, "study", required=True) or ""
    arm1 = _condition(batch, text(table, row, "condition_arm1", required=True) or "")
    arm2 = _condition(batch, text(table, row, "condition_arm2", required=True) or "")
    instrument_code = text(table, row, "instrument", required=True) or ""
    measure = batch.concept("measure", MEASURE_SCHEME, EKG.Measure, slug(instrument_code), instrument_code)
    perspective = rater(text(table, row, "rating", required=True) or "", row.number, "rating")
    year = integer(table, row, "year", minimum=1800) if "year" in table.columns else None
    full_ref = text(table, row, "full_ref") if "full_ref" in table.columns else None

    sentence = batch.source_row(row)
    study = ID[f"study/{doc}-{slug(label)}"]
    finding = ID[f"finding/{doc}-row{row.number}"]
    add = batch.add
    if study not in seen:  # first row of this study
        seen.add(study)
        batch.primary_study(study, row, label, full_ref or label, year, sentence)
        country = text(table, row, "country") if "country" in table.columns else None
        add(study, EKG.country, Literal(country) if country else None)
    batch.reported_finding(finding, row, study, dataset, HEDGES_G, lexical(table, row, ".g") or "", sentence)
    add(finding, EKG.interventionCondition, arm1)
    add(finding, EKG.comparatorCondition, arm2)
    add(finding, EKG.toConstruct, DEPRESSIVE_SYMPTOMS)
    add(finding, EKG.instrument, measure)
    add(finding, EKG.standardError, decimal(lexical(table, row, ".g_se") or ""))
    add(finding, EKG.timePoint, Literal(text(table, row, "time", required=True) or ""))
    add(finding, EKG.raterPerspective, perspective)
    for arm, prop in ((1, EKG.arm1SampleSize), (2, EKG.arm2SampleSize)):
        size = arm_size(table, row, arm)
        add(finding, prop, Literal(size, datatype=XSD.integer) if size is not None else None)
    batch.characteristics(finding, table, row, CHARACTERISTICS)


def build_metapsy(source: Path | bytes, doc: str, store: Store, settings: Settings, credit: Credit = DEPRESSION_PSYCTR) -> Batch:
    """Build the triples of a Metapsy file (RowError/TableError on the first bad cell)."""
    batch = table_batch(table := read_table(source, sep=";", decimal=",", na=("", "NA")), REQUIRED, doc, COLUMNS)
    batch.source_document(credit.title, "text/csv (Metapsy data standard)")
    document = batch.document
    add = batch.add
    add(document, DCTERMS.publisher, Literal(credit.publisher))
    add(document, DCTERMS.license, URIRef(credit.licence))
    add(document, DCTERMS.source, URIRef(f"https://doi.org/{credit.doi}"))
    add(document, BIBO.doi, Literal(credit.doi))
    add(document, DCTERMS.bibliographicCitation, Literal(credit.citation))
    add(document, FOAF_PAGE, URIRef(credit.page))
    dataset = dataset_node(batch, credit)
    seen: set[URIRef] = set()
    for row in table.rows:
        _row(batch, table, row, doc, dataset, seen)
    return batch
