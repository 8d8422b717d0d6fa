"""CLI `meta bias`, `meta influence`, `meta multilevel` on a CSV of studies, and the moderator options of `meta pool`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from evidencekg.cli.evidence import AUTO, fail
from evidencekg.cli.meta import FormatOption, LevelOption, MethodOption, TestOption, _check, _print, app, table_console
from evidencekg.meta.bias import bias
from evidencekg.meta.influence import influence, influence_json, outliers_removed
from evidencekg.meta.inputs import Effects, read_effects
from evidencekg.meta.multilevel import robust, three_level
from evidencekg.meta.pooling import pool, summary

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with study,n,r (or yi,vi / g,g_se / .g,.g_se)")]


def effects_of(file: Path) -> Effects:
    """The file's effects, its warnings printed on stderr."""
    effects = read_effects(file)
    for warning in effects.warnings:
        typer.echo(warning, err=True)
    return effects


@app.command("bias")
def bias_command(file: FileArgument, method: MethodOption = "REML", level: LevelOption = 0.95, fmt: FormatOption = AUTO, test: TestOption = "z") -> None:
    """Small-study effects: Egger's regression test, the rank correlation test, trim-and-fill (L0), fail-safe N (labelled)."""
    method = _check(method, fmt, test)
    effects = effects_of(file)
    if len(effects.yi) < 3:
        raise fail("meta bias needs at least three studies", 2)
    result = bias(effects.yi, effects.vi, method, test, level).as_json()
    if fmt == "json":
        _print({"k": len(effects.yi), "method": method, "test": test, "scale": "fisher_z" if effects.scale == "r" else "as given", **result}, fmt, "")
        return
    flat: dict[str, object] = {}
    for part in ("egger", "ranktest", "trimfill"):
        block = result[part]
        if isinstance(block, dict):
            flat |= {f"{part}_{k}": v for k, v in block.items() if k != "filled"}
    fsn = result["fail_safe_n"]
    flat["fail_safe_n (Rosenthal; not a test of bias)"] = fsn["n"] if isinstance(fsn, dict) else None
    _print(flat, fmt, f"{file.name}: small-study effects ({method}, k = {len(effects.yi)})",
           notes=["Estimates are on the pooling scale (Fisher's z for correlations)."])  # fmt: skip


@app.command("influence")
def influence_command(file: FileArgument, method: MethodOption = "REML", level: LevelOption = 0.95, fmt: FormatOption = AUTO, test: TestOption = "z") -> None:
    """influence() diagnostics per study and the pooled estimate with outliers (CI outside the pooled CI) removed."""
    method = _check(method, fmt, test)
    effects = effects_of(file)
    if len(effects.yi) < 3:
        raise fail("meta influence needs at least three studies", 2)
    pooled = pool(effects.yi, effects.vi, method, level, test)
    rows = influence(effects.labels, effects.yi, effects.vi, method, test, level)
    outliers = outliers_removed(effects.labels, effects.yi, effects.vi, pooled, method, test, level)
    output: dict[str, object] = {"main": summary(pooled, effects.scale), "influence": influence_json(rows),
              "outliers_removed": {"removed": outliers.removed,
                                   "pooled": None if outliers.pooled is None else summary(outliers.pooled, effects.scale)}}  # fmt: skip
    if fmt == "json":
        _print(output, fmt, "")
        return
    table = Table(title=f"{file.name}: influence ({method}, k = {len(rows)})")
    for column in ("study", "rstudent", "dffits", "cook_d", "hat", "weight %", "influential"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.label, f"{r.rstudent:.3f}", f"{r.dffits:.3f}", f"{r.cook_d:.3f}", f"{r.hat:.3f}", f"{r.weight:.2f}", "*" if r.influential else "")
    console = table_console()
    console.print(table)
    removed = ", ".join(outliers.removed) or "none"
    console.print(f"Outliers removed (study CI outside the pooled CI): {removed}", highlight=False)
    if outliers.pooled is not None:
        p = outliers.pooled
        console.print(f"Without them: estimate {p.estimate:.4f} [{p.ci_lower:.4f}, {p.ci_upper:.4f}], k = {p.k}", highlight=False)


@app.command("multilevel")
def multilevel_command(
    file: FileArgument,
    cluster: Annotated[str, typer.Option("--cluster", help="Column naming the study (cluster) each effect belongs to")],
    level: LevelOption = 0.95,
    fmt: FormatOption = AUTO,
) -> None:
    """Three-level model rma.mv(yi, vi, random = ~ 1 | cluster/es_id) by REML, with cluster-robust (robust()) SEs."""
    _check("REML", fmt)
    effects = effects_of(file)
    clusters = effects.column(cluster)
    if any(c == "" for c in clusters):
        raise fail(f"--cluster {cluster}: row {clusters.index('') + 1} has no value", 2)
    model = three_level(effects.yi, effects.vi, clusters, level)
    output = model.as_json()
    output["robust"] = {k: v for k, v in robust(model, effects.yi, effects.vi, clusters, level).as_json().items()
                        if k in ("se", "zval", "pval", "ci_lower", "ci_upper", "df", "test")}  # fmt: skip
    output["sigma2_names"] = [cluster, f"{cluster}/es_id"]
    _print(output, fmt, f"{file.name}: three-level model ({model.clusters} clusters, k = {model.k})", model.pval,
           [f"sigma2 = [{model.sigma2[0]:.4f} between {cluster}s, {model.sigma2[1]:.4f} within]",
            f"robust (cluster-robust, t with {model.clusters - 1} df): se {output['robust']['se']:.4f}"])  # type: ignore[index]  # fmt: skip
