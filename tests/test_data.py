"""Tests of the curated ontology and data files themselves (bioregistry-style).

Parametrised over every Turtle file in ``ontology/`` and ``data/``: each parses, the
union conforms to ``ontology/shapes.ttl``, every ``ontology/checks/*-violation.rq``
returns no rows, every subject IRI is in a known namespace, every finding has a source,
every number traces back to a sentence that prints it, and every sentence of the seed
is in the graph.

SHACL is run with pyshacl ``inference="none"``: RDFS range inference would type a wrongly
linked node as whatever the range says and hide the very errors the shapes look for.
The ontology is merged into the data graph, so ``sh:targetClass`` still reaches
subclasses (ekg:ReportedFinding is an ekg:Finding) through the asserted rdfs:subClassOf.
"""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pyshacl
import pytest
import rdflib
import rdflib.compare
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR = ROOT / "ontology"
DATA_DIR = ROOT / "data"
CHECKS_DIR = ONTOLOGY_DIR / "checks"
SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
CONTEXT_FILE = ONTOLOGY_DIR / "context.jsonld"
SHARED_DIR = Path(os.environ.get("EVIDENCEKG_SHARED", ROOT.parent / "shared"))
SEED_FILE = SHARED_DIR / "seed" / "000_c29189e345b28ff6.txt"

EKG = rdflib.Namespace("https://w3id.org/evidencekg/ontology#")
ID = "https://w3id.org/evidencekg/id/"
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
OBO = rdflib.Namespace("http://purl.obolibrary.org/obo/")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
IS_ABOUT = OBO.IAO_0000136

SEED_DOCUMENT = URIRef(ID + "document/pprnet-notsu2024")
ONTOLOGY_IRI = "https://w3id.org/evidencekg/ontology"
SHAPES_NS = "https://w3id.org/evidencekg/shapes"

ID_KINDS = (
    "publication", "document", "sentence", "study", "sample", "finding", "construct",
    "condition", "measure", "mechanism", "implication", "heterogeneity", "moderator-test",
    "scheme", "value",
)
ID_PATTERN = re.compile(
    "^" + re.escape(ID) + "(" + "|".join(ID_KINDS) + ")/[a-z0-9]+(-[a-z0-9]+)*$"
)
# Namespaces a subject of one of our files may live in: our own instances and terms, the
# shapes, and the external terms the ontology declares (labels of reused terms).
KNOWN_SUBJECT_NAMESPACES = (
    ID, str(EKG), ONTOLOGY_IRI, SHAPES_NS, str(OBO),
    "http://purl.org/spar/fabio/", "http://purl.org/ontology/bibo/",
    "http://www.w3.org/ns/prov#", "http://www.w3.org/2004/02/skos/core#",
)
TERM_KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
              OWL.NamedIndividual)
NUMERIC_TYPES = (XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long)

ONTOLOGY_FILES = sorted(ONTOLOGY_DIR.glob("*.ttl"))
DATA_FILES = sorted(DATA_DIR.glob("*.ttl"))
ALL_FILES = ONTOLOGY_FILES + DATA_FILES
CHECK_FILES = sorted(CHECKS_DIR.glob("*-violation.rq"))

# The numbers printed in the seed, as printed there.
SEED_NUMBERS = ["-.09", "-.15", "-.03", ".01", "-.13", "-.19", "-.07", ".001", "33",
                "2,299", "32.11", "21.6", "45.2", "582", "5", ".28"]


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def _parse(*paths: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def kg() -> rdflib.Graph:
    """Ontology (without the shapes) plus all data: what the store holds."""
    return _parse(*[p for p in ALL_FILES if p != SHAPES_FILE])


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return _parse(SHAPES_FILE)


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return _parse(ONTOLOGY_DIR / "evidencekg.ttl")


def validate(data: rdflib.Graph, shapes: rdflib.Graph):
    """Run pyshacl the way the project does; return (conforms, results as dicts)."""
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=True
    )
    results = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        results.append({
            "focus": report.value(r, SH.focusNode),
            "severity": report.value(r, SH.resultSeverity),
            "message": str(report.value(r, SH.resultMessage)),
        })
    return conforms, results


# --- numbers in text ----------------------------------------------------------

_NUMBER = re.compile(r"-?(?:\d[\d,]*(?:\.\d+)?|\.\d+)")


