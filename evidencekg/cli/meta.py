"""CLI `meta`: pool a CSV of studies, or the findings of a pair held in the store; sensitivity, forest plot, history."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evidencekg.cli.evidence import AUTO, fail, output_format, pick_store
from evidencekg.meta.analysis import Analysis, Choices, analyse
from evidencekg.meta.choices import labels
from evidencekg.meta.forest import interval_text
from evidencekg.meta.history import history
from evidencekg.meta.inputs import read_effects
from evidencekg.meta.models import TESTS
from evidencekg.meta.moderators import meta_regression, subgroups
from evidencekg.meta.pairs import (
    DEFAULT_AGGREGATE,
    DEFAULT_RHO,
    DEFAULT_WEIGHTED,
    Aggregation,
    parse_where,
    pool_pair,
    save_derived,
)
from evidencekg.meta.plots import analysis_forest
from evidencekg.meta.pooling import METHODS, Pooled, Scale, pool, summary
from evidencekg.meta.report import apa_summary
from evidencekg.meta.sensitivity import cumulative, leave_one_out
from evidencekg.meta.studies import pair_subgroups
from evidencekg.model.measures import measure_name
from evidencekg.pages.describe import p_text
from evidencekg.settings import get_settings
from evidencekg.store.protocol import Store

app = typer.Typer(no_args_is_help=True)

MethodOption = Annotated[str, typer.Option("--method", help=f"tau2 estimator: {', '.join(METHODS)}")]
LevelOption = Annotated[float, typer.Option("--level", min=0.5, max=0.9999, help="Confidence level")]
FormatOption = Annotated[str, typer.Option("--format", help="json or table (default: table on a terminal, json when piped)", callback=output_format)]
TestOption = Annotated[str, typer.Option("--test", help="z (normal) or knha (Knapp-Hartung: t-based CI, PI and p, as rma(test = 'knha'))")]
StoreOption = Annotated[Path | None, typer.Option("--store", help="On-disk store (default var/store if present, else the shipped evidence)")]
EndpointOption = Annotated[str | None, typer.Option("--endpoint", help="Use a remote SPARQL endpoint")]
AggregateOption = Annotated[str, typer.Option("--aggregate", help="Combine a study's several effects per pair of arms (Metapsy's default) or per study")]
RhoOption = Annotated[float, typer.Option("--rho", min=0.0, max=0.99, help="Assumed correlation of one study's effects (metapsyTools: 0.6)")]
WeightedOption = Annotated[bool, typer.Option("--weighted/--unweighted", help="Inverse-variance (metafor's aggregate() default) or plain mean")]
WhereOption = Annotated[
    list[str] | None,
    typer.Option("--where", help="Only findings with this study characteristic, NAME=VALUE (e.g. format=ind); repeatable"),
]


def _check(method: str, fmt: str = "json", test: str = "z") -> str:
    if test not in TESTS:
        raise fail(f"--test {test!r}: choose z or knha", 2)
    if method.upper() not in METHODS:
        raise fail(f"--method {method!r}: choose one of {', '.join(METHODS)}", 2)
    if fmt not in ("json", "table"):
        raise fail(f"--format {fmt!r}: choose json or table", 2)
    return method.upper()


PIPE_WIDTH = 120  # table width when stdout is not a terminal (rich would assume 80 and cut IRIs)
P_KEYS = frozenset({"q_p", "pval"})
P_NOTE = ("pval: two-sided test of the pooled estimate (metafor's pval: z, or t with df under --test knha); "
          "q_p: Cochran's Q test of heterogeneity.")


def table_console() -> Console:
    """A rich console: the terminal's width, else $COLUMNS, else PIPE_WIDTH columns (pipes, files, logs)."""
    if sys.stdout.isatty() or os.environ.get("COLUMNS"):
        return Console()
    return Console(width=PIPE_WIDTH)


