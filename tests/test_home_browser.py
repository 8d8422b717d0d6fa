"""The home page, a finding page and the API docs in headless Chromium: offline, no console errors, YASGUI runs a catalogue query."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from evidencekg.load.shipped import shipped_store
from evidencekg.settings import Settings, get_settings
from service.app import create_app
from tests._ld_support import CHROMIUM, CHROMIUM_ARGS
from tests._server import live_server

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]
playwright_api = pytest.importorskip("playwright.sync_api")


@dataclass
class BrowserLog:
    """What a page did that a test must see: console errors, page errors, requests to other hosts."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def clean(self) -> bool:
        """Nothing went wrong and nothing left the test server."""
        return not (self.console_errors or self.page_errors or self.foreign_requests)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server over the shipped evidence."""
    settings: Settings = get_settings(var_dir=tmp_path_factory.mktemp("var"), memory=True, endpoint=None)
    with live_server(create_app(shipped_store(settings), settings)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object, base_url: str) -> Iterator[tuple[object, BrowserLog]]:
    """A fresh page whose requests to any other host are aborted and recorded."""
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    log = BrowserLog()
    server = urlsplit(base_url).netloc

    def gate(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(url).netloc == server or url.startswith(("data:", "blob:", "about:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            log.foreign_requests.append(url)
            route.abort()  # type: ignore[attr-defined]

    page.route("**/*", gate)
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.page_errors.append(str(e)))
    yield page, log
    context.close()


def test_home_page_runs_a_catalogue_query_in_yasgui(page: tuple[object, BrowserLog], base_url: str) -> None:
    tab, log = page
    tab.goto(base_url + "/")  # type: ignore[attr-defined]
    tab.wait_for_selector(".yasqe .CodeMirror")  # type: ignore[attr-defined]
    tab.wait_for_timeout(300)  # type: ignore[attr-defined]
    assert tab.evaluate("() => window.scrollY") == 0  # type: ignore[attr-defined]  # opens at its top
    counts = {
        name: int(tab.text_content(f'[data-count="{name}"]'))  # type: ignore[attr-defined]
        for name in ("findings", "constructs", "publications", "sources")
    }
    assert all(n > 0 for n in counts.values()), counts
    assert tab.locator('a[href="/id/construct/attachment-anxiety"]').count() >= 1  # type: ignore[attr-defined]
    # choose the catalogue's associations query and run it through YASGUI against /sparql
    tab.select_option("#query-picker", "associations")  # type: ignore[attr-defined]
    editor_text = tab.evaluate("() => window.yasgui.getTab().getYasqe().getValue()")  # type: ignore[attr-defined]
    assert "ekg:ReportedFinding" in editor_text
    tab.click("#run-query")  # type: ignore[attr-defined]
    table = tab.locator(".yasr table")  # type: ignore[attr-defined]
    table.wait_for(timeout=20_000)
    tab.wait_for_function(  # type: ignore[attr-defined]
        "() => document.querySelector('.yasr table') && document.querySelector('.yasr table').innerText.includes('-0.13')",
        timeout=20_000,
    )
    text = table.inner_text()
    assert "-0.09" in text and "-0.13" in text
    # readable: literals plain (no "-0.13"^^xsd:decimal), IRIs as prefixed names, a table as wide as the page
    assert "^^" not in text and "xsd:" not in text and '"-0.13"' not in text
    assert "id:finding/notsu2024-avoidance-alliance" in text and "<https://" not in text
    assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # type: ignore[attr-defined]
    endpoint = tab.evaluate("() => window.yasgui.getTab().getEndpoint()")  # type: ignore[attr-defined]
    assert endpoint == base_url + "/sparql"
    assert log.clean(), log


def test_finding_page_is_clean_and_links_locally(page: tuple[object, BrowserLog], base_url: str) -> None:
    tab, log = page
    tab.goto(base_url + "/id/finding/notsu2024-avoidance-alliance")  # type: ignore[attr-defined]
    assert tab.text_content("dd.estimate").strip() == "-0.13"  # type: ignore[attr-defined]
    assert tab.text_content("dd.ci").strip() == "[-0.19, -0.07]"  # type: ignore[attr-defined]
    tab.click('section.finding .relation a[href="/id/construct/attachment-avoidance"]')  # type: ignore[attr-defined]
    tab.wait_for_url(base_url + "/id/construct/attachment-avoidance")  # type: ignore[attr-defined]
    assert "attachment avoidance" in tab.text_content("h1")  # type: ignore[attr-defined]
    assert log.clean(), log


def test_api_docs_render_offline(page: tuple[object, BrowserLog], base_url: str) -> None:
    tab, log = page
    tab.goto(base_url + "/docs")  # type: ignore[attr-defined]
    tab.wait_for_selector(".swagger-ui .opblock", timeout=20_000)  # type: ignore[attr-defined]
    assert tab.locator(".opblock-summary-path", has_text="/queries/{name}").count() >= 1  # type: ignore[attr-defined]
    assert log.clean(), log


def test_home_page_without_the_browser_libraries_says_what_is_missing(browser: object, tmp_path: Path) -> None:
    settings = get_settings(var_dir=tmp_path, memory=True, endpoint=None, node_modules=tmp_path / "node_modules")
    with live_server(create_app(shipped_store(settings), settings)) as url:
        context = browser.new_context()  # type: ignore[attr-defined]
        tab = context.new_page()
        page_errors: list[str] = []
        tab.on("pageerror", lambda e: page_errors.append(str(e)))
        tab.goto(url + "/")
        tab.wait_for_function("() => document.getElementById('yasgui').innerText.includes('EVIDENCEKG_NODE_MODULES')", timeout=20_000)
        assert tab.text_content("#endpoint-url") == url + "/sparql"
        assert tab.locator("#query-picker option").count() >= 1, "the catalogue picker is filled without YASGUI"
        context.close()
    assert page_errors == []