def numbers_in(text: str) -> set[Decimal]:
    """Every number printed in text, e.g. ``"r = -.09 (95% CI [-.15, -.03])"``.

    A hyphen before a digit may be a range dash ("21.6-45.2"), so a printed negative
    number also counts as its absolute value; a negative value, though, must be printed
    with its minus sign.

    >>> sorted(numbers_in("range = 21.6-45.2"))
    [Decimal('-45.2'), Decimal('21.6'), Decimal('45.2')]
    """
    found: set[Decimal] = set()
    for token in _NUMBER.findall(text):
        token = token.replace(",", "")
        if token in {"-", ""}:
            continue
        value = Decimal(token)
        found.add(value)
        if value < 0:
            found.add(-value)
    return found


def printed_value(printed: str) -> Decimal:
    return Decimal(printed.replace(",", ""))


def sentence_texts(graph: rdflib.Graph, node) -> dict:
    """The source sentences node was derived from (or, for a study, which is no prov:Entity, that are about it), with their text."""
    sources = set(graph.objects(node, PROV.wasDerivedFrom))
    if (node, RDF.type, EKG.MetaAnalysis) in graph or (node, RDF.type, EKG.PrimaryStudy) in graph:
        sources |= set(graph.subjects(IS_ABOUT, node))
    return {s: str(graph.value(s, RDF.value)) for s in sources if (s, RDF.type, EKG.SourceSentence) in graph}


def numeric_statements(graph: rdflib.Graph):
    """(node, property, Decimal value) for every number stated with an ekg: property."""
    for s, p, o in graph:
        if (isinstance(o, Literal) and o.datatype in NUMERIC_TYPES
                and str(p).startswith(str(EKG)) and p != EKG.position):
            yield s, p, Decimal(str(o))


# --- seed sentences -----------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def split_seed(text: str) -> list[str]:
    """Split the seed into lines, then lines into sentences at ". X" boundaries.

    Deliberately independent of how data/pprnet-notsu2024.ttl was split: the citation
    line is cut at the authors' initials here, and each fragment must still be found.
    """
    sentences = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            sentences.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return sentences


def seed_sentences(graph: rdflib.Graph) -> list[tuple[int, URIRef, str]]:
    rows = []
    for s in graph.subjects(DCTERMS.isPartOf, SEED_DOCUMENT):
        rows.append((int(graph.value(s, EKG.position)), s, str(graph.value(s, RDF.value))))
    return sorted(rows)


def read_seed() -> str:
    if not SEED_FILE.exists():
        pytest.skip(f"seed not available at {SEED_FILE}")
    return SEED_FILE.read_text(encoding="utf-8")


def squash(text: str) -> str:
    return " ".join(text.split())


# =============================================================================
# Per file
# =============================================================================

def test_files_found():
    assert {p.name for p in ONTOLOGY_FILES} >= {"evidencekg.ttl", "constructs.ttl", "shapes.ttl"}
    assert {p.name for p in DATA_FILES} >= {
        "pprnet-notsu2024.ttl", "notsu2024-abstract.ttl", "flueckiger2018.ttl",
        "diener2011.ttl", "bernecker2014.ttl"}
    assert CHECK_FILES, "no ontology/checks/*-violation.rq found"


@pytest.mark.parametrize("path", ALL_FILES, ids=_ids(ALL_FILES))
def test_file_parses(path: Path):
    graph = _parse(path)
    assert len(graph) > 0, f"{path.name} is empty"


@pytest.mark.parametrize("path", ALL_FILES, ids=_ids(ALL_FILES))
def test_subjects_in_known_namespaces(path: Path):
    graph = _parse(path)
    is_data = path.parent == DATA_DIR
    bad = set()
    for s in set(graph.subjects()):
        if isinstance(s, BNode):
            if is_data:
                bad.add(f"blank node subject {s.n3()} (data must use id: IRIs)")
            continue
        iri = str(s)
        if not iri.startswith(KNOWN_SUBJECT_NAMESPACES):
            bad.add(f"{iri}: unknown namespace")
        elif iri.startswith(ID) and not ID_PATTERN.match(iri):
            bad.add(f"{iri}: not id:{{kind}}/{{lower-case-slug}}")
        elif is_data and not iri.startswith(ID):
            bad.add(f"{iri}: data files describe id: instances only")
    assert not bad, "\n".join(sorted(bad))


# =============================================================================
# The whole graph
# =============================================================================

def test_union_conforms_to_shapes(kg, shapes):
    conforms, results = validate(kg, shapes)
    violations = [r for r in results if r["severity"] == SH.Violation]
    assert conforms and not violations, "\n".join(
        f"{r['focus']}: {r['message']}" for r in violations)


