"""Linked data over a live server: /id/ content negotiation, 404s, VoID, dumps, the query catalogue, assets."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import RDF

from evidencekg.load.shipped import shipped_store
from evidencekg.model.graphs import in_data_union
from evidencekg.model.namespaces import BIBO, EKG, ID, SCHEMA, SKOS
from evidencekg.settings import Settings, get_settings
from evidencekg.store.embedded import OxigraphStore
from service.app import create_app
from tests._ld_support import data_union, shipped_graph
from tests._server import live_server

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
ANXIETY = ID["finding/notsu2024-anxiety-alliance"]
AVOIDANCE = ID["finding/notsu2024-avoidance-alliance"]
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings over the repository's files, with a temporary var folder."""
    return get_settings(var_dir=tmp_path_factory.mktemp("var"), memory=True, endpoint=None)


@pytest.fixture(scope="module")
def store(settings: Settings) -> OxigraphStore:
    """An in-memory store holding the shipped ontology and data."""
    return shipped_store(settings)


@pytest.fixture(scope="module")
def shipped(settings: Settings) -> rdflib.Graph:
    """The shipped files parsed by rdflib (the expectations, read without the code under test)."""
    return shipped_graph(settings)


@pytest.fixture(scope="module")
def client(store: OxigraphStore, settings: Settings) -> Iterator[httpx.Client]:
    """An HTTP client talking to a live server over the loaded store."""
    with live_server(create_app(store, settings)) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


def values(graph: rdflib.Graph, subject: rdflib.URIRef) -> set[tuple[rdflib.URIRef, object]]:
    """(predicate, value) pairs of a subject, literals compared by value (Oxigraph normalises 0.10 to 0.1)."""
    return {(p, o.toPython() if isinstance(o, rdflib.Literal) else o) for p, o in graph.predicate_objects(subject)}


def parse(response: httpx.Response, media_type: str) -> rdflib.Graph:
    """Parse an RDF response after checking it was served with the media type asked for."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    return rdflib.Graph().parse(data=response.content, format=RDF_FORMATS[media_type])


def page_text(response: httpx.Response) -> str:
    """An HTML page's visible text with tags removed and whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


# --- /id/ content negotiation ---------------------------------------------------------------


@pytest.mark.parametrize("media_type", list(RDF_FORMATS))
def test_finding_in_every_rdf_format_carries_its_numbers(
    client: httpx.Client, shipped: rdflib.Graph, media_type: str
) -> None:
    graph = parse(client.get("/id/finding/notsu2024-anxiety-alliance", headers={"Accept": media_type}), media_type)
    finding = rdflib.URIRef(ANXIETY)
    assert graph.value(finding, EKG.estimate).toPython() == Decimal("-0.09")
    assert graph.value(finding, EKG.ciLower).toPython() == Decimal("-0.15")
    assert graph.value(finding, EKG.ciUpper).toPython() == Decimal("-0.03")
    assert graph.value(finding, EKG.pValue).toPython() == Decimal("0.01")
    assert int(graph.value(finding, EKG.numberOfStudies)) == 33
    assert int(graph.value(finding, EKG.sampleSize)) == 2299
    # exactly what the shipped files say about the finding, and what points to it
    assert values(graph, finding) == values(shipped, finding)
    assert set(graph.subjects(None, finding)) == set(shipped.subjects(None, finding))


def test_format_parameter_overrides_accept(client: httpx.Client) -> None:
    for name, media_type in [("ttl", "text/turtle"), ("jsonld", "application/ld+json"), ("nt", "application/n-triples")]:
        response = client.get(f"/id/finding/notsu2024-avoidance-alliance?format={name}", headers={"Accept": "text/html"})
        graph = parse(response, media_type)
        assert graph.value(rdflib.URIRef(AVOIDANCE), EKG.estimate).toPython() == Decimal("-0.13")
    page = client.get("/id/finding/notsu2024-avoidance-alliance?format=html", headers={"Accept": "text/turtle"})
    assert page.headers["content-type"].startswith("text/html")
    assert "Vary" in page.headers and "Accept" in page.headers["Vary"]


