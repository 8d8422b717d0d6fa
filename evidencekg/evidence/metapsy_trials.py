"""What one Metapsy row says about its trial: record key, arms, the measurement, risk of bias, other effect-size measures."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, XSD, Literal, URIRef

from evidencekg.evidence.batch import Batch, decimal, slug
from evidencekg.evidence.tabular import RowError, Table, TableRow, lexical, number, text
from evidencekg.model.names import normal
from evidencekg.model.namespaces import EKG, ID, LOG_TRANSFORMATION, PROV, RELATIVE_RISK

# The columns that say which comparison a row is when it has no .id (metapsyTools builds .id from them too).
KEY_COLUMNS = ("study", "outcome_type", "instrument", "time", "time_weeks", "rating", "condition_arm1",
               "condition_arm2", "multi_arm1", "multi_arm2")  # fmt: skip

# Metapsy's risk-of-bias columns (metadata/variable_description.json) -> the domain they judge.
ROB_DOMAINS: dict[str, tuple[URIRef, str]] = {
    "sg": (EKG.SequenceGeneration, "sequence-generation"),
    "ac": (EKG.AllocationConcealment, "allocation-concealment"),
    "ba": (EKG.BlindingOfOutcomeAssessors, "blinding-of-outcome-assessors"),
    "itt": (EKG.IntentionToTreatAnalysis, "intention-to-treat-analysis"),
}
# Metapsy's codes for a domain: 0 = high risk, 1 = low risk, sr = the outcome was self-reported.
ROB_LEVELS: dict[str, URIRef] = {"0": EKG.HighRisk, "1": EKG.LowRisk, "sr": EKG.SelfReportedOutcome}
RISK_RANKS: dict[URIRef, int] = {EKG.HighRisk: 0, EKG.UnclearRisk: 1, EKG.LowRisk: 2}  # as ekg:riskRank in the ontology
ROB_TOOLS: tuple[tuple[tuple[str, ...], URIRef], ...] = (
    (("version 2", "rob 2", "rob2"), EKG.CochraneRiskOfBiasTool2),
    (("version 1", "rob 1", "rob1", "risk of bias tool"), EKG.CochraneRiskOfBiasTool1),
)


def cell(table: Table, row: TableRow, column: str) -> str | None:
    """A cell's text when the table has the column and the cell is not empty or NA."""
    return text(table, row, column) if column in table.columns else None


def record_id(table: Table, row: TableRow) -> str:
    """The row's own id as written: its .id, else its study and comparison (never its position in the file)."""
    return cell(table, row, ".id") or " ".join(cell(table, row, c) or "NA" for c in KEY_COLUMNS)


def unique_keys(table: Table) -> dict[int, str]:
    """Each row's record id as an IRI slug; a RowError naming both rows when two rows are the same comparison.

    Ids that differ only in what a slug drops ("cbt-I+" and "cbt-I") get a short digest of the id as
    written, so every key depends on its own row alone, never on the order of the rows.
    """
    ids: dict[int, str] = {}
    first: dict[str, int] = {}
    for row in table.rows:
        own = ids[row.number] = record_id(table, row)
        if own in first:
            raise RowError(row.number, ".id", f"is the same comparison as row {first[own]} ({own!r}): every row needs "
                           "its own .id (or study, conditions, instrument, rating and time)")  # fmt: skip
        first[own] = row.number
    slugs = {number: slug(own) for number, own in ids.items()}
    clashing = {s for s, n in Counter(slugs.values()).items() if n > 1}
    return {number: f"{s}-{hashlib.sha256(ids[number].encode()).hexdigest()[:8]}" if s in clashing else s
            for number, s in slugs.items()}  # fmt: skip


def risk_tool(method: str | None) -> URIRef | None:
    """The risk-of-bias tool a dataset's metadata/risk_of_bias.txt names, when it is one we know."""
    wanted = (method or "").lower()
    if "cochrane" not in wanted and "rob" not in wanted:
        return None
    return next((tool for words, tool in ROB_TOOLS if any(w in wanted for w in words)), None)


