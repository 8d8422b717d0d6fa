"""Helpers for the linked-data and home-page tests: the shipped evidence read independently, Chromium settings (the browser tests share them)."""

from __future__ import annotations

from pathlib import Path

import rdflib

from evidencekg.load.shipped import evidence_files

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def shipped_graph(settings: object) -> rdflib.Graph:
    """The shipped ontology and data parsed by rdflib: the expectation side, independent of the store."""
    graph = rdflib.Graph()
    for path in evidence_files(settings):  # type: ignore[arg-type]
        graph.parse(path, format="turtle")
    return graph
