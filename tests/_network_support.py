"""Test-only evidence for the construct network: a derived (pooled) finding beside the shipped reported ones.

Two primary-study correlations between attachment anxiety and the relational bond (test
fixtures, not evidence) and the finding pooled from them, computed here with evidencekg.meta.pooling
(REML, Fisher z) and stored the way a saved pooled result is described in docs/model.md:
`ekg:DerivedFinding`, `prov:wasDerivedFrom` each input, `ekg:poolingMethod`, `prov:generatedAtTime`.
"""

from __future__ import annotations

import math

from evidencekg.load.shipped import shipped_store
from evidencekg.meta.pooling import pool_correlations
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore

C = "https://w3id.org/evidencekg/id/construct/"
F = "https://w3id.org/evidencekg/id/finding/"
DERIVED = F + "test-pooled-anxiety-bond"
INPUTS = {F + "test-study-a-anxiety-bond": (-0.20, 120), F + "test-study-b-anxiety-bond": (-0.10, 200)}
GENERATED = "2026-01-01T12:00:00Z"


def pooled_inputs() -> tuple[float, float, float, int]:
    """The pooled r, its CI (back-transformed) and N of the fixture inputs (REML on Fisher z)."""
    rs, ns = zip(*INPUTS.values())
    pooled = pool_correlations(list(rs), list(ns), "REML")
    return math.tanh(pooled.estimate), math.tanh(pooled.ci_lower), math.tanh(pooled.ci_upper), sum(ns)


def derived_turtle() -> str:
    """Turtle for the two fixture study findings and the derived finding pooled from them."""
    r, lower, upper, n = pooled_inputs()
    lines = [
        "@prefix ekg: <https://w3id.org/evidencekg/ontology#> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix obo: <http://purl.obolibrary.org/obo/> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
    ]
    for iri, (ri, ni) in INPUTS.items():
        lines.append(
            f"<{iri}> a ekg:ReportedFinding ; ekg:fromConstruct <{C}attachment-anxiety> ; "
            f"ekg:toConstruct <{C}alliance-bond> ; ekg:effectSizeMeasure obo:STATO_0000280 ; "
            f'ekg:estimate "{ri}"^^xsd:decimal ; ekg:sampleSize {ni} .'
        )
    inputs = ", ".join(f"<{iri}>" for iri in INPUTS)
    lines.append(
        f"<{DERIVED}> a ekg:DerivedFinding ; ekg:fromConstruct <{C}attachment-anxiety> ; "
        f"ekg:toConstruct <{C}alliance-bond> ; ekg:effectSizeMeasure obo:STATO_0000280 ; "
        f'ekg:estimate "{r:.4f}"^^xsd:decimal ; ekg:ciLower "{lower:.4f}"^^xsd:decimal ; '
        f'ekg:ciUpper "{upper:.4f}"^^xsd:decimal ; ekg:numberOfStudies {len(INPUTS)} ; ekg:sampleSize {n} ; '
        f'ekg:poolingMethod "REML" ; prov:generatedAtTime "{GENERATED}"^^xsd:dateTime ; '
        f"prov:wasDerivedFrom {inputs} ."
    )
    return "\n".join(lines) + "\n"


def store_with_derived() -> OxigraphStore:
    """An in-memory store: the shipped evidence plus the fixture findings and their pooled result."""
    store = shipped_store(get_settings(memory=True, endpoint=None))
    store.load(derived_turtle().encode("utf-8"), "text/turtle")
    return store
