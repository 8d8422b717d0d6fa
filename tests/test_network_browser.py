"""The /network page in headless Chromium: loads offline without errors, shows the seed graph, panels and filters work."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._ld_support import CHROMIUM, CHROMIUM_ARGS

CONSTRUCTS, FINDINGS = 12, 6  # docs/model.md: the seed's constructs and association findings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed (make browser)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium for the module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def network_page(browser, live_url: str) -> Iterator[tuple[object, list[str], list[str]]]:
    """The /network page, loaded and ready; yields (page, console errors, requests that left the server)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    escaped: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def only_local(route) -> None:
        if route.request.url.startswith(live_url + "/"):
            route.continue_()
        else:
            escaped.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(live_url + "/network")
    page.wait_for_selector("body[data-network-ready='true']", timeout=20_000)
    yield page, errors, escaped
    if os.environ.get("EVIDENCEKG_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["EVIDENCEKG_SCREENSHOTS"]) / "network.png"))
    page.close()


def _click_element(page, selector_js: str) -> None:
    """Click a graph element at its rendered position (container offset + cytoscape coordinates)."""
    x, y = page.evaluate(
        f"""() => {{
            const ele = {selector_js};
            const box = document.getElementById('cy').getBoundingClientRect();
            const p = ele.isEdge() ? ele.renderedMidpoint() : ele.renderedPosition();
            return [box.left + p.x, box.top + p.y];
        }}"""
    )
    page.mouse.click(x, y)


def test_page_loads_offline_with_the_seed_graph(network_page) -> None:
    page, errors, escaped = network_page
    counts = page.evaluate("""() => ({
        constructs: cy.nodes('.construct').filter(n => n.visible()).length,
        findings: cy.edges('.finding').filter(e => e.visible()).length,
        layerNodes: cy.nodes('.mechanism, .implication').filter(n => n.visible()).length,
    })""")
    assert counts == {"constructs": CONSTRUCTS, "findings": FINDINGS, "layerNodes": 0}
    assert page.get_attribute("#network-counts", "data-findings") == str(FINDINGS)
    assert errors == [] and escaped == []


def test_clicking_the_avoidance_alliance_edge_shows_its_numbers(network_page) -> None:
    page, errors, escaped = network_page
    _click_element(page, "cy.getElementById('https://w3id.org/evidencekg/id/finding/notsu2024-avoidance-alliance')")
    panel = page.locator("#network-panel")
    panel.locator("h2").filter(has_text="attachment avoidance → therapeutic alliance").wait_for(timeout=5_000)
    text = panel.inner_text()
    assert "r = -0.13" in text and "[-0.19, -0.07]" in text
    assert "p < 0.001" in text and "2299" in text and "10.1080/10503307.2024.2370344" in text
    assert "r = -.13 (95% CI [-.19, -.07], p < .001)" in text  # the provenance sentence
    assert errors == [] and escaped == []


def test_the_summary_figure_is_labelled_as_cited_in_the_summary(network_page) -> None:
    """The PPRNet summary's r = .28 (reportedIn Flückiger 2018) is captioned and described as cited in the summary."""
    page, errors, _ = network_page
    summary = "cy.getElementById('https://w3id.org/evidencekg/id/finding/pprnet-alliance-outcome')"
    caption = page.evaluate(f"() => {summary}.data('caption')")
    assert caption.split("\n") == ["r = 0.28", "Flückiger et al. 2018", "as cited in the PPRNet summary"]
    own = page.evaluate("() => cy.getElementById('https://w3id.org/evidencekg/id/finding/flueckiger2018-alliance-outcome').data('caption')")
    assert "as cited in" not in own
    page.evaluate(f"() => {summary}.emit('tap')")
    panel = page.locator("#network-panel")
    panel.locator("p.cited-in").wait_for(timeout=5_000)
    assert panel.locator("p.cited-in a").get_attribute("href") == "/id/document/pprnet-notsu2024"
    assert "As cited in the PPRNet summary" in panel.inner_text()
    options = page.locator("#filter-source option").all_inner_texts()
    assert options.count("Flückiger et al. 2018") == 1 and not any("as cited" in o for o in options)
    assert errors == []


def test_clicking_the_alliance_lists_findings_and_implications(network_page) -> None:
    page, errors, _ = network_page
    _click_element(page, "cy.getElementById('https://w3id.org/evidencekg/id/construct/therapeutic-alliance')")
    panel = page.locator("#network-panel")
    panel.locator("h2").filter(has_text="therapeutic alliance").wait_for(timeout=5_000)
    assert panel.locator("ul.node-findings > li").count() == FINDINGS
    implications = page.evaluate(
        "() => cy.getElementById('https://w3id.org/evidencekg/id/construct/therapeutic-alliance')"
        ".neighborhood('node.implication').length"
    )
    assert implications > 0 and panel.locator("ul.node-implications > li").count() == implications
    assert errors == []


def test_filters_and_path_finder(network_page) -> None:
    page, errors, escaped = network_page
    page.check("#filter-significant")  # the internet-based r = .275 has neither CI nor p
    assert page.get_attribute("#network-counts", "data-findings") == str(FINDINGS - 1)
    page.uncheck("#filter-significant")
    page.select_option("#filter-source", "https://w3id.org/evidencekg/id/publication/notsu2024")
    assert page.get_attribute("#network-counts", "data-findings") == "2"
    page.select_option("#filter-source", "")
    page.check("#show-implications")
    assert page.evaluate("() => cy.nodes('.implication').filter(n => n.visible()).length") > 0
    page.click("#path-go")  # defaults: attachment avoidance -> psychotherapy outcome
    page.locator("#network-panel .naive-product").wait_for(timeout=5_000)
    assert "naive product of r = -0.0361" in page.inner_text("#network-panel")
    assert page.evaluate("() => cy.$('.on-path').length") == 5  # 3 nodes + 2 chosen findings
    assert errors == [] and escaped == []


BOXES_JS = """() => cy.nodes().filter(n => n.visible()).map(n => {
    const b = n.boundingBox({ includeLabels: false, includeOverlays: false });
    return { id: n.id(), x1: b.x1, x2: b.x2, y1: b.y1, y2: b.y2 };
})"""


def _overlaps(a: dict, b: dict) -> bool:
    """Whether two boxes share area (touching edges do not count)."""
    return a["x1"] < b["x2"] and b["x1"] < a["x2"] and a["y1"] < b["y2"] and b["y1"] < a["y2"]


def _segment_hits(p: tuple, q: tuple, box: dict) -> bool:
    """Whether a straight segment passes through a box (checked at 200 points along it)."""
    (x1, y1), (x2, y2) = p, q
    points = ((x1 + (x2 - x1) * i / 200, y1 + (y2 - y1) * i / 200) for i in range(201))
    return any(box["x1"] < x < box["x2"] and box["y1"] < y < box["y2"] for x, y in points)


def test_layout_keeps_nodes_apart_and_structure_edges_clear(network_page) -> None:
    page, errors, _ = network_page
    page.check("#show-mechanisms")
    page.check("#show-implications")
    boxes = page.evaluate(BOXES_JS)
    assert len(boxes) > CONSTRUCTS  # the layer nodes are shown
    clashes = [(a["id"], b["id"]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if _overlaps(a, b)]
    assert clashes == []
    routes = page.evaluate("""() => cy.edges('.componentOf, .broader').map(e => ({
        source: e.source().id(), target: e.target().id(),
        points: [e.sourceEndpoint(), ...(e.segmentPoints() || []), e.targetEndpoint()].map(p => [p.x, p.y]) }))""")
    assert len(routes) == 7  # docs/model.md: 7 narrower/component relations in the seed
    by_id = {b["id"]: b for b in boxes}
    for route in routes:
        others = [b for i, b in by_id.items() if i not in (route["source"], route["target"])]
        segments = list(zip(route["points"], route["points"][1:]))
        hits = [b["id"] for b in others for p, q in segments if _segment_hits(tuple(p), tuple(q), b)]
        assert hits == [], (route["source"], route["target"], hits)
    assert errors == []


@pytest.fixture(scope="module")
def derived_url() -> Iterator[str]:
    """A live server over the shipped evidence plus a derived (pooled) finding."""
    from tests._network_support import store_with_derived
    from tests._server import live_server, memory_app

    with live_server(memory_app(store_with_derived())) as url:
        yield url


def test_derived_finding_is_drawn_and_described_apart(browser, derived_url: str) -> None:
    from tests._network_support import DERIVED, INPUTS

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(derived_url + "/network")
    page.wait_for_selector("body[data-network-ready='true']", timeout=20_000)
    styles = page.evaluate(f"""() => {{
        const derived = cy.getElementById('{DERIVED}');
        const reported = cy.getElementById('{next(iter(INPUTS))}');
        return [derived.hasClass('derived'), derived.numericStyle('line-outline-width'),
                reported.hasClass('reported'), reported.numericStyle('line-outline-width'),
                derived.style('font-style'), derived.data('caption')];
    }}""")
    assert styles[:5] == [True, 2, True, 0, "italic"]
    assert "derived (REML, k = 2)" in styles[5]  # a short label; the panel says what derived means
    _click_element(page, f"cy.getElementById('{DERIVED}')")
    panel = page.locator("#network-panel")
    panel.locator("h2").filter(has_text="attachment anxiety → relational bond").wait_for(timeout=5_000)
    text = panel.inner_text()
    assert "derived: pooled by evidencekg, not reported by a source" in text and "REML" in text
    assert "Pooled from 2 findings" in text and panel.locator("ul.derived-inputs > li").count() == 2
    assert errors == []
    page.close()
