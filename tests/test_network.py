"""The construct network: built from the shipped evidence, analysed, exported, on the CLI and over HTTP.

Expectations come from docs/model.md (the seed's instances) and the verified facts it cites,
not from running the code.
"""

from __future__ import annotations

import io
import json
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import networkx as nx
import pydot
import pytest
from typer.testing import CliRunner

from evidencekg.cli import app as cli_app
from evidencekg.model.names import UnknownName
from evidencekg.network.build import (
    FINDING,
    LAYERS,
    STRUCTURE_KINDS,
    build_network,
    centrality,
    finding_edges,
    is_significant,
    neighbourhood,
    resolve_construct,
)
from evidencekg.network.export import export_network
from evidencekg.network.paths import INDIRECT_NOTE, find_paths
from evidencekg.network.pictures import pair_rows
from evidencekg.store.embedded import OxigraphStore

C = "https://w3id.org/evidencekg/id/construct/"
F = "https://w3id.org/evidencekg/id/finding/"
P = "https://w3id.org/evidencekg/id/publication/"

CONSTRUCTS = {
    C + slug
    for slug in (
        "attachment-insecurity", "attachment-anxiety", "attachment-avoidance", "attachment-security",
        "therapeutic-alliance", "alliance-goal-agreement", "alliance-task-agreement", "alliance-bond",
        "alliance-rupture", "psychotherapy-outcome", "symptom-reduction", "depressive-symptoms",
    )
}
# child -> parent, with the relation docs/model.md gives (components are part-of, the rest narrower)
STRUCTURE = {
    (C + "attachment-anxiety", C + "attachment-insecurity"): "broader",
    (C + "attachment-avoidance", C + "attachment-insecurity"): "broader",
    (C + "alliance-goal-agreement", C + "therapeutic-alliance"): "componentOf",
    (C + "alliance-task-agreement", C + "therapeutic-alliance"): "componentOf",
    (C + "alliance-bond", C + "therapeutic-alliance"): "componentOf",
    (C + "symptom-reduction", C + "psychotherapy-outcome"): "broader",
    (C + "depressive-symptoms", C + "psychotherapy-outcome"): "broader",
}
ALLIANCE, OUTCOME = C + "therapeutic-alliance", C + "psychotherapy-outcome"
# finding -> (from, to, r, lower, upper, p, relation, k, N, publication, significant)
FINDINGS = {
    F + "notsu2024-anxiety-alliance": (C + "attachment-anxiety", ALLIANCE, -0.09, -0.15, -0.03, 0.01, "=", 33, 2299, "notsu2024", True),
    F + "notsu2024-avoidance-alliance": (C + "attachment-avoidance", ALLIANCE, -0.13, -0.19, -0.07, 0.001, "<", 33, 2299, "notsu2024", True),
    F + "pprnet-alliance-outcome": (ALLIANCE, OUTCOME, 0.28, None, None, 0.001, "<", None, None, "flueckiger2018", True),
    F + "flueckiger2018-alliance-outcome": (ALLIANCE, OUTCOME, 0.278, 0.256, 0.299, 0.0001, "<", None, None, "flueckiger2018", True),  # k = 295 is the whole meta-analysis
    F + "flueckiger2018-alliance-outcome-internet": (ALLIANCE, OUTCOME, 0.275, None, None, None, None, 23, None, "flueckiger2018", None),
    F + "diener2011-security-alliance": (C + "attachment-security", ALLIANCE, 0.17, 0.10, 0.23, 0.001, "<", 17, 886, "diener2011", True),
}
DOIS = {"notsu2024": "10.1080/10503307.2024.2370344", "flueckiger2018": "10.1037/pst0000172", "diener2011": "10.1037/a0022425"}


@pytest.fixture(scope="module")
def graph() -> nx.MultiDiGraph:
    """The network over the shipped evidence, with both layers."""
    from evidencekg.load.shipped import shipped_store
    from evidencekg.settings import get_settings

    return build_network(shipped_store(get_settings(memory=True, endpoint=None)), LAYERS)


