"""Our ontology and data merged with the ontologies they reuse: consistent (OWL RL closure, HermiT), reused IRIs real.

The reference files are ../shared/ontologies (SEPIO, IAO, PROV-O, BIBO, FaBiO, SKOS, DCTerms,
DCAT, FOAF, STATO); every test here skips without them. The closure runs on a module of the
reused files (the axioms that can reach our terms, tests/_reasoning_support.py), which keeps it
to seconds; a test shows the module still carries the disjointness a study would break.
"""

from __future__ import annotations

import os
import shutil
import subprocess
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
    """HermiT (the jar owlready2 ships; Java 17) checks the same merge for consistency: owl:Thing is satisfiable.

    Its consistency check (-k) takes seconds; a full classification of the merge took minutes here.
    """
    owlready2 = pytest.importorskip("owlready2")
    java = shutil.which("java")
    if java is None:
        pytest.skip("no java for HermiT")
    jars = Path(owlready2.__file__).parent / "hermit"
    path = tmp_path / "merged.nt"
    hermit_ready(merged).serialize(path, format="nt", encoding="utf-8")
    command = [java, "-Xmx2000M", "-cp", f"{jars}{os.pathsep}{jars / 'HermiT.jar'}",
               "org.semanticweb.HermiT.cli.CommandLine", "-k", path.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "owl#Thing is satisfiable" in done.stdout, f"HermiT: the merged ontology and data are inconsistent\n{done.stdout[-2000:]}"


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
