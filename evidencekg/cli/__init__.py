"""The `evidencekg` command line: one small module per topic, assembled here."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from evidencekg.cli import evidence, export, ingest, listing, meta, meta_models, network, serve, synth
from evidencekg.errors import EvidenceKGError, outcome_for


def report(exc: EvidenceKGError) -> typer.Exit:
    """Print `error: message` on stderr and return the Exit with the code evidencekg.errors.OUTCOMES gives."""
    outcome = outcome_for(exc)
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(outcome.exit_code if outcome else 1)


class ReportingGroup(TyperGroup):
    """The root command group: any EvidenceKGError of any subcommand ends in one clear line, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer's own vendored click Context (typer._click), not click's
        """Run the chosen command; an EvidenceKGError prints `error: ...` and exits with its table's code."""
        try:
            return super().invoke(ctx)
        except EvidenceKGError as exc:
            raise report(exc) from exc


app = typer.Typer(
    cls=ReportingGroup,
    name="evidencekg",
    help="A knowledge graph and semantic evidence store for psychotherapy research.",
    no_args_is_help=True,
    add_completion=False,
)
evidence.register(app)  # validate, load, query
serve.register(app)  # serve
ingest.register(app)  # ingest
synth.register(app)  # synth
listing.register(app)  # list
app.add_typer(export.app, name="export", help="Export the evidence: nanopublications.")
app.add_typer(network.app, name="network", help="The construct network: export, paths, show.")
assert meta_models.app is meta.app  # meta_models adds bias, influence and multilevel to `meta`
app.add_typer(meta.app, name="meta", help="Meta-analysis: pool correlations or effect sizes.")
