"""Turtle for people: a described resource names instance IRIs whole, never as `id:finding\\/slug`."""

from __future__ import annotations

import rdflib

from evidencekg.load.shipped import ensure_loaded
from evidencekg.pages.describe import resource_triples, serialize_triples
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore

FINDING = "https://w3id.org/evidencekg/id/finding/notsu2024-avoidance-alliance"


def test_finding_turtle_has_whole_instance_iris_and_round_trips() -> None:
    """The shipped finding's Turtle has no escaped slashes, keeps vocabulary prefixes, and parses to the same triples."""
    store = OxigraphStore()
    ensure_loaded(store, get_settings())
    triples = resource_triples(store, FINDING)
    text = serialize_triples(triples, "text/turtle").decode()
    assert "\\/" not in text and f"<{FINDING}>" in text
    assert "@prefix ekg:" in text and "ekg:estimate" in text
    parsed = rdflib.Graph().parse(data=text, format="turtle")
    assert len(parsed) == len(triples)