def _cell(key: str, value: object) -> str:
    """One value as a table shows it: p-values bounded, measures named, other numbers to four decimals."""
    if key in P_KEYS and isinstance(value, float):
        return p_text(value)
    if key == "effect_size_measure":
        return measure_name(str(value))
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _print(result: dict[str, object], fmt: str, title: str, pval: float | None = None, notes: list[str] | None = None) -> None:
    """One JSON object, or a two-column rich table (plus the pooled estimate's pval and notes under it)."""
    if fmt == "json":
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    table = Table(title=title, min_width=min(len(title) + 4, 100))
    table.add_column("statistic", no_wrap=True)
    table.add_column("value", justify="right", overflow="fold")  # fold, never cut, long IRIs
    placed = False
    for key, value in result.items():
        if value is not None and not isinstance(value, list | dict) and key not in ("effect_size_measure_name", "pval"):
            table.add_row(key, _cell(key, value))
            if key.endswith("ci_upper") and pval is not None and not placed:
                table.add_row("pval", p_text(pval))
                placed = True
    console = table_console()
    console.print(table)
    for note in [P_NOTE, *(notes or [])]:
        console.print(note, highlight=False)


def pairs_warning(file: Path, pairs: list[tuple[str, str]]) -> str:
    """The warning for a CSV whose construct columns name more than one pair (meta pool pools every row)."""
    named = "; ".join(" / ".join(x or "(blank)" for x in pair) for pair in pairs)
    return (f"warning: {file.name} has construct_a/construct_b columns naming {len(pairs)} construct pairs ({named}); "
            "meta pool ignores those columns and pools every row as one comparison. To pool one pair, keep only "
            "that pair's rows, or ingest the sheet into a scratch store and pool it there: `evidencekg ingest "
            f"{file} --format sheet --store var/try` then `evidencekg meta pair A B --store var/try`.")  # fmt: skip


def _store(store: Path | None, endpoint: str | None) -> Store:
    settings = get_settings()
    path = store or (settings.resolved_store_path if settings.resolved_store_path.exists() else None)
    return pick_store(settings, path, False, endpoint)


@app.command("pool")
def pool_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with study,n,r (or yi,vi / g,g_se / .g,.g_se)")],
    method: MethodOption = "REML",
    level: LevelOption = 0.95,
    fmt: FormatOption = AUTO,
    test: TestOption = "z",
    mods: Annotated[str | None, typer.Option("--mods", help="Meta-regression on these columns (comma-separated; numeric or categorical)")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Subgroup analysis by this column (per-level fits and Q-between)")] = None,
) -> None:
    """Pool a CSV of studies like metafor's rma(): correlations on Fisher's z, other effects as given."""
    method = _check(method, fmt, test)
    effects = read_effects(file)  # a bad row or table exits 2 (evidencekg.errors.OUTCOMES)
    if len(effects.pairs) > 1:
        typer.echo(pairs_warning(file, effects.pairs), err=True)
    for warning in effects.warnings:
        typer.echo(warning, err=True)
    output: dict[str, object]
    if mods:
        names = [m.strip() for m in mods.split(",") if m.strip()]
        regression = meta_regression(effects.labels, effects.yi, effects.vi, {m: effects.column(m) for m in names}, method, test, level)
        kept = [effects.labels.index(label) for label in regression.used] if regression.dropped else range(len(effects.yi))
        pooled = pool([effects.yi[i] for i in kept], [effects.vi[i] for i in kept], method, level, test, confint=True)
        output = summary(pooled, effects.scale) | {k: v for k, v in regression.as_json().items() if k not in ("k", "method", "test")}
        if regression.dropped:
            typer.echo(f"warning: {len(regression.dropped)} rows without a value for every moderator left out", err=True)
    else:
        pooled = pool(effects.yi, effects.vi, method, level, test, confint=True)
        output = summary(pooled, effects.scale)
    if by:
        groups = subgroups(effects.labels, effects.yi, effects.vi, effects.column(by), by, method, test, level)
        output["subgroups"] = groups.as_json(lambda p: summary(p, effects.scale))
    if fmt == "table" and (mods or by):
        output = {k: v for k, v in output.items() if k not in ("coefficients", "subgroups")}
    _print(output, fmt, f"{file.name} ({method}, test = {test})", pooled.pval)


