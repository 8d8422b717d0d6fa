"""Any Metapsy database: a second one (PTSD, written here in the standard) with its own credit, outcome,
conditions, arms, measurements and risk of bias; stable record IRIs; and the trial model's worked example."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidencekg.cli import app
from evidencekg.evidence.ingest import IngestError, ingest
from evidencekg.meta.pairs import parse_where, pool_pair
from evidencekg.model.graphs import ingest_graph
from evidencekg.model.namespaces import sparql_prologue
from evidencekg.settings import Settings
from evidencekg.shapes.validate import validate_files
from evidencekg.store.embedded import OxigraphStore
from tests._ingest_support import metapsy

P = sparql_prologue()
ID = "https://w3id.org/evidencekg/id/"
PTSD_DOI = "10.1234/test-ptsd-psyctr"

# Invented rows in the Metapsy standard with another outcome and the database's own condition codes:
# a three-arm trial (EMDR and TF-CBT against one Waitlist arm), a two-arm trial, a binary-outcome row.
HEADER = ['""', "study", "condition_arm1", "condition_arm2", "multi_arm1", "multi_arm2", ".g", ".g_se", "outcome_type",
          "instrument", "rating", "n_arm1", "n_arm2", "rand_arm1", "rand_arm2", "year", "time_weeks", "time", "sg",
          "ac", "ba", "itt", "rob", ".log_rr", ".log_rr_se", "full_ref", ".id"]  # fmt: skip
ROWS = [
    ["1", "Otter, 2019", "EMDR", "Waitlist", "EMDR", "Waitlist", "0,9", "0,3", "msd", "caps-5", "clinician", "20", "21",
     "22", "23", "2019", "12", "post", "1", "1", "1", "0", "3", "NA", "NA", "Otter O (2019). Trial. doi:10.1234/otter", "Otter_2019_emdr"],
    ["2", "Otter, 2019", "TF-CBT", "Waitlist", "TF-CBT", "Waitlist", "1,2", "0,31", "msd", "caps-5", "clinician", "19",
     "21", "22", "23", "2019", "12", "post", "1", "1", "1", "0", "3", "NA", "NA", "Otter O (2019). Trial. doi:10.1234/otter", "Otter_2019_tfcbt"],
    ["3", "Pike, 2021", "tf-cbt", "wl", "NA", "NA", "0,5", "0,2", "response", "pcl-5", "self-report", "40", "38",
     "41", "40", "2021", "NA", "post", "0", "1", "sr", "1", "2", "0,4", "0,15", "Pike P (2021). Another trial.", "NA"],
]  # fmt: skip
README = """## **The `data-ptsd-psyctr` dataset** (invented for evidencekg's tests)

