"""Helpers for the linked-data and home-page tests: the shipped evidence read independently, Chromium settings (the browser tests share them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS

from evidencekg.load.shipped import evidence_files
from evidencekg.model.graphs import in_data_union
from evidencekg.model.namespaces import EKG
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.mappings import mapping_files, read_sssom

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


def shipped_graph(settings: object, data_only: bool = False) -> rdflib.Graph:
    """The shipped files parsed by rdflib, with the superclass types the ontology implies: the expectation side.

    `data_only`: the files of the data union (data/*.ttl, the construct scheme and the SSSOM mappings' SKOS
    triples), as queries see them.
    """
    graph, ontology = rdflib.Graph(), rdflib.Graph()
    for path in evidence_files(settings):  # type: ignore[arg-type]
        ontology.parse(path, format="turtle")
        if not data_only or path.parent.name == "data" or path.stem == "constructs":
            graph.parse(path, format="turtle")
    for mapping in (m for path in mapping_files(settings.ontology_dir) for m in read_sssom(path)[1]):  # type: ignore[attr-defined]
        graph.add((rdflib.URIRef(mapping.subject), rdflib.URIRef(mapping.predicate), rdflib.URIRef(mapping.object)))
    ours = str(EKG)
    for sub in set(ontology.subjects(RDFS.subClassOf, None)):
        for sup in ontology.transitive_objects(sub, RDFS.subClassOf):
            if sup != sub and str(sub).startswith(ours) and str(sup).startswith(ours):
                for thing in list(graph.subjects(RDF.type, sub)):
                    graph.add((thing, RDF.type, sup))
    return graph


def data_union(store: OxigraphStore) -> rdflib.Graph:
    """The triples of the store's default graph and of its data graphs (evidencekg.model.graphs), as rdflib sees them."""
    quads = [q for q in store.oxigraph if isinstance(q.graph_name, ox.DefaultGraph) or in_data_union(q.graph_name.value)]
    return rdflib.Graph().parse(data=ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES), format="nt")