def test_jsonld_uses_the_project_context(client: httpx.Client, settings: Settings) -> None:
    body = client.get("/id/finding/notsu2024-anxiety-alliance", headers={"Accept": "application/ld+json"}).json()
    context_file = settings.ontology_dir / "context.jsonld"
    if context_file.is_file():
        expected = json.loads(context_file.read_text(encoding="utf-8"))
        expected = expected.get("@context", expected)
        assert body["@context"] == expected
    else:
        assert body["@context"]["ekg"] == str(EKG)


def test_finding_page_shows_numbers_provenance_and_links(client: httpx.Client, shipped: rdflib.Graph) -> None:
    response = client.get("/id/finding/notsu2024-anxiety-alliance", headers={"Accept": "text/html"})
    assert response.status_code == 200
    text = page_text(response)
    for expected in ("-0.09", "[-0.15, -0.03]", "= 0.01", "33", "2299", "reported finding"):
        assert expected in text, expected
    # the publication's DOI, read from the data, as a doi.org link
    finding = rdflib.URIRef(ANXIETY)
    doi = shipped.value(shipped.value(finding, EKG.reportedIn), BIBO.doi)
    assert f'href="https://doi.org/{doi}"' in response.text
    # every provenance sentence quoted verbatim
    sentences = [s for s in shipped.objects(finding, rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))]
    assert sentences
    for sentence in sentences:
        assert " ".join(str(shipped.value(sentence, RDF.value)).split()) in text
    # links stay on this server: constructs, and the forest plot for the pair
    assert 'href="/id/construct/attachment-anxiety"' in response.text
    assert 'href="/id/construct/therapeutic-alliance"' in response.text
    assert "/plots/forest?a=attachment-anxiety&amp;b=therapeutic-alliance" in response.text
    assert "https://w3id.org/evidencekg/id/construct" not in re.findall(r'href="([^"]+)"', response.text)


def test_publications_link_their_doi_and_pmid_as_iris(client: httpx.Client, shipped: rdflib.Graph) -> None:
    publications = set(shipped.subjects(RDF.type, EKG.Publication))
    assert publications
    for publication in publications:
        stated = {f"https://doi.org/{d}" for d in shipped.objects(publication, BIBO.doi)}
        stated |= {f"https://pubmed.ncbi.nlm.nih.gov/{n}/" for n in shipped.objects(publication, BIBO.pmid)}
        # one IRI per identifier the file states as a string, and no other
        assert {str(o) for o in shipped.objects(publication, SCHEMA.sameAs)} == stated, publication
        served = parse(client.get(str(publication)[len("https://w3id.org/evidencekg"):], headers={"Accept": "text/turtle"}), "text/turtle")
        assert {str(o) for o in served.objects(publication, SCHEMA.sameAs)} == stated
        page = client.get(str(publication)[len("https://w3id.org/evidencekg"):], headers={"Accept": "text/html"})
        for iri in stated:
            assert f'href="{iri}"' in page.text, (publication, iri)
    # the finding page links the publication's DOI and (where the source states it) its PubMed record
    diener = client.get("/id/finding/diener2011-security-alliance", headers={"Accept": "text/html"})
    assert 'href="https://doi.org/10.1037/a0022425"' in diener.text
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/21604902/">PMID 21604902</a>' in diener.text
    notsu = client.get("/id/finding/notsu2024-anxiety-alliance", headers={"Accept": "text/html"})
    assert "pubmed.ncbi.nlm.nih.gov" not in notsu.text  # no PMID is stated for it: none is guessed


def test_finding_page_shows_the_consistency_check(client: httpx.Client) -> None:
    pytest.importorskip("evidencekg.shapes.consistency", reason="the consistency checker is not installed")
    text = page_text(client.get("/id/finding/notsu2024-anxiety-alliance", headers={"Accept": "text/html"}))
    assert "Consistency of the reported numbers" in text
    assert "ok-within-rounding" in text  # r = -.09, CI [-.15, -.03], p = .01 agree only within rounding