def test_nodes_are_the_seed_constructs(graph: nx.MultiDiGraph) -> None:
    constructs = {n for n, kind in graph.nodes(data="kind") if kind == "construct"}
    assert constructs == CONSTRUCTS
    assert graph.nodes[ALLIANCE]["label"] == "therapeutic alliance"
    assert "working alliance" in graph.nodes[ALLIANCE]["alt_labels"].split("|")


def test_structure_edges_follow_the_scheme(graph: nx.MultiDiGraph) -> None:
    found = {(u, v): kind for u, v, kind in graph.edges(data="kind") if kind in STRUCTURE_KINDS}
    assert found == STRUCTURE  # one edge per pair: componentOf wins over the broader it implies


def test_finding_edges_carry_the_seed_numbers(graph: nx.MultiDiGraph) -> None:
    edges = {d["finding"]: (u, v, d) for u, v, d in finding_edges(graph)}
    assert set(edges) == set(FINDINGS)
    for iri, (src, dst, r, lo, hi, p, rel, k, n, pub, sig) in FINDINGS.items():
        u, v, d = edges[iri]
        assert (u, v) == (src, dst), iri
        assert d["r"] == pytest.approx(r) and d["estimate"] == pytest.approx(r)
        assert d.get("ci_lower") == (None if lo is None else pytest.approx(lo)), iri
        assert d.get("ci_upper") == (None if hi is None else pytest.approx(hi)), iri
        assert d.get("p") == (None if p is None else pytest.approx(p)), iri
        assert d.get("p_relation") == rel, iri
        assert d.get("k") == k and d.get("n") == n, iri
        assert d["publication"] == P + pub and d["doi"] == DOIS[pub]
        assert d["significant"] is sig, iri
        assert d["finding_type"] == "reported"
        assert d["provenance"] and d["sentence"].startswith("https://w3id.org/evidencekg/id/sentence/")
    assert edges[F + "pprnet-alliance-outcome"][2]["k_description"] == "almost 300"
    assert edges[F + "flueckiger2018-alliance-outcome-internet"][2]["subgroup"] == "internet-based"
    assert edges[F + "flueckiger2018-alliance-outcome"][2]["same_as"] == F + "pprnet-alliance-outcome"
    assert edges[F + "pprnet-alliance-outcome"][2]["same_as"] == F + "flueckiger2018-alliance-outcome"


def test_provenance_is_the_source_sentence(graph: nx.MultiDiGraph) -> None:
    avoidance = graph.edges[C + "attachment-avoidance", ALLIANCE, F + "notsu2024-avoidance-alliance"]
    assert "attachment avoidance and alliance was r = -.13 (95% CI [-.19, -.07], p < .001)" in avoidance["provenance"]
    documents = {s["document"] for s in avoidance["sources"]}
    assert "https://w3id.org/evidencekg/id/document/pprnet-notsu2024" in documents
    assert avoidance["label"] == "r = -0.13 [-0.19, -0.07]"


