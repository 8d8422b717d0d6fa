"""Helpers for the linked-data and home-page tests: the shipped evidence read independently, Chromium settings (the browser tests share them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import rdflib

from evidencekg.load.shipped import evidence_files

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser), closed when the block ends."""
    from playwright.sync_api import sync_playwright  # only the browser tests need Playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def only_to(server: str, refused: list[str]) -> Callable[[object], None]:
    """A Playwright route handler letting requests to `server` (host:port) through; others are aborted and recorded."""

    def gate(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if urlsplit(url).netloc == server or url.startswith(("data:", "blob:", "about:")):
            route.continue_()  # type: ignore[attr-defined]
        else:
            refused.append(url)
            route.abort()  # type: ignore[attr-defined]

    return gate


def shipped_graph(settings: object) -> rdflib.Graph:
    """The shipped ontology and data parsed by rdflib: the expectation side, independent of the store."""
    graph = rdflib.Graph()
    for path in evidence_files(settings):  # type: ignore[arg-type]
        graph.parse(path, format="turtle")
    return graph