def test_same_association_is_shown_with_the_other_source(client: httpx.Client, shipped: rdflib.Graph) -> None:
    pairs = list(shipped.subject_objects(EKG.sameAssociationAs))
    if not pairs:
        pytest.skip("no ekg:sameAssociationAs in the shipped data")
    one, other = pairs[0]
    page = client.get(one.removeprefix(str(ID)).join(["/id/", ""]), headers={"Accept": "text/html"}).text
    assert f'href="/id/{other.removeprefix(str(ID))}"' in page
    estimate = shipped.value(other, EKG.estimate)
    if estimate is not None:
        assert str(estimate) in page_text(httpx.Response(200, text=page))


def test_construct_page_lists_scheme_neighbours_findings_and_implications(
    client: httpx.Client, shipped: rdflib.Graph
) -> None:
    construct = rdflib.URIRef(ID["construct/therapeutic-alliance"])
    response = client.get("/id/construct/therapeutic-alliance", headers={"Accept": "text/html"})
    assert response.status_code == 200
    text = page_text(response)
    assert " ".join(str(shipped.value(construct, SKOS.definition)).split()) in text
    components = set(shipped.objects(construct, EKG.hasComponent)) | set(shipped.subjects(EKG.componentOf, construct))
    assert components
    for component in components:
        assert f'href="/id/{component.removeprefix(str(ID))}"' in response.text
    touching = set(shipped.subjects(EKG.toConstruct, construct)) | set(shipped.subjects(EKG.fromConstruct, construct))
    for finding in touching:
        assert f'href="/id/{finding.removeprefix(str(ID))}"' in response.text
    assert "-0.09" in text and "-0.13" in text
    implications = set(shipped.subjects(EKG.aboutConstruct, construct)) & set(
        shipped.subjects(RDF.type, EKG.PracticeImplication)
    )
    for implication in implications:
        assert " ".join(str(shipped.value(implication, RDF.value)).split()) in text


def forest_links(response: httpx.Response) -> dict[str, str]:
    """The construct page's forest-plot links: the construct named after "with", by its href."""
    block = re.search(r"<p>Forest plots:(.*?)</p>", response.text, re.S)
    return {html.unescape(h): label for h, label in re.findall(r'<a href="([^"]+)">with ([^<]+)</a>', block.group(1))} if block else {}


def test_construct_pages_link_forest_plots_of_broader_pairs(client: httpx.Client) -> None:
    """attachment insecurity has no direct finding, but its narrower anxiety and avoidance do: the forest link is there and works."""
    insecurity = forest_links(client.get("/id/construct/attachment-insecurity", headers={"Accept": "text/html"}))
    assert insecurity == {"/plots/forest?a=attachment-insecurity&b=therapeutic-alliance": "therapeutic alliance"}
    alliance = forest_links(client.get("/id/construct/therapeutic-alliance", headers={"Accept": "text/html"}))
    assert alliance["/plots/forest?a=therapeutic-alliance&b=attachment-insecurity"] == "attachment insecurity"
    assert alliance["/plots/forest?a=therapeutic-alliance&b=attachment-anxiety"] == "attachment anxiety"  # direct pairs stay
    for href in [*insecurity, *alliance]:
        plot = client.get(href)
        assert plot.status_code == 200 and plot.headers["content-type"] == "image/svg+xml", href
    assert forest_links(client.get("/id/construct/alliance-rupture", headers={"Accept": "text/html"})) == {}


def test_derived_findings_are_labelled_as_derived(settings: Settings, shipped: rdflib.Graph) -> None:
    store = shipped_store(settings)
    store.update(
        f"""PREFIX ekg: <{EKG}> PREFIX prov: <http://www.w3.org/ns/prov#>
        INSERT DATA {{ <{ID}finding/test-pooled> a ekg:DerivedFinding ;
            ekg:fromConstruct <{ID}construct/attachment-avoidance> ; ekg:toConstruct <{ID}construct/therapeutic-alliance> ;
            ekg:estimate -0.111 ; ekg:poolingMethod "REML" ; prov:wasDerivedFrom <{AVOIDANCE}> . }}"""
    )
    with live_server(create_app(store, settings)) as url:
        derived = httpx.get(f"{url}/id/finding/test-pooled", headers={"Accept": "text/html"})
        reported = httpx.get(f"{url}/id/finding/notsu2024-avoidance-alliance", headers={"Accept": "text/html"})
    assert "derived finding" in page_text(derived) and "reported finding" not in page_text(derived)
    assert 'href="/id/finding/notsu2024-avoidance-alliance"' in derived.text  # what it was derived from
    assert "REML" in page_text(derived)
    assert "reported finding" in page_text(reported)


