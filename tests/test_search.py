"""Search: /api/search?q= and the search box every page carries, over constructs, conditions, studies and sentences."""

from __future__ import annotations

import httpx
import pytest
from lxml import html

from evidencekg.errors import InvalidInput
from evidencekg.pages.search import PER_KIND, search
from evidencekg.store.embedded import OxigraphStore
from tests.test_meta_page import base_url, store

__all__ = ["base_url", "store"]  # the /meta page tests' store (shipped + simulated sheet + Metapsy excerpt) and server


def test_search_finds_each_kind_by_its_words(store: OxigraphStore) -> None:
    alliance = search(store, "  Therapeutic   ALLIANCE ")
    assert alliance.query == "therapeutic alliance"
    assert alliance.hits["construct"][0].href == "/id/construct/therapeutic-alliance"  # the exact label ranks first
    assert alliance.counts["sentence"] >= 1 and all("therapeutic alliance" in h.label.lower() for h in alliance.hits["sentence"])
    waitlist = search(store, "wl")  # a Metapsy code is a condition's notation
    assert any(h.href == "/id/condition/waitlist" for h in waitlist.hits["condition"])
    study = search(store, "aardvark")
    assert [h.label for h in study.hits["study"]] == ["Aardvark, 2001"]
    doi = search(store, "10.0000/simulated.01")
    assert doi.counts.get("publication") == 1
    assert not search(store, "no such words anywhere").hits


def test_search_lists_at_most_per_kind_but_counts_all(store: OxigraphStore) -> None:
    simulated = search(store, "simulated")
    assert simulated.counts["sentence"] > PER_KIND and len(simulated.hits["sentence"]) == PER_KIND
    with pytest.raises(InvalidInput, match="search for something"):
        search(store, "   ")


def test_api_search_and_the_box_on_every_page(base_url: str) -> None:
    found = httpx.get(f"{base_url}/api/search", params={"q": "attachment anxiety"}, timeout=60).json()
    assert found["query"] == "attachment anxiety" and found["counts"]["construct"] >= 1
    first = found["results"][0]
    assert first["kind"] == "construct" and first["href"] == "/id/construct/attachment-anxiety"
    assert httpx.get(f"{base_url}/api/search", params={"q": ""}).status_code == 400
    for path in ("/", "/queries", "/network", "/meta", "/id/construct/attachment-anxiety", "/search"):
        page = html.fromstring(httpx.get(base_url + path, headers={"Accept": "text/html"}, timeout=60).text)
        (box,) = page.xpath('//header//form[@role="search"]')
        assert box.get("action") == "/search" and box.xpath('.//input[@name="q"]'), path
    results = html.fromstring(httpx.get(f"{base_url}/search", params={"q": "cbt"}, timeout=60).text)
    assert results.xpath('//section[@id="search-condition"]//a[@href="/id/condition/cbt"]')
    assert httpx.get(f"{base_url}/search", params={"q": "x" * 300}).status_code == 400
