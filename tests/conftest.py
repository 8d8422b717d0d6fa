"""Shared pytest fixtures: project settings, a loaded in-memory store, the shared folder (others append below)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evidencekg.load.shipped import shipped_store
from evidencekg.settings import Settings, get_settings
from evidencekg.store.embedded import OxigraphStore
from tests._virtuoso import Virtuoso, virtuoso


@pytest.fixture
def project_settings(tmp_path: Path) -> Settings:
    """Settings over the repository's ontology/, data/ and queries/, with a temporary var_dir."""
    return get_settings(var_dir=tmp_path / "var", store_path=None, memory=False, endpoint=None)


@pytest.fixture
def loaded_store(project_settings: Settings) -> OxigraphStore:
    """An in-memory OxigraphStore holding the shipped ontology and data (default graph)."""
    return shipped_store(project_settings)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared folder next to the repository; skips where it is absent (a user's clone)."""
    path = Path(__file__).resolve().parents[2] / "shared"
    if not path.is_dir():
        pytest.skip("the shared folder is not present in this checkout")
    return path


@pytest.fixture(scope="session")
def live_url() -> Iterator[str]:
    """Base URL (no trailing slash) of a real uvicorn server over the shipped evidence, in memory.

    Shared by the whole session and read-only (no token: writes answer 401). Start your own
    server with tests._server.live_server(memory_app(...)) when a test needs writes or settings.
    """
    from tests._server import live_server, memory_app

    with live_server(memory_app(load_evidence=True, settings_overrides={"token": None})) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """One real Virtuoso 7 for the session (tests/_virtuoso.py); each test clears what it uses. Skips when not installed."""
    with virtuoso(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@pytest.fixture(scope="session")
def metapsy_store(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The README's real-size store: the shipped evidence, the whole Metapsy depression database (900 findings)
    and the simulated attachment/alliance sheet (24 findings), ingested once for the session's browser tests."""
    from evidencekg.evidence.ingest import ingest

    settings = get_settings(var_dir=tmp_path_factory.mktemp("var"), memory=True, endpoint=None)
    held = shipped_store(settings)
    ingest(held, shared_dir / "evidence-bases/metapsy-depression-psyctr/data.csv", "metapsy", settings=settings)
    ingest(held, Path(__file__).parents[1] / "examples/simulated-attachment-alliance.csv", "sheet", settings=settings)
    return held