def test_derived_finding_page_names_its_measure_and_sorts_inputs_naturally(settings: Settings) -> None:
    store = shipped_store(settings)
    rows = (10, 2, 1, 100, 11)
    inputs = " , ".join(f"<{ID}finding/test-sheet-row{n}>" for n in rows)
    store.update(
        f"""PREFIX ekg: <{EKG}> PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX obo: <http://purl.obolibrary.org/obo/>
        INSERT DATA {{ <{ID}finding/test-pooled-g> a ekg:DerivedFinding ; ekg:effectSizeMeasure obo:STATO_0000319 ;
            ekg:estimate 0.5 ; prov:wasDerivedFrom {inputs} . }}"""
    )
    with live_server(create_app(store, settings)) as url:
        page = httpx.get(f"{url}/id/finding/test-pooled-g", headers={"Accept": "text/html"})
    numbers = page.text[page.text.index('<dl class="numbers">'):page.text.index("</dl>", page.text.index('<dl class="numbers">'))]
    assert "<dt>Hedges&#39; g</dt>" in numbers or "<dt>Hedges' g</dt>" in numbers
    assert "STATO_0000319" not in page_text(page).split("All statements")[0]  # the IRI stays in the statements table only
    derived_from = page.text[page.text.index("Derived from:"):]
    positions = [derived_from.index(f'href="/id/finding/test-sheet-row{n}"') for n in sorted(rows)]
    assert positions == sorted(positions)  # row1, row2, row10, row11, row100
    statements = page.text[page.text.index("All statements"):]
    positions = [statements.index(f'href="/id/finding/test-sheet-row{n}"') for n in sorted(rows)]
    assert positions == sorted(positions)


def test_home_page_labels_its_counts_and_titles_do_not_repeat_publishers(client: httpx.Client, store: OxigraphStore, shipped: rdflib.Graph) -> None:
    page = client.get("/")
    count = lambda name: int(re.search(rf'data-count="{name}">(\d+)<', page.text).group(1))  # noqa: E731
    default_graph = data_union(store)
    assert count("triples") == len(default_graph) and count("quads") == len(store)
    assert "triples (data graphs)" in page_text(page) and "quads (all graphs)" in page_text(page)
    dcterms = rdflib.Namespace("http://purl.org/dc/terms/")
    for document in shipped.subjects(RDF.type, EKG.SourceDocument):
        title, publisher = shipped.value(document, dcterms.title), shipped.value(document, dcterms.publisher)
        if title and publisher:
            assert str(publisher).lower() not in str(title).lower() and str(publisher).split()[0] not in str(title), (title, publisher)
            assert f"{title} {publisher}" in page_text(page)  # listed once: title, then publisher


def test_instances_of_every_kind_dereference(client: httpx.Client, shipped: rdflib.Graph) -> None:
    instances = sorted({s for s in shipped.subjects() if isinstance(s, rdflib.URIRef) and s.startswith(str(ID))})
    by_kind: dict[str, list[rdflib.URIRef]] = {}
    for iri in instances:
        by_kind.setdefault(iri.removeprefix(str(ID)).split("/")[0], []).append(iri)
    assert {"finding", "construct", "publication", "document", "sentence"} <= set(by_kind)
    # every finding and construct, and the first few of each other kind (each request costs a page build)
    sample = [i for kind, iris in by_kind.items() for i in (iris if kind in ("finding", "construct") else iris[:3])]
    failures = []
    for iri in sample:
        path = "/id/" + iri.removeprefix(str(ID))
        page = client.get(path, headers={"Accept": "text/html"})
        turtle = client.get(path, headers={"Accept": "text/turtle"})
        if page.status_code != 200 or turtle.status_code != 200:
            failures.append((path, page.status_code, turtle.status_code))
        elif str(iri) not in {t.subject.value for t in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE)}:
            failures.append((path, "subject missing from its own description"))
    assert not failures