def _pair(a: str, b: str, method: str, level: float, store: Path | None, endpoint: str | None, where: list[str] | None = None,  # type: ignore[no-untyped-def]
          test: str = "z", how: Aggregation | None = None):  # fmt: skip
    conditions = parse_where(where or [])
    target = _store(store, endpoint)
    return target, pool_pair(target, a, b, method, level, conditions, test, how)


@app.command("pair")
def pair_command(
    a: Annotated[str, typer.Argument(help="Construct or intervention condition (slug, label or IRI)")],
    b: Annotated[str, typer.Argument(help="Construct or comparator condition")],
    method: MethodOption = "REML",
    level: LevelOption = 0.95,
    fmt: FormatOption = AUTO,
    save: Annotated[bool, typer.Option("--save", help="Store the result as an ekg:DerivedFinding")] = False,
    store: StoreOption = None,
    endpoint: EndpointOption = None,
    where: WhereOption = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Also write the forest plot here (.svg, .png or .pdf)")] = None,
    test: TestOption = "z",
    aggregate: AggregateOption = DEFAULT_AGGREGATE,
    rho: RhoOption = DEFAULT_RHO,
    weighted: WeightedOption = DEFAULT_WEIGHTED,
    by: Annotated[str | None, typer.Option("--by", help="Subgroup analysis by this study characteristic (e.g. rob, format)")] = None,
) -> None:
    """Pool the primary-study findings between two constructs (or conditions) held in the store."""
    how = Aggregation.parse(aggregate, rho, weighted)
    target, result = _pair(a, b, _check(method, fmt, test), level, store, endpoint, where, test, how)
    if plot is not None:
        _write_forest(target, Choices.parse(a, b, method, level, where or [], test, aggregate, rho, weighted), plot)
    output = result.as_json()
    if by:
        output["subgroups"] = pair_subgroups(target, result, by).as_json(lambda p: summary(p, result.scale))
    if save:
        output["derived_finding"] = save_derived(target, result)
    names = labels(target, [result.a, result.b])
    apa = apa_summary(Analysis(Choices.parse(a, b, method, level, where or [], test), result, (names[result.a], names[result.b])))
    output["apa"] = apa
    notes = [apa, result.aggregation_note()]
    if result.excluded:
        notes.append(f"{len(result.excluded)} findings left out (reasons in --format json, key excluded).")
    _print({k: v for k, v in output.items() if k != "apa"} if fmt == "table" else output, fmt,
           f"{a} / {b} ({result.pooled.method}, k = {result.pooled.k})", result.pooled.pval, notes)


def _steps_table(rows: list[tuple[str, Pooled]], scale: Scale, title: str, fmt: str) -> None:
    """Sensitivity steps as JSON lines or one table."""
    records = [{"study": label, **summary(p, scale)} for label, p in rows]
    if fmt == "json":
        typer.echo(json.dumps(records, ensure_ascii=False))
        return
    key, low, high = ("r", "r_ci_lower", "r_ci_upper") if scale == "r" else ("estimate", "ci_lower", "ci_upper")
    table = Table(title=title)
    for column in ("study", key, "CI", "tau2", "I2 %"):
        table.add_column(column)
    for r in records:
        table.add_row(str(r["study"]), f"{r[key]:.3f}", f"[{r[low]:.3f}, {r[high]:.3f}]", f"{r['tau2']:.4f}", f"{r['i2']:.1f}")
    table_console().print(table)