@dataclass
class Arms:
    """The trial arms of a file, collected over all rows so that nothing depends on the rows' order.

    An arm is one condition (with its multi-arm specification) of one study; two comparisons that
    name the same arm share it, which is how a pooled analysis sees a shared control group. Arms
    of one study with the same condition and different randomised counts are kept apart.
    """

    randomised: dict[tuple[str, str, str], set[int]] = field(default_factory=lambda: defaultdict(set))
    analysed: dict[URIRef, set[int | None]] = field(default_factory=lambda: defaultdict(set))
    specs: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))  # slug -> as written

    @staticmethod
    def spec(table: Table, row: TableRow, arm: int) -> tuple[str, str]:
        """(condition code, multi-arm specification or '') of one arm of a row."""
        code = cell(table, row, f"condition_arm{arm}") or ""
        spec = cell(table, row, f"multi_arm{arm}") or ""
        return code, ("" if normal(spec) == normal(code) else spec)

    @staticmethod
    def _whole(table: Table, row: TableRow, column: str) -> int | None:
        """A count cell as a whole number (None when absent, NA or fractional)."""
        value = number(table, row, column, minimum=0) if column in table.columns else None
        return int(value) if value is not None and value.is_integer() else None

    def survey(self, table: Table) -> None:
        """Read every row's arms first: which arms need their randomised count to tell them apart."""
        for row in table.rows:
            for arm in (1, 2):
                code, spec = self.spec(table, row, arm)
                self.specs[(row.cells["study"], code, slug(spec) if spec else "")].add(spec)
                randomised = self._whole(table, row, f"rand_arm{arm}")
                if randomised is not None:
                    self.randomised[(row.cells["study"], *self.spec(table, row, arm))].add(randomised)

    def arm(self, batch: Batch, table: Table, row: TableRow, arm: int, study: URIRef, condition: URIRef,
            analysed: int | None, sentence: URIRef) -> URIRef:  # fmt: skip
        """The ekg:TrialArm of one side of a row's comparison (condition, label, randomised and analysed counts)."""
        code, spec = self.spec(table, row, arm)
        randomised = self._whole(table, row, f"rand_arm{arm}")
        parts = [str(study).rsplit("/", 1)[-1], str(condition).rsplit("/", 1)[-1], spec]
        if len(self.specs[(row.cells["study"], code, slug(spec) if spec else "")]) > 1:  # "cbt-I+" and "cbt-I"
            parts.append(hashlib.sha256(spec.encode()).hexdigest()[:8])
        if len(self.randomised[(row.cells["study"], code, spec)]) > 1 and randomised is not None:
            parts.append(f"n{randomised}")  # the same condition twice, told apart by its randomised count
        if arm == 2 and self.spec(table, row, 1) == (code, spec) and self._whole(table, row, "rand_arm1") == randomised:
            parts.append("comparator")  # both sides of one comparison name the same condition: still two arms
        iri = ID[f"arm/{slug(' '.join(p for p in parts if p))}"]
        add = batch.add
        add(iri, RDF.type, EKG.TrialArm, row.number)
        add(iri, EKG.armCondition, condition)
        add(iri, EKG.armLabel, Literal(spec) if spec else None)
        add(iri, RDFS.label, Literal(f"{row.cells['study']}: {code}{f' ({spec})' if spec else ''} arm"))
        add(iri, EKG.randomisedCount, Literal(randomised, datatype=XSD.integer) if randomised is not None else None)
        add(iri, PROV.wasDerivedFrom, sentence)
        add(study, EKG.hasArm, iri)
        self.analysed[iri].add(analysed)
        return iri

    def finish(self, batch: Batch) -> None:
        """Give each arm its analysed count when every comparison it is in analysed the same number."""
        for iri, values in self.analysed.items():
            if len(values) == 1 and (value := next(iter(values))) is not None:
                batch.add(iri, EKG.analysedCount, Literal(value, datatype=XSD.integer))


