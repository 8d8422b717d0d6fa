"""Effect-size measures named for display: "Pearson's r", "Hedges' g", else the ontology's label, never a raw IRI."""

from __future__ import annotations

from evidencekg.describe import prefixed
from evidencekg.namespaces import HEDGES_G, PEARSON_R

# The names researchers write for the measures evidencekg pools (the ontology's STATO label of
# STATO_0000280 is the longer "Pearson's correlation coefficient").
CONVENTIONAL_NAMES: dict[str, str] = {str(PEARSON_R): "Pearson's r", str(HEDGES_G): "Hedges' g"}


def measure_name(iri: str, label: str | None = None) -> str:
    """The display name of an effect-size measure: its conventional name, else its label, else its prefixed name.

    >>> measure_name("http://purl.obolibrary.org/obo/STATO_0000319")
    "Hedges' g"
    >>> measure_name("http://purl.obolibrary.org/obo/STATO_0000100"), measure_name("http://x.org/m", "odds ratio")
    ('obo:STATO_0000100', 'odds ratio')
    """
    return CONVENTIONAL_NAMES.get(iri) or label or prefixed(iri)
