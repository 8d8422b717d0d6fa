"""Shared pytest fixtures: project settings, a loaded in-memory store, the shared folder (others append below)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidencekg.loader import ensure_loaded
from evidencekg.settings import Settings, get_settings
from evidencekg.store import OxigraphStore


@pytest.fixture
def project_settings(tmp_path: Path) -> Settings:
    """Settings over the repository's ontology/, data/ and queries/, with a temporary var_dir."""
    return get_settings(var_dir=tmp_path / "var", store_path=None, memory=False, endpoint=None)


@pytest.fixture
def loaded_store(project_settings: Settings) -> OxigraphStore:
    """An in-memory OxigraphStore holding the shipped ontology and data (default graph)."""
    store = OxigraphStore()
    ensure_loaded(store, project_settings)
    return store


@pytest.fixture
def shared_dir() -> Path:
    """The read-only shared folder next to the repository; skips where it is absent (a user's clone)."""
    path = Path(__file__).resolve().parents[2] / "shared"
    if not path.is_dir():
        pytest.skip("the shared folder is not present in this checkout")
    return path
