"""The Graph Store HTTP Protocol at /store and SPARQL Update at /sparql over a live server: auth, status codes, SHACL, atomicity; embedded and remote backends."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.protocol import Store
from service.app import create_app
from tests._evidence_support import FINDING, MUTATIONS, VALID_FINDING
from tests._server import live_server
from tests._writes_support import AUTH, TOKEN, copy_into, dataset, oxigraph_serve, remote_store

TTL = {"Content-Type": "text/turtle; charset=utf-8"}
GRAPH = "http://example.org/graphs/g1"
DIENER = "https://w3id.org/evidencekg/id/finding/diener2011-security-alliance"


def url(base: str, graph: str | None = None) -> str:
    """The /store URL naming a graph indirectly (None: the default graph)."""
    return f"{base}/store?default" if graph is None else f"{base}/store?graph={quote(graph, safe='')}"


@pytest.fixture(scope="module")
def remote_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real `oxigraph serve` for this module."""
    with oxigraph_serve(tmp_path_factory.mktemp("oxigraph-gsp")) as base:
        yield base


@pytest.fixture(params=["embedded", "remote"])
def served(request: pytest.FixtureRequest, loaded_store: OxigraphStore) -> Iterator[tuple[str, Store]]:
    """A live service with writes enabled over the shipped evidence (embedded, or a RemoteStore over oxigraph serve)."""
    store: Store = loaded_store
    if request.param == "remote":
        store = remote_store(request.getfixturevalue("remote_base"))
        store.clear()
        copy_into(loaded_store, store)
    settings = get_settings(memory=True, endpoint=None, token=TOKEN)
    with live_server(create_app(store, settings)) as base:
        yield base, store


def test_writes_need_the_token(served: tuple[str, Store]) -> None:
    base, store = served
    before = dataset(store)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = httpx.put(url(base, GRAPH), content=b"<http://x/a> <http://x/b> 1 .", headers={**TTL, **headers})
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        update = httpx.post(f"{base}/sparql", data={"update": "CLEAR ALL"}, headers=headers)
        assert update.status_code == 401
    assert httpx.delete(url(base, None)).status_code == 401
    assert dataset(store) == before


def test_writes_are_off_without_a_configured_token(loaded_store: OxigraphStore) -> None:
    with live_server(create_app(loaded_store, get_settings(memory=True, endpoint=None, token=None))) as base:
        response = httpx.put(url(base, GRAPH), content=b"<http://x/a> <http://x/b> 1 .", headers={**TTL, **AUTH})
        assert response.status_code == 401
        assert "disabled" in response.text


def test_graph_lifecycle_status_codes(served: tuple[str, Store]) -> None:
    base, _store = served
    body = b"<http://x/a> <http://x/b> 1 ."
    assert httpx.get(url(base, GRAPH)).status_code == 404
    assert httpx.head(url(base, GRAPH)).status_code == 404
    assert httpx.put(url(base, GRAPH), content=body, headers={**TTL, **AUTH}).status_code == 201
    assert httpx.put(url(base, GRAPH), content=body, headers={**TTL, **AUTH}).status_code == 204
    assert httpx.post(url(base, GRAPH), content=b"<http://x/a> <http://x/c> 2 .", headers={**TTL, **AUTH}).status_code == 204
    assert httpx.post(url(base, GRAPH + "2"), content=body, headers={**TTL, **AUTH}).status_code == 201
    got = httpx.get(url(base, GRAPH))
    assert got.status_code == 200 and got.headers["content-type"] == "text/turtle; charset=utf-8"
    expected = rdflib.Graph().parse(data="<http://x/a> <http://x/b> 1 ; <http://x/c> 2 .", format="turtle")
    assert isomorphic(rdflib.Graph().parse(data=got.text, format="turtle"), expected)
    assert httpx.delete(url(base, GRAPH), headers=AUTH).status_code == 204
    assert httpx.delete(url(base, GRAPH), headers=AUTH).status_code == 404
    assert httpx.get(url(base, GRAPH)).status_code == 404


def test_post_to_the_store_creates_a_graph_with_a_location(served: tuple[str, Store]) -> None:
    base, store = served
    response = httpx.post(f"{base}/store", content=b"<http://x/a> <http://x/b> 1 .", headers={**TTL, **AUTH})
    assert response.status_code == 201
    location = response.headers["location"]
    assert location.startswith(f"{base}/store/")
    assert store.graph_exists(location)
    assert "<http://x/a>" in httpx.get(location, headers={"Accept": "application/n-triples"}).text


