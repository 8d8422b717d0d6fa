"""Build hook: a wheel carries the top-level ontology/, data/ and queries/ as evidencekg/resources/NAME."""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SHIPPED = ("ontology", "data", "queries")  # evidencekg.settings.SHIPPED: where settings look for them


class ShippedResourcesHook(BuildHookInterface):
    """Map the shipped folders into the package of a standard wheel (not an editable one, which reads the checkout)."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Add ontology/, data/ and queries/ to a standard wheel under evidencekg/resources/."""
        if self.target_name != "wheel" or version != "standard":
            return
        for name in SHIPPED:
            build_data["force_include"][f"{self.root}/{name}"] = f"evidencekg/resources/{name}"
