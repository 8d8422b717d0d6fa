"""Ingest a Metapsy-standard database (';'-separated, decimal comma, NA): one comparison finding per row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from rdflib import RDF, RDFS, XSD, Literal, URIRef

from evidencekg.evidence.batch import Batch, decimal, doi_iri, find_doi, rater, slug, table_batch
from evidencekg.evidence.metapsy_source import Credit, data_file, read_credit
from evidencekg.evidence.metapsy_studies import Trial, study_iris
from evidencekg.evidence.metapsy_trials import (
    Arms,
    cell,
    log_risk_ratio,
    measurement,
    risk_of_bias,
    risk_tool,
    unique_keys,
)
from evidencekg.evidence.tabular import RowError, Table, TableRow, integer, lexical, number, read_table, text
from evidencekg.model.conditions import known_condition
from evidencekg.model.graphs import INGEST
from evidencekg.model.names import NameIndex, normal
from evidencekg.model.namespaces import (
    BIBO,
    CONDITION_SCHEME,
    CONSTRUCT_SCHEME,
    DCTERMS,
    EKG,
    HEDGES_G,
    ID,
    IS_ABOUT,
    MEASURE_SCHEME,
    SCHEMA,
    SKOS,
)
from evidencekg.settings import Settings
from evidencekg.store.names import name_index
from evidencekg.store.protocol import Store

__all__ = ["Credit", "build_metapsy", "data_file", "read_credit"]

REQUIRED = ("study", "condition_arm1", "condition_arm2", ".g", ".g_se", "instrument", "rating", "time")
FOAF_PAGE = URIRef("http://xmlns.com/foaf/0.1/page")
DCAT_DATASET = URIRef("http://www.w3.org/ns/dcat#Dataset")

# Study-level columns of the Metapsy standard kept as ekg:StudyCharacteristic (name -> column),
# on each row's finding: one study's comparisons can differ (format, sessions, risk of bias).
# The risk-of-bias columns are also kept as an ekg:RiskOfBiasAssessment (metapsy_trials.risk_of_bias).
CHARACTERISTICS: dict[str, str] = {
    name: name for name in (
        "format", "country", "age_group", "percent_women", "recruitment", "diagnosis", "target_group",
        "comorbid_mental", "n_sessions_arm1", "rob", "sg", "ac", "ba", "itt",
    )
}  # fmt: skip

# Which column each finding property comes from (validation messages name it).
COLUMNS: dict[URIRef, str] = {
    EKG.estimate: ".g", EKG.standardError: ".g_se", EKG.interventionCondition: "condition_arm1",
    EKG.comparatorCondition: "condition_arm2", EKG.instrument: "instrument", EKG.timePoint: "time",
    EKG.raterPerspective: "rating", EKG.arm1SampleSize: "n_arm1", EKG.arm2SampleSize: "n_arm2",
    EKG.timeWeeks: "time_weeks", EKG.randomisedCount: "rand_arm1", EKG.riskOfBiasScore: "rob",
}  # fmt: skip


def dataset_node(batch: Batch, credit: Credit) -> URIRef:
    """The ekg:Dataset that reports every row's effect size (with the dataset's DOI and licence)."""
    dataset = ID[f"dataset/{slug(credit.name)}"]
    add = batch.add
    add(dataset, RDF.type, EKG.Dataset)
    add(dataset, RDF.type, DCAT_DATASET)
    add(dataset, DCTERMS.title, Literal(credit.title))
    add(dataset, BIBO.doi, Literal(credit.doi))
    add(dataset, SCHEMA.sameAs, doi_iri(credit.doi))
    add(dataset, DCTERMS.bibliographicCitation, Literal(credit.citation))
    add(dataset, DCTERMS.license, URIRef(credit.licence))
    add(dataset, DCTERMS.publisher, Literal(credit.publisher) if credit.publisher else None)
    for author in credit.authors:
        add(dataset, DCTERMS.creator, Literal(author))
    add(dataset, EKG.riskOfBiasMethod, Literal(credit.risk_of_bias_method) if credit.risk_of_bias_method else None)
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


def spellings(table: Table) -> dict[str, str]:
    """The label each condition code gets: its most frequent spelling in the file (ties: sorted first), order-free."""
    counts = Counter(row.cells[c] for row in table.rows for c in ("condition_arm1", "condition_arm2") if row.cells.get(c))
    chosen: dict[str, str] = {}
    for spelling, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        chosen.setdefault(normal(spelling), spelling)
    return chosen


def condition(batch: Batch, code: str, held: NameIndex, spelling: Mapping[str, str]) -> URIRef:
    """The condition a database's code names, matched case-insensitively; the code is kept as its skos:notation.

    Known codes and labels ("wl", "Waitlist", "CBT") give the shared concept (id:condition/waitlist);
    a condition an earlier import created is found by its label or code; any other code becomes a
    new condition labelled with the database's own spelling ("EMDR", "TF-CBT").
    """
    known = known_condition(code)
    found = held.find(code) if known is None else None
    if known is not None:
        slug_value, label = known
    elif found is not None:
        slug_value, label = found.rsplit("/", 1)[-1], held.label(found) or code
    else:
        slug_value, label = slug(code), spelling.get(normal(code), code)
    iri = batch.concept("condition", CONDITION_SCHEME, EKG.Condition, slug_value, label, notation=code)
    batch.add(iri, SKOS.notation, Literal(code))  # every spelling of the file, not only the first row's
    return iri


def outcome_construct(batch: Batch, credit: Credit, store: Store, dataset: URIRef) -> URIRef:
    """The construct the dataset's effect sizes measure: one of the scheme's by any of its names, else a new one.

    A construct an import added (not a curated one) is described again by every import that uses
    it, so that replacing or removing one import never leaves the others' findings pointing at nothing.
    """
    constructs = name_index(store, "construct")
    found = constructs.find(credit.outcome)
    added = found is not None and store.ask(
        f"ASK {{ GRAPH ?g {{ <{found}> a <{EKG.Construct}> }} FILTER STRSTARTS(STR(?g), {INGEST!r}) }}".replace("'", '"')
    )
    if found is not None and not added:
        return URIRef(found)
    iri = URIRef(found) if found else ID[f"construct/{slug(credit.outcome)}"]
    label = (constructs.label(found) if found else None) or credit.outcome
    add = batch.add
    add(iri, RDF.type, EKG.Construct)
    add(iri, RDF.type, SKOS.Concept)
    add(iri, SKOS.inScheme, CONSTRUCT_SCHEME)
    add(iri, SKOS.prefLabel, Literal(label, lang="en"))
    add(iri, SKOS.definition, Literal(f"An outcome of psychotherapy trials, as the Metapsy-standard dataset that added it names it ({label}).", lang="en"))
    add(iri, SKOS.editorialNote, Literal("Added by a Metapsy import for a dataset whose outcome the constructs "
                                         "scheme did not have; definition written by evidencekg.", lang="en"))  # fmt: skip
    return iri


class MetapsyRows:
    """Everything one file's rows share while they are turned into RDF (keys, arms, names, the outcome)."""

    def __init__(self, batch: Batch, table: Table, doc: str, store: Store, credit: Credit, dataset: URIRef) -> None:
        self.batch, self.table, self.doc, self.dataset = batch, table, doc, dataset
        self.keys = unique_keys(table)
        self.arms = Arms()
        self.arms.survey(table)
        self.conditions = name_index(store, "condition")
        self.spellings = spellings(table)
        self.outcome = outcome_construct(batch, credit, store, dataset)
        self.tool = risk_tool(credit.risk_of_bias_method)
        self.randomised = credit.randomised
        self.studies: set[URIRef] = set()
        self.conditions_of: dict[str, URIRef] = {}
        trials: dict[str, Trial] = {}
        for row in table.rows:  # each label's trial: year, DOI, arms, to match studies other sources hold
            label = text(table, row, "study", required=True) or ""
            trial = trials.setdefault(label, Trial(label, cell(table, row, "year")))
            doi = find_doi(cell(table, row, "full_ref") or "")
            trial.identifiers |= {f"doi:{doi.lower()}"} if doi else set()
            trial.conditions |= {str(self.condition(table, row, arm)) for arm in (1, 2)}
        self.study_iri = study_iris(store, batch.document, trials)

    def condition(self, table: Table, row: TableRow, arm: int) -> URIRef:
        """The condition concept of one arm of a row (cached per code as written)."""
        code = text(table, row, f"condition_arm{arm}", required=True) or ""
        if code not in self.conditions_of:
            self.conditions_of[code] = condition(self.batch, code, self.conditions, self.spellings)
        return self.conditions_of[code]

    def study(self, row: TableRow, sentence: URIRef) -> URIRef:
        """The row's ekg:PrimaryStudy (described once, derived from every row that names it)."""
        table, add = self.table, self.batch.add
        label = text(table, row, "study", required=True) or ""
        study = self.study_iri[label]
        add(sentence, IS_ABOUT, study)  # a study is an activity: its rows are about it (no prov:wasDerivedFrom)
        if study in self.studies:
            return study
        self.studies.add(study)
        year = integer(table, row, "year", minimum=1800) if "year" in table.columns else None
        full_ref = cell(table, row, "full_ref")
        self.batch.primary_study(study, row, label, full_ref or label, year, sentence)
        add(study, EKG.country, Literal(country) if (country := cell(table, row, "country")) else None)
        doi = find_doi(full_ref) if full_ref else None
        add(study, DCTERMS.identifier, Literal(f"doi:{doi}") if doi else None)
        add(study, RDFS.seeAlso, doi_iri(doi) if doi else None)  # the trial's report, not the study itself
        add(study, EKG.studyDesign, EKG.RandomisedControlledTrial if self.randomised else None)
        return study

    def row(self, row: TableRow) -> None:
        """The comparison finding of one row, with its study, arms, measurement, risk of bias and log RR."""
        batch, table, add = self.batch, self.table, self.batch.add
        g = number(table, row, ".g", required=True)
        g_se = number(table, row, ".g_se", required=True)
        assert g is not None and g_se is not None
        if g_se <= 0:
            raise RowError(row.number, ".g_se", f"{row.cells['.g_se']} is not a positive standard error")
        arm1, arm2 = self.condition(table, row, 1), self.condition(table, row, 2)
        instrument_code = text(table, row, "instrument", required=True) or ""
        measure = batch.concept("measure", MEASURE_SCHEME, EKG.Measure, slug(instrument_code), instrument_code)
        perspective = rater(text(table, row, "rating", required=True) or "", row.number, "rating")
        time = text(table, row, "time", required=True) or ""
        key = f"{self.doc}-{self.keys[row.number]}"

        sentence = batch.source_row(row, key)
        study = self.study(row, sentence)
        finding = ID[f"finding/{key}"]
        batch.reported_finding(finding, row, study, self.dataset, HEDGES_G, lexical(table, row, ".g") or "", sentence)
        add(finding, EKG.interventionCondition, arm1)
        add(finding, EKG.comparatorCondition, arm2)
        add(finding, EKG.toConstruct, self.outcome)
        add(finding, EKG.instrument, measure)
        add(finding, EKG.standardError, decimal(lexical(table, row, ".g_se") or ""))
        add(finding, EKG.timePoint, Literal(time))
        add(finding, EKG.raterPerspective, perspective)
        for arm, prop, arm_prop, concept in ((1, EKG.arm1SampleSize, EKG.interventionArm, arm1),
                                             (2, EKG.arm2SampleSize, EKG.comparatorArm, arm2)):  # fmt: skip
            size = arm_size(table, row, arm)
            add(finding, prop, Literal(size, datatype=XSD.integer) if size is not None else None)
            add(finding, arm_prop, self.arms.arm(batch, table, row, arm, study, concept, size, sentence))
        label = text(table, row, "study", required=True) or ""
        sides = " vs ".join(f"{cell(table, row, f'condition_arm{a}')}" + (f" ({spec})" if (spec := Arms.spec(table, row, a)[1]) else "")
                            for a in (1, 2))  # fmt: skip
        add(finding, RDFS.label, Literal(f"{label}: {sides}, {instrument_code} ({text(table, row, 'rating')}, {time})"))
        measurement(batch, table, row, ID[f"measurement/{key}"], finding, outcome=self.outcome, instrument=measure,
                    perspective=perspective, time=time, sentence=sentence)  # fmt: skip
        risk_of_bias(batch, table, row, finding, study, self.tool, sentence)
        log_risk_ratio(batch, table, row, finding, key, sentence)
        batch.characteristics(finding, table, row, CHARACTERISTICS)