def test_bad_requests(served: tuple[str, Store]) -> None:
    base, store = served
    before = dataset(store)
    body = b"<http://x/a> <http://x/b> 1 ."
    assert httpx.get(f"{base}/store").status_code == 400
    assert httpx.get(f"{base}/store?default&graph={quote(GRAPH)}").status_code == 400
    assert httpx.put(url(base, GRAPH), content=body, headers={"Content-Type": "text/csv", **AUTH}).status_code == 415
    assert httpx.put(url(base, GRAPH), content=body, headers=AUTH).status_code == 415
    assert httpx.put(url(base, "not an iri"), content=body, headers={**TTL, **AUTH}).status_code == 400
    assert httpx.get(url(base, None), headers={"Accept": "image/png"}).status_code == 406
    assert dataset(store) == before


def test_unparsable_turtle_is_400_with_its_position_and_changes_nothing(served: tuple[str, Store]) -> None:
    base, store = served
    before = dataset(store)
    broken = VALID_FINDING.replace("ekg:sampleSize 900 ;", "ekg:sampleSize 900 ;;; ]")
    line = broken[: broken.index("900 ;;; ]")].count("\n") + 1
    for method in ("PUT", "POST"):
        response = httpx.request(method, url(base, None), content=broken.encode(), headers={**TTL, **AUTH})
        assert response.status_code == 400
        assert f"line {line}" in response.json()["detail"]
    assert dataset(store) == before


@pytest.mark.parametrize("mutation", ["r-out-of-range", "no-sentence"])
def test_shape_violations_are_422_with_the_report_and_change_nothing(served: tuple[str, Store], mutation: str) -> None:
    base, store = served
    before = dataset(store)
    old, new, words = MUTATIONS[mutation]
    response = httpx.post(url(base, None), content=VALID_FINDING.replace(old, new).encode(), headers={**TTL, **AUTH})
    assert response.status_code == 422
    report = response.json()["detail"]
    assert "id:finding/test2020-anxiety-alliance" in report and all(word in report for word in words)
    listed = response.json()["violations"]  # the same problems as data, for programs
    assert {v["focus_node"] for v in listed} == {FINDING}
    assert listed and all(v["severity"] == "Violation" and v["message"] in report for v in listed)
    plain = httpx.post(url(base, None), content=VALID_FINDING.replace(old, new).encode(),
                       headers={**TTL, **AUTH, "Accept": "text/plain"})  # for a person at a terminal
    assert plain.status_code == 422 and plain.headers["content-type"].startswith("text/plain")
    assert plain.text.count("Violation: id:finding/test2020-anxiety-alliance") == len(listed)
    assert dataset(store) == before


