"""Helpers for the evidence tests: a minimal valid finding in Turtle and its one-change mutations."""

from __future__ import annotations

from pathlib import Path

PREFIXES = """@prefix ekg: <https://w3id.org/evidencekg/ontology#> .
@prefix id: <https://w3id.org/evidencekg/id/> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""

# One reported association finding with everything the model requires (constructs from the shipped scheme).
FINDING = "https://w3id.org/evidencekg/id/finding/test2020-anxiety-alliance"
VALID_FINDING = PREFIXES + """
<https://w3id.org/evidencekg/id/document/test2020-abstract> a ekg:SourceDocument ;
    dcterms:title "Abstract of a test article" ;
    ekg:summarises <https://w3id.org/evidencekg/id/publication/test2020> .

<https://w3id.org/evidencekg/id/sentence/test2020-abstract-s1> a ekg:SourceSentence ;
    dcterms:isPartOf <https://w3id.org/evidencekg/id/document/test2020-abstract> ;
    ekg:position 1 ;
    rdf:value "Attachment anxiety correlated with alliance, r = -.20 (95% CI [-.30, -.10], p = .01; k = 12, N = 900)." .

<https://w3id.org/evidencekg/id/publication/test2020> a ekg:Publication ;
    bibo:doi "10.1000/test.2020" ;
    dcterms:title "A test article" ;
    dcterms:issued "2020"^^xsd:gYear .

<https://w3id.org/evidencekg/id/finding/test2020-anxiety-alliance> a ekg:ReportedFinding ;
    rdfs:label "attachment anxiety and alliance (test 2020)" ;
    ekg:reportedIn <https://w3id.org/evidencekg/id/publication/test2020> ;
    ekg:fromConstruct <https://w3id.org/evidencekg/id/construct/attachment-anxiety> ;
    ekg:toConstruct <https://w3id.org/evidencekg/id/construct/therapeutic-alliance> ;
    ekg:effectSizeMeasure obo:STATO_0000280 ;
    ekg:estimate -0.20 ;
    ekg:ciLower -0.30 ;
    ekg:ciUpper -0.10 ;
    ekg:confidenceLevel 0.95 ;
    ekg:pValue 0.01 ;
    ekg:pValueRelation "=" ;
    ekg:numberOfStudies 12 ;
    ekg:sampleSize 900 ;
    prov:wasDerivedFrom <https://w3id.org/evidencekg/id/sentence/test2020-abstract-s1> .
"""

# name -> (text to replace in VALID_FINDING, replacement, words the report must contain)
MUTATIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "r-out-of-range": ("ekg:estimate -0.20 ;", "ekg:estimate 1.5 ;", ("ekg:estimate", "1.5")),
    "reversed-ci": (
        "ekg:ciLower -0.30 ;\n    ekg:ciUpper -0.10 ;",
        "ekg:ciLower -0.10 ;\n    ekg:ciUpper -0.30 ;",
        ("ekg:ciLower", "reversed"),
    ),
    "ci-excludes-estimate": ("ekg:estimate -0.20 ;", "ekg:estimate -0.05 ;", ("ekg:estimate", "CI upper bound is less than the estimate")),
    "p-above-one": ("ekg:pValue 0.01 ;", "ekg:pValue 2 ;", ("ekg:pValue",)),
    "k-zero": ("ekg:numberOfStudies 12 ;", "ekg:numberOfStudies 0 ;", ("ekg:numberOfStudies",)),
    "no-sentence": (
        "    prov:wasDerivedFrom <https://w3id.org/evidencekg/id/sentence/test2020-abstract-s1> .",
        "    rdfs:comment \"no source\" .",
        ("prov:wasDerivedFrom", "missing source"),
    ),
    "no-publication": (
        "    ekg:reportedIn <https://w3id.org/evidencekg/id/publication/test2020> ;\n",
        "",
        ("ekg:reportedIn",),
    ),
    "construct-outside-scheme": (
        "ekg:fromConstruct <https://w3id.org/evidencekg/id/construct/attachment-anxiety> ;",
        "ekg:fromConstruct <https://w3id.org/evidencekg/id/construct/made-up-construct> ;",
        ("ekg:fromConstruct", "constructs scheme"),
    ),
}


def write_finding(folder: Path, mutation: str | None = None, name: str = "finding.ttl") -> Path:
    """Write the valid finding (or one mutation of it) to folder/name and return the path."""
    text = VALID_FINDING
    if mutation is not None:
        old, new, _ = MUTATIONS[mutation]
        assert old in text, f"mutation {mutation} does not apply"
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path

# One trial comparison as a Metapsy row gives it (arms, instrument, rater, time point, Hedges' g
# with its standard error), with its conditions and measure in their schemes: the model must
# hold it without change. The numbers are made up for the test; they are not evidence.
COMPARISON = "https://w3id.org/evidencekg/id/finding/trial2020-cbt-cau-bdi-post"
VALID_COMPARISON = PREFIXES + """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

