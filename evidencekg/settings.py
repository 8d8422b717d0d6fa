"""All runtime settings in one place (environment variables prefixed EVIDENCEKG_)."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SHIPPED = ("ontology", "data", "queries")  # top-level in the repository, evidencekg/resources/NAME in a wheel


def packaged_resources() -> Path | None:
    """The folder with the wheel's copies of ontology/, data/ and queries/, or None when running from a checkout."""
    folder = resources.files("evidencekg").joinpath("resources")
    if not folder.is_dir():
        return None
    if not isinstance(folder, Path):
        raise RuntimeError(f"evidencekg's resources at {folder} are not plain files (zip imports are unsupported): install the wheel normally")
    return folder


def checkout_root() -> Path | None:
    """The source checkout the package runs from (an editable install reads its folders live), or None."""
    root = Path(__file__).resolve().parent.parent
    if packaged_resources() is None and (root / "pyproject.toml").is_file():
        return root
    return None


def shipped_dir(name: str) -> Path:
    """Where one of the shipped folders (ontology, data, queries) is: the checkout's own, else the wheel's copy."""
    if name not in SHIPPED:
        raise ValueError(f"unknown shipped folder {name!r}: choose one of {', '.join(SHIPPED)}")
    packaged = packaged_resources()
    return (packaged if packaged is not None else Path(__file__).resolve().parent.parent) / name


def default_var_dir() -> Path:
    """Writable state: var/ in a checkout; for an installed wheel $XDG_DATA_HOME/evidencekg (~/.local/share/evidencekg)."""
    root = checkout_root()
    if root is not None:
        return root / "var"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "evidencekg"


def default_node_modules() -> Path:
    """The browser libraries npm installed: the checkout's node_modules; for an installed wheel ./node_modules."""
    root = checkout_root()
    return (root if root is not None else Path.cwd()) / "node_modules"


class Settings(BaseSettings):
    """Settings for the library, the CLI and the service; override with EVIDENCEKG_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="EVIDENCEKG_", env_file=None, extra="ignore")

    ontology_dir: Path = Field(default_factory=lambda: shipped_dir("ontology"))
    data_dir: Path = Field(default_factory=lambda: shipped_dir("data"))
    queries_dir: Path = Field(default_factory=lambda: shipped_dir("queries"))
    var_dir: Path = Field(default_factory=default_var_dir, description="Writable state (the default store)")
    store_path: Path | None = Field(default=None, description="On-disk store; default var/store")
    memory: bool = Field(default=False, description="Use an in-memory store instead of disk")
    endpoint: str | None = Field(default=None, description="Remote SPARQL query endpoint URL")
    update_endpoint: str | None = Field(default=None, description="Remote SPARQL update URL")
    store_endpoint: str | None = Field(default=None, description="Remote Graph Store URL")
    update_auth: str | None = Field(
        default=None, description="user:password for the remote update endpoint (HTTP Basic or Digest, as it asks)"
    )
    engine: str = Field(
        default="auto", description="The remote endpoint's engine: auto (from its Server header), oxigraph, virtuoso, sparql11"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "https://w3id.org/evidencekg/"
    token: str | None = Field(default=None, description="Bearer token that enables writes")
    query_timeout: float = Field(default=30.0, description="Seconds before a query is stopped")
    result_limit: int = Field(default=100_000, description="Largest result (rows/triples)")
    result_bytes_limit: int = Field(default=128 * 2**20, gt=0, description="Largest result body in bytes (as serialized)")
    worker_memory_limit: int = Field(
        default=4 * 2**30, ge=0, description="Address-space bound of each query worker in bytes (RLIMIT_AS; 0: none)"
    )
    max_body_bytes: int = Field(default=64 * 2**20, gt=0, description="Largest request body; larger ones get 413 unread")
    max_connections: int = Field(
        default=256, gt=0, description="Open connections kept at once; past it idle ones are closed, then requests get 503"
    )
    keep_alive_timeout: float = Field(default=5.0, gt=0, description="Seconds an idle keep-alive connection stays open")
    header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a request's line and headers may take to arrive (from its first byte)"
    )
    max_nesting: int = Field(default=200, gt=0, description="Deepest nesting of { ( [ accepted in a query or update")
    max_literal_bytes: int = Field(default=2**20, gt=0, description="Longest literal a write may store (UTF-8 bytes)")
    query_workers: int = Field(default=2, ge=1, description="Worker processes of the heavy lane (killable; lower CPU priority)")
    fast_workers: int = Field(default=1, ge=1, description="Worker processes of the fast lane: queries not known to be heavy")
    fast_budget: float = Field(
        default=0.5, gt=0, description="Seconds a query may run in the fast lane before it is moved to the heavy lane"
    )
    heavy_queue: int = Field(default=8, ge=1, description="Heavy queries running or waiting at once; more get 503")
    client_share: int = Field(default=4, ge=1, description="Heavy queries one client may have running or waiting; more get 429")
    heavy_nice: int = Field(default=10, ge=0, le=19, description="CPU niceness added to heavy-lane workers")
    service_allowlist: list[str] = Field(
        default_factory=list, description="URL prefixes SERVICE and LOAD may reach"
    )
    cors_origins: list[str] = Field(default_factory=list)
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1"],
        description="Host header values the service answers to, besides `host` (others get 400: DNS rebinding); '*' for any",
    )
    watch_files: bool | None = Field(
        default=None,
        description="Reload ontology/ and data/ into the embedded store when they change while serving "
        "(None: on for `evidencekg serve`, off for an app built otherwise, e.g. in tests)",
    )
    watch_interval: float = Field(default=2.0, gt=0, description="Seconds between two looks at the shipped files")
    node_modules: Path = Field(
        default_factory=default_node_modules,
        description="Where npm installed the browser libraries (@zazuko/yasgui, cytoscape); pages answer without them",
    )

    @property
    def resolved_store_path(self) -> Path:
        """The on-disk store location (var/store unless set)."""
        return self.store_path or (self.var_dir / "store")


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