def test_a_valid_finding_lands_and_is_queryable(served: tuple[str, Store]) -> None:
    base, _store = served
    assert httpx.post(url(base, None), content=VALID_FINDING.encode(), headers={**TTL, **AUTH}).status_code == 204
    query = f"ASK {{ <{FINDING}> <https://w3id.org/evidencekg/ontology#estimate> -0.2 }}"
    answer = httpx.get(f"{base}/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert answer.json()["boolean"] is True


def test_sparql_update_validated_then_applied(served: tuple[str, Store]) -> None:
    base, store = served
    before = dataset(store)
    bad = f"INSERT DATA {{ <{DIENER}> <https://w3id.org/evidencekg/ontology#estimate> 1.5 }}"
    refused = httpx.post(f"{base}/sparql", content=bad.encode(), headers={"Content-Type": "application/sparql-update", **AUTH})
    assert refused.status_code == 422 and "[-1, 1]" in refused.text
    assert dataset(store) == before
    good = f'INSERT DATA {{ <{DIENER}> <http://www.w3.org/2000/01/rdf-schema#comment> "checked" }}'
    assert httpx.post(f"{base}/sparql", data={"update": good}, headers=AUTH).status_code in (200, 204)
    query = f'ASK {{ <{DIENER}> <http://www.w3.org/2000/01/rdf-schema#comment> "checked" }}'
    answer = httpx.get(f"{base}/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert answer.json()["boolean"] is True


@pytest.mark.parametrize(
    ("accept", "media_type", "rdflib_format"),
    [
        (None, "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("text/turtle;q=0.2, application/n-triples;q=0.9", "application/n-triples", "nt"),
    ],
)
def test_get_negotiates_the_format(loaded_store: OxigraphStore, accept: str | None, media_type: str, rdflib_format: str) -> None:
    expected = rdflib.Graph().parse(data=loaded_store.dump("application/n-triples").decode(), format="nt")
    with live_server(create_app(loaded_store, get_settings(memory=True, endpoint=None))) as base:
        response = httpx.get(url(base, None), headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    got = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    assert len(got) == len(expected)
    assert ground(got) == ground(expected)


def ground(graph: rdflib.Graph) -> set[tuple[rdflib.term.Node, ...]]:
    """The triples without blank nodes (comparable across serializations, unlike bnode labels)."""
    return {t for t in graph if not any(isinstance(term, rdflib.BNode) for term in t)}


def test_every_openapi_operation_has_its_own_id() -> None:
    import warnings

    from tests._server import memory_app

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns on a duplicate operation id
        schema = memory_app().openapi()
    operations = {(path, method): op["operationId"] for path, ops in schema["paths"].items() for method, op in ops.items()}
    assert len(set(operations.values())) == len(operations)
    for path in ("/store", "/store/{path}"):
        assert {m for p, m in operations if p == path} == {"get", "head", "put", "post", "delete"}


def test_the_service_answers_alike_over_a_remote_store(remote_base: str, loaded_store: OxigraphStore) -> None:
    """Queries, catalogue runs and linked data give the same answers over `oxigraph serve` as embedded."""
    remote = remote_store(remote_base)
    remote.clear()
    copy_into(loaded_store, remote)
    settings = get_settings(memory=True, endpoint=None, token=None)
    select = "SELECT ?f ?e WHERE { ?f <https://w3id.org/evidencekg/ontology#estimate> ?e } ORDER BY ?f ?e"
    construct = f"CONSTRUCT {{ ?f ?p ?o }} WHERE {{ <{DIENER}> ?p ?o BIND(<{DIENER}> AS ?f) }}"
    requests = [
        *[("/sparql", {"query": select}, accept) for accept in
          ("application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values")],
        ("/sparql", {"query": f"ASK {{ <{DIENER}> ?p ?o }}"}, "application/sparql-results+json"),
        ("/queries/evidence-between", {"a": "attachment insecurity", "b": "therapeutic alliance"}, "text/csv"),
    ]
    answers: dict[str, list[tuple[int, str, bytes]]] = {}
    graphs: dict[str, rdflib.Graph] = {}
    for name, store in (("embedded", loaded_store), ("remote", remote)):
        with live_server(create_app(store, settings)) as base:
            answers[name] = [
                (r.status_code, r.headers["content-type"], r.content)
                for path, params, accept in requests
                for r in [httpx.get(base + path, params=params, headers={"Accept": accept})]
            ]
            turtle = httpx.get(f"{base}/sparql", params={"query": construct}, headers={"Accept": "text/turtle"})
            graphs[name] = rdflib.Graph().parse(data=turtle.text, format="turtle")
    assert all(status == 200 for status, _type, _body in answers["embedded"])
    assert answers["remote"] == answers["embedded"]
    assert len(graphs["embedded"]) > 5 and isomorphic(graphs["remote"], graphs["embedded"])


def test_the_default_graph_is_what_users_wrote_while_queries_read_the_data_union(served: tuple[str, Store]) -> None:
    """`/store?default` is the store's real default graph; a query without FROM sees it and the data graphs."""
    base, _store = served
    diener = "https://w3id.org/evidencekg/graph/data/diener2011"
    shipped = rdflib.Graph().parse(data=httpx.get(url(base, diener)).text, format="turtle")
    assert (rdflib.URIRef(DIENER), None, None) in shipped
    assert httpx.get(url(base, None)).text.strip() == ""  # the shipped evidence is not in the real default graph
    put = httpx.put(url(base, None), content=b"<http://x/mine> <http://x/p> 1 .", headers={**TTL, **AUTH})
    assert put.status_code in (200, 201, 204)
    ask = "ASK { <http://x/mine> <http://x/p> 1 . ?f <https://w3id.org/evidencekg/ontology#estimate> ?e }"
    answer = httpx.get(f"{base}/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+json"})
    assert answer.json()["boolean"] is True
    mine = rdflib.Graph().parse(data=httpx.get(url(base, None)).text, format="turtle")
    assert len(mine) == 1
    assert httpx.delete(url(base, None), headers=AUTH).status_code in (200, 204)
