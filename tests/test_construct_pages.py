"""Construct and condition pages at size: findings grouped by comparison, pooled summaries, named rows, paging, CIs."""

from __future__ import annotations

import math
import re

import httpx
import pytest
from lxml import html

from evidencekg.meta.pairs import pool_pair
from evidencekg.pages import evidence_groups as eg
from evidencekg.store.embedded import OxigraphStore
from tests.test_meta_page import base_url, store

__all__ = ["base_url", "store"]  # the /meta page tests' store (shipped + simulated sheet + Metapsy excerpt) and server
ALLIANCE = "https://w3id.org/evidencekg/id/construct/therapeutic-alliance"
DEPRESSION = "https://w3id.org/evidencekg/id/construct/depressive-symptoms"


def test_alliance_findings_are_grouped_by_pair_with_the_pooled_estimate_of_meta_pair(store: OxigraphStore) -> None:
    groups = {g.title: g for g in eg.evidence_groups(store, ALLIANCE, {})}
    anxiety = groups["attachment anxiety \u2013 therapeutic alliance"]
    pooled = pool_pair(store, "attachment-anxiety", "therapeutic-alliance").pooled
    assert anxiety.summary is not None and anxiety.summary.k == pooled.k == 12
    assert anxiety.summary.estimate == f"{math.tanh(pooled.estimate):.2f}"  # pooled on Fisher's z, shown as r
    assert anxiety.meta_href == "/meta?a=attachment-anxiety&b=therapeutic-alliance" and anxiety.forest_href
    # the reported meta-analytic finding (Notsu 2024, r = -.09 with its printed CI) sits in the same group
    printed = [r for r in anxiety.rows if r.estimate and r.estimate.text == "-0.09"]
    assert printed and printed[0].ci is not None and not printed[0].ci.computed
    names = [r.name for r in anxiety.rows]
    assert not any(re.search(r"\brow\d+", n) for n in names), names  # rows are named, never a row slug
    assert any(n.startswith("Simulated") for n in names)


def test_trial_rows_are_named_by_study_and_instrument_with_a_computed_ci(store: OxigraphStore) -> None:
    groups = {g.title: g for g in eg.evidence_groups(store, DEPRESSION, {})}
    cbt_wl = groups["cognitive behaviour therapy vs waitlist"]
    assert [(r.name, r.detail) for r in cbt_wl.rows] == [("Aardvark, 2001", "bdi-2"), ("Aardvark, 2001", "hdrs-17")]
    first = cbt_wl.rows[0]
    assert first.estimate is not None and first.estimate.text == "0.80"
    assert first.ci is not None and first.ci.computed and first.ci.text == f"[{0.8 - 1.959964 * 0.25:.2f}, {0.8 + 1.959964 * 0.25:.2f}]"
    assert first.n == "61"
    assert cbt_wl.summary is None  # one study: nothing to pool


def test_numbers_keep_the_printed_precision_and_machine_values_are_rounded() -> None:
    assert eg.shown_number("0.580935979666018") == eg.Shown("0.58")
    assert eg.shown_number("0.278").text == "0.278" and eg.shown_number("-0.1").text == "-0.10"
    r_ci = eg.computed_ci(0.3, None, 100, None, None, True)
    assert r_ci is not None and r_ci.computed and "Fisher" in r_ci.how
    g_ci = eg.computed_ci(0.5, None, None, 40, 40, False)
    assert g_ci is not None and "arm sizes" in g_ci.how
    assert eg.computed_ci(0.5, None, None, None, None, False) is None


def test_long_groups_are_paged_and_the_chosen_page_opens(store: OxigraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(eg, "PAGE_ROWS", 5)
    monkeypatch.setattr(eg, "OPEN_UP_TO", 0)
    groups = {g.key: g for g in eg.evidence_groups(store, ALLIANCE, {}, "attachment-anxiety--therapeutic-alliance", 3)}
    chosen = groups["attachment-anxiety--therapeutic-alliance"]
    assert chosen.open and chosen.page == 3 and chosen.pages == -(-len(chosen.rows) // 5)
    assert chosen.shown == chosen.rows[10:15]
    assert all(not g.open for key, g in groups.items() if key != chosen.key)
    assert chosen.page_hrefs[1] == (2, "?group=attachment-anxiety--therapeutic-alliance&page=2#group-attachment-anxiety--therapeutic-alliance")


def test_construct_and_condition_pages_show_the_groups(base_url: str) -> None:
    page = html.fromstring(httpx.get(f"{base_url}/id/construct/therapeutic-alliance", timeout=60).text)
    summary = page.get_element_by_id("evidence-summary")
    titles = [a.text_content() for a in summary.xpath(".//tbody/tr/td[1]/a")]
    assert "attachment anxiety \u2013 therapeutic alliance" in titles
    assert page.xpath('//details[@id="group-attachment-anxiety--therapeutic-alliance"]')
    condition = html.fromstring(httpx.get(f"{base_url}/id/condition/cbt", timeout=60).text)
    keys = {d.get("id") for d in condition.xpath("//details[@class='group']")}
    assert keys == {"group-cbt--waitlist", "group-cbt--care-as-usual"}
    cells = condition.xpath('//details[@id="group-cbt--waitlist"]//td[@class="num"]/span[@class="computed"]')
    assert cells and all(c.get("title", "").startswith("computed from") for c in cells)
    paged = httpx.get(f"{base_url}/id/construct/therapeutic-alliance", params={"group": "attachment-anxiety--therapeutic-alliance", "page": "1"})
    assert paged.status_code == 200 and 'id="group-attachment-anxiety--therapeutic-alliance" open' in paged.text


def test_an_unlabelled_trial_finding_is_named_and_its_ci_computed(store: OxigraphStore, base_url: str) -> None:
    group = next(g for g in eg.evidence_groups(store, DEPRESSION, {}) if g.key == "cbt--waitlist")
    first = next(r for r in group.rows if r.detail == "bdi-2")
    page = html.fromstring(httpx.get(base_url + first.link.href, timeout=60).text)
    title = page.xpath("string(//h1)")
    assert title.startswith("Aardvark, 2001") and "bdi-2" in title and "metapsy" not in title  # a name, never a slug
    (ci,) = page.xpath('//dd[contains(@class, "computed")]')
    assert ci.text_content() == f"[{0.8 - 1.959964 * 0.25:.2f}, {0.8 + 1.959964 * 0.25:.2f}]c"
    assert "SE" in ci.get("title")


def test_network_collapses_each_pairs_studies_into_one_pooled_edge(store: OxigraphStore) -> None:
    from evidencekg.network.build import build_network
    from evidencekg.network.collapse import STUDIES, with_studies

    full = build_network(store)
    pooled = with_studies(full, "pooled")
    edges = [(u, v, a) for u, v, a in pooled.edges(data=True) if a.get("finding_type") == STUDIES]
    assert len(edges) == 2 and full.number_of_edges() - pooled.number_of_edges() == 24 - 2
    anxiety = next(a for u, _, a in edges if u.endswith("attachment-anxiety"))
    expected = pool_pair(store, "attachment-anxiety", "therapeutic-alliance").pooled
    assert anxiety["k"] == 12 and len(anxiety["studies"]) == 12
    assert anxiety["estimate"] == round(math.tanh(expected.estimate), 3)
    assert anxiety["meta_href"] == "/meta?a=attachment-anxiety&b=therapeutic-alliance"
    assert with_studies(full, "each") is full
    with pytest.raises(ValueError, match="studies"):
        with_studies(full, "some")
