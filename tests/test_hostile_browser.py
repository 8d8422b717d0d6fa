"""Hostile data written through every write path never runs in Chromium: no dialog, no marker, the pages' own scripts intact.

The paths: SPARQL Update, Graph Store PUT (Turtle), a correlation-sheet ingest and a Metapsy
ingest over /api/ingest. Every page showing what they wrote is opened.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests._ingest_support import METAPSY_OPTIONS, METAPSY_ROWS, metapsy, sheet
from tests._ld_support import CHROMIUM, chromium, only_to
from tests._server import live_server, memory_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]
pytest.importorskip("playwright.sync_api")

TOKEN = "hostile-test-token"
CONSTRUCT = "https://w3id.org/evidencekg/id/construct/attachment-anxiety"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
# Each payload, if it ever ran, would open a dialog or set window.__pwned.
HOSTILE_UPDATE = f"""
INSERT DATA {{
  <{CONSTRUCT}> <{RDFS}seeAlso> <javascript:alert(document.domain)> , <JaVaScRiPt:window.__pwned=1> ,
      <data:text/html,%3Cscript%3Ealert(1)%3C/script%3E> , <vbscript:msgbox(1)> ;
    <{RDFS}label> "\\"><img src=x onerror=alert(1)>" , "<svg onload=window.__pwned=2>" ;
    <{RDFS}comment> "</script><script>alert(1)</script>" , "javascript:alert(3)" .
}}
"""


IMG = '"><img src=x onerror=alert(1)>'
SCRIPT = "</script><script>alert(1)</script>"
SVG = "<svg onload=window.__pwned=2>"
NOTE = "https://w3id.org/evidencekg/id/note/hostile-graph-store"
HOSTILE_TURTLE = f"""
<{NOTE}> <{RDFS}label> "{SVG}" ; <{RDFS}comment> "{SCRIPT}" ;
    <{RDFS}seeAlso> <javascript:window.__pwned=3> , <data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==> .
""".encode()
HOSTILE_SHEET = sheet(
    [f'h1,"{SCRIPT}",2011,"{IMG.replace(chr(34), chr(34) * 2)}",10.1234/hostile,90,-0.3,attachment-anxiety,therapeutic-alliance,patient,out']
)
HOSTILE_METAPSY = metapsy(
    [row.replace('"Aardvark, 2001"', f'"{SVG}, 2001"').replace("doi:10.1234/aard", f"{SCRIPT} javascript:alert(1)") for row in METAPSY_ROWS]
)
# Hostile text shows up in these literals; the subjects holding them are the pages to open.
HOSTILE_SUBJECTS = """SELECT DISTINCT ?s { GRAPH ?g { ?s ?p ?o }
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "https://w3id.org/evidencekg/id/")
         && (CONTAINS(STR(?o), "onerror") || CONTAINS(STR(?o), "__pwned") || CONTAINS(STR(?o), "<script>"))) }"""


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """A live server over the shipped evidence with hostile data written through each validated write path."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with live_server(memory_app(load_evidence=True, settings_overrides={"token": TOKEN})) as url:
        answers = [
            httpx.post(f"{url}/sparql", content=HOSTILE_UPDATE.encode(), timeout=60, headers={**auth, "Content-Type": "application/sparql-update"}),
            httpx.put(f"{url}/store?graph=http%3A%2F%2Fexample.org%2Fhostile", content=HOSTILE_TURTLE, timeout=60, headers={**auth, "Content-Type": "text/turtle"}),
            httpx.post(f"{url}/api/ingest", params={"name": "hostile-sheet"}, content=HOSTILE_SHEET, timeout=120, headers={**auth, "Content-Type": "text/csv"}),
            httpx.post(f"{url}/api/ingest", params={"name": "hostile-metapsy", **METAPSY_OPTIONS}, content=HOSTILE_METAPSY, timeout=120, headers={**auth, "Content-Type": "text/csv"}),
        ]  # fmt: skip
        assert [a.status_code for a in answers] == [200, 201, 200, 200], [a.text[:300] for a in answers]
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