def test_every_shape_constraint_has_a_message(shapes):
    """Each constraint speaks to a researcher: property shapes of named node shapes,
    SPARQL constraints, and node shapes using sh:or / sh:xone / sh:class."""
    missing = []
    for shape in set(shapes.subjects(RDF.type, SH.NodeShape)):
        for ps in shapes.objects(shape, SH.property):
            if (ps, SH.message, None) not in shapes:
                missing.append(f"{shape} property {shapes.value(ps, SH.path)}")
        if any((shape, p, None) in shapes for p in (SH["or"], SH.xone, SH["class"])) \
                and (shape, SH.message, None) not in shapes:
            missing.append(f"{shape} (node-level constraint)")
    for constraint in set(shapes.objects(None, SH.sparql)):
        if (constraint, SH.message, None) not in shapes:
            missing.append(f"SPARQL constraint {constraint}")
    assert not missing, "constraints without sh:message:\n" + "\n".join(sorted(missing))


def test_ontology_terms_have_label_and_definition(ontology):
    terms = {s for kind in TERM_KINDS for s in ontology.subjects(RDF.type, kind)
             if str(s).startswith(str(EKG))}
    assert len(terms) > 50
    missing = sorted(
        f"{t}: {'label ' if (t, RDFS.label, None) not in ontology else ''}"
        f"{'definition' if (t, SKOS.definition, None) not in ontology else ''}"
        for t in terms
        if (t, RDFS.label, None) not in ontology or (t, SKOS.definition, None) not in ontology
    )
    assert not missing, "\n".join(missing)


def test_ontology_properties_have_domain_and_range(ontology):
    """Every ekg: property has rdfs:domain and rdfs:range, or a note saying why a range is not meaningful."""
    missing = []
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty):
        for prop in ontology.subjects(RDF.type, kind):
            if not str(prop).startswith(str(EKG)):
                continue
            if (prop, RDFS.domain, None) not in ontology:
                missing.append(f"{prop}: no rdfs:domain")
            if (prop, RDFS.range, None) not in ontology and not any(
                "rdfs:range" in str(note) for note in ontology.objects(prop, SKOS.editorialNote)
            ):
                missing.append(f"{prop}: no rdfs:range and no note why")
    assert not missing, "\n".join(sorted(missing))


def test_ontology_reuses_the_recorded_vocabularies(ontology):
    """Classes and properties specialise the terms facts.md lists instead of standing alone."""
    def supers(term, relation):
        return {str(o) for o in ontology.objects(EKG[term], relation)}

    assert supers("Finding", RDFS.subClassOf) == {str(OBO.SEPIO_0000173)}
    assert supers("MetaAnalysis", RDFS.subClassOf) == {str(OBO.SEPIO_0000079)}
    assert supers("PrimaryStudy", RDFS.subClassOf) == {str(OBO.SEPIO_0000066)}
    assert supers("Publication", RDFS.subClassOf) == {"http://purl.org/spar/fabio/JournalArticle",
                                                     "http://purl.org/ontology/bibo/AcademicArticle"}
    assert supers("Construct", RDFS.subClassOf) == {str(SKOS.Concept)}
    assert supers("SourceSentence", RDFS.subClassOf) == {str(PROV.Entity)}
    assert supers("reportedIn", RDFS.subPropertyOf) == {str(OBO.SEPIO_0000442)}
    assert supers("fromConstruct", RDFS.subPropertyOf) == {str(IS_ABOUT)}
    assert supers("hasComponent", RDFS.subPropertyOf) == {str(SKOS.narrower)}
    assert supers("ciLower", RDFS.seeAlso) == {str(OBO.STATO_0000315)}
    assert supers("pValue", RDFS.seeAlso) == {str(OBO.OBI_0000175)}
    assert supers("i2", RDFS.seeAlso) == {str(OBO.STATO_0000420)}


def test_model_contract_terms_declared(ontology):
    """Every ekg: name docs/model.md mentions is declared in the ontology."""
    model = ROOT / "docs" / "model.md"
    if not model.exists():
        pytest.skip("docs/model.md absent")
    names = set(re.findall(r"ekg:([A-Za-z][A-Za-z0-9]*)", model.read_text(encoding="utf-8")))
    names.discard("significant")  # documented as NOT stored
    undeclared = sorted(n for n in names if not any(
        (EKG[n], RDF.type, k) in ontology for k in TERM_KINDS))
    assert not undeclared, f"in docs/model.md but not declared: {undeclared}"


