"""How the network looks: colours by sign and kind, line widths by effect size (shared by exports, pictures and the page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evidencekg.network.build import FINDING, STRUCTURE_KINDS

POSITIVE, NEGATIVE, UNKNOWN_SIGN = "#2166ac", "#b2182b", "#555555"
STRUCTURE_COLOUR, LAYER_EDGE_COLOUR = "#8c8c8c", "#b8a9c9"
NODE_COLOURS = {"construct": "#f2f2f2", "mechanism": "#ede3f6", "implication": "#e3f3e6"}


def edge_colour(attrs: Mapping[str, Any]) -> str:
    """The colour of an edge: blue for a positive estimate, red for a negative one, grey otherwise."""
    if attrs.get("kind") != FINDING:
        return STRUCTURE_COLOUR if attrs.get("kind") in STRUCTURE_KINDS else LAYER_EDGE_COLOUR
    estimate = attrs.get("estimate")
    if estimate is None or estimate == 0:
        return UNKNOWN_SIGN
    return POSITIVE if estimate > 0 else NEGATIVE


def edge_width(attrs: Mapping[str, Any], scale: float = 20.0, minimum: float = 1.0) -> float:
    """The line width of an edge: proportional to |r| for findings (at least `minimum`)."""
    if attrs.get("kind") != FINDING or attrs.get("estimate") is None:
        return minimum
    return round(max(minimum, abs(attrs["estimate"]) * scale), 2)
