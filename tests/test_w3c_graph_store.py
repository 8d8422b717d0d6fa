"""The W3C Graph Store HTTP Protocol tests (shared/w3c/graph-store-protocol), each run against a fresh live server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from tests._server import live_server, memory_app
from tests._writes_support import AUTH, TOKEN

W3C = Path(__file__).resolve().parents[2] / "shared" / "w3c" / "graph-store-protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = "http://www.w3.org/2011/http-statusCodes#"
STATUS = {"OK": {200}, "Created": {201}, "NoContent": {204}, "NotFound": {404}, "StatusCode2xx": set(range(200, 300))}
PREFIX = "/gsp"  # the manifests' endpoint path, replaced by ours
ENDPOINT = "/store"


def manifest_tests() -> list[tuple[str, rdflib.Graph, rdflib.term.Node]]:
    """(name, manifest graph, test node) for every test the direct and indirect manifests define.

    Every mf:GraphStoreProtocolTest is run, also head_non_existing_direct, which the direct
    manifest defines but leaves out of its mf:entries list.
    """
    if not W3C.is_dir():
        return []
    found = []
    for name in ("manifest-direct.ttl", "manifest-indirect.ttl"):
        graph = rdflib.Graph().parse(W3C / name, format="turtle")
        for test in sorted(graph.subjects(rdflib.RDF.type, MF.GraphStoreProtocolTest)):
            found.append((str(test).rsplit("#", 1)[-1], graph, test))
    return found


TESTS = manifest_tests()


def headers_of(graph: rdflib.Graph, node: rdflib.term.Node) -> dict[str, str]:
    """The ht:headers list of a request or response as a dict (lower-case names)."""
    listed = graph.value(node, HT.headers)
    if listed is None:
        return {}
    return {
        str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue)) for h in Collection(graph, listed)
    }


def expected_statuses(graph: rdflib.Graph, response: rdflib.term.Node) -> set[int]:
    """Every status code the manifest accepts for a response."""
    codes: set[int] = set()
    for status in graph.objects(response, MF.expectedStatus):
        codes |= STATUS[str(status).removeprefix(HTS)]
    return codes


def body_of(graph: rdflib.Graph, node: rdflib.term.Node) -> str | None:
    """The cnt:chars of a request or response body, if it has one."""
    body = graph.value(node, HT.body)
    return None if body is None else str(graph.value(body, CNT.chars))


def test_the_manifests_are_read() -> None:
    if not W3C.is_dir():
        pytest.skip("the shared W3C folder is not present in this checkout")
    assert len(TESTS) == 14  # 5 direct + 9 indirect tests defined by the two manifests


@pytest.mark.shared
@pytest.mark.parametrize(("name", "graph", "test"), TESTS, ids=[t[0] for t in TESTS])
def test_w3c_graph_store(name: str, graph: rdflib.Graph, test: rdflib.term.Node) -> None:
    requests = Collection(graph, graph.value(graph.value(test, MF.action), HT.requests))
    variables: dict[str, str] = {}
    with live_server(memory_app(settings_overrides={"token": TOKEN})) as base:
        for step, request in enumerate(requests, 1):
            path = str(graph.value(request, HT.absolutePath))
            for variable, value in variables.items():
                path = path.replace(variable, value)
            assert path.startswith(PREFIX)
            method = str(graph.value(request, HT.methodName))
            body = body_of(graph, request)
            response = httpx.request(
                method,
                base + ENDPOINT + path[len(PREFIX) :],
                content=body.encode() if body is not None else None,
                headers={**headers_of(graph, request), **AUTH},
            )
            where = f"{name} step {step}: {method} {path}"
            expected = graph.value(request, HT.resp)
            assert response.status_code in expected_statuses(graph, expected), f"{where}: {response.status_code} {response.text}"
            location = graph.value(expected, MF.expectedLocation)
            if location is not None:
                variables[str(location)] = response.headers["location"]
            wanted = headers_of(graph, expected)
            if "content-type" in wanted:
                assert response.headers["content-type"].split(";")[0] == wanted["content-type"].split(";")[0], where
            expected_body = body_of(graph, expected)
            if expected_body is not None:
                got = rdflib.Graph().parse(data=response.text, format="turtle")
                assert isomorphic(got, rdflib.Graph().parse(data=expected_body, format="turtle")), f"{where}:\n{response.text}"
