"""Findings as nanopublications: `evidencekg export nanopubs` and /id/finding/X as application/trig, checked by the PyPI nanopub library."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import ConjunctiveGraph, URIRef

from evidencekg.load.shipped import shipped_store
from evidencekg.model.namespaces import ID
from evidencekg.pages.nanopubs import findings
from evidencekg.settings import get_settings

nanopub = pytest.importorskip("nanopub")

CLI = Path(sys.executable).parent / "evidencekg"
FINDING = "notsu2024-avoidance-alliance"


def checked(trig: bytes) -> object:
    """The nanopub library's Nanopub of a TriG body, after its structural checks (is_valid raises MalformedNanopubError)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # nanopub 2 reads rdflib's ConjunctiveGraph
        graph = ConjunctiveGraph()
        graph.parse(data=trig, format="trig")
        publication = nanopub.Nanopub(rdf=graph)
    assert publication.is_valid is True
    return publication


def test_every_finding_exports_as_a_valid_nanopublication(tmp_path: Path) -> None:
    done = subprocess.run([str(CLI), "export", "nanopubs", "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    store = shipped_store(get_settings(memory=True))
    keys = sorted(f.rsplit("/", 1)[-1] for f in findings(store))
    assert sorted(p.stem for p in tmp_path.glob("*.trig")) == keys and len(keys) > 5
    assert done.stdout.strip() == f"{len(keys)} nanopublications in {tmp_path}"
    for key in keys:
        checked((tmp_path / f"{key}.trig").read_bytes())
    publication = checked((tmp_path / f"{FINDING}.trig").read_bytes())
    finding = ox.NamedNode(f"{ID}finding/{FINDING}")
    # the assertion is the finding's own description (its derivation moved to the provenance)
    own = {(str(t.predicate), str(t.object)) for t in store.construct(f"CONSTRUCT {{ {finding} ?p ?o }} WHERE {{ {finding} ?p ?o }}")}
    asserted = {(f"<{p}>", o.n3()) for s, p, o in publication.assertion if s == URIRef(finding.value)}  # type: ignore[attr-defined]
    derived = {(p, o) for p, o in own if p == "<http://www.w3.org/ns/prov#wasDerivedFrom>"}
    assert derived and asserted == own - derived
    # the provenance carries each sentence's verbatim text and its document
    sentences = store.select(f"SELECT ?s ?text {{ {finding} <http://www.w3.org/ns/prov#wasDerivedFrom> ?s . ?s <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> ?text }}")
    provenance = {(str(s), str(o)) for s, p, o in publication.provenance if str(p) == "http://www.w3.org/1999/02/22-rdf-syntax-ns#value"}  # type: ignore[attr-defined]
    assert sentences and {(r["s"].value, r["text"].value) for r in sentences} <= provenance
    pubinfo = {str(p): str(o) for s, p, o in publication.pubinfo}  # type: ignore[attr-defined]
    assert pubinfo["http://purl.org/dc/terms/license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert pubinfo["http://purl.org/dc/terms/creator"] == get_settings().base_url


def test_a_finding_dereferences_as_trig(live_url: str) -> None:
    answer = httpx.get(f"{live_url}/id/finding/{FINDING}", headers={"Accept": "application/trig"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/trig")
    checked(answer.content)
    assert httpx.get(f"{live_url}/id/finding/{FINDING}", params={"format": "trig"}).status_code == 200
    assert httpx.get(f"{live_url}/id/finding/no-such-finding", headers={"Accept": "application/trig"}).status_code == 404
    # only findings are nanopublications
    assert httpx.get(f"{live_url}/id/construct/therapeutic-alliance", headers={"Accept": "application/trig"}).status_code == 406