class Watch:
    """Dialogs, console errors, page errors and requests to other hosts seen by every page of a context."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.foreign: list[str] = []
        self.pages: list[object] = []

    def attach(self, page: object, server: str) -> None:
        self.pages.append(page)
        def on_dialog(dialog: object) -> None:
            self.dialogs.append(dialog.message)  # type: ignore[attr-defined]
            dialog.dismiss()  # type: ignore[attr-defined]

        page.on("dialog", on_dialog)  # type: ignore[attr-defined]
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))  # type: ignore[attr-defined]
        page.route("**/*", only_to(server, self.foreign))  # type: ignore[attr-defined]


@pytest.fixture
def tab(browser: object, base_url: str) -> Iterator[tuple[object, Watch]]:
    context = browser.new_context()  # type: ignore[attr-defined]
    watch = Watch()
    server = urlsplit(base_url).netloc
    context.on("page", lambda p: watch.attach(p, server))  # popups opened by a click are watched too
    page = context.new_page()
    assert watch.pages == [page]  # the context's page event watches it (a dialog could not go unseen)
    yield page, watch
    context.close()


def pwned(page: object) -> object:
    return page.evaluate("() => window.__pwned")  # type: ignore[attr-defined]


def test_hostile_links_and_labels_on_a_resource_page_stay_text(tab: tuple[object, Watch], base_url: str) -> None:
    page, watch = tab
    page.goto(f"{base_url}/id/construct/attachment-anxiety")  # type: ignore[attr-defined]
    text = page.inner_text("main")  # type: ignore[attr-defined]
    for shown in ("javascript:alert(document.domain)", '"><img src=x onerror=alert(1)>', "</script><script>alert(1)</script>"):
        assert shown in text, shown
    assert page.locator("a[href^='javascript' i], a[href^='data' i], a[href^='vbscript' i]").count() == 0  # type: ignore[attr-defined]
    assert page.locator("main img, main svg").count() == 0  # type: ignore[attr-defined]
    for hostile in ("javascript:alert(document.domain)", "JaVaScRiPt:window.__pwned=1", "javascript:alert(3)"):
        page.get_by_text(hostile, exact=True).first.click()  # type: ignore[attr-defined]
    page.locator("main a[href^='/id/']").first.click()  # type: ignore[attr-defined]  # an ordinary link still works
    page.wait_for_load_state()  # type: ignore[attr-defined]
    assert "/id/" in page.url and page.url != f"{base_url}/id/construct/attachment-anxiety"  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]  # let any late handler fire (not a timing assertion)
    assert watch.dialogs == [] and pwned(page) is None
    assert watch.console_errors == [] and watch.page_errors == [] and watch.foreign == [], vars(watch)


def test_hostile_iris_in_yasgui_results_do_not_run(tab: tuple[object, Watch], base_url: str) -> None:
    page, watch = tab
    page.goto(base_url + "/")  # type: ignore[attr-defined]
    page.wait_for_selector(".yasqe .CodeMirror")  # type: ignore[attr-defined]
    page.evaluate(  # type: ignore[attr-defined]
        f"() => window.yasgui.getTab().getYasqe().setValue('SELECT ?o WHERE {{ <{CONSTRUCT}> <{RDFS}seeAlso> ?o }}')"
    )
    page.click("#run-query")  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => document.querySelector('.yasr table') && document.querySelector('.yasr table').innerText.includes('document.domain')",
        timeout=20_000,
    )
    for link in page.locator(".yasr table a").all():  # type: ignore[attr-defined]  # YASR writes no href for these
        link.click()
    # Markup that got past every renderer still cannot run: the CSP refuses inline handlers and javascript: URLs.
    page.evaluate(  # type: ignore[attr-defined]
        """() => document.body.insertAdjacentHTML('beforeend',
             '<a id="planted" href="javascript:window.__pwned=1">x</a><img src="data:image/png;base64,AA" onerror="window.__pwned=2">')"""
    )
    page.click("#planted")  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]  # let a blocked navigation report (not a timing assertion)
    assert watch.dialogs == [] and pwned(page) is None
    assert any("Content Security Policy" in e for e in watch.console_errors), watch.console_errors
    # The only errors allowed are the CSP refusing the hostile javascript: links; the page's own scripts ran.
    others = [e for e in watch.console_errors if "Content Security Policy" not in e]
    assert others == [] and watch.page_errors == [] and watch.foreign == [], vars(watch)
    assert page.evaluate("() => window.yasgui.getTab().getEndpoint()") == base_url + "/sparql"  # type: ignore[attr-defined]


def test_no_page_showing_hostile_data_from_any_write_path_runs_it(tab: tuple[object, Watch], base_url: str) -> None:
    """Every /id/ page holding hostile text (from all four write paths), the home, network and meta pages: nothing runs."""
    page, watch = tab
    rows = httpx.get(f"{base_url}/sparql", params={"query": HOSTILE_SUBJECTS}, headers={"Accept": "application/sparql-results+json"})
    subjects = [b["s"]["value"] for b in rows.json()["results"]["bindings"]]
    assert NOTE in subjects and any("/study/" in s and "2001" in s for s in subjects), subjects  # the Metapsy study
    assert any("/finding/hostile-metapsy" in s for s in subjects), subjects
    assert any("hostile-sheet" in s for s in subjects), subjects
    paths = [urlsplit(s).path.removeprefix("/evidencekg") for s in subjects]
    paths += ["/", "/network", "/queries", "/meta?a=cbt&b=wl", "/docs"]
    for path in paths:
        page.goto(base_url + path)  # type: ignore[attr-defined]
        page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]
        injected = page.locator("img[src='x'], svg[onload], script:not([src]):not([type='application/json']):not([type='application/ld+json'])").count()  # type: ignore[attr-defined]
        assert injected == 0, path
        assert page.locator("a[href^='javascript' i], a[href^='data' i]").count() == 0, path  # type: ignore[attr-defined]
    shown = page.goto(f"{base_url}/id/note/hostile-graph-store")  # type: ignore[attr-defined]
    assert shown.status == 200 and SVG in page.inner_text("main")  # type: ignore[attr-defined]
    page.get_by_text("javascript:window.__pwned=3", exact=True).first.click()  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]  # let any late handler fire (not a timing assertion)
    assert watch.dialogs == [] and pwned(page) is None, watch.dialogs
    assert watch.page_errors == [] and watch.foreign == [], vars(watch)
    assert [e for e in watch.console_errors if "Content Security Policy" not in e] == [], watch.console_errors
