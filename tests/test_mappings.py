"""SSSOM mappings: ontology/mappings/*.sssom.tsv validates with the SSSOM toolkit, names only verified external terms, loads as SKOS matches, is served, and looks up both ways."""

from __future__ import annotations

from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from evidencekg.load.shipped import shipped_store
from evidencekg.settings import get_settings
from evidencekg.store.mappings import MAPPINGS_GRAPH, mapping_files, read_sssom

ONTOLOGY = Path(__file__).resolve().parents[1] / "ontology"
FILES = mapping_files(ONTOLOGY)
MF_ATTACHMENT = "http://purl.obolibrary.org/obo/MF_0000058"
REFERENCE = {"http://purl.obolibrary.org/obo/MF_": "MF.owl", "http://humanbehaviourchange.org/ontology/BCIO_": "bcio.owl",
             "http://purl.obolibrary.org/obo/STATO_": "stato.owl"}  # fmt: skip


def test_there_is_a_mapping_set() -> None:
    assert [p.name for p in FILES] == ["evidencekg.sssom.tsv"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_sssom_toolkit_validates_it(path: Path) -> None:
    parsers = pytest.importorskip("sssom.parsers")
    validators = pytest.importorskip("sssom.validators")
    table = parsers.parse_sssom_table(str(path))
    reports = validators.validate(table, fail_on_error=True)
    assert reports and all(not report.results for report in reports.values())
    meta, mappings = read_sssom(path)
    assert len(table.df) == len(mappings) > 5
    assert meta["license"] == table.metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert all(m.comment for m in mappings)  # each says why


def label_of(graph: rdflib.Graph, iri: str) -> str | None:
    """The rdfs:label the reference copy gives a term (None when the term is not there)."""
    return next((str(label) for label in graph.objects(rdflib.URIRef(iri), rdflib.RDFS.label)), None)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_external_term_is_verified_with_its_label(path: Path, shared_dir: Path) -> None:
    facts = (shared_dir / "facts.md").read_text(encoding="utf-8")
    graphs: dict[str, rdflib.Graph] = {}
    for m in read_sssom(path)[1]:
        source = next((f for prefix, f in REFERENCE.items() if m.object.startswith(prefix)), None)
        if source is None:  # MeSH: the record of facts.md, with the label it gives
            assert m.object.startswith("http://id.nlm.nih.gov/mesh/"), m.object
            record = next(line for line in facts.splitlines() if f"MeSH {m.object.rsplit('/', 1)[-1]}" in line)
            assert record.startswith(f"| {m.object_label} |") and "verified" in record, record
            continue
        if source not in graphs:
            graphs[source] = rdflib.Graph().parse(shared_dir / "ontologies" / source, format="xml")
        assert label_of(graphs[source], m.object) == m.object_label, m.object


def test_the_shipped_store_holds_them_as_skos_matches_in_their_own_graph() -> None:
    store = shipped_store(get_settings(memory=True))
    held = {(r["s"].value, r["p"].value, r["o"].value)
            for r in store.select(f"SELECT ?s ?p ?o {{ GRAPH <{MAPPINGS_GRAPH}> {{ ?s ?p ?o }} }}")}  # fmt: skip
    assert held == {(m.subject, m.predicate, m.object) for path in FILES for m in read_sssom(path)[1]}
    # in the data union: a query without GRAPH finds them
    assert store.ask(f"ASK {{ ?c <http://www.w3.org/2004/02/skos/core#broadMatch> <{MF_ATTACHMENT}> }}")


def test_served_looked_up_and_shown_on_construct_pages(live_url: str) -> None:
    served = httpx.get(f"{live_url}/mappings.sssom.tsv")
    assert served.status_code == 200 and served.content == FILES[0].read_bytes()
    assert served.headers["content-type"].startswith("text/tab-separated-values")
    found = httpx.get(f"{live_url}/id/lookup", params={"iri": MF_ATTACHMENT})
    assert found.status_code == 200
    assert {(f["term"].rsplit("/", 1)[-1], f["predicate"].rsplit("#", 1)[-1]) for f in found.json()} == {
        ("attachment-security", "broadMatch"), ("attachment-insecurity", "broadMatch")}
    mesh = httpx.get(f"{live_url}/id/lookup", params={"iri": "http://id.nlm.nih.gov/mesh/D016896"}).json()
    assert [f["label"] for f in mesh] == ["psychotherapy outcome"]
    assert httpx.get(f"{live_url}/id/lookup", params={"iri": "http://example.org/nothing"}).status_code == 404
    assert httpx.get(f"{live_url}/id/lookup", params={"iri": "not an iri"}).status_code == 400
    page = httpx.get(f"{live_url}/id/construct/attachment-security", headers={"Accept": "text/html"})
    assert page.status_code == 200 and MF_ATTACHMENT in page.text
    turtle = httpx.get(f"{live_url}/id/construct/attachment-security", params={"format": "nt"}).content
    assert ox.Triple(ox.NamedNode("https://w3id.org/evidencekg/id/construct/attachment-security"),
                     ox.NamedNode("http://www.w3.org/2004/02/skos/core#broadMatch"),
                     ox.NamedNode(MF_ATTACHMENT)) in {q.triple for q in ox.parse(turtle, format=ox.RdfFormat.N_TRIPLES)}  # fmt: skip