def test_ontology_header(ontology):
    onto = URIRef(ONTOLOGY_IRI)
    assert (onto, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(onto, OWL.versionIRI) == URIRef(ONTOLOGY_IRI + "/0.1.0")
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.license, OWL.versionInfo):
        assert ontology.value(onto, p) is not None, p


def test_constructs_scheme(kg):
    scheme = URIRef(ID + "scheme/constructs")
    constructs = set(kg.subjects(RDF.type, EKG.Construct))
    assert len(constructs) >= 12
    for c in constructs:
        assert (c, SKOS.inScheme, scheme) in kg, c
        assert len(list(kg.objects(c, SKOS.prefLabel))) == 1, c
        assert (c, SKOS.definition, None) in kg, c
        for sentence in kg.objects(c, EKG.definitionSentence):
            assert (sentence, RDF.type, EKG.SourceSentence) in kg, (c, sentence)
    tops = set(kg.objects(scheme, SKOS.hasTopConcept))
    assert tops and tops <= constructs
    for name in ("conditions", "measures"):
        s = URIRef(ID + "scheme/" + name)
        assert (s, RDF.type, SKOS.ConceptScheme) in kg
        assert (s, SKOS.definition, None) in kg


@pytest.mark.parametrize("check", CHECK_FILES, ids=[p.name for p in CHECK_FILES])
def test_violation_check_returns_no_rows(kg, check: Path):
    rows = list(kg.query(check.read_text(encoding="utf-8")))
    assert not rows, f"{check.name} found:\n" + "\n".join(
        " ".join(str(v) for v in row) for row in rows)


@pytest.mark.parametrize("check, bad_turtle", [
    ("term-without-label-violation.rq",
     "ekg:Orphan a owl:Class ; skos:definition \"x\" ."),
    ("term-without-definition-violation.rq",
     "ekg:Orphan a owl:Class ; rdfs:label \"orphan\" ."),
    ("undeclared-term-violation.rq",
     "<https://w3id.org/evidencekg/id/finding/x> ekg:ciLow 0.1 ."),
    ("finding-without-provenance-violation.rq",
     "<https://w3id.org/evidencekg/id/finding/x> a ekg:ReportedFinding ."),
    ("number-without-source-violation.rq",
     "<https://w3id.org/evidencekg/id/finding/x> ekg:estimate 0.5 ."),
])
def test_violation_checks_can_fail(kg, check: str, bad_turtle: str):
    """Each check really catches what its name forbids."""
    prefixes = ("@prefix ekg: <https://w3id.org/evidencekg/ontology#> . "
                "@prefix owl: <http://www.w3.org/2002/07/owl#> . "
                "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . "
                "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n")
    graph = rdflib.Graph()
    graph += kg
    graph.parse(data=prefixes + bad_turtle, format="turtle")
    rows = list(graph.query((CHECKS_DIR / check).read_text(encoding="utf-8")))
    assert rows, f"{check} did not flag: {bad_turtle}"


# =============================================================================
# Provenance
# =============================================================================

def test_every_finding_has_a_source(kg):
    findings = set(kg.subjects(RDF.type, EKG.ReportedFinding))
    assert len(findings) >= 6
    problems = []
    for f in findings:
        texts = sentence_texts(kg, f)
        docs = {kg.value(s, DCTERMS.isPartOf) for s in texts}
        if not texts or any(t.strip() == "" for t in texts.values()):
            problems.append(f"{f}: no source sentence with text")
        if not all((d, RDF.type, EKG.SourceDocument) in kg for d in docs):
            problems.append(f"{f}: sentence not part of a source document")
        pubs = list(kg.objects(f, EKG.reportedIn))
        if not pubs or not all(kg.value(p, URIRef("http://purl.org/ontology/bibo/doi")) for p in pubs):
            problems.append(f"{f}: no reporting publication with a DOI")
    assert not problems, "\n".join(sorted(problems))


def test_every_number_is_printed_in_its_source_sentence(kg):
    """Never invent a number: each figure is printed in a sentence its node came from."""
    statements = list(numeric_statements(kg))
    assert len(statements) > 40
    unsourced = []
    for node, prop, value in statements:
        printed = set()
        for text in sentence_texts(kg, node).values():
            printed |= numbers_in(text)
        # a confidence level of 0.95 is printed as "95% CI"
        wanted = value * 100 if prop == EKG.confidenceLevel else value
        if wanted not in printed:
            unsourced.append(f"{node} {prop} {value}")
    assert not unsourced, "numbers not printed in their source sentences:\n" + "\n".join(
        sorted(unsourced))


