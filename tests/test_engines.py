"""External engines: `evidencekg load/ingest --endpoint` into a real Virtuoso 7, then the service over it answers as the embedded store does.

One Virtuoso for the module (tests/_virtuoso.py; updates through /sparql-auth with HTTP Digest).
The embedded twin gets the same files by the same commands, so every answer is compared with
the embedded store's, never with numbers written here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest

from evidencekg.errors import StoreError
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.remote import RemoteStore
from service.app import create_app
from tests._server import live_server
from tests._virtuoso import PASSWORD, USER, Virtuoso

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "evidencekg"
SHEET = ROOT / "examples" / "simulated-attachment-alliance.csv"
# catalogue queries Virtuoso 7.2 answers wrongly: two zero-or-more property paths in one query (see docs/engines.md)
VIRTUOSO_WRONG = {"evidence-between"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The evidencekg command, its output kept; fails the test on a non-zero exit."""
    done = subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    return done


@pytest.fixture(scope="module")
def loaded(virtuoso_server: Virtuoso, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(Virtuoso service URL, embedded service URL): both hold the shipped evidence and the simulated sheet, put there by the CLI."""
    remote = virtuoso_server.store()
    remote.clear()
    endpoint = ["--endpoint", virtuoso_server.query_url, "--update-endpoint", virtuoso_server.update_url,
                "--update-auth", f"{USER}:{PASSWORD}"]  # fmt: skip
    first = run("load", *endpoint)
    assert "batches" in first.stdout, first.stdout
    again = run("load", *endpoint)
    assert "shipped evidence unchanged; nothing sent" in again.stdout
    run("ingest", str(SHEET), "--format", "sheet", *endpoint)
    folder = tmp_path_factory.mktemp("embedded") / "store"
    run("load", "--store", str(folder))
    run("ingest", str(SHEET), "--format", "sheet", "--store", str(folder))
    settings = get_settings(endpoint=virtuoso_server.query_url, watch_files=False)
    with live_server(create_app(virtuoso_server.store(), settings)) as over_virtuoso, \
            live_server(create_app(OxigraphStore(folder), get_settings(store_path=folder, watch_files=False))) as embedded:  # fmt: skip
        yield over_virtuoso, embedded


def both(loaded: tuple[str, str], path: str, **params: str) -> tuple[httpx.Response, httpx.Response]:
    """The same GET against the service over Virtuoso and over the embedded store."""
    answers = tuple(httpx.get(base + path, params=params, timeout=120) for base in loaded)
    for answer in answers:
        assert answer.status_code == 200, (path, answer.text[:500])
    return answers  # type: ignore[return-value]


def values(answer: httpx.Response) -> list[dict[str, str]]:
    """A SPARQL JSON result's rows as variable -> lexical value, empty strings left out.

    The engines differ in two allowed ways here: GROUP_CONCAT over no values is "" in Virtuoso
    (as SPARQL 1.1 says) and unbound in Oxigraph, Oxigraph keeps a language tag all
    concatenated strings share, and the order GROUP_CONCAT joins in is the engine's (so the
    catalogue's "; "- and space-separated lists of IRIs are compared as sets).
    """
    return [{k: unordered(v["value"]) for k, v in row.items() if v["value"] != ""} for row in answer.json()["results"]["bindings"]]


def unordered(value: object) -> object:
    """JSON with every GROUP_CONCAT-made list ("; ", "|" or space-separated IRIs) sorted, inside any list or object."""
    if isinstance(value, dict):
        return {k: unordered(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unordered(v) for v in value]
    if not isinstance(value, str):
        return value
    for separator in ("; ", "|"):
        if separator in value:
            return separator.join(sorted(value.split(separator)))
    return " ".join(sorted(value.split(" "))) if value.startswith("http") else value


def links(page: httpx.Response) -> set[str]:
    """The links of an HTML page (their order on the page follows the engine's order of unordered results)."""
    return set(re.findall(r'href="([^"]*)"', page.text))


def test_the_catalogue_answers_as_the_embedded_store(loaded: tuple[str, str]) -> None:
    names = [q["name"] for q in httpx.get(loaded[1] + "/queries", headers={"Accept": "application/json"}).json()]
    assert "associations" in names
    params = {"evidence-between": {"a": "attachment-avoidance", "b": "therapeutic-alliance"},
              "finding-provenance": {"finding": "notsu2024-avoidance-alliance"}}  # fmt: skip
    for name in (n for n in names if n not in VIRTUOSO_WRONG):
        remote, embedded = both(loaded, f"/queries/{name}", **params.get(name, {}))
        assert values(remote) == values(embedded) and remote.json()["head"] == embedded.json()["head"], name


@pytest.mark.xfail(strict=True, reason="Virtuoso 7.2 loses rows when one query has two `(...)*` property paths (docs/engines.md)")
def test_evidence_between_over_virtuoso(loaded: tuple[str, str]) -> None:
    remote, embedded = both(loaded, "/queries/evidence-between", a="attachment-avoidance", b="therapeutic-alliance")
    assert values(remote) == values(embedded)


def test_pages_network_and_meta_analysis_answer_as_the_embedded_store(loaded: tuple[str, str]) -> None:
    remote, embedded = both(loaded, "/api/meta", a="attachment-avoidance", b="therapeutic-alliance")
    pooled = remote.json()
    assert pooled == embedded.json() and pooled["k"] == 12  # the sheet's 12 avoidance rows
    remote, embedded = both(loaded, "/api/network")
    assert unordered(remote.json()) == unordered(embedded.json())
    remote, embedded = both(loaded, "/api/network/paths", **{"from": "attachment avoidance", "to": "psychotherapy outcome"})
    assert unordered(remote.json()) == unordered(embedded.json()) and remote.json()
    pages = {"/": {}, "/id/finding/notsu2024-avoidance-alliance": {},
             "/meta": {"a": "attachment-avoidance", "b": "therapeutic-alliance"}}  # fmt: skip
    for path, params in pages.items():
        remote, embedded = both(loaded, path, **params)
        assert links(remote) == links(embedded) and len(links(remote)) > 5, path
    triples = [set(ox.parse(r.content, format=ox.RdfFormat.TURTLE)) for r in both(loaded, "/id/finding/notsu2024-avoidance-alliance", format="ttl")]
    assert triples[0] == triples[1] and len(triples[0]) > 10


@pytest.mark.xfail(strict=True, reason="over Virtuoso the construct page's comparison groups lack their /meta links (cause not found yet)")
def test_construct_page_over_virtuoso(loaded: tuple[str, str]) -> None:
    remote, embedded = both(loaded, "/id/construct/therapeutic-alliance")
    assert links(remote) == links(embedded)


def test_sparql_protocol_over_virtuoso_gives_standard_answers(loaded: tuple[str, str]) -> None:
    """ASK is a boolean (Virtuoso itself answers a one-row table) and JSON has no Virtuoso-only term types."""
    ask = "PREFIX ekg: <https://w3id.org/evidencekg/ontology#> ASK { ?f ekg:estimate ?r FILTER(?r < 0) }"
    remote, embedded = both(loaded, "/sparql", query=ask)
    assert remote.json() == embedded.json() == {"head": {}, "boolean": True}
    select = "PREFIX ekg: <https://w3id.org/evidencekg/ontology#> SELECT ?f ?r { ?f ekg:estimate ?r } ORDER BY ?f"
    remote, embedded = both(loaded, "/sparql", query=select)
    assert remote.json() == embedded.json()
    assert "typed-literal" not in remote.text


def test_updates_need_the_credentials(virtuoso_server: Virtuoso) -> None:
    anonymous = RemoteStore(virtuoso_server.query_url, virtuoso_server.query_url)
    with pytest.raises(StoreError, match="--update-auth user:password"):
        anonymous.update("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> 1 } }")
    wrong = RemoteStore(virtuoso_server.query_url, virtuoso_server.update_url, update_auth=(USER, "not-the-password"))
    with pytest.raises(StoreError, match=r"refused the request \(401"):
        wrong.update("INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> 1 } }")
    assert not virtuoso_server.store().graph_exists("http://example.org/g")
