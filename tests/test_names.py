"""One construct/condition resolver: the same spellings name the same IRI in queries, meta, network and ingest."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import networkx as nx
import pytest
from typer.testing import CliRunner

from evidencekg.cli import app
from evidencekg.evidence.ingest import IngestError, ingest
from evidencekg.load.shipped import shipped_store
from evidencekg.meta.pairs import pool_pair
from evidencekg.model.names import AmbiguousName, NameIndex, UnknownName, resolve_among
from evidencekg.network.build import build_network, resolve_construct
from evidencekg.settings import Settings, get_settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.names import name_index, resolve_name
from tests._ingest_support import METAPSY_OPTIONS, SHEET_ROWS, metapsy, sheet

ID = "https://w3id.org/evidencekg/id/"
AVOIDANCE = f"{ID}construct/attachment-avoidance"
SPELLINGS = ["Attachment-Avoidance", "attachment avoidance", "ATTACHMENT-AVOIDANCE", AVOIDANCE, f"<{AVOIDANCE}>",
             "construct:attachment-avoidance", "id:construct/attachment-avoidance", "avoidant attachment"]  # fmt: skip
MISSPELLING = "atachment avoidence"
runner = CliRunner()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_store_resolver_accepts_every_spelling(loaded_store: OxigraphStore, spelling: str) -> None:
    assert resolve_name(loaded_store, spelling) == (AVOIDANCE, "construct")


def test_unknown_names_suggest_close_names_of_the_same_kind(loaded_store: OxigraphStore) -> None:
    with pytest.raises(UnknownName, match=r"unknown construct 'atachment avoidence'; did you mean 'attachment avoidance'") as caught:
        resolve_name(loaded_store, MISSPELLING)
    assert caught.value.kind == "construct" and caught.value.suggestions[0] == "attachment avoidance"
    with pytest.raises(UnknownName, match="no construct has a similar name"):
        resolve_name(loaded_store, "xyzzy")


def test_rdfs_label_and_codes_are_names_too() -> None:
    index = NameIndex("condition")
    index.add(f"{ID}condition/x-therapy", "x therapy", "xt", "X-Therapie")
    for name in ("XT", "x therapie", "condition:x-therapy", "x_therapy"):
        assert index.resolve(name) == f"{ID}condition/x-therapy"
    other = NameIndex("construct")
    other.add(f"{ID}construct/xt")
    with pytest.raises(AmbiguousName, match="the condition .*x-therapy.* the construct .*construct/xt"):
        resolve_among([index, other], "xt")
    with pytest.raises(UnknownName, match="unknown condition or construct 'x therap'; did you mean 'x therapy'"):
        resolve_among([index, other], "x therap")


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_cli_query_construct_parameter(spelling: str) -> None:
    result = runner.invoke(app, ["query", "evidence-between", "--param", f"a={spelling}",
                                 "--param", "b=therapeutic alliance", "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and {r["finding"] for r in rows} == {f"{ID}finding/notsu2024-avoidance-alliance"}


def test_cli_query_misspelt_construct() -> None:
    result = runner.invoke(app, ["query", "evidence-between", "--param", f"a={MISSPELLING}", "--param", "b=alliance"])
    assert result.exit_code == 2  # a parameter to fix (evidencekg.errors.OUTCOMES)
    assert f"unknown construct '{MISSPELLING}'; did you mean 'attachment avoidance'" in result.stderr


@pytest.fixture(scope="module")
def simulated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store with the shipped evidence and the simulated attachment/alliance sheet."""
    folder = tmp_path_factory.mktemp("names-store") / "store"
    assert runner.invoke(app, ["load", "--store", str(folder)]).exit_code == 0
    sheet_file = Path(__file__).parents[1] / "examples" / "simulated-attachment-alliance.csv"
    result = runner.invoke(app, ["ingest", str(sheet_file), "--format", "sheet", "--store", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_cli_meta_pair(simulated_store: Path, spelling: str) -> None:
    result = runner.invoke(app, ["meta", "pair", spelling, "therapeutic alliance", "--store", str(simulated_store)])
    assert result.exit_code == 0, result.output
    pooled = json.loads(result.stdout)
    assert (pooled["a"], pooled["b"]) == (AVOIDANCE, f"{ID}construct/therapeutic-alliance") and pooled["k"] > 1


def test_cli_meta_pair_misspelt(simulated_store: Path) -> None:
    result = runner.invoke(app, ["meta", "pair", MISSPELLING, "therapeutic alliance", "--store", str(simulated_store)])
    assert result.exit_code == 2  # a name to fix (evidencekg.errors.OUTCOMES)
    assert f"unknown construct or condition '{MISSPELLING}'; did you mean 'attachment avoidance'" in result.stderr


@pytest.fixture(scope="module")
def graph() -> nx.MultiDiGraph:
    """The construct network of the shipped evidence."""
    return build_network(shipped_store(get_settings(memory=True, endpoint=None)))


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_network_resolves_every_spelling(graph: nx.MultiDiGraph, spelling: str) -> None:
    assert resolve_construct(graph, spelling) == AVOIDANCE


@pytest.mark.parametrize("spelling", [SPELLINGS[0], SPELLINGS[4], SPELLINGS[5]])
def test_cli_network_show(spelling: str) -> None:
    result = runner.invoke(app, ["network", "show", spelling, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["construct"]["iri"] == AVOIDANCE


def test_cli_network_misspelt() -> None:
    result = runner.invoke(app, ["network", "show", MISSPELLING])
    assert result.exit_code == 2
    assert f"unknown construct '{MISSPELLING}'; did you mean 'attachment avoidance'" in result.output


def test_ingest_sheet_cells(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    rows = [SHEET_ROWS[0].replace("s1,", f"s{i},").replace(",attachment-anxiety,", f",{name.replace(',', ' ')},")
            for i, name in enumerate(SPELLINGS)]  # fmt: skip
    ingest(loaded_store, sheet(rows), "sheet", name="spellings", settings=project_settings)
    found = loaded_store.select("""SELECT ?c WHERE { ?f <https://w3id.org/evidencekg/ontology#fromConstruct> ?c ;
      <http://www.w3.org/ns/prov#wasDerivedFrom>/<http://purl.org/dc/terms/isPartOf> <https://w3id.org/evidencekg/id/document/spellings> }""")
    assert [r["c"].value for r in found] == [AVOIDANCE] * len(SPELLINGS)
    with pytest.raises(IngestError, match=rf"row 1, column 'construct_a': unknown construct '{MISSPELLING}'; did you mean 'attachment avoidance'"):
        ingest(loaded_store, sheet([SHEET_ROWS[0].replace(",attachment-anxiety,", f",{MISSPELLING},")]), "sheet", name="typo", settings=project_settings)


def test_conditions_by_code_label_slug_and_iri(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    ingest(loaded_store, metapsy(), "metapsy", name="trials", settings=project_settings, options=METAPSY_OPTIONS)
    waitlist = f"{ID}condition/waitlist"
    index = name_index(loaded_store, "condition")
    for name in ("wl", "WL", "Waitlist", "waitlist", "condition:waitlist", "id:condition/waitlist", waitlist):
        assert index.resolve(name) == waitlist
    assert index.resolve("Cognitive Behaviour Therapy") == index.resolve("CBT") == f"{ID}condition/cbt"
    assert pool_pair(loaded_store, "CBT", "Waitlist", "DL").b == waitlist
    with pytest.raises(UnknownName, match="unknown construct or condition 'waitlst'; did you mean 'waitlist'"):
        pool_pair(loaded_store, "cbt", "waitlst", "DL")


def test_network_and_store_resolvers_agree_on_every_construct_name(graph: nx.MultiDiGraph, loaded_store: OxigraphStore) -> None:
    """Every name the store gives a construct finds the same node in the network (one set of rules, one set of names)."""
    index = name_index(loaded_store, "construct")
    names = list(index.aliases())
    assert len(names) > 20
    for name in names:
        assert resolve_construct(graph, name) == index.resolve(name), name


def test_http_routes_take_the_same_names(live_url: str) -> None:
    rows = httpx.get(live_url + "/queries/evidence-between", params={"a": "ATTACHMENT-AVOIDANCE", "b": "construct:therapeutic-alliance"},
                     headers={"Accept": "application/sparql-results+json"}, timeout=30)  # fmt: skip
    assert rows.status_code == 200, rows.text
    assert {b["finding"]["value"] for b in rows.json()["results"]["bindings"]} == {f"{ID}finding/notsu2024-avoidance-alliance"}
    bad = httpx.get(live_url + "/queries/evidence-between", params={"a": MISSPELLING, "b": "alliance"}, timeout=30)
    assert bad.status_code == 400 and "did you mean 'attachment avoidance'" in bad.text
    paths = httpx.get(live_url + "/api/network/paths", params={"from": "Attachment-Avoidance", "to": f"<{ID}construct/psychotherapy-outcome>"}, timeout=30)
    assert paths.status_code == 200 and paths.json()["paths"][0]["labels"][0] == "attachment avoidance"
    missing = httpx.get(live_url + "/api/meta", params={"a": MISSPELLING, "b": "alliance"}, timeout=30)
    assert missing.status_code == 404 and "did you mean 'attachment avoidance'" in missing.text
