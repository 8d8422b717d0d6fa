"""All runtime settings in one place (environment variables prefixed EVIDENCEKG_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings for the library, the CLI and the service; override with EVIDENCEKG_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="EVIDENCEKG_", env_file=None, extra="ignore")

    ontology_dir: Path = PROJECT_ROOT / "ontology"
    data_dir: Path = PROJECT_ROOT / "data"
    queries_dir: Path = PROJECT_ROOT / "queries"
    var_dir: Path = PROJECT_ROOT / "var"
    store_path: Path | None = Field(default=None, description="On-disk store; default var/store")
    memory: bool = Field(default=False, description="Use an in-memory store instead of disk")
    endpoint: str | None = Field(default=None, description="Remote SPARQL query endpoint URL")
    update_endpoint: str | None = Field(default=None, description="Remote SPARQL update URL")
    store_endpoint: str | None = Field(default=None, description="Remote Graph Store URL")
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "https://w3id.org/evidencekg/"
    token: str | None = Field(default=None, description="Bearer token that enables writes")
    query_timeout: float = Field(default=30.0, description="Seconds before a query is stopped")
    result_limit: int = Field(default=100_000, description="Largest result (rows/triples)")
    query_workers: int = Field(default=2, ge=1, description="Worker processes that run queries (killable)")
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
        default=PROJECT_ROOT / "node_modules", description="Where `npm ci` installed the browser libraries"
    )

    @property
    def resolved_store_path(self) -> Path:
        """The on-disk store location (var/store unless set)."""
        return self.store_path or (self.var_dir / "store")


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