def test_statements_are_labelled_by_who_said_them(graph: nx.MultiDiGraph) -> None:
    """The PPRNet summary's r = .28 (reportedIn Flückiger 2018, read from the summary) is not labelled as Flückiger's own r = .278."""
    edges = {d["finding"]: d for *_, d in finding_edges(graph)}
    summary, own = edges[F + "pprnet-alliance-outcome"], edges[F + "flueckiger2018-alliance-outcome"]
    assert own["source_label"] == "Flückiger et al. 2018" and "cited_in" not in own
    assert summary["source_label"] == "Flückiger et al. 2018, as cited in the PPRNet summary"
    assert summary["cited_in"] == "https://w3id.org/evidencekg/id/document/pprnet-notsu2024"
    # the publication filter still names the publication once, whoever stated its figures
    assert summary["publication_label"] == own["publication_label"] == "Flückiger et al. 2018"
    assert edges[F + "diener2011-security-alliance"]["source_label"] == "Diener & Monroe 2011"
    # Notsu's figures are read from the PPRNet summary of Notsu 2024 itself: no "as cited in"
    assert edges[F + "notsu2024-avoidance-alliance"]["source_label"] == "Notsu et al. 2024"
    texts = svg_texts(export_network(graph, "svg"))
    assert "as cited in the PPRNet summary" in texts  # the picture's second label line
    row = next(r for r in pair_rows(graph, ALLIANCE, OUTCOME) if r.estimate == pytest.approx(0.28))
    assert row.label.startswith("Flückiger et al. 2018, as cited in the PPRNet summary")


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        ({"ci_lower": -0.15, "ci_upper": -0.03, "p": 0.2}, True),  # the CI decides when present
        ({"ci_lower": -0.05, "ci_upper": 0.10, "p": 0.001}, False),
        ({"ci_lower": 0.0, "ci_upper": 0.2}, False),  # touching 0 does not exclude it
        ({"p": 0.05, "p_relation": "="}, False),
        ({"p": 0.049, "p_relation": "="}, True),
        ({"p": 0.05, "p_relation": "<"}, True),
        ({"p": 0.001}, True),
        ({}, None),
    ],
)
def test_significance_is_derived(attrs: dict, expected: bool | None) -> None:
    assert is_significant(attrs) is expected


def test_layers_link_mechanisms_and_implications(graph: nx.MultiDiGraph) -> None:
    hood = neighbourhood(graph, C + "attachment-avoidance")
    assert [f["finding"] for f in hood["findings"]] == [F + "notsu2024-avoidance-alliance"]
    assert hood["parents"] == [{"iri": C + "attachment-insecurity", "label": "attachment insecurity", "relation": "broader"}]
    assert any(F + "notsu2024-avoidance-alliance" in i.get("rests_on", "") for i in hood["implications"])
    assert hood["mechanisms"] and all(m["kind"] == "mechanism" for m in hood["mechanisms"])
    for node, kind in graph.nodes(data="kind"):
        if kind in {"mechanism", "implication"}:
            assert any(graph.nodes[m]["kind"] == "construct" for m in nx.all_neighbors(graph, node)), node


def test_resolve_by_label_slug_iri_and_alt_label(graph: nx.MultiDiGraph) -> None:
    for name in ("attachment avoidance", "Attachment Avoidance", "attachment-avoidance",
                 C + "attachment-avoidance", "id:construct/attachment-avoidance", "avoidant attachment"):
        assert resolve_construct(graph, name) == C + "attachment-avoidance"
    with pytest.raises(UnknownName) as caught:
        resolve_construct(graph, "attachment avoidence")
    assert caught.value.suggestions[0] == "attachment avoidance"


def test_seed_chain_with_naive_product(graph: nx.MultiDiGraph) -> None:
    paths = find_paths(graph, C + "attachment-avoidance", OUTCOME)
    assert [p.nodes for p in paths] == [[C + "attachment-avoidance", ALLIANCE, OUTCOME]]
    path = paths[0]
    first, second = path.hops
    assert first.chosen["finding"] == F + "notsu2024-avoidance-alliance"
    # two sources state alliance-outcome: Flückiger's own r = .278 (with its CI) is used, not the summary's .28
    assert second.chosen["finding"] == F + "flueckiger2018-alliance-outcome"
    assert {f["finding"] for f in second.findings} == {
        F + "pprnet-alliance-outcome", F + "flueckiger2018-alliance-outcome", F + "flueckiger2018-alliance-outcome-internet"}
    assert path.naive_product == pytest.approx(-0.13 * 0.278)
    shown = path.to_dict(graph)
    assert shown["naive_product_note"] == INDIRECT_NOTE and "NOT a tested mediation" in INDIRECT_NOTE
    assert shown["labels"] == ["attachment avoidance", "therapeutic alliance", "psychotherapy outcome"]


