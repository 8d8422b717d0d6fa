"""The /sparql endpoint: a real client (SPARQLWrapper) in every format, and the protocol's edge cases."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import httpx
import pytest
from rdflib import Graph, URIRef
from SPARQLWrapper import CSV, JSON, JSONLD, TSV, TURTLE, XML, SPARQLWrapper

from evidencekg.load.shipped import evidence_files
from evidencekg.model.namespaces import EKG
from evidencekg.settings import get_settings
from evidencekg.store.protocol import QueryKind
from service.negotiation import chooser, parse_accept
from service.protocol import Operation, parse_request

SELECT_ESTIMATES = f"SELECT ?finding ?estimate WHERE {{ ?finding <{EKG.estimate}> ?estimate }}"
CONSTRUCT_ESTIMATES = f"CONSTRUCT {{ ?f <{EKG.estimate}> ?e }} WHERE {{ ?f <{EKG.estimate}> ?e }}"
SD = "http://www.w3.org/ns/sparql-service-description#"


@pytest.fixture(scope="module")
def shipped() -> Graph:
    """The shipped evidence parsed by rdflib (an engine independent of the one the server runs)."""
    graph = Graph()
    for path in evidence_files(get_settings()):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def estimates(shipped: Graph) -> set[tuple[str, Decimal]]:
    """(finding, estimate) pairs according to rdflib; the endpoint must return exactly these."""
    pairs = {(str(f), Decimal(str(e))) for f, e in shipped.subject_objects(EKG.estimate)}
    assert len(pairs) >= 3, "the shipped data should hold several findings with estimates"
    return pairs


def wrapper(live_url: str, query: str, fmt: str) -> SPARQLWrapper:
    """A SPARQLWrapper client for the live endpoint."""
    client = SPARQLWrapper(f"{live_url}/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client


def rows_from(fmt: str, body: object) -> set[tuple[str, Decimal]]:
    """(finding, estimate) pairs from a SELECT result in any of the four formats."""
    if fmt == JSON:
        bindings = body["results"]["bindings"]  # type: ignore[index]
        return {(b["finding"]["value"], Decimal(b["estimate"]["value"])) for b in bindings}
    if fmt == XML:
        pairs = set()
        for result in body.getElementsByTagName("result"):  # type: ignore[attr-defined]
            values = {
                b.getAttribute("name"): b.getElementsByTagName("uri") or b.getElementsByTagName("literal")
                for b in result.getElementsByTagName("binding")
            }
            pairs.add((values["finding"][0].firstChild.data, Decimal(values["estimate"][0].firstChild.data)))
        return pairs
    text = body.decode() if isinstance(body, bytes) else str(body)
    if fmt == CSV:
        return {(r["finding"], Decimal(r["estimate"])) for r in csv.DictReader(io.StringIO(text))}
    lines = text.strip().splitlines()
    assert lines[0].split("\t") == ["?finding", "?estimate"]
    pairs = set()
    for line in lines[1:]:
        finding, estimate = line.split("\t")
        pairs.add((finding.strip("<>"), Decimal(estimate.split("^^")[0].strip('"'))))
    return pairs


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_select_in_every_format_with_sparqlwrapper(live_url: str, fmt: str, estimates: set) -> None:
    """SELECT through SPARQLWrapper returns rdflib's answer in JSON, XML, CSV and TSV."""
    result = wrapper(live_url, SELECT_ESTIMATES, fmt).query()
    expected_type = {
        JSON: "application/sparql-results+json",
        XML: "application/sparql-results+xml",
        CSV: "text/csv",
        TSV: "text/tab-separated-values",
    }[fmt]
    assert result.info()["content-type"].split(";")[0] == expected_type
    assert rows_from(fmt, result.convert()) == estimates


def test_ask_with_sparqlwrapper(live_url: str, estimates: set) -> None:
    """ASK answers true for a stored finding and false for an invented one."""
    finding = next(iter(estimates))[0]
    assert wrapper(live_url, f"ASK {{ <{finding}> <{EKG.estimate}> ?e }}", JSON).query().convert()["boolean"] is True
    assert wrapper(live_url, f"ASK {{ <{finding}-nope> ?p ?o }}", XML).query().convert().getElementsByTagName(
        "boolean"
    )[0].firstChild.data == "false"


