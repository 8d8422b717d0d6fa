"""The `evidencekg` command line: one small module per topic, assembled here."""

from __future__ import annotations

import typer

from evidencekg.cli import evidence, ingest, meta, network, serve

app = typer.Typer(
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