def test_paths_cross_structure_but_not_between_siblings(graph: nx.MultiDiGraph) -> None:
    up = find_paths(graph, C + "alliance-bond", OUTCOME)
    assert [[h.kind for h in p.hops] for p in up] == [["up", "finding"]]
    assert up[0].naive_product is None  # one finding hop: no chain, no product
    down = find_paths(graph, C + "attachment-anxiety", C + "symptom-reduction")
    assert [[h.kind for h in p.hops] for p in down] == [["finding", "finding", "down"]]
    siblings = find_paths(graph, C + "attachment-anxiety", C + "attachment-avoidance")
    assert siblings and all(C + "attachment-insecurity" not in p.nodes for p in siblings)
    backwards = find_paths(graph, OUTCOME, C + "attachment-avoidance")[0].to_dict(graph)
    assert [h["reversed"] for h in backwards["hops"]] == [True, True]
    assert find_paths(graph, C + "alliance-rupture", OUTCOME) == []


def test_centrality_puts_the_alliance_first(graph: nx.MultiDiGraph) -> None:
    rows = centrality(graph)
    assert rows[0]["iri"] == ALLIANCE
    by_iri = {r["iri"]: r for r in rows}
    assert by_iri[ALLIANCE]["findings"] == 6
    assert by_iri[C + "alliance-rupture"]["degree"] == 0 and by_iri[C + "alliance-rupture"]["betweenness"] == 0
    assert set(by_iri) == CONSTRUCTS


INVERSE_TTL = b"""
@prefix ekg: <https://w3id.org/evidencekg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix c: <https://w3id.org/evidencekg/id/construct/> .
@prefix f: <https://w3id.org/evidencekg/id/finding/> .
c:whole a ekg:Construct ; skos:prefLabel "whole"@en ; ekg:hasComponent c:part .
c:part a ekg:Construct ; skos:prefLabel "part"@en .
c:top a ekg:Construct ; skos:prefLabel "top"@en ; skos:narrower c:whole .
f:g a ekg:DerivedFinding ; ekg:fromConstruct c:part ; ekg:toConstruct c:top ;
  ekg:effectSizeMeasure obo:STATO_0000319 ; ekg:estimate 0.5 .
"""


def test_inverse_assertions_and_other_measures() -> None:
    store = OxigraphStore()
    store.load(INVERSE_TTL, "text/turtle")
    g = build_network(store)
    assert {(u.rsplit("/", 1)[1], v.rsplit("/", 1)[1]): k for u, v, k in g.edges(data="kind") if k in STRUCTURE_KINDS} == {
        ("part", "whole"): "componentOf", ("whole", "top"): "broader"}
    (_, _, d), = finding_edges(g)
    assert d["finding_type"] == "derived" and d["measure_name"] == "g" and "r" not in d
    assert d["label"] == "g = 0.50" and d["significant"] is None


# --- exports -------------------------------------------------------------------------------------


def _same_shape(graph: nx.MultiDiGraph, back: nx.Graph) -> None:
    assert set(back.nodes) == set(graph.nodes)
    assert back.number_of_edges() == graph.number_of_edges()


def test_graphml_round_trip(graph: nx.MultiDiGraph) -> None:
    back = nx.read_graphml(io.BytesIO(export_network(graph, "graphml")))
    _same_shape(graph, back)
    edge = back.edges[C + "attachment-avoidance", ALLIANCE, F + "notsu2024-avoidance-alliance"]
    assert edge["r"] == pytest.approx(-0.13) and edge["ci_upper"] == pytest.approx(-0.07) and edge["significant"] is True
    assert back.nodes[ALLIANCE]["label"] == "therapeutic alliance"


def test_gexf_round_trip(graph: nx.MultiDiGraph) -> None:
    back = nx.read_gexf(io.BytesIO(export_network(graph, "gexf")))
    _same_shape(graph, back)
    avoidance = [d for u, v, d in back.edges(data=True) if d.get("finding") == F + "notsu2024-avoidance-alliance"]
    assert len(avoidance) == 1 and avoidance[0]["r"] == pytest.approx(-0.13)