def estimates_in(graph: Graph) -> set[tuple[str, Decimal]]:
    """(finding, estimate) pairs of a CONSTRUCT result parsed by rdflib."""
    return {(str(s), Decimal(str(o))) for s, o in graph.subject_objects(URIRef(str(EKG.estimate)))}


@pytest.mark.parametrize(
    ("fmt", "media_type", "rdflib_format"),
    [
        (TURTLE, "text/turtle", "turtle"),
        (XML, "application/rdf+xml", "xml"),
        (JSONLD, "application/ld+json", "json-ld"),
    ],
)
def test_construct_with_sparqlwrapper(live_url: str, fmt: str, media_type: str, rdflib_format: str, estimates: set) -> None:
    """CONSTRUCT through SPARQLWrapper in Turtle, RDF/XML and JSON-LD holds exactly rdflib's triples."""
    result = wrapper(live_url, CONSTRUCT_ESTIMATES, fmt).query()
    assert result.info()["content-type"].split(";")[0] == media_type
    body = result.response.read()
    assert estimates_in(Graph().parse(data=body, format=rdflib_format)) == estimates


def test_construct_as_n_triples(live_url: str, estimates: set) -> None:
    """CONSTRUCT as N-Triples (Accept: application/n-triples), POSTed directly."""
    response = httpx.post(
        f"{live_url}/sparql",
        content=CONSTRUCT_ESTIMATES,
        headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/n-triples")
    assert estimates_in(Graph().parse(data=response.text, format="nt")) == estimates


def test_browser_gets_json_for_a_query(live_url: str, estimates: set) -> None:
    """A browser's Accept (text/html first) still gets a displayable JSON result, not a 406."""
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = httpx.get(f"{live_url}/sparql", params={"query": SELECT_ESTIMATES}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/sparql-results+json"
    assert rows_from(JSON, response.json()) == estimates


def test_post_form_query(live_url: str, estimates: set) -> None:
    """A URL-encoded POST (what YASGUI sends) runs the query."""
    response = httpx.post(f"{live_url}/sparql", data={"query": SELECT_ESTIMATES}, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert rows_from(CSV, response.content) == estimates


@pytest.mark.parametrize(
    ("accept", "media_type", "rdflib_format"),
    [
        (None, "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/n-triples", "application/n-triples", "nt"),
    ],
)
def test_service_description(live_url: str, accept: str | None, media_type: str, rdflib_format: str) -> None:
    """/sparql without a query describes the service, naming itself as the endpoint, in the negotiated format."""
    response = httpx.get(f"{live_url}/sparql", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    graph = Graph().parse(data=response.content, format=rdflib_format)
    endpoint = URIRef(f"{live_url}/sparql")
    assert (endpoint, URIRef(SD + "endpoint"), endpoint) in graph
    assert (endpoint, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Query")) in graph
    assert (endpoint, URIRef(SD + "supportedLanguage"), URIRef(SD + "SPARQL11Update")) not in graph  # no token


def test_syntax_error_gives_parser_message_and_position(live_url: str) -> None:
    """A syntax error answers 400 with the parser's line:column and the line marked."""
    response = httpx.get(f"{live_url}/sparql", params={"query": "SELECT ?s WHERE {\n  ?s ?p \n"})
    assert response.status_code == 400
    assert "error at 3:1" in response.text or "error at 2:" in response.text
    assert "^" in response.text


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "words"),
    [
        ("GET", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "'query' 2 times"),
        ("POST", {"content": b"ASK {}", "headers": {"Content-Type": "text/plain"}}, 415, "text/plain"),
        ("POST", {"content": b"query=ASK%20%7B%7D"}, 415, "needs a Content-Type"),
        ("GET", {"params": {"update": "CLEAR ALL"}}, 400, "must be sent by POST"),
        ("PUT", {"params": {"query": "ASK {}"}}, 405, ""),
        ("GET", {"params": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}}, 406, "Accept"),
        ("POST", {"content": "ASK {}".encode("utf-16"), "headers": {"Content-Type": "application/sparql-query; charset=UTF-16"}}, 415, "UTF-8"),
        ("POST", {"content": b"ASK {\xff}", "headers": {"Content-Type": "application/sparql-query"}}, 400, "not valid UTF-8"),
        ("POST", {"data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400, "not both"),
        ("GET", {"params": {"query": "ASK {}", "using-graph-uri": "http://g"}}, 400, "belong to updates"),
    ],
    ids=["two-queries", "unknown-type", "no-type", "update-by-get", "put", "not-acceptable", "utf16", "bad-utf8", "query-and-update", "using-on-query"],
)
def test_protocol_errors(live_url: str, method: str, kwargs: dict, status: int, words: str) -> None:
    """Requests the protocol forbids get the right status and say what was wrong."""
    response = httpx.request(method, f"{live_url}/sparql", **kwargs)
    assert response.status_code == status, response.text
    assert words in response.text


def test_update_without_token_is_refused_and_changes_nothing(live_url: str) -> None:
    """The shared server has no token: an update answers 401 and the data stays."""
    count = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    before = httpx.get(f"{live_url}/sparql", params={"query": count}).json()
    response = httpx.post(f"{live_url}/sparql", data={"update": "CLEAR ALL"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("text/plain")  # as every /sparql error
    assert response.text.startswith("Unauthorized: ") and response.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(f"{live_url}/sparql", params={"query": count}).json() == before


def test_accept_parsing_and_choice() -> None:
    """q-values, specificity and aliases decide the format; nothing acceptable gives None."""
    ranges = parse_accept("text/csv;q=0.4, application/sparql-results+xml;q=0.8, */*;q=0.1")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [
        ("text", "csv", 0.4),
        ("application", "sparql-results+xml", 0.8),
        ("*", "*", 0.1),
    ]
    pick = chooser("text/csv;q=0.4, application/sparql-results+xml;q=0.8, */*;q=0.1")
    assert pick(QueryKind.SOLUTIONS) == "application/sparql-results+xml"
    assert pick(QueryKind.GRAPH) == "text/turtle"  # only */* matches: the server's first choice
    assert chooser("application/json")(QueryKind.GRAPH) == "application/ld+json"
    assert chooser("text/csv")(QueryKind.BOOLEAN) is None
    assert chooser("application/sparql-results+json;q=0, */*")(QueryKind.SOLUTIONS) == "application/sparql-results+xml"


def test_protocol_parsing_merges_url_and_form_parameters() -> None:
    """A form POST may carry the dataset in the URL (as the W3C tests do); both are read."""
    parsed = parse_request(
        "POST",
        "default-graph-uri=http%3A%2F%2Fa&named-graph-uri=http%3A%2F%2Fb",
        "application/x-www-form-urlencoded",
        b"query=ASK%20%7B%7D&default-graph-uri=http%3A%2F%2Fc",
    )
    assert parsed.operation is Operation.QUERY
    assert parsed.text == "ASK {}"
    assert parsed.default_graphs == ("http://a", "http://c")
    assert parsed.named_graphs == ("http://b",)
    assert parse_request("GET", "", None, b"").operation is Operation.DESCRIPTION


@pytest.mark.parametrize(
    "template",
    [
        "SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(?o < {x}) }}",
        "SELECT ?s {{ ?s ?p ?o FILTER(?o < {x}) }} ORDER BY ?s",
        "# a comment {{ with braces }}\nSELECT ?s WHERE {{ {{ SELECT ?s ?o WHERE {{ ?s ?p ?o }} }} FILTER(?o < {x}) }}",
        "ASK {{ ?s ?p {x} }}",
        "CONSTRUCT {{ ?s <http://e/low> ?o }} {{ ?s ?p ?o FILTER(?o < {x}) }}",
        "CONSTRUCT WHERE {{ ?s ?p {x} }}",
    ],
    ids=["aggregate", "no-where-keyword", "subquery", "ask", "construct", "construct-where"],
)
def test_bound_variables_act_inside_the_where_group(template: str) -> None:
    """A variable bound by `with_values` gives what the literal written in its place gives."""
    import pyoxigraph as ox

    from evidencekg.store.embedded import OxigraphStore
    from evidencekg.store.protocol import with_values

    store = OxigraphStore()
    store.oxigraph.extend(
        ox.Quad(ox.NamedNode(f"http://e/s{i}"), ox.NamedNode("http://e/p"), ox.Literal(i)) for i in range(20)
    )
    def run(query: str) -> tuple[str, bytes]:
        return store.query_serialized(query, lambda kind: "application/n-triples" if kind is QueryKind.GRAPH else "text/csv")

    assert run(with_values(template.format(x="?x"), {"x": ox.Literal(7)})) == run(template.format(x="7"))


def test_queries_see_writes_made_through_the_store_api() -> None:
    """A write made on the store object (as a loader or importer would) reaches the query workers unannounced."""
    from evidencekg.store.embedded import OxigraphStore
    from tests._server import live_server, memory_app

    store = OxigraphStore()
    app = memory_app(store)
    ask = {"query": "ASK { <http://e/s> <http://e/p> 1 }"}
    with live_server(app) as base:
        assert httpx.get(f"{base}/sparql", params=ask).json()["boolean"] is False
        store.update("INSERT DATA { <http://e/s> <http://e/p> 1 }")
        assert httpx.get(f"{base}/sparql", params=ask).json()["boolean"] is True
        store.load(b"<http://e/t> <http://e/p> \"2\" .", "application/n-triples")
        count = httpx.get(f"{base}/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}, headers={"Accept": "text/csv"})
        assert count.text.split() == ["n", "2"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_get_a_plain_text_405(live_url: str, method: str) -> None:
    """The framework's own errors on /sparql are plain text too, with the Allow header."""
    response = httpx.request(method, f"{live_url}/sparql")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("Method not allowed") and "POST" in response.headers["allow"]


def test_a_plain_url_with_format_csv_reads_into_pandas(live_url: str, estimates: set) -> None:
    """pandas.read_csv(url) gets a DataFrame of the results: format=csv (or output=) wins over Accept."""
    import pandas as pd

    query = httpx.QueryParams({"query": SELECT_ESTIMATES, "format": "csv"})
    frame = pd.read_csv(f"{live_url}/sparql?{query}")
    assert list(frame.columns) == ["finding", "estimate"]
    assert len(frame) == len(estimates)
    assert {(f, float(e)) for f, e in zip(frame["finding"], frame["estimate"], strict=True)} == {(f, float(e)) for f, e in estimates}
    tsv = httpx.get(f"{live_url}/sparql", params={"query": SELECT_ESTIMATES, "output": "tsv"}, headers={"Accept": "application/json"})
    assert tsv.headers["content-type"].startswith("text/tab-separated-values") and tsv.text.startswith("?finding\t?estimate")
    turtle = httpx.get(f"{live_url}/sparql", params={"query": CONSTRUCT_ESTIMATES, "format": "ttl"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert len(Graph().parse(data=turtle.text, format="turtle")) == len(estimates)
    assert httpx.get(f"{live_url}/sparql", params={"query": CONSTRUCT_ESTIMATES, "format": "csv"}).status_code == 406
    unknown = httpx.get(f"{live_url}/sparql", params={"query": SELECT_ESTIMATES, "format": "xlsx"})
    assert unknown.status_code == 400 and "xlsx" in unknown.text and "csv" in unknown.text


@pytest.mark.parametrize("path", ["/", "/sparql", "/network", "/meta", "/queries", "/id/construct/attachment-anxiety", "/static/style.css"])
def test_head_is_answered_wherever_get_is(live_url: str, path: str) -> None:
    """HEAD gets GET's status and headers (Content-Type, Content-Length) and no body."""
    get, head = httpx.get(live_url + path), httpx.head(live_url + path)
    assert get.status_code == 200 and head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers.get("content-length") in (None, str(len(get.content)))
