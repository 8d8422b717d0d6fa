"""CLI command: serve (the SPARQL endpoint, linked data pages and API over one store)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any

import typer

from evidencekg.cli.connections import bounded_protocol
from evidencekg.load.shipped import ensure_loaded
from evidencekg.settings import Settings, get_settings
from evidencekg.store.backends import open_store
from evidencekg.store.protocol import Capability, Store

APPS_GROUP = "evidencekg.apps"  # entry points: name -> app factory(store, settings), e.g. http = service.app:create_app


def serve_settings(
    host: str | None,
    port: int | None,
    store: Path | None,
    memory: bool,
    endpoint: str | None,
    update_endpoint: str | None,
    watch: bool | None = None,
    update_auth: str | None = None,
) -> Settings:
    """Settings from the environment with the command-line choices on top (only those given).

    Watching the shipped files is on for `serve` unless --no-watch or EVIDENCEKG_WATCH_FILES=false.
    """
    chosen = {
        "host": host,
        "port": port,
        "store_path": store,
        "endpoint": endpoint,
        "update_endpoint": update_endpoint,
        "update_auth": update_auth,
        "watch_files": watch,
    }
    overrides: dict[str, object] = {k: v for k, v in chosen.items() if v is not None}
    if memory:
        overrides["memory"] = True
    if sum(bool(x) for x in (store, memory, endpoint)) > 1:
        raise typer.BadParameter("choose one of --store, --memory and --endpoint")
    if update_endpoint and not endpoint:
        raise typer.BadParameter("--update-endpoint needs --endpoint")
    settings = get_settings(**overrides)
    if settings.watch_files is None:
        settings = settings.model_copy(update={"watch_files": True})
    return settings


def show_library_logs() -> None:
    """Print the library's INFO messages (live reloads, their errors) on stderr beside uvicorn's."""
    logger = logging.getLogger("evidencekg")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)-9s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(logging.INFO)


def urls(settings: Settings) -> list[tuple[str, str]]:
    """What to open in a browser or point a client at."""
    base = f"http://{settings.host}:{settings.port}"
    return [
        ("home", f"{base}/"),
        ("SPARQL endpoint", f"{base}/sparql"),
        ("construct network", f"{base}/network"),
        ("API docs", f"{base}/docs"),
    ]


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1: this machine only)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000)")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="On-disk store folder (default var/store)")] = None,
    memory: Annotated[bool, typer.Option("--memory", help="Keep the store in memory (lost on exit)")] = False,
    endpoint: Annotated[str | None, typer.Option(help="Use a remote SPARQL endpoint instead of a local store")] = None,
    update_endpoint: Annotated[str | None, typer.Option(help="The remote endpoint's update URL")] = None,
    update_auth: Annotated[
        str | None, typer.Option(help="user:password for the update endpoint, Basic or Digest (or EVIDENCEKG_UPDATE_AUTH)")
    ] = None,
    watch: Annotated[
        bool | None,
        typer.Option("--watch/--no-watch", help="Reload ontology/ and data/ into the embedded store when they change (default on)"),
    ] = None,
) -> None:
    """Serve the evidence: SPARQL 1.1 endpoint, linked data, network view and API (embedded stores load the shipped evidence first)."""
    import uvicorn

    settings = serve_settings(host, port, store, memory, endpoint, update_endpoint, watch, update_auth)
    show_library_logs()
    try:
        backend = open_store(settings)
        if Capability.SHIPPED_EVIDENCE in backend.capabilities:
            if ensure_loaded(backend, settings):
                typer.echo(f"loaded the shipped evidence ({len(backend)} quads)", err=True)
    except OSError as exc:  # library errors are reported by the root command group (evidencekg.errors.OUTCOMES)
        typer.echo(f"error: cannot open the store: {exc}", err=True)
        raise typer.Exit(1) from exc
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: listening on {settings.host}, reachable from other machines", err=True)
    for name, url in urls(settings):
        typer.echo(f"{name:>18}: {url}")
    if settings.watch_files and Capability.SHIPPED_EVIDENCE in backend.capabilities:
        typer.echo(f"watching {settings.ontology_dir} and {settings.data_dir} (every {settings.watch_interval:g} s)", err=True)
    uvicorn.run(
        http_app_factory()(backend, settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        # Past max_connections idle connections are closed first (connections.py); requests past it get 503 at
        # once, never an unbounded queue. A request's headers must arrive within header_timeout.
        http=bounded_protocol(settings.header_timeout, settings.max_connections),
        limit_concurrency=settings.max_connections + 1,
        timeout_keep_alive=int(settings.keep_alive_timeout),
        h11_max_incomplete_event_size=64 * 1024,  # request line + headers
    )


def http_app_factory() -> Callable[[Store, Settings], Any]:
    """The HTTP service's app factory, found through the `evidencekg.apps` entry point (the library never imports it)."""
    for entry in entry_points(group=APPS_GROUP, name="http"):
        factory: Callable[[Store, Settings], Any] = entry.load()
        return factory
    typer.echo(
        f"error: no HTTP service is installed (entry point {APPS_GROUP}:http); install the project with `make install`",
        err=True,
    )
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command()(serve)
