"""Effect-size measures named for display: "Pearson's r", "Hedges' g" (symbols r, g), else the ontology's label, never a raw IRI."""

from __future__ import annotations

from evidencekg.model.namespaces import HEDGES_G, PEARSON_R, prefixed

# The names researchers write for the measures evidencekg pools (the ontology's STATO label of
# STATO_0000280 is the longer "Pearson's correlation coefficient").
CONVENTIONAL_NAMES: dict[str, str] = {str(PEARSON_R): "Pearson's r", str(HEDGES_G): "Hedges' g"}
# The symbols estimates are written with ("r = 0.28"); a measure without one is written "effect".
SYMBOLS: dict[str, str] = {str(PEARSON_R): "r", str(HEDGES_G): "g"}


def measure_name(iri: str, label: str | None = None) -> str:
    """The display name of an effect-size measure: its conventional name, else its label, else its prefixed name.

    >>> measure_name("http://purl.obolibrary.org/obo/STATO_0000319")
    "Hedges' g"
    >>> measure_name("http://purl.obolibrary.org/obo/STATO_0000100"), measure_name("http://x.org/m", "odds ratio")
    ('obo:STATO_0000100', 'odds ratio')
    """
    return CONVENTIONAL_NAMES.get(iri) or label or prefixed(iri)


def measure_symbol(iri: str | None) -> str:
    """The symbol an estimate is written with: `r`, `g`, "effect" for another measure; `r` when none is stated.

    >>> measure_symbol("http://purl.obolibrary.org/obo/STATO_0000280"), measure_symbol(None), measure_symbol("http://x.org/m")
    ('r', 'r', 'effect')
    """
    return SYMBOLS[str(PEARSON_R)] if iri is None else SYMBOLS.get(iri, "effect")


def correlation_problem(r: float | None, n: float | None) -> tuple[str, str] | None:
    """(column, problem) when a correlation row cannot be pooled, else None."""
    if n is None:
        return "n", "is missing"
    if r is None:
        return "r", "is missing"
    if n <= 3:
        return "n", f"{n:g} is too small (n must be > 3 for the variance 1/(n-3))"
    if abs(r) >= 1:
        return "r", f"{r:g} is not a correlation strictly between -1 and 1"
    return None