def test_cytoscape_json_round_trip(graph: nx.MultiDiGraph) -> None:
    data = json.loads(export_network(graph, "cyjs"))
    back = nx.cytoscape_graph(data)
    _same_shape(graph, back)
    ids = [e["data"]["id"] for e in data["elements"]["nodes"] + data["elements"]["edges"]]
    assert len(ids) == len(set(ids))
    edge = next(e for e in data["elements"]["edges"] if e["data"]["id"] == F + "notsu2024-avoidance-alliance")
    assert (edge["data"]["source"], edge["data"]["target"]) == (C + "attachment-avoidance", ALLIANCE)
    assert edge["data"]["colour"] != next(e for e in data["elements"]["edges"]
                                         if e["data"]["id"] == F + "diener2011-security-alliance")["data"]["colour"]


@pytest.mark.filterwarnings("ignore:'\\w+' deprecated")  # pydot's parser calls old pyparsing names
def test_dot_parses_with_pydot(graph: nx.MultiDiGraph) -> None:
    (dot,) = pydot.graph_from_dot_data(export_network(graph, "dot").decode())
    names = {n.get_name().strip('"') for n in dot.get_nodes()} - {"node", "edge", "graph"}
    assert names == set(graph.nodes)
    assert len(dot.get_edges()) == graph.number_of_edges()
    edge = next(e for e in dot.get_edges() if e.get("finding") == f'"{F}notsu2024-avoidance-alliance"')
    assert edge.get_source().strip('"') == C + "attachment-avoidance" and edge.get("r").strip('"') == "-0.13"


def test_svg_picture_labels_every_finding(graph: nx.MultiDiGraph) -> None:
    root = ET.fromstring(export_network(graph, "svg"))
    assert root.tag.endswith("svg")
    texts = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for label in ("r = -0.13 [-0.19, -0.07]", "r = -0.09 [-0.15, -0.03]", "r = 0.17 [0.10, 0.23]",
                  "r = 0.278 [0.256, 0.299]", "r = 0.28", "r = 0.275", "negative r", "positive r"):
        assert label in texts, label