[<img src="https://img.shields.io/badge/DOI-10.1234%2Ftest-ptsd-psyctr-blue">](https://dx.doi.org/10.1234/test-ptsd-psyctr)

Part of a test domain modelled on the Metapsy project. Effect sizes are provided for PTSD outcomes at post-test.
"""


def write_database(folder: Path, rows: list[list[str]] | None = None) -> Path:
    """A Metapsy dataset repository folder: data.csv, README.md, license and metadata/."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [";".join(f'"{h}"' if h != '""' else h for h in HEADER)]
    lines += [";".join(v if v == "NA" or v.replace(",", "").isdigit() else f'"{v}"' for v in row) for row in rows or ROWS]
    (folder / "data.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(README, encoding="utf-8")
    (folder / "license").write_text("Open Data Commons Attribution License (ODC-By) v1.0\n", encoding="utf-8")
    meta = folder / "metadata"
    meta.mkdir(exist_ok=True)
    (meta / "shorthand.txt").write_text("ptsd-psyctr\n", encoding="utf-8")
    (meta / "authors.json").write_text(json.dumps([{"name": "Test Author"}, {"name": "Second Author"}]), encoding="utf-8")
    (meta / "risk_of_bias.txt").write_text("Risk of bias was assessed with the Cochrane Risk of Bias Tool (version 1).\n")
    (meta / "search_flow.json").write_text(json.dumps({"full.text.excluded.reasons": {"No random assignment": 3}}))
    return folder


def values(store: OxigraphStore, query: str) -> list[str]:
    """The first column of a SELECT as strings."""
    return [next(iter(r.values())).value for r in store.select(P + query)]


def test_a_second_database_has_its_own_credit_outcome_and_conditions(loaded_store: OxigraphStore, project_settings: Settings, tmp_path: Path) -> None:
    result = ingest(loaded_store, write_database(tmp_path / "data-ptsd-psyctr"), settings=project_settings)
    assert result.findings == 3 and result.document == f"{ID}document/data-ptsd-psyctr-data"
    doc = f"<{result.document}>"
    dataset = values(loaded_store, f"SELECT ?d WHERE {{ {doc} ekg:summarises ?d }}")
    assert dataset == [f"{ID}dataset/metapsy-ptsd-psyctr"]
    assert values(loaded_store, f"SELECT DISTINCT ?doi WHERE {{ ?f prov:wasDerivedFrom/dcterms:isPartOf {doc} ; ekg:reportedIn/bibo:doi ?doi }}") == [PTSD_DOI]
    assert not loaded_store.ask(P + 'ASK { ?x bibo:doi "10.5281/zenodo.7254845" }')  # no credit to the depression data
    assert values(loaded_store, f"SELECT ?t WHERE {{ <{dataset[0]}> dcterms:title ?t }}") == ["The data-ptsd-psyctr dataset (invented for evidencekg's tests)"]
    assert values(loaded_store, f"SELECT ?l WHERE {{ <{dataset[0]}> dcterms:license ?l }}") == ["https://opendatacommons.org/licenses/by/1-0/"]
    assert values(loaded_store, f"SELECT ?a WHERE {{ <{dataset[0]}> dcterms:creator ?a }} ORDER BY ?a") == ["Second Author", "Test Author"]
    outcome = values(loaded_store, f"SELECT DISTINCT ?o WHERE {{ ?f prov:wasDerivedFrom/dcterms:isPartOf {doc} ; ekg:toConstruct ?o }}")
    assert outcome == [f"{ID}construct/ptsd"]
    assert values(loaded_store, f"SELECT ?l WHERE {{ <{outcome[0]}> skos:prefLabel ?l ; skos:inScheme <{ID}scheme/constructs> }}") == ["PTSD"]
    # conditions: the database's spelling as labels, matched case-insensitively (TF-CBT = tf-cbt, Waitlist = wl)
    labels = loaded_store.select(P + f"""SELECT ?c ?l WHERE {{ ?f prov:wasDerivedFrom/dcterms:isPartOf {doc} ;
        ekg:interventionCondition|ekg:comparatorCondition ?c . ?c skos:prefLabel ?l }} GROUP BY ?c ?l ORDER BY ?c""")
    assert [(r["c"].value.rsplit("/", 1)[-1], r["l"].value) for r in labels] == [("emdr", "EMDR"), ("tf-cbt", "TF-CBT"), ("waitlist", "waitlist")]
    assert values(loaded_store, f"SELECT ?n WHERE {{ <{ID}condition/waitlist> skos:notation ?n }} ORDER BY ?n") == ["Waitlist", "wl"]
    pooled = pool_pair(loaded_store, "TF-CBT", "Waitlist", "DL")
    assert pooled.pooled.k == 2 and pooled.outcome is not None


def test_arms_measurements_risk_of_bias_and_log_rr(loaded_store: OxigraphStore, project_settings: Settings, tmp_path: Path) -> None:
    result = ingest(loaded_store, write_database(tmp_path / "data-ptsd-psyctr"), settings=project_settings)
    doc = f"<{result.document}>"
    # the three-arm trial: two comparisons share one Waitlist arm, and a query sees it
    shared = loaded_store.select(P + """SELECT ?arm ?n WHERE { ?f1 ekg:comparatorArm ?arm . ?f2 ekg:comparatorArm ?arm .
        FILTER (STR(?f1) < STR(?f2)) ?arm ekg:randomisedCount ?n ; ekg:armCondition ?c . ?s ekg:hasArm ?arm }""")
    assert [(r["arm"].value.rsplit("/", 1)[-1], r["n"].value) for r in shared] == [("otter-2019-waitlist", "23")]
    arms = values(loaded_store, f"SELECT ?a WHERE {{ <{ID}study/otter-2019> ekg:hasArm ?a }} ORDER BY ?a")
    assert [a.rsplit("/", 1)[-1] for a in arms] == [f"otter-2019-{c}" for c in ("emdr", "tf-cbt", "waitlist")]
    assert values(loaded_store, f"SELECT ?n WHERE {{ <{ID}arm/otter-2019-waitlist> ekg:analysedCount ?n }}") == ["21"]
    # a measurement per finding: construct, instrument, rater, time point and weeks
    measured = loaded_store.select(P + f"""SELECT ?m ?weeks ?rater WHERE {{ ?f prov:wasDerivedFrom/dcterms:isPartOf {doc} ;
        ekg:hasMeasurement ?x . ?x ekg:measuresConstruct <{ID}construct/ptsd> ; ekg:instrument/skos:prefLabel ?m ;
        ekg:raterPerspective ?rater ; ekg:timePoint "post" . OPTIONAL {{ ?x ekg:timeWeeks ?weeks }} }} ORDER BY ?m""")
    assert [(r["m"].value, r["weeks"].value if "weeks" in r else None) for r in measured] == [("caps-5", "12"), ("caps-5", "12"), ("pcl-5", None)]
    # risk of bias by domain and tool, with ordinal levels and the numeric score
    rob = loaded_store.select(P + """SELECT ?score ?domain ?code ?rank WHERE { ?f ekg:fromStudy/ekg:studyLabel "Pike, 2021" ;
        ekg:riskOfBias ?a . ?a ekg:riskOfBiasTool ekg:CochraneRiskOfBiasTool1 ; ekg:riskOfBiasScore ?score ; ekg:hasDomainJudgement ?j .
        ?j ekg:riskOfBiasDomain ?domain ; rdf:value ?code . OPTIONAL { ?j ekg:riskRank ?rank } } ORDER BY ?domain""")
    got = [(r["domain"].value.rsplit("#", 1)[-1], r["code"].value, r["rank"].value if "rank" in r else None) for r in rob]
    assert got == [("AllocationConcealment", "1", "2"), ("BlindingOfOutcomeAssessors", "sr", None),
                   ("IntentionToTreatAnalysis", "1", "2"), ("SequenceGeneration", "0", "0")]  # fmt: skip
    assert {r["score"].value for r in rob} == {"2"}
    assert pool_pair(loaded_store, "TF-CBT", "Waitlist", "DL", where=parse_where(["rob=3"])).pooled.k == 1  # a filter
    # the log risk ratio beside Hedges' g, with STATO's relative risk and OBI's logarithmic transformation
    expressed = loaded_store.select(P + """SELECT ?g ?lrr ?se WHERE { ?f ekg:estimate ?g ; ekg:effectSizeMeasure obo:STATO_0000319 ;
        ekg:alsoExpressedAs [ ekg:effectSizeMeasure obo:STATO_0000245 ; ekg:transformation obo:OBI_0200094 ;
        ekg:estimate ?lrr ; ekg:standardError ?se ] }""")
    assert [(r["g"].value, r["lrr"].value, r["se"].value) for r in expressed] == [("0.5", "0.4", "0.15")]
    assert values(loaded_store, f"SELECT ?d WHERE {{ <{ID}study/pike-2021> ekg:studyDesign ?d }}") == [
        "https://w3id.org/evidencekg/ontology#RandomisedControlledTrial"]


def test_a_comparison_of_one_condition_with_itself_has_two_arms(loaded_store: OxigraphStore, project_settings: Settings, tmp_path: Path) -> None:
    rows = [["1", "Quail, 2022", "TF-CBT", "TF-CBT", "NA", "NA", "0,2", "0,2", "msd", "pcl-5", "self-report", "30", "30", "NA",
             "NA", "2022", "NA", "post", "1", "1", "sr", "1", "3", "NA", "NA", "Quail Q (2022). Dose trial.", "NA"]]  # fmt: skip
    ingest(loaded_store, write_database(tmp_path / "same", rows), name="same", settings=project_settings)
    arms = values(loaded_store, f"SELECT ?a WHERE {{ <{ID}study/quail-2022> ekg:hasArm ?a }} ORDER BY ?a")
    assert [a.rsplit("/", 1)[-1] for a in arms] == ["quail-2022-tf-cbt", "quail-2022-tf-cbt-comparator"]


def test_a_reordered_file_changes_nothing(loaded_store: OxigraphStore, project_settings: Settings, tmp_path: Path) -> None:
    """IRIs come from the records' own ids (.id, else study + comparison), never from row numbers."""
    first = ingest(loaded_store, write_database(tmp_path / "db"), name="ptsd", settings=project_settings)
    graph = ingest_graph(first.document.rsplit("/", 1)[-1])

    def triples() -> set[tuple[str, str, str]]:
        rows = loaded_store.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        skip = {"https://w3id.org/evidencekg/ontology#position", "https://w3id.org/evidencekg/ontology#contentSha256"}
        return {(r["s"].value, r["p"].value, r["o"].value) for r in rows if r["p"].value not in skip}

    before = triples()
    write_database(tmp_path / "db", list(reversed(ROWS)))
    ingest(loaded_store, tmp_path / "db", name="ptsd", settings=project_settings, replace=True)
    assert triples() == before and len(before) > 100
    assert not any("row" in s.rsplit("/", 1)[-1] for s, _, _ in before if "/finding/" in s or "/sentence/" in s)


def test_without_doi_or_outcome_the_import_stops_and_names_the_option(loaded_store: OxigraphStore, project_settings: Settings, tmp_path: Path) -> None:
    before = len(loaded_store)
    with pytest.raises(IngestError, match=r"--dataset-doi .*nothing was written"):
        ingest(loaded_store, metapsy(), "metapsy", name="bare", settings=project_settings)
    with pytest.raises(IngestError, match=r"--outcome .*nothing was written"):
        ingest(loaded_store, metapsy(), "metapsy", name="bare", settings=project_settings, options={"dataset_doi": "10.1234/x"})
    folder = write_database(tmp_path / "no-outcome")
    (folder / "README.md").write_text(README.replace("Effect sizes are provided for PTSD outcomes at post-test.", ""))
    with pytest.raises(IngestError, match=r"--outcome"):
        ingest(loaded_store, folder, settings=project_settings)
    assert len(loaded_store) == before
    result = CliRunner().invoke(app, ["ingest", str(tmp_path / "no-outcome" / "data.csv"), "--store", str(tmp_path / "s")])
    assert result.exit_code != 0 and "--outcome" in result.output


def test_the_same_trial_in_two_databases_is_one_study_with_both_sources(loaded_store: OxigraphStore, project_settings: Settings, tmp_path: Path) -> None:
    ingest(loaded_store, write_database(tmp_path / "ptsd"), name="ptsd", settings=project_settings)
    second = [row.copy() for row in ROWS]
    second[0][1] = second[1][1] = "Otter 2019"  # spelled differently, but the same DOI: the same trial
    second[2][25] = "Pike P (2021). Another trial, as the second database cites it."  # no DOI: author, year and arms match
    third = [["1", "Pike, 2021", "EMDR", "wl", "NA", "NA", "0,3", "0,2", "msd", "pcl-5", "self-report", "30", "30", "30", "30",
              "2021", "NA", "post", "1", "1", "sr", "1", "3", "NA", "NA", "Pike Q (2021). A different trial.", "NA"]]  # fmt: skip
    for name, rows in (("second", second), ("third", third)):
        folder = write_database(tmp_path / name, rows)
        (folder / "metadata" / "shorthand.txt").write_text(f"ptsd-{name}\n")
        (folder / "README.md").write_text(README.replace("test-ptsd-psyctr", f"test-ptsd-{name}"))
        ingest(loaded_store, folder, name=name, settings=project_settings)
    studies = loaded_store.select(P + """SELECT ?s (COUNT(DISTINCT ?doc) AS ?sources) (COUNT(DISTINCT ?d) AS ?datasets) WHERE {
        ?s a ekg:PrimaryStudy ; ^obo:IAO_0000136/dcterms:isPartOf ?doc . ?f ekg:fromStudy ?s ; ekg:reportedIn ?d }
        GROUP BY ?s ORDER BY ?s""")
    got = [(r["s"].value.rsplit("/", 1)[-1], int(r["sources"].value), int(r["datasets"].value)) for r in studies]
    assert got == [("otter-2019", 2, 2), ("pike-2021", 2, 2), ("pike-2021-third", 1, 1)]  # a different trial stays apart
    with pytest.raises(IngestError, match="same comparison as row 1"):
        ingest(loaded_store, write_database(tmp_path / "twice", [*third, third[0]]), name="twice", settings=project_settings)


@pytest.mark.shared
def test_the_real_depression_folder_credits_itself(shared_dir: Path, project_settings: Settings) -> None:
    store = OxigraphStore()
    result = ingest(store, shared_dir / "evidence-bases/metapsy-depression-psyctr", settings=project_settings)
    assert result.findings == 900
    doc = f"<{result.document}>"
    assert values(store, f"SELECT DISTINCT ?doi WHERE {{ ?f prov:wasDerivedFrom/dcterms:isPartOf {doc} ; ekg:reportedIn/bibo:doi ?doi }}") == ["10.5281/zenodo.7254845"]
    assert values(store, f"SELECT DISTINCT ?o WHERE {{ ?f prov:wasDerivedFrom/dcterms:isPartOf {doc} ; ekg:toConstruct ?o }}") == [f"{ID}construct/depressive-symptoms"]
    assert pool_pair(store, "cbt", "waitlist").pooled.k == 111
    shared = values(store, "SELECT (COUNT(DISTINCT ?arm) AS ?n) WHERE { ?f1 ekg:comparatorArm ?arm . ?f2 ekg:comparatorArm ?arm . "
                           "?f1 ekg:interventionArm ?a1 . ?f2 ekg:interventionArm ?a2 . FILTER (?a1 != ?a2) }")
    assert int(shared[0]) > 50  # multi-arm trials' shared control groups


WORKED_EXAMPLE = """
@prefix ekg: <https://w3id.org/evidencekg/ontology#> . @prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix prov: <http://www.w3.org/ns/prov#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix bibo: <http://purl.org/ontology/bibo/> . @prefix id: <https://w3id.org/evidencekg/id/> .
# An invented trial with three arms, for docs/model.md: the model holds it and the shapes accept it.
<https://w3id.org/evidencekg/id/document/example> a ekg:SourceDocument ; dcterms:title "Worked example (invented)" .
<https://w3id.org/evidencekg/id/sentence/example-1> a ekg:SourceSentence ; rdf:value "An invented results table row." ;
    ekg:position 1 ; dcterms:isPartOf <https://w3id.org/evidencekg/id/document/example> .
<https://w3id.org/evidencekg/id/publication/example> a ekg:Publication ; bibo:doi "10.1234/example" ; dcterms:title "Example" ;
    dcterms:issued "2020"^^<http://www.w3.org/2001/XMLSchema#gYear> .
<https://w3id.org/evidencekg/id/condition/example-cbt> a ekg:Condition , skos:Concept ; skos:inScheme <https://w3id.org/evidencekg/id/scheme/conditions> ;
    skos:prefLabel "CBT"@en , "KVT"@de .
<https://w3id.org/evidencekg/id/condition/example-wl> a ekg:Condition , skos:Concept ; skos:inScheme <https://w3id.org/evidencekg/id/scheme/conditions> ;
    skos:prefLabel "waitlist"@en , "Warteliste"@de .
<https://w3id.org/evidencekg/id/sentence/example-1> obo:IAO_0000136 <https://w3id.org/evidencekg/id/study/example> .
<https://w3id.org/evidencekg/id/study/example> a ekg:PrimaryStudy ;
    ekg:studyDesign ekg:RandomisedControlledTrial ;
    ekg:hasArm <https://w3id.org/evidencekg/id/arm/example-cbt> , <https://w3id.org/evidencekg/id/arm/example-wl> .
<https://w3id.org/evidencekg/id/arm/example-cbt> a ekg:TrialArm ; ekg:armCondition <https://w3id.org/evidencekg/id/condition/example-cbt> ;
    ekg:randomisedCount 50 ; ekg:analysedCount 45 ; prov:wasDerivedFrom <https://w3id.org/evidencekg/id/sentence/example-1> .
<https://w3id.org/evidencekg/id/arm/example-wl> a ekg:TrialArm ; ekg:armCondition <https://w3id.org/evidencekg/id/condition/example-wl> ;
    ekg:randomisedCount 50 ; ekg:analysedCount 48 ; prov:wasDerivedFrom <https://w3id.org/evidencekg/id/sentence/example-1> .
<https://w3id.org/evidencekg/id/finding/example> a ekg:ReportedFinding ; ekg:fromStudy <https://w3id.org/evidencekg/id/study/example> ;
    ekg:reportedIn <https://w3id.org/evidencekg/id/publication/example> ; prov:wasDerivedFrom <https://w3id.org/evidencekg/id/sentence/example-1> ;
    ekg:interventionCondition <https://w3id.org/evidencekg/id/condition/example-cbt> ; ekg:comparatorCondition <https://w3id.org/evidencekg/id/condition/example-wl> ;
    ekg:toConstruct <https://w3id.org/evidencekg/id/construct/depressive-symptoms> ;
    ekg:interventionArm <https://w3id.org/evidencekg/id/arm/example-cbt> ; ekg:comparatorArm <https://w3id.org/evidencekg/id/arm/example-wl> ;
    ekg:effectSizeMeasure obo:STATO_0000319 ; ekg:estimate 0.50 ; ekg:standardError 0.21 ; ekg:numberOfStudies 1 ;
    ekg:pValue 0.05 ; ekg:pValueRelation ">" ;
    ekg:hasMeasurement <https://w3id.org/evidencekg/id/measurement/example> ;
    ekg:riskOfBias <https://w3id.org/evidencekg/id/risk-of-bias/example> ;
    ekg:alsoExpressedAs <https://w3id.org/evidencekg/id/effect-size/example-d> , <https://w3id.org/evidencekg/id/effect-size/example-r> .
<https://w3id.org/evidencekg/id/measurement/example> a ekg:Measurement ; ekg:measuresConstruct <https://w3id.org/evidencekg/id/construct/depressive-symptoms> ;
    ekg:raterPerspective ekg:SelfReport ; ekg:timePoint "post" ; ekg:timeWeeks 12.0 ; ekg:reliability 0.89 ;
    prov:wasDerivedFrom <https://w3id.org/evidencekg/id/sentence/example-1> .
<https://w3id.org/evidencekg/id/risk-of-bias/example> a ekg:RiskOfBiasAssessment ; ekg:riskOfBiasTool ekg:CochraneRiskOfBiasTool1 ;
    ekg:riskOfBiasScore 3 ; prov:wasDerivedFrom <https://w3id.org/evidencekg/id/sentence/example-1> ;
    ekg:hasDomainJudgement <https://w3id.org/evidencekg/id/risk-of-bias/example-sg> .
<https://w3id.org/evidencekg/id/risk-of-bias/example-sg> a ekg:RiskOfBiasJudgement ; ekg:riskOfBiasDomain ekg:SequenceGeneration ;
    ekg:riskOfBiasLevel ekg:LowRisk ; rdf:value "1" .
<https://w3id.org/evidencekg/id/effect-size/example-d> a ekg:EffectSizeExpression ; ekg:effectSizeMeasure obo:STATO_0000100 ;
    ekg:estimate 0.504 ; ekg:conversionMethod "d = g / J, J = 1 - 3 / (4 (n1 + n2) - 9)" .
<https://w3id.org/evidencekg/id/effect-size/example-r> a ekg:EffectSizeExpression ; ekg:effectSizeMeasure obo:STATO_0000280 ;
    ekg:estimate 0.245 ; ekg:conversionMethod "r = d / sqrt(d^2 + (n1 + n2)^2 / (n1 n2))" .
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [(None, None),
     ('ekg:pValueRelation ">"', ('ekg:pValueRelation "~"', "p-value relation")),
     ('"KVT"@de', ('"KVT"@en', "at most one preferred label per language")),
     ("ekg:reliability 0.89", ("ekg:reliability 1.89", "reliability")),
     ("ekg:riskOfBiasLevel ekg:LowRisk", ("ekg:riskOfBiasLevel ekg:SequenceGeneration", "level")),
     ("ekg:armCondition <https://w3id.org/evidencekg/id/condition/example-wl> ;", ("", "exactly one condition")),
     ('ekg:conversionMethod "r = d', ('rdf:value "r = d', "how it was obtained"))],
)  # fmt: skip
def test_the_worked_example_validates_and_each_break_is_caught(tmp_path: Path, project_settings: Settings, change: str | None,
                                                              message: tuple[str, str] | None) -> None:  # fmt: skip
    text = WORKED_EXAMPLE if change is None or message is None else WORKED_EXAMPLE.replace(change, message[0], 1)
    assert change is None or change in WORKED_EXAMPLE
    path = tmp_path / "example.ttl"
    path.write_text(text, encoding="utf-8")
    report = validate_files([path], project_settings)
    if message is None:
        assert report.violations == [], report.text()
    else:
        assert report.violations and message[1] in report.text(), report.text()