@app.command("sensitivity")
def sensitivity_command(
    a: Annotated[str, typer.Argument(help="Construct or intervention condition")],
    b: Annotated[str, typer.Argument(help="Construct or comparator condition")],
    kind: Annotated[str, typer.Option("--kind", help="leave-one-out or cumulative (by year)")] = "leave-one-out",
    method: MethodOption = "REML",
    level: LevelOption = 0.95,
    fmt: FormatOption = AUTO,
    store: StoreOption = None,
    endpoint: EndpointOption = None,
    where: WhereOption = None,
) -> None:
    """Leave-one-out or cumulative re-pooling of a pair held in the store."""
    _target, result = _pair(a, b, _check(method, fmt), level, store, endpoint, where)
    s = result.studies
    labels, ys, vs = [x.label for x in s], [x.y for x in s], [x.v for x in s]
    if kind == "leave-one-out":
        steps = leave_one_out(labels, ys, vs, method, level)
    elif kind == "cumulative":
        steps = cumulative(labels, [x.year for x in s], ys, vs, method, level)
    else:
        raise fail(f"--kind {kind!r}: choose leave-one-out or cumulative", 2)
    _steps_table([(st.label, st.pooled) for st in steps], result.scale, f"{kind}: {a} / {b}", fmt)


def _write_forest(target: Store, choices: Choices, out: Path, page: int | None = None) -> None:
    """Write the forest plot in the format the file name says (.svg, .png, .pdf: one page per 40 studies)."""
    fmt = out.suffix.lower().lstrip(".") or "svg"
    if fmt not in ("svg", "png", "pdf"):
        raise fail(f"--out {out}: name an .svg, .png or .pdf file", 2)
    analysis = analyse(target, choices, sensitivity=False)
    out.write_bytes(analysis_forest(analysis, fmt, page=page))
    typer.echo(f"wrote {out} ({analysis.pair.pooled.k} studies)", err=True)


@app.command("forest")
def forest_command(
    a: Annotated[str, typer.Argument(help="Construct or intervention condition")],
    b: Annotated[str, typer.Argument(help="Construct or comparator condition")],
    out: Annotated[Path, typer.Option("--out", "-o", help="SVG, PNG or PDF file to write (PDF: one page per 40 studies)")],
    method: MethodOption = "REML",
    level: LevelOption = 0.95,
    store: StoreOption = None,
    endpoint: EndpointOption = None,
    where: WhereOption = None,
    page: Annotated[int | None, typer.Option("--page", min=1, help="Only this page of a long plot (SVG/PNG); default: all pages, axes repeated")] = None,
) -> None:
    """Write a forest plot (study names, weights, CI column, pooled diamond, prediction interval) of a pair in the store."""
    _write_forest(_store(store, endpoint), Choices.parse(a, b, _check(method), level, where or []), out, page)


HISTORY_NOTE = ("related pair: the source pooled a construct next to the asked one in the scheme (e.g. attachment "
                "security instead of anxiety), so its estimate answers a different question; --format json has the "
                "full citations and notes.")


@app.command("history")
def history_command(
    a: Annotated[str, typer.Argument(help="Construct")],
    b: Annotated[str, typer.Argument(help="Construct")],
    fmt: FormatOption = AUTO,
    store: StoreOption = None,
    endpoint: EndpointOption = None,
) -> None:
    """How pooled estimates for a construct pair (or related constructs) changed across meta-analyses."""
    rows = history(_store(store, endpoint), a, b)
    if fmt == "json":
        typer.echo(json.dumps([r.as_json() for r in rows], ensure_ascii=False))
        return
    table = Table(title=f"estimates over time: {a} / {b}")
    for column in ("year", "source", "constructs pooled", "estimate [CI]", "k", "note"):
        table.add_column(column, overflow="fold", no_wrap=column in ("year", "estimate [CI]", "k"))
    for r in rows:
        source = f"{r.source} (derived)" if r.kind == "derived" else r.source
        note = "; ".join(x for x in ("" if r.same_pair else "related pair", f"subgroup {r.subgroup}" if r.subgroup else "") if x)
        table.add_row(str(r.year or ""), source, r.pair_label.replace(" -> ", " \u2192 "), interval_text(r.estimate, r.ci_lower, r.ci_upper), str(r.k or ""), note)
    console = table_console()
    console.print(table)
    if any(not r.same_pair for r in rows):
        console.print(HISTORY_NOTE, highlight=False)