@pytest.mark.parametrize("printed", SEED_NUMBERS)
def test_seed_number_traceable_to_seed_sentence(kg, printed: str):
    """number -> node -> prov:wasDerivedFrom -> seed sentence whose text prints it."""
    value = printed_value(printed)
    holders = [(n, p) for n, p, v in numeric_statements(kg) if v == value]
    assert holders, f"seed number {printed} is not in the data"
    traced = []
    for node, prop in holders:
        for sentence, text in sentence_texts(kg, node).items():
            if (kg.value(sentence, DCTERMS.isPartOf) == SEED_DOCUMENT
                    and printed in text and value in numbers_in(text)):
                traced.append((node, prop, sentence))
    assert traced, f"seed number {printed} held by {holders} but not traced to a seed sentence printing it"


def test_every_number_a_seed_sentence_prints_is_stated_from_it(kg):
    """sentence -> number: each figure a seed sentence prints is a value of a node derived from it."""
    checked, missing = 0, []
    for position, sentence, text in seed_sentences(kg):
        printed = {n for n in numbers_in(text) if n >= 0}
        stated: set[Decimal] = set()
        for node in kg.subjects(PROV.wasDerivedFrom, sentence):
            for prop, value in kg.predicate_objects(node):
                if isinstance(value, Literal):
                    stated |= numbers_in(str(value))  # numbers, and numbers in words ("almost 300")
                    if prop == EKG.confidenceLevel:
                        stated.add(Decimal(str(value)) * 100)  # "95% CI"
        missing += [f"s{position}: {n}" for n in sorted(printed - stated)]
        checked += len(printed)
    assert checked >= 25
    assert not missing, "printed in the seed but not stated from that sentence:\n" + "\n".join(missing)


def test_seed_numbers_are_printed_in_seed():
    """Guards the list above against typos: each is printed in the seed."""
    seed = read_seed()
    for printed in SEED_NUMBERS:
        assert printed in seed, printed


# =============================================================================
# The seed, sentence by sentence
# =============================================================================

@pytest.mark.shared
def test_seed_sentences_present(kg):
    seed = read_seed()
    values = [text for _, _, text in seed_sentences(kg)]
    missing = [s for s in split_seed(seed) if not any(s in v for v in values)]
    assert not missing, "seed sentences not in the graph:\n" + "\n".join(missing)


@pytest.mark.shared
def test_seed_sentences_are_verbatim_and_complete(kg):
    """In position order, the sentences are exactly the seed (up to whitespace)."""
    seed = read_seed()
    rows = seed_sentences(kg)
    positions = [p for p, _, _ in rows]
    assert positions == list(range(1, len(rows) + 1)), "positions must be 1..n without gaps"
    assert squash(" ".join(text for _, _, text in rows)) == squash(seed)


def test_every_seed_sentence_maps_to_the_graph(kg):
    """Each seed sentence is used: a source of something, a definition, or about something."""
    rows = seed_sentences(kg)
    assert len(rows) >= 20
    unused = [
        str(s) for _, s, _ in rows
        if not any(p != DCTERMS.isPartOf for p in kg.predicates(None, s))
        and (s, IS_ABOUT, None) not in kg
    ]
    assert not unused, f"sentences mapped to nothing: {unused}"


def test_construct_definitions_come_from_their_sentence(kg):
    """A construct defined from a seed sentence: that sentence names the construct's idea."""
    checked = 0
    for c, sentence in kg.subject_objects(EKG.definitionSentence):
        text = str(kg.value(sentence, RDF.value)).lower()
        definition = str(kg.value(c, SKOS.definition)).lower()
        words = {w for w in re.findall(r"[a-z]{5,}", definition)}
        shared = {w for w in words if w in text}
        assert len(shared) >= 2, f"{c}: definition shares too little with {sentence}"
        assert kg.value(c, DCTERMS.source) == kg.value(sentence, DCTERMS.isPartOf), c
        checked += 1
    assert checked >= 6


# =============================================================================
# JSON-LD context
# =============================================================================

