"""/meta in headless Chromium over the real Metapsy database: pick CBT and waitlist, see the library's result, download."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from evidencekg.meta.analysis import Choices, analyse
from evidencekg.meta.pairs import pool_pair
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore
from service.app import create_app
from tests._ld_support import CHROMIUM
from tests._server import live_server
from tests.test_home_browser import BrowserLog, browser, page

__all__ = ["browser", "page"]  # the home page tests' Chromium fixtures (offline gate, error log), used here

pytestmark = [
    pytest.mark.browser,
    pytest.mark.shared,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def store(metapsy_store: OxigraphStore) -> OxigraphStore:
    """The shipped evidence and the whole Metapsy depression database, ingested as the README says (plus the sheet)."""
    return metapsy_store


@pytest.fixture(scope="module")
def base_url(store: OxigraphStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = get_settings(var_dir=tmp_path_factory.mktemp("var"), memory=True, endpoint=None)
    with live_server(create_app(store, settings)) as url:
        yield url


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (under pytest's basetemp: look at them)."""
    return tmp_path_factory.mktemp("meta-screenshots")


def test_pick_cbt_and_waitlist_and_download(store: OxigraphStore, base_url: str, page: tuple[Any, BrowserLog], shots: Path) -> None:
    tab, log = page  # a fresh Chromium page whose requests to other hosts are aborted and logged
    tab.set_viewport_size({"width": 1280, "height": 900})
    tab.set_default_timeout(120_000)

    tab.goto(base_url + "/meta")
    tab.screenshot(path=str(shots / "meta-empty.png"), full_page=True)
    assert "cognitive behaviour therapy (" in tab.inner_text("#meta-a")  # the A list names conditions with counts
    tab.select_option("#meta-a", "cbt")
    assert tab.locator("#meta-result").count() == 0  # one of two chosen: nothing pooled yet
    with tab.expect_navigation():
        tab.select_option("#meta-b", "waitlist")  # meta.js pools as soon as both are chosen
    query = parse_qs(urlsplit(tab.url).query)
    assert query == {"a": ["cbt"], "b": ["waitlist"], "method": ["REML"], "test": ["z"]}  # the shareable address

    expected = pool_pair(store, "cbt", "waitlist", "REML").pooled
    shown = tab.locator('dd[data-key="estimate"]')
    assert float(shown.get_attribute("data-value")) == expected.estimate
    assert shown.inner_text() == f"{expected.estimate:.2f}"
    assert tab.inner_text('dd[data-key="k"]') == str(expected.k)
    assert tab.inner_text('dd[data-key="ci"]') == f"[{expected.ci_lower:.2f}, {expected.ci_upper:.2f}]"
    assert tab.inner_text('dd[data-key="pi"]') == f"[{expected.pi_lower:.2f}, {expected.pi_upper:.2f}]"
    assert f"I\u00b2 = {expected.i2:.1f}%" in tab.inner_text("#meta-apa")

    tab.wait_for_function(
        "() => [...document.querySelectorAll('.meta-plots img')].every(i => i.complete && i.naturalWidth > 0)", timeout=180_000
    )
    pages = tab.locator("#meta-forest img").count()
    assert pages == math.ceil(expected.k / 40)
    tab.screenshot(path=str(shots / "meta-cbt-waitlist.png"), full_page=False)
    tab.screenshot(path=str(shots / "meta-cbt-waitlist-full.png"), full_page=True)

    downloads = {}
    for label in ("studies (CSV)", "forest plot (SVG)", "forest plot (PNG)", "funnel plot (PNG)"):
        with tab.expect_download(timeout=180_000) as info:
            tab.click(f"#meta-downloads a:text-is('{label}')")
        path = shots / info.value.suggested_filename
        assert path.name.startswith("cbt-vs-waitlist-")
        info.value.save_as(path)
        downloads[label] = path.read_bytes()
    rows = list(csv.DictReader(io.StringIO(downloads["studies (CSV)"].decode())))
    assert len(rows) == expected.k + 1 and float(rows[-1]["estimate"]) == pytest.approx(expected.estimate)
    assert b"cognitive behaviour therapy vs waitlist" in downloads["forest plot (SVG)"]
    assert downloads["forest plot (PNG)"].startswith(b"\x89PNG") and downloads["funnel plot (PNG)"].startswith(b"\x89PNG")

    tab.click("#meta-leave-one-out summary")
    assert tab.locator("#meta-leave-one-out tbody tr").count() == expected.k

    tab.select_option('select[data-characteristic="format"]', "format=ind")  # a filter re-pools
    tab.wait_for_url("**where=format%3Dind**")
    subgroup = analyse(store, Choices.parse("cbt", "waitlist", where=["format=ind"]), sensitivity=False).pair.pooled
    assert tab.inner_text('dd[data-key="k"]') == str(subgroup.k) and subgroup.k < expected.k
    tab.screenshot(path=str(shots / "meta-cbt-waitlist-individual.png"), full_page=False)
    assert log.clean(), log
