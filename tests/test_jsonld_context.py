"""The JSON-LD context: its terms against the data files, and over a live server (/context.jsonld, decimals written as JSON numbers, the shapes' decimal check)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from evidencekg.settings import Settings, get_settings
from evidencekg.store.embedded import OxigraphStore
from service.app import create_app
from tests._server import live_server
from tests._writes_support import AUTH, TOKEN

EKG = "https://w3id.org/evidencekg/ontology#"
XSD_DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
GRAPH = "http://example.org/graphs/jsonld-context"
NODE = "http://example.org/things/one"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return get_settings(memory=True, endpoint=None, token=TOKEN)


@pytest.fixture(scope="module")
def served(settings: Settings) -> Iterator[tuple[str, OxigraphStore]]:
    store = OxigraphStore(None)
    with live_server(create_app(store, settings)) as base:
        yield base, store


def context_file(settings: Settings) -> dict[str, object]:
    return json.loads((settings.ontology_dir / "context.jsonld").read_text(encoding="utf-8"))


def store_url(base: str) -> str:
    return f"{base}/store?graph={quote(GRAPH, safe='')}"


def test_the_context_is_served_as_json_ld(served: tuple[str, OxigraphStore], settings: Settings) -> None:
    base, _store = served
    response = httpx.get(f"{base}/context.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    assert response.json() == context_file(settings)


def test_a_json_number_typed_decimal_is_stored_in_decimal_form(served: tuple[str, OxigraphStore]) -> None:
    base, store = served
    context = httpx.get(f"{base}/context.jsonld").json()["@context"]  # inline: the parser fetches no remote context
    body = {"@context": context, "@id": NODE, "estimate": -0.09, "ciLower": -0.15, "ciUpper": -0.03}
    response = httpx.put(
        store_url(base), content=json.dumps(body).encode(), headers={"Content-Type": "application/ld+json", **AUTH}
    )
    assert response.status_code in (201, 204), response.text
    stored = {
        q.predicate.value: q.object
        for q in store.oxigraph.quads_for_pattern(ox.NamedNode(NODE), None, None, ox.NamedNode(GRAPH))
    }
    assert stored[EKG + "estimate"] == ox.Literal("-0.09", datatype=XSD_DECIMAL)
    assert stored[EKG + "ciLower"] == ox.Literal("-0.15", datatype=XSD_DECIMAL)
    # SPARQL arithmetic keeps the value (an exponent form would be dropped)
    rows = list(store.select(f"SELECT (SUM(?v) AS ?s) WHERE {{ GRAPH <{GRAPH}> {{ <{NODE}> ?p ?v }} }}"))
    assert rows[0]["s"].value == "-0.27"


def test_a_decimal_with_an_exponent_is_refused_by_the_shapes(served: tuple[str, OxigraphStore]) -> None:
    base, store = served
    turtle = f'<{NODE}-bad> <{EKG}estimate> "-9.0E-2"^^<http://www.w3.org/2001/XMLSchema#decimal> .'
    response = httpx.put(
        f"{base}/store?graph={quote(GRAPH + '-bad', safe='')}",
        content=turtle.encode(),
        headers={"Content-Type": "text/turtle", **AUTH},
    )
    assert response.status_code == 422, response.text
    assert "-9.0E-2" in response.text and "not a valid xsd:decimal" in response.text and "estimate" in response.text
    assert not list(store.oxigraph.quads_for_pattern(ox.NamedNode(NODE + "-bad"), None, None, None))


def expanded(context: dict[str, object], term: object) -> str:
    """The full IRI a term's @id (compact or whole) stands for."""
    iri = str(term["@id"] if isinstance(term, dict) else term)
    prefix, _, local = iri.partition(":")
    base = context.get(prefix)
    return f"{base}{local}" if isinstance(base, str) and not local.startswith("//") else iri


def data_graph(settings: Settings) -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted(settings.data_dir.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def compacted_nodes(settings: Settings) -> list[dict[str, object]]:
    context = context_file(settings)["@context"]
    document = json.loads(data_graph(settings).serialize(format="json-ld", context=context))
    return list(document["@graph"])


def test_every_predicate_of_the_data_files_has_a_term(settings: Settings) -> None:
    context = context_file(settings)["@context"]
    assert isinstance(context, dict)
    terms = {expanded(context, term) for key, term in context.items() if not key.startswith("@")}
    used = {str(p) for p in data_graph(settings).predicates()} - {str(rdflib.RDF.type)}
    assert used and sorted(used - terms) == []


def test_compacting_the_data_gives_plain_terms_and_values(settings: Settings) -> None:
    nodes = compacted_nodes(settings)
    keys = {key for node in nodes for key in node}
    assert sorted(k for k in keys if ":" in k) == []  # every predicate compacts to its term
    # terms typed xsd:string before (journal, timePoint, ...) compact to plain JSON strings
    journals = [node["journal"] for node in nodes if "journal" in node]
    assert journals and all(isinstance(j, str) for j in journals)
    assert all(isinstance(node["pValueRelation"], str) for node in nodes if "pValueRelation" in node)
    # issued is typed xsd:gYear by the context, so the year compacts to a plain string too
    years = [node["issued"] for node in nodes if "issued" in node]
    assert years and all(isinstance(y, str) and y.isdigit() for y in years)


def test_a_json_key_id_is_not_a_predicate(settings: Settings) -> None:
    context = context_file(settings)["@context"]
    assert "id" not in context and context["ekgid"] == "https://w3id.org/evidencekg/id/"
    body = {"@context": context, "@id": "ekgid:finding/x", "id": "stray", "label": "x"}
    triples = list(ox.parse(json.dumps(body).encode(), format=ox.RdfFormat.JSON_LD))
    assert [t.predicate.value for t in triples] == [str(rdflib.RDFS.label)]
    assert triples[0].subject == ox.NamedNode("https://w3id.org/evidencekg/id/finding/x")