def measurement(batch: Batch, table: Table, row: TableRow, node: URIRef, finding: URIRef, *, outcome: URIRef,
                instrument: URIRef, perspective: URIRef, time: str, sentence: URIRef) -> None:  # fmt: skip
    """The row's ekg:Measurement: construct, instrument, rater, time point (category and weeks after randomisation)."""
    add = batch.add
    add(node, RDF.type, EKG.Measurement, row.number)
    add(node, RDFS.label, Literal(f"{cell(table, row, 'instrument')} ({cell(table, row, 'rating')}, {time})"))
    add(node, EKG.measuresConstruct, outcome)
    add(node, EKG.instrument, instrument)
    add(node, EKG.raterPerspective, perspective)
    add(node, EKG.timePoint, Literal(time))
    weeks = lexical(table, row, "time_weeks") if "time_weeks" in table.columns else None
    add(node, EKG.timeWeeks, decimal(weeks) if weeks else None)
    add(node, PROV.wasDerivedFrom, sentence)
    add(finding, EKG.hasMeasurement, node)


def risk_of_bias(batch: Batch, table: Table, row: TableRow, finding: URIRef, study: URIRef, tool: URIRef | None,
                 sentence: URIRef) -> None:  # fmt: skip
    """The row's ekg:RiskOfBiasAssessment: one judgement per domain column, the overall score, the tool.

    One node per study and set of codes (a study's self-reported and clinician-rated outcomes can
    differ in blinding); each judgement keeps the code as written and, when Metapsy defines it, its level.
    """
    codes = {column: cell(table, row, column) for column in (*ROB_DOMAINS, "rob")}
    if not any(codes.values()):
        return
    local = str(study).rsplit("/", 1)[-1]
    node = ID[f"risk-of-bias/{slug(' '.join([local, *(codes[c] or 'na' for c in codes)]))}"]
    add = batch.add
    add(finding, EKG.riskOfBias, node)
    add(node, PROV.wasDerivedFrom, sentence)
    if (node, RDF.type, EKG.RiskOfBiasAssessment) in batch.graph:
        return
    add(node, RDF.type, EKG.RiskOfBiasAssessment, row.number)
    add(node, RDFS.label, Literal(f"{row.cells['study']}: risk of bias ({', '.join(f'{c} {v}' for c, v in codes.items() if v)})"))
    add(node, EKG.riskOfBiasTool, tool)
    score = codes["rob"]
    if score is not None:
        value = number(table, row, "rob", minimum=0)
        if value is None or not value.is_integer():
            raise RowError(row.number, "rob", f"{score!r} is not a whole risk-of-bias score (0 high risk to 4 low risk)")
        add(node, EKG.riskOfBiasScore, Literal(int(value), datatype=XSD.integer))
    for column, (domain, name) in ROB_DOMAINS.items():
        code = codes[column]
        if code is None:
            continue
        judgement = ID[f"risk-of-bias/{slug(str(node).rsplit('/', 1)[-1] + ' ' + name)}"]
        add(node, EKG.hasDomainJudgement, judgement)
        add(judgement, RDF.type, EKG.RiskOfBiasJudgement, row.number)
        add(judgement, EKG.riskOfBiasDomain, domain)
        level = ROB_LEVELS.get(code.lower())
        add(judgement, EKG.riskOfBiasLevel, level)
        rank = RISK_RANKS.get(level) if level else None
        add(judgement, EKG.riskRank, Literal(rank, datatype=XSD.integer) if rank is not None else None)
        add(judgement, RDF.value, Literal(code))


def log_risk_ratio(batch: Batch, table: Table, row: TableRow, finding: URIRef, key: str, sentence: URIRef) -> None:
    """The row's log risk ratio (.log_rr, .log_rr_se as metapsyTools computed them) beside its Hedges' g."""
    estimate = lexical(table, row, ".log_rr") if ".log_rr" in table.columns else None
    if estimate is None:
        return
    node = ID[f"effect-size/{key}-log-rr"]
    add = batch.add
    add(finding, EKG.alsoExpressedAs, node)
    add(node, RDF.type, EKG.EffectSizeExpression, row.number)
    add(node, EKG.effectSizeMeasure, RELATIVE_RISK)
    add(node, EKG.transformation, LOG_TRANSFORMATION)
    add(node, EKG.estimate, decimal(estimate))
    se = lexical(table, row, ".log_rr_se") if ".log_rr_se" in table.columns else None
    add(node, EKG.standardError, decimal(se) if se else None)
    add(node, EKG.conversionMethod, Literal("as computed by metapsyTools from the row's event counts (.log_rr)"))
    add(node, PROV.wasDerivedFrom, sentence)
