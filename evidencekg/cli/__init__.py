"""The `evidencekg` command line: one small module per topic, assembled here."""

from __future__ import annotations

import sys
from typing import Any

import typer

from evidencekg.cli import evidence, ingest, meta, network, serve
from evidencekg.errors import StoreError


class EvidenceKgApp(typer.Typer):
    """The root Typer app: a store error (such as a store locked by `evidencekg serve`) ends with one clear line."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line; a StoreError prints `error: ...` and exits 1 instead of a traceback."""
        try:
            return super().__call__(*args, **kwargs)
        except StoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(1)


app = EvidenceKgApp(
    name="evidencekg",
    help="A knowledge graph and semantic evidence store for psychotherapy research.",
    no_args_is_help=True,
    add_completion=False,
)
evidence.register(app)  # validate, load, query
serve.register(app)  # serve
ingest.register(app)  # ingest
app.add_typer(network.app, name="network", help="The construct network: export, paths, show.")
app.add_typer(meta.app, name="meta", help="Meta-analysis: pool correlations or effect sizes.")