def build_metapsy(
    source: Path | bytes, doc: str, store: Store, settings: Settings, options: Mapping[str, str] | None = None
) -> Batch:
    """Build the triples of a Metapsy file or dataset folder (IngestError without DOI or outcome; RowError on a bad cell).

    A path's folder (the file's own, or the folder given) is read for the dataset's README.md,
    license and metadata/; options (dataset_doi, outcome, title, licence) override what it says.
    """
    folder = (source if source.is_dir() else source.parent) if isinstance(source, Path) else None
    credit = read_credit(folder, options or {})
    data = data_file(source) if isinstance(source, Path) else source
    batch = table_batch(table := read_table(data, sep=";", decimal=",", na=("", "NA")), REQUIRED, doc, COLUMNS)
    batch.source_document(credit.title, "text/csv (Metapsy data standard)")
    document = batch.document
    add = batch.add
    add(document, DCTERMS.publisher, Literal(credit.publisher) if credit.publisher else None)
    add(document, DCTERMS.license, URIRef(credit.licence))
    add(document, DCTERMS.source, doi_iri(credit.doi))
    add(document, BIBO.doi, Literal(credit.doi))
    add(document, DCTERMS.bibliographicCitation, Literal(credit.citation))
    add(document, FOAF_PAGE, URIRef(credit.page) if credit.page else None)
    rows = MetapsyRows(batch, table, doc, store, credit, dataset_node(batch, credit))
    for row in table.rows:
        rows.row(row)
    rows.arms.finish(batch)
    return batch