def test_unknown_resource_is_a_404_naming_the_iri(client: httpx.Client) -> None:
    page = client.get("/id/finding/no-such-finding", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "https://w3id.org/evidencekg/id/finding/no-such-finding" in page.text
    turtle = client.get("/id/finding/no-such-finding", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 404
    assert "https://w3id.org/evidencekg/id/finding/no-such-finding" in turtle.text


def test_bad_format_requests_are_refused_clearly(client: httpx.Client) -> None:
    not_acceptable = client.get("/id/finding/notsu2024-anxiety-alliance", headers={"Accept": "image/png"})
    assert not_acceptable.status_code == 406
    assert "image/png" in not_acceptable.text
    bad_param = client.get("/id/finding/notsu2024-anxiety-alliance?format=pdf")
    assert bad_param.status_code == 400
    assert "pdf" in bad_param.text and "ttl" in bad_param.text


# --- VoID and dumps ---------------------------------------------------------------------------


def test_void_parses_and_its_counts_match_the_store(client: httpx.Client, store: OxigraphStore) -> None:
    graph = parse(client.get("/.well-known/void"), "text/turtle")
    dataset = next(s for s in graph.subjects(RDF.type, VOID.Dataset) if (s, VOID.sparqlEndpoint, None) in graph)
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    default_graph = data_union(store)
    assert int(graph.value(dataset, VOID.triples)) == len(default_graph)
    assert int(graph.value(dataset, VOID.distinctSubjects)) == len(set(default_graph.subjects()))
    partitions = {
        graph.value(p, VOID["class"]): int(graph.value(p, VOID.entities)) for p in graph.objects(dataset, VOID.classPartition)
    }
    for cls in (EKG.ReportedFinding, EKG.Construct, EKG.Publication, EKG.SourceDocument):
        assert partitions[cls] == len(set(default_graph.subjects(RDF.type, cls))), cls
    base = str(client.base_url).rstrip("/")
    assert graph.value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef(f"{base}/sparql")
    assert set(graph.objects(dataset, VOID.dataDump)) == {rdflib.URIRef(f"{base}/dump.ttl"), rdflib.URIRef(f"{base}/dump.nq")}
    jsonld = parse(client.get("/.well-known/void", headers={"Accept": "application/ld+json"}), "application/ld+json")
    assert len(jsonld) == len(graph)


SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
CC_BY = rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")


def test_void_states_licence_link_sets_and_named_graphs(client: httpx.Client, store: OxigraphStore) -> None:
    graph = parse(client.get("/.well-known/void"), "text/turtle")
    dataset = next(s for s in graph.subjects(RDF.type, VOID.Dataset) if (s, VOID.sparqlEndpoint, None) in graph)
    assert graph.value(dataset, DCTERMS.license) == CC_BY
    for dump in graph.objects(dataset, DCAT.distribution):
        assert graph.value(dump, DCTERMS.license) == CC_BY
    # every named graph of the store, by name
    named = {g.value for g in store.oxigraph.named_graphs() if isinstance(g, ox.NamedNode) and any(store.oxigraph.quads_for_pattern(None, None, None, g))}
    stated = {str(graph.value(g, SD.name)) for g in graph.objects(dataset, SD.namedGraph)}
    assert stated == named and "https://w3id.org/evidencekg/graph/mappings" in stated
    # one link set per (external dataset, predicate), its count that of the data union's triples
    union = data_union(store)
    linksets = {}
    for linkset in graph.objects(dataset, VOID.subset):
        assert (linkset, RDF.type, VOID.Linkset) in graph and graph.value(linkset, VOID.subjectsTarget) == dataset
        linksets[(str(graph.value(linkset, VOID.objectsTarget)), graph.value(linkset, VOID.linkPredicate))] = int(graph.value(linkset, VOID.triples))
    expected_targets = {"http://id.nlm.nih.gov/mesh/": "http://id.nlm.nih.gov/mesh/", "http://purl.obolibrary.org/obo/mf.owl": "http://purl.obolibrary.org/obo/MF_",
                        "http://humanbehaviourchange.org/ontology/bcio.owl": "http://humanbehaviourchange.org/ontology/BCIO_", "https://doi.org/": "https://doi.org/"}
    assert set(expected_targets) <= {target for target, _ in linksets}
    for (target, predicate), n in linksets.items():
        prefix = expected_targets.get(target, target)
        assert n == sum(1 for _, _, o in union.triples((None, predicate, None)) if isinstance(o, rdflib.URIRef) and str(o).startswith(prefix)), (target, predicate)
    assert linksets[("https://doi.org/", SCHEMA.sameAs)] == len(set(union.objects(None, BIBO.doi)))


def test_home_page_embeds_a_schema_org_dataset(client: httpx.Client, store: OxigraphStore, shipped: rdflib.Graph) -> None:
    page = client.get("/", headers={"Accept": "text/html"})
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    base = str(client.base_url).rstrip("/")
    assert data["@context"] == "https://schema.org/" and data["@type"] == "Dataset"
    assert data["name"] and data["description"] and data["creator"]["name"]
    assert data["license"] == str(CC_BY)
    assert {d["contentUrl"] for d in data["distribution"]} == {f"{base}/dump.ttl", f"{base}/dump.nq"}
    assert set(data["citation"]) >= {str(c) for p in shipped.subjects(RDF.type, EKG.Publication) for c in shipped.objects(p, DCTERMS.bibliographicCitation)}
    measured = {v["propertyID"]: v["name"] for v in data["variableMeasured"]}
    assert measured["http://purl.obolibrary.org/obo/STATO_0000280"] == "Pearson's correlation coefficient"
    assert str(EKG.pValue) in measured and str(EKG.sampleSize) in measured
    # the same dataset VoID describes
    void = parse(client.get("/.well-known/void"), "text/turtle")
    assert (rdflib.URIRef(data["@id"]), VOID.sparqlEndpoint, rdflib.URIRef(f"{base}/sparql")) in void


def test_dumps_parse_and_round_trip(client: httpx.Client, store: OxigraphStore, settings: Settings) -> None:
    shipped_data = shipped_graph(settings, data_only=True)  # dump.ttl is the data union: no ontology, no shapes
    turtle = client.get("/dump.ttl")
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    reloaded = OxigraphStore()
    reloaded.load(turtle.content, "text/turtle")
    assert len(rdflib.Graph().parse(data=turtle.content, format="turtle")) == len(shipped_data)
    quads = client.get("/dump.nq")
    assert quads.status_code == 200 and quads.headers["content-type"].startswith("application/n-quads")
    again = OxigraphStore()
    again.load(quads.content, "application/n-quads")
    assert len(again) == len(store)
    in_union = [
        q for q in ox.parse(quads.content, format=ox.RdfFormat.N_QUADS)
        if isinstance(q.graph_name, ox.DefaultGraph) or in_data_union(q.graph_name.value)
    ]  # fmt: skip
    assert len(reloaded) == len({q.triple for q in in_union})


# --- the query catalogue ----------------------------------------------------------------------


def test_catalogue_lists_every_query_file(client: httpx.Client, settings: Settings) -> None:
    listed = client.get("/queries").json()
    files = sorted(settings.queries_dir.glob("*.rq"))
    assert [q["name"] for q in listed] == [f.stem for f in files]
    for entry, path in zip(listed, files):
        header = path.read_text(encoding="utf-8")
        title = re.search(r"^# title:\s*(.+)$", header, re.M)
        assert entry["title"] == title.group(1).strip()
        assert [p["name"] for p in entry["params"]] == re.findall(r"^# param:\s*(\w+)", header, re.M)
    page = client.get("/queries", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html")
    for entry in listed:
        assert entry["title"] in html.unescape(page.text)


def test_catalogue_runs_a_query_with_parameters(client: httpx.Client, shipped: rdflib.Graph) -> None:
    insecurity = "attachment insecurity"
    response = client.get(
        "/queries/evidence-between", params={"a": insecurity, "b": "therapeutic-alliance"}, headers={"Accept": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    # expected: the reported findings from a narrower construct of attachment insecurity to the alliance
    scheme = rdflib.URIRef(ID["construct/attachment-insecurity"])
    narrower = set(shipped.objects(scheme, SKOS.narrower)) | set(shipped.subjects(SKOS.broader, scheme)) | {scheme}
    alliance = rdflib.URIRef(ID["construct/therapeutic-alliance"])
    expected = {
        str(f)
        for f in shipped.subjects(RDF.type, EKG.ReportedFinding)
        if shipped.value(f, EKG.fromConstruct) in narrower and shipped.value(f, EKG.toConstruct) == alliance
    }
    assert {str(ANXIETY), str(AVOIDANCE)} <= expected
    assert {row["finding"] for row in rows} == expected
    estimates = {Decimal(row["estimate"]) for row in rows}
    assert {Decimal("-0.09"), Decimal("-0.13")} <= estimates
    as_json = client.get(
        "/queries/evidence-between", params={"a": insecurity, "b": "therapeutic alliance"},
        headers={"Accept": "application/sparql-results+json"},
    ).json()
    assert {b["finding"]["value"] for b in as_json["results"]["bindings"]} == expected
    as_html = client.get(
        "/queries/evidence-between", params={"a": insecurity, "b": "therapeutic alliance"}, headers={"Accept": "text/html"}
    )
    assert as_html.headers["content-type"].startswith("text/html")
    assert 'href="/id/finding/notsu2024-anxiety-alliance"' in as_html.text


def test_catalogue_errors_name_the_problem(client: httpx.Client) -> None:
    unknown = client.get("/queries/evidence-betwen")
    assert unknown.status_code == 404 and "evidence-between" in unknown.text  # close match offered
    missing = client.get("/queries/evidence-between", params={"a": "attachment anxiety"})
    assert missing.status_code == 400 and "b" in missing.json()["detail"]
    extra = client.get("/queries/associations", params={"colour": "blue"})
    assert extra.status_code == 400 and "colour" in extra.json()["detail"]
    misspelt = client.get("/queries/evidence-between", params={"a": "attachment anxeity", "b": "therapeutic alliance"})
    assert misspelt.status_code == 400 and "attachment anxiety" in misspelt.json()["detail"]


# --- browser files ------------------------------------------------------------------------------


def test_vendor_serves_only_the_allowlisted_files(client: httpx.Client) -> None:
    for path in ("@zazuko/yasgui/build/yasgui.min.js", "@zazuko/yasgui/build/yasgui.min.css", "cytoscape/dist/cytoscape.min.js"):
        response = client.get(f"/vendor/{path}")
        assert response.status_code == 200 and len(response.content) > 10_000, path
    assert client.get("/vendor/@zazuko/yasgui/package.json").status_code == 404
    assert client.get("/vendor/../package.json").status_code == 404
    assert client.get("/vendor/%2e%2e/package.json").status_code == 404


def test_vendor_says_to_run_npm_ci_when_missing(store: OxigraphStore, tmp_path: Path) -> None:
    settings = get_settings(var_dir=tmp_path, memory=True, node_modules=tmp_path / "node_modules")
    with live_server(create_app(store, settings)) as url:
        response = httpx.get(f"{url}/vendor/@zazuko/yasgui/build/yasgui.min.js")
    assert response.status_code == 500
    assert "npm ci" in response.json()["detail"]


def test_api_docs_load_nothing_from_other_hosts(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', page.text) + re.findall(r"url: ?'([^']+)'", page.text)
    assert urls
    for url in urls:
        assert not url.startswith(("http:", "https:", "//")), url
        assert client.get(url).status_code == 200, url