def test_context_covers_vocabulary(ontology):
    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    assert context["ekg"] == str(EKG)
    problems = []
    for kind in (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.Class, OWL.NamedIndividual):
        for term in ontology.subjects(RDF.type, kind):
            if not str(term).startswith(str(EKG)):
                continue
            name = str(term)[len(str(EKG)):]
            entry = context.get(name)
            iri = entry.get("@id") if isinstance(entry, dict) else entry
            if iri != "ekg:" + name:
                problems.append(f"{name}: missing or wrong @id")
            elif kind == OWL.ObjectProperty and entry.get("@type") != "@id":
                problems.append(f"{name}: object property needs \"@type\": \"@id\"")
            elif kind == OWL.DatatypeProperty:
                rng = ontology.value(term, RDFS.range)
                # an xsd:string range has no @type: plain JSON strings are xsd:string and compact back to them
                wanted = None if rng == XSD.string else "xsd:" + str(rng).split("#")[1] if rng is not None else None
                if rng is not None and entry.get("@type") != wanted:
                    problems.append(f"{name}: @type does not match rdfs:range {rng}")
    assert not problems, "\n".join(problems)


def test_context_round_trips_a_data_file():
    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]
    graph = _parse(DATA_DIR / "diener2011.ttl")
    doc = graph.serialize(format="json-ld", context=context)
    back = rdflib.Graph().parse(data=doc, format="json-ld")
    assert rdflib.compare.isomorphic(graph, back)


# =============================================================================
# A shape fires (minimal negative fixture; the full battery lives with the CLI tests)
# =============================================================================

def test_pearson_r_out_of_range_is_a_violation():
    """A finding added to the shipped evidence (the library's Oxigraph-backed pyshacl run: seconds faster)."""
    from evidencekg.shapes.validate import validate_graph

    bad = rdflib.Graph()
    finding = URIRef(ID + "finding/test-impossible-r")
    bad.parse(data=f"""
        @prefix ekg: <https://w3id.org/evidencekg/ontology#> .
        @prefix obo: <http://purl.obolibrary.org/obo/> .
        @prefix prov: <http://www.w3.org/ns/prov#> .
        <{finding}> a ekg:ReportedFinding ;
            ekg:reportedIn <{ID}publication/notsu2024> ;
            ekg:fromConstruct <{ID}construct/attachment-anxiety> ;
            ekg:toConstruct <{ID}construct/therapeutic-alliance> ;
            ekg:effectSizeMeasure obo:STATO_0000280 ;
            ekg:estimate 1.5 ;
            ekg:sampleSize 100 ;
            prov:wasDerivedFrom <{ID}sentence/pprnet-notsu2024-s16> .
    """, format="turtle")
    report = validate_graph(bad)
    assert not report.conforms
    mine = [p for p in report.violations if p.focus_node == str(finding)]
    assert any("[-1, 1]" in p.message for p in mine), report.text()
    # the same finding with r = 0.5 raises no violation: the shape is specific
    bad.set((finding, EKG.estimate, Literal(Decimal("0.5"))))
    assert not [p for p in validate_graph(bad).violations if p.focus_node == str(finding)]


# =============================================================================
# Every number to its sentence (queries/numbers.rq)
# =============================================================================

def test_numbers_query_gives_every_number_the_sentence_that_prints_it(kg):
    """One row per number and sentence; each number of the shipped data has a sentence, which prints it."""
    rows = list(kg.query((ROOT / "queries" / "numbers.rq").read_text(encoding="utf-8")))
    numbers = {(node, prop) for node, prop, _ in numeric_statements(kg)}
    assert {(r.node, r.property) for r in rows} == numbers
    problems = []
    for r in rows:
        if r.sentence is None:
            problems.append(f"{r.node} {r.property} {r.value}: no sentence")
            continue
        value = Decimal(str(r.value))
        wanted = value * 100 if r.property == EKG.confidenceLevel else value  # "95% CI"
        if wanted not in numbers_in(str(r.text)):
            problems.append(f"{r.node} {r.property} {r.value}: not printed in {r.sentence} ({r.text})")
    assert not problems, "\n".join(problems)
    by_value = {(str(r.node).rsplit("/", 1)[-1], str(r.property).rsplit("#", 1)[-1]): str(r.sentence).rsplit("/", 1)[-1]
                for r in rows}
    assert by_value[("notsu2024-anxiety-alliance", "estimate")] == "pprnet-notsu2024-s16"
    assert by_value[("notsu2024-patients", "meanAge")] == "pprnet-notsu2024-s14"
    assert by_value[("flueckiger2018", "numberOfStudies")] == "flueckiger2018-abstract-zora-f3"  # the study, not the subset
    kinds = {str(r.kind) for r in rows if str(r.node).endswith("/heterogeneity/notsu2024-anxiety-alliance")}
    assert kinds == {"fact"}  # I2 = 43.7% is read from the facts.md record, and the row says so
