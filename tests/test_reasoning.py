"""Our ontology and data merged with the ontologies they reuse: consistent (OWL RL closure, HermiT), reused IRIs real.

The reference files are ../shared/ontologies (SEPIO, IAO, PROV-O, BIBO, FaBiO, SKOS, DCTerms,
DCAT, FOAF, STATO); every test here skips without them. The closure runs on a module of the
reused files (the axioms that can reach our terms, tests/_reasoning_support.py), which keeps it
to seconds; a test shows the module still carries the disjointness a study would break.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import owlrl
import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, Literal, URIRef

from tests._reasoning_support import REASONING_FILES, REFERENCE_FILES, hermit_ready, module, ours, reference_graph

pytestmark = pytest.mark.shared

EKG = "https://w3id.org/evidencekg/ontology#"
ID = "https://w3id.org/evidencekg/id/"
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
ERRORS = rdflib.URIRef("http://www.daml.org/2002/03/agents/agent-ont#error")  # where owlrl writes a clash


@pytest.fixture(scope="module")
def ours_graph() -> rdflib.Graph:
    return ours()


@pytest.fixture(scope="module")
def merged(ours_graph: rdflib.Graph) -> rdflib.Graph:
    """Our ontology and data with the module of the reused ontologies they reach."""
    graph = module(reference_graph(REASONING_FILES), ours_graph)
    graph += ours_graph
    return graph


def clashes(graph: rdflib.Graph) -> list[str]:
    """The OWL RL closure of a copy of graph: the inconsistencies it finds and every member of owl:Nothing."""
    closed = rdflib.Graph()
    closed += graph
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closed)
    found = sorted(str(message) for message in closed.objects(None, ERRORS))
    found += sorted(f"{s} is a member of owl:Nothing" for s in closed.subjects(RDF.type, OWL.Nothing))
    return found


def test_owl_rl_closure_finds_no_inconsistency(merged: rdflib.Graph) -> None:
    problems = clashes(merged)
    assert not problems, "\n".join(problems)


def test_owl_rl_closure_sees_a_study_made_an_entity(merged: rdflib.Graph, ours_graph: rdflib.Graph) -> None:
    """The module keeps what matters: prov:wasDerivedFrom on a study (a SEPIO process, a prov:Activity) clashes."""
    bad = rdflib.Graph()
    bad += merged
    study, sentence = URIRef(ID + "study/notsu2024"), URIRef(ID + "sentence/pprnet-notsu2024-s13")
    bad.add((study, PROV.wasDerivedFrom, sentence))
    problems = clashes(bad)
    assert any("prov#Activity" in p and "prov#Entity" in p and str(study) in p for p in problems), problems


def test_hermit_finds_ontology_and_data_consistent(merged: rdflib.Graph, tmp_path: Path) -> None:
    """HermiT (through owlready2, Java 17) on the same merge: consistent, and no ekg: class unsatisfiable."""
    owlready2 = pytest.importorskip("owlready2")
    if shutil.which("java") is None:
        pytest.skip("no java for HermiT")
    path = tmp_path / "merged.nt"
    hermit_ready(merged).serialize(path, format="nt")
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load()
    try:
        with onto:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as error:  # pragma: no cover - the failure being tested for
        pytest.fail(f"HermiT: the merged ontology and data are inconsistent {error}")
    unsatisfiable = [c.iri for c in world.inconsistent_classes() if c.iri.startswith(EKG)]
    assert not unsatisfiable, unsatisfiable


def reused_terms(graph: rdflib.Graph) -> set[URIRef]:
    """Every IRI of a reused namespace that our files use (as subject, predicate, object or type)."""
    terms = {t for triple in graph for t in triple if isinstance(t, URIRef)}
    return {t for t in terms if str(t).startswith(tuple(REFERENCE_FILES))}


@pytest.fixture(scope="module")
def references() -> dict[str, rdflib.Graph]:
    """Each reused namespace's reference file(s), parsed."""
    return {ns: reference_graph(files) for ns, files in REFERENCE_FILES.items()}


def label_problems(graph: rdflib.Graph, references: dict[str, rdflib.Graph]) -> list[str]:
    """Reused IRIs graph uses that its reference file lacks, and labels graph gives them that the file does not."""
    problems = []
    for term in sorted(reused_terms(graph)):
        namespace = next(ns for ns in REFERENCE_FILES if str(term).startswith(ns))
        reference = references[namespace]
        if (term, None, None) not in reference:
            problems.append(f"{term}: not in {', '.join(REFERENCE_FILES[namespace])}")
            continue
        theirs = {str(label) for label in reference.objects(term, RDFS.label)}
        for label in graph.objects(term, RDFS.label):
            if str(label) not in theirs:
                problems.append(f"{term}: we label it {str(label)!r}, {', '.join(REFERENCE_FILES[namespace])} {sorted(theirs)}")
    return problems


def test_every_reused_iri_exists_with_our_label(ours_graph: rdflib.Graph, references: dict[str, rdflib.Graph]) -> None:
    """Each reused IRI is declared in its reference file, and where we give it a label, the file gives that label."""
    assert len(reused_terms(ours_graph)) > 40
    problems = label_problems(ours_graph, references)
    assert not problems, "\n".join(problems)


def test_label_check_catches_a_wrong_label_and_a_made_up_iri(references: dict[str, rdflib.Graph]) -> None:
    """The old facts.md's label for STATO_0000431 (it is the DL meta-analysis process) and an IRI no file has."""
    obo = rdflib.Namespace("http://purl.obolibrary.org/obo/")
    graph = rdflib.Graph()
    graph.add((obo.STATO_0000431, RDFS.label, Literal("DerSimonian-Laird estimator")))
    graph.add((obo.STATO_0000429, RDFS.label, Literal("DerSimonian-Laird estimator")))
    graph.add((obo.SEPIO_9999999, RDF.type, OWL.Class))
    problems = label_problems(graph, references)
    assert len(problems) == 2, problems
    assert any("STATO_0000431: we label it" in p for p in problems)
    assert any("SEPIO_9999999: not in" in p for p in problems)