def test_png_picture_is_paper_sized(graph: nx.MultiDiGraph) -> None:
    png = export_network(graph, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 1800 and height >= 800  # about A4 landscape at 200 dpi, cropped to the drawing


# --- CLI -----------------------------------------------------------------------------------------


def test_cli_paths_prints_the_chain_and_product() -> None:
    result = CliRunner().invoke(cli_app, ["network", "paths", "attachment avoidance", "psychotherapy-outcome"])
    assert result.exit_code == 0, result.output
    assert "attachment avoidance -> therapeutic alliance -> psychotherapy outcome" in result.output
    assert "naive product of r = -0.03614" in result.output and "NOT a tested mediation" in result.output


def test_cli_unknown_name_lists_close_matches() -> None:
    result = CliRunner().invoke(cli_app, ["network", "show", "attachment avoidence"])
    assert result.exit_code == 2
    assert "unknown construct 'attachment avoidence'" in result.output
    assert "did you mean 'attachment avoidance'" in result.output


def test_cli_show_and_export(tmp_path: Path) -> None:
    shown = CliRunner().invoke(cli_app, ["network", "show", "working alliance"])
    assert shown.exit_code == 0 and "findings (6)" in shown.output
    out = tmp_path / "net.graphml"
    exported = CliRunner().invoke(cli_app, ["network", "export", "--format", "graphml", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert {n for n in nx.read_graphml(out).nodes} == CONSTRUCTS
    bad = CliRunner().invoke(cli_app, ["network", "export", "--format", "pdf", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "graphml" in bad.output and not (tmp_path / "x").exists()


# --- HTTP ----------------------------------------------------------------------------------------


def test_api_network_and_paths(live_url: str) -> None:
    data = httpx.get(live_url + "/api/network", timeout=30).json()
    constructs = [n for n in data["elements"]["nodes"] if n["data"]["kind"] == "construct"]
    findings = [e for e in data["elements"]["edges"] if e["data"]["kind"] == FINDING]
    assert len(constructs) == len(CONSTRUCTS) and len(findings) == len(FINDINGS)
    assert all("position" in n for n in data["elements"]["nodes"])
    body = httpx.get(live_url + "/api/network/paths", params={"from": "attachment avoidance", "to": "psychotherapy outcome"}).json()
    assert [p["labels"] for p in body["paths"]] == [["attachment avoidance", "therapeutic alliance", "psychotherapy outcome"]]
    assert body["paths"][0]["naive_product"] == pytest.approx(-0.03614)
    missing = httpx.get(live_url + "/api/network/paths", params={"from": "avoidence", "to": "alliance"})
    assert missing.status_code == 404 and missing.json()["detail"]["suggestions"] == ["attachment avoidance"]


def test_forest_plot_of_a_pair(live_url: str) -> None:
    response = httpx.get(live_url + "/plots/forest", params={"a": "therapeutic-alliance", "b": "psychotherapy-outcome"})
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    texts = " ".join(t.text or "" for t in ET.fromstring(response.content).iter() if t.tag.endswith("text"))
    assert "0.278 [0.256, 0.299]" in texts and "0.28 (no CI reported)" in texts and "0.275 (no CI reported)" in texts
    none = httpx.get(live_url + "/plots/forest", params={"a": "alliance-rupture", "b": "psychotherapy-outcome"})
    assert none.status_code == 404 and "no findings" in none.json()["detail"]


def svg_texts(body: bytes) -> list[str]:
    """Every text element of an SVG (matplotlib writes a multi-line label as one element per line)."""
    return [t.text or "" for t in ET.fromstring(body).iter() if t.tag.endswith("text")]


def test_forest_plot_of_broader_constructs_includes_narrower_ones(live_url: str) -> None:
    """attachment insecurity / therapeutic alliance: the Notsu anxiety and avoidance rows, as evidence-between.rq finds them."""
    response = httpx.get(live_url + "/plots/forest", params={"a": "attachment-insecurity", "b": "therapeutic-alliance"})
    assert response.status_code == 200, response.text
    texts = svg_texts(response.content)
    expected = {f: FINDINGS[f] for f in FINDINGS if FINDINGS[f][0].rsplit("/", 1)[-1] in ("attachment-anxiety", "attachment-avoidance")}
    for finding, (source, _, r, lower, upper, *_rest) in expected.items():
        row = next(t for t in texts if finding.rsplit("/", 1)[-1] in t)  # the right-hand numbers name the finding
        assert row.startswith(f"{r:.2f} [{lower:.2f}, {upper:.2f}]")
        construct = source.rsplit("/", 1)[-1].replace("-", " ")
        assert f"{construct} \u2192 therapeutic alliance" in texts  # each row labelled with its actual constructs
    assert "attachment security \u2192 therapeutic alliance" not in texts  # security is not narrower than insecurity
    assert any("narrower constructs" in t for t in texts) and "Pearson's r" in texts
    reverse = httpx.get(live_url + "/plots/forest", params={"a": "therapeutic-alliance", "b": "attachment-insecurity"})
    assert reverse.status_code == 200
    assert {t for t in svg_texts(reverse.content) if "\u2192" in t} == {t for t in texts if "\u2192" in t}


def test_export_route_sets_media_type(live_url: str) -> None:
    response = httpx.get(live_url + "/api/network/export/gexf")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/gexf+xml")
    assert httpx.get(live_url + "/api/network/export/pdf").status_code == 404
    bad_layer = httpx.get(live_url + "/api/network", params={"layers": "mechanisms,moods"})
    assert bad_layer.status_code == 400 and "moods" in bad_layer.json()["detail"]


# --- derived findings and layout -----------------------------------------------------------------


@pytest.fixture(scope="module")
def derived_graph() -> nx.MultiDiGraph:
    """The shipped evidence plus a pooled (derived) finding computed from two fixture study findings."""
    from tests._network_support import store_with_derived

    return build_network(store_with_derived())


def test_derived_finding_is_marked_with_its_inputs(derived_graph: nx.MultiDiGraph) -> None:
    from tests._network_support import DERIVED, GENERATED, INPUTS, pooled_inputs

    edges = {d["finding"]: d for *_, d in finding_edges(derived_graph)}
    derived = edges[DERIVED]
    r, lower, upper, n = pooled_inputs()
    assert derived["finding_type"] == "derived" and derived["pooling_method"] == "REML"
    assert derived["estimate"] == pytest.approx(r, abs=1e-4) and derived["ci_upper"] == pytest.approx(upper, abs=1e-4)
    assert set(derived["derived_from"].split()) == set(INPUTS) and derived["n"] == n
    assert derived["generated_at"].startswith(GENERATED[:19]) and derived["source_label"].startswith("derived: pooled")
    assert "provenance" not in derived  # no source sentence: it was computed, not read
    assert all(edges[f]["finding_type"] == "reported" for f in INPUTS)
    assert all(d["finding_type"] == "reported" for f, d in edges.items() if f != DERIVED)


def test_exports_show_derived_findings_apart(derived_graph: nx.MultiDiGraph) -> None:
    from tests._network_support import DERIVED

    data = json.loads(export_network(derived_graph, "cyjs"))
    classes = {e["data"]["id"]: e["classes"].split() for e in data["elements"]["edges"] if e["data"]["kind"] == FINDING}
    assert "derived" in classes[DERIVED] and all("reported" in c for f, c in classes.items() if f != DERIVED)
    back = nx.read_graphml(io.BytesIO(export_network(derived_graph, "graphml")))
    assert [d["finding_type"] for *_, d in back.edges(data=True) if d.get("finding") == DERIVED] == ["derived"]
    dot = export_network(derived_graph, "dot").decode()
    derived_line = next(line for line in dot.splitlines() if DERIVED in line and "->" in line)
    assert ":white:" in derived_line  # drawn as a hollow (double) line
    texts = " ".join(t.text or "" for t in ET.fromstring(export_network(derived_graph, "svg")).iter() if t.tag.endswith("text"))
    assert "derived: pooled by evidencekg (REML, k = 2)" in texts  # on the edge
    assert "derived: pooled by evidencekg, not reported" in texts  # in the legend
    plain = " ".join(t.text or "" for t in ET.fromstring(export_network(build_network_without_derived(), "svg")).iter()
                     if t.tag.endswith("text"))
    assert "derived" not in plain.replace("unless marked derived", "")


def build_network_without_derived() -> nx.MultiDiGraph:
    """The shipped evidence only."""
    from evidencekg.load.shipped import shipped_store
    from evidencekg.settings import get_settings

    return build_network(shipped_store(get_settings(memory=True, endpoint=None)))


def test_the_sentence_stating_the_number_comes_first(graph: nx.MultiDiGraph) -> None:
    avoidance = graph.edges[C + "attachment-avoidance", ALLIANCE, F + "notsu2024-avoidance-alliance"]
    assert len(avoidance["sources"]) > 1  # the summary's sentence and the abstract's fragments
    assert "r = -.13" in avoidance["sources"][0]["text"]
    assert avoidance["provenance"].startswith(avoidance["sources"][0]["text"])


def test_layout_groups_constructs_by_scheme(graph: nx.MultiDiGraph) -> None:
    from evidencekg.network.layout import PAGE, left_anchored, page_positions, scheme_roots

    pos = page_positions(graph)
    roots = scheme_roots(graph)
    assert left_anchored(graph) == {child for child, _ in STRUCTURE}
    for child, parent in STRUCTURE:  # each child hangs right of its parent's trunk, below it
        assert pos[child][0] >= pos[parent][0] + PAGE.indent and pos[child][1] > pos[parent][1]
    columns: dict[float, list[str]] = {}
    for node in pos:
        if graph.nodes[node]["kind"] == "construct":
            columns.setdefault(pos[roots[node]][0], []).append(node)
    for members in columns.values():  # a block's members are consecutive from top to bottom, its root first
        ordered = [roots[n] for n in sorted(members, key=lambda n: pos[n][1])]
        runs = [r for i, r in enumerate(ordered) if i == 0 or ordered[i - 1] != r]
        assert len(runs) == len(set(runs)), ordered
        assert all(min((m for m in members if roots[m] == r), key=lambda m: pos[m][1]) == r for r in runs)
    # findings flow left to right: attachment -> alliance -> outcome
    assert pos[C + "attachment-insecurity"][0] < pos[ALLIANCE][0] < pos[OUTCOME][0]
    layer = [n for n, k in graph.nodes(data="kind") if k != "construct"]
    lowest = max(pos[n][1] for n in pos if n not in layer)
    assert layer and all(pos[n][1] > lowest for n in layer)
    for a in layer:  # layer nodes in one row never sit closer than a node's width
        for b in layer:
            if a < b and pos[a][1] == pos[b][1]:
                assert abs(pos[a][0] - pos[b][0]) >= 180, (a, b)


def test_picture_labels_hide_no_node_and_no_other_label(derived_graph: nx.MultiDiGraph) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from evidencekg.network.pictures import network_figure

    fig = network_figure(derived_graph)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lays out every label's box
    renderer = canvas.get_renderer()
    (ax,) = fig.axes
    extents = [t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts if t.get_bbox_patch()]
    assert len(extents) == 12 + 9  # every construct box and every finding label (seed 6 + fixture 3)
    overlapping = [(i, j) for i, a in enumerate(extents) for j, b in enumerate(extents[i + 1:], i + 1)
                   if a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1]
    assert overlapping == []


def test_gexf_is_1_3_with_weights_colours_thickness_and_positions(graph: nx.MultiDiGraph) -> None:
    """Gephi's format: weight = |effect| on finding edges, viz colour and thickness, node positions, a `name` for Cytoscape."""
    from lxml import etree

    body = export_network(graph, "gexf")
    root = etree.fromstring(body)
    gexf, viz = "{http://gexf.net/1.3}", "{http://gexf.net/1.3/viz}"
    assert root.tag == gexf + "gexf" and root.get("version") == "1.3"
    edges = {e.get("id"): e for e in root.iter(gexf + "edge")}
    back = nx.read_gexf(io.BytesIO(body))
    avoidance = next(d for _, _, d in back.edges(data=True) if d.get("finding") == F + "notsu2024-avoidance-alliance")
    assert avoidance["weight"] == pytest.approx(0.13) and avoidance["r"] == pytest.approx(-0.13)
    for edge in edges.values():
        assert edge.find(viz + "color") is not None and float(edge.find(viz + "thickness").get("value")) > 0
    red = next(e for e in edges.values() if e.get("weight") == "0.13").find(viz + "color")
    assert (red.get("r"), red.get("g"), red.get("b")) == ("178", "24", "43")  # negative: the page's red
    nodes = list(root.iter(gexf + "node"))
    assert nodes and all(n.find(viz + "position") is not None for n in nodes)
    assert len({(n.find(viz + "position").get("x"), n.find(viz + "position").get("y")) for n in nodes}) == len(nodes)
    assert back.nodes[ALLIANCE]["name"] == "therapeutic alliance"
    graphml = nx.read_graphml(io.BytesIO(export_network(graph, "graphml")))
    assert graphml.nodes[ALLIANCE]["name"] == "therapeutic alliance"
    cyjs = json.loads(export_network(graph, "cyjs"))
    assert all("position" in n for n in cyjs["elements"]["nodes"])


def test_provenance_sentences_are_separated(graph: nx.MultiDiGraph) -> None:
    several = [d for _, _, d in graph.edges(data=True) if len(d.get("sources", [])) > 1]
    assert several
    for d in several:
        assert d["provenance"] == " | ".join(s["text"] for s in d["sources"])