<https://w3id.org/evidencekg/id/condition/test-cbt> a ekg:Condition ;
    skos:prefLabel "cognitive behavioural therapy (test)" ;
    skos:inScheme <https://w3id.org/evidencekg/id/scheme/conditions> .
<https://w3id.org/evidencekg/id/condition/test-cau> a ekg:Condition ;
    skos:prefLabel "care as usual (test)" ;
    skos:inScheme <https://w3id.org/evidencekg/id/scheme/conditions> .
<https://w3id.org/evidencekg/id/measure/test-bdi> a ekg:Measure ;
    skos:prefLabel "depression inventory (test)" ;
    skos:inScheme <https://w3id.org/evidencekg/id/scheme/measures> .

<https://w3id.org/evidencekg/id/document/trial2020-data> a ekg:SourceDocument ;
    dcterms:title "A test data file of trial comparisons" .
<https://w3id.org/evidencekg/id/sentence/trial2020-data-r1> a ekg:SourceSentence ;
    dcterms:isPartOf <https://w3id.org/evidencekg/id/document/trial2020-data> ;
    ekg:position 1 ; ekg:sentenceKind "row" ;
    rdf:value "Trial, 2020; test-cbt; test-cau; 0.42; 0.21; test-bdi; self-report; post; 40; 35" ;
    obo:IAO_0000136 <https://w3id.org/evidencekg/id/study/trial2020> .
<https://w3id.org/evidencekg/id/publication/trial2020-data> a ekg:Publication ;
    bibo:doi "10.1000/trial.2020" ;
    dcterms:title "A test data set" ;
    dcterms:issued "2020"^^xsd:gYear .
<https://w3id.org/evidencekg/id/study/trial2020> a ekg:PrimaryStudy ;
    ekg:studyLabel "Trial, 2020" ;
    ekg:reportedIn <https://w3id.org/evidencekg/id/publication/trial2020-data> .

<https://w3id.org/evidencekg/id/finding/trial2020-cbt-cau-bdi-post> a ekg:ReportedFinding ;
    ekg:fromStudy <https://w3id.org/evidencekg/id/study/trial2020> ;
    ekg:reportedIn <https://w3id.org/evidencekg/id/publication/trial2020-data> ;
    ekg:interventionCondition <https://w3id.org/evidencekg/id/condition/test-cbt> ;
    ekg:comparatorCondition <https://w3id.org/evidencekg/id/condition/test-cau> ;
    ekg:toConstruct <https://w3id.org/evidencekg/id/construct/depressive-symptoms> ;
    ekg:instrument <https://w3id.org/evidencekg/id/measure/test-bdi> ;
    ekg:raterPerspective ekg:SelfReport ;
    ekg:timePoint "post" ;
    ekg:effectSizeMeasure obo:STATO_0000319 ;
    ekg:estimate 0.42 ;
    ekg:standardError 0.21 ;
    ekg:arm1SampleSize 40 ;
    ekg:arm2SampleSize 35 ;
    prov:wasDerivedFrom <https://w3id.org/evidencekg/id/sentence/trial2020-data-r1> .
"""
