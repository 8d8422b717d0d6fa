"""The pages at real size in headless Chromium: the Metapsy database and the simulated sheet loaded, screenshots kept.

The screenshots go under pytest's basetemp (`pages-screenshots*`): open them and judge them as a researcher would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evidencekg.network.build import FINDING, build_network
from evidencekg.network.collapse import STUDIES, collapse_studies
from evidencekg.store.embedded import OxigraphStore
from tests._ld_support import CHROMIUM
from tests.test_home_browser import BrowserLog, browser, page
from tests.test_meta_browser import base_url, store

__all__ = ["base_url", "browser", "page", "store"]  # Chromium fixtures (offline gate, error log); the real-size server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.shared,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (under pytest's basetemp: look at them)."""
    return tmp_path_factory.mktemp("pages-screenshots")


def _open(tab: Any, url: str) -> None:
    tab.set_viewport_size({"width": 1280, "height": 900})
    tab.set_default_timeout(120_000)
    tab.goto(url)


def test_network_draws_one_edge_per_studied_pair(metapsy_store: OxigraphStore, base_url: str, page: tuple[Any, BrowserLog], shots: Path) -> None:
    tab, log = page
    full = build_network(metapsy_store)
    study_pairs = {frozenset((u, v)) for u, v, a in full.edges(data=True) if a.get("primary_study") and a.get("finding_type") == "reported"}
    others = [a for _, _, a in full.edges(data=True) if a.get("kind") == FINDING and not a.get("primary_study")]
    assert len(study_pairs) == 2 and sum(1 for _, _, a in full.edges(data=True) if a.get("primary_study")) == 24
    _open(tab, base_url + "/network")
    tab.wait_for_selector("body[data-network-ready='true']")
    drawn = tab.evaluate("""() => ({
        findings: cy.edges('.finding').filter(e => e.visible()).length,
        pooled: cy.edges('.finding.studies').filter(e => e.visible()).map(e => [e.data('k'), (e.data('studies') || []).length]),
    })""")
    assert drawn["findings"] == len(others) + len(study_pairs)  # edges drawn == distinct pairs (+ the reported meta-analyses)
    assert sorted(drawn["pooled"]) == [[12, 12], [12, 12]]
    tab.screenshot(path=str(shots / "network.png"), full_page=True)
    # the legend names every layer, and no edge label covers the page title
    legend = tab.inner_text("#network-legend")
    for words in ("positive r", "negative r", "derived", "pooled from k primary studies", "scheme", "proposed mechanism", "practice implication"):
        assert words in legend
    title = tab.locator("h1").bounding_box()
    canvas = tab.locator("#cy").bounding_box()
    assert title is not None and canvas is not None and title["y"] + title["height"] <= canvas["y"]
    # drill down: the pooled anxiety-alliance edge lists its twelve studies and links to the meta-analysis
    pooled = collapse_studies(full)
    edge_id = next(a["finding"] for u, _, a in pooled.edges(data=True) if a.get("finding_type") == STUDIES and u.endswith("attachment-anxiety"))
    tab.evaluate(f"() => cy.getElementById({edge_id!r}).emit('tap')")
    panel = tab.locator("#network-panel")
    panel.locator("ul.edge-studies").wait_for()
    assert panel.locator("ul.edge-studies > li").count() == 12
    assert panel.locator('a[href="/meta?a=attachment-anxiety&b=therapeutic-alliance"]').count() == 1
    tab.screenshot(path=str(shots / "network-pooled-edge.png"), full_page=True)
    assert log.clean(), log


def test_construct_page_at_900_findings_is_short_grouped_and_named(base_url: str, page: tuple[Any, BrowserLog], shots: Path) -> None:
    tab, log = page
    _open(tab, base_url + "/id/construct/depressive-symptoms")
    assert tab.evaluate("() => window.scrollY") == 0
    height = tab.evaluate("() => document.documentElement.scrollHeight")
    width = tab.evaluate("() => document.documentElement.scrollWidth")
    tab.screenshot(path=str(shots / "construct-depressive-symptoms.png"), full_page=True)
    assert height < 6000 and width <= 1280, (height, width)  # was 48,630 px with 901 rows
    rows = tab.locator("#evidence-summary tbody tr")
    assert rows.count() == 27  # the 27 comparisons of the Metapsy database
    assert "cognitive behaviour therapy vs waitlist" in rows.first.inner_text() and "k = 111" in rows.first.inner_text()
    rows.first.locator("a").first.click()  # opens that comparison's first page
    group = tab.locator("details#group-cbt--waitlist[open]")
    group.wait_for()
    names = group.locator("tbody tr td:first-child").all_inner_texts()
    assert len(names) == 20 and all("row" not in n for n in names)
    estimates = group.locator("tbody tr td:nth-child(3)").all_inner_texts()
    assert all(len(e.split(".")[-1]) <= 3 for e in estimates if e != "—"), estimates  # no 15-digit estimates
    assert group.locator("span.computed").count() == 20  # every CI computed from the SE, and marked
    tab.screenshot(path=str(shots / "construct-cbt-vs-waitlist-open.png"), full_page=False)
    assert log.clean(), log


def test_home_search_and_finding_pages_at_real_size(base_url: str, page: tuple[Any, BrowserLog], shots: Path) -> None:
    tab, log = page
    _open(tab, base_url + "/")
    tab.wait_for_selector(".yasqe .CodeMirror")
    assert tab.evaluate("() => window.scrollY") == 0
    held = tab.inner_text("#held")
    assert "studies" in held and "findings" in held and "triples" not in held  # researchers' words first
    tab.screenshot(path=str(shots / "home.png"), full_page=True)
    tab.fill("header form[role=search] input", "waitlist")
    tab.press("header form[role=search] input", "Enter")
    tab.wait_for_selector("#search-condition")
    assert tab.locator('#search-condition a[href="/id/condition/waitlist"]').count() == 1
    tab.screenshot(path=str(shots / "search-waitlist.png"), full_page=True)
    _open(tab, base_url + "/id/finding/metapsy-depression-psyctr-data-ahmadpanah-2016-msd-bdi-1-post-0-self-report-otherpsy-cau-otherpsy-smt-cau")  # row 10, named by its .id
    quote = tab.locator("figure.provenance blockquote").first.bounding_box()
    main = tab.locator("main").bounding_box()
    assert quote is not None and main is not None and quote["x"] + quote["width"] <= main["x"] + main["width"]
    assert tab.evaluate("() => document.documentElement.scrollWidth") <= 1280  # the quoted CSV row stays in its box
    tab.screenshot(path=str(shots / "finding-metapsy-row10.png"), full_page=True)
    assert log.clean(), log
