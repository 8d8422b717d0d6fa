"""Read a study table for pooling: correlations (study,n,r) or effects with variance (yi,vi) or SE (g,g_se / .g,.g_se)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from evidencekg.evidence.tabular import RowError, Table, TableError, number, read_table
from evidencekg.meta.pooling import Scale, fisher_z
from evidencekg.model.measures import correlation_problem

# (estimate column, spread column, spread is "variance" or "se"), tried in this order after n/r.
EFFECT_COLUMNS: tuple[tuple[str, str, str], ...] = (("yi", "vi", "variance"), ("g", "g_se", "se"), (".g", ".g_se", "se"))


@dataclass(frozen=True)
class Effects:
    """Studies ready to pool: labels, years (None when absent), effects and variances on the pooling scale."""

    labels: list[str]
    years: list[int | None]
    yi: list[float]
    vi: list[float]
    scale: Scale
    pairs: list[tuple[str, str]] = field(default_factory=list)  # construct pairs named in construct_a/construct_b


def construct_pairs(table: Table) -> list[tuple[str, str]]:
    """The distinct construct pairs of a table with construct_a/construct_b columns (either order is one pair)."""
    if not {"construct_a", "construct_b"} <= set(table.columns):
        return []
    pairs = {tuple(sorted((row.cells.get("construct_a", "").strip(), row.cells.get("construct_b", "").strip())))
             for row in table.rows}  # fmt: skip
    return sorted(pairs)  # type: ignore[arg-type]


def _table(source: Path | str | bytes) -> Table:
    """Parse with ',' or, for Metapsy-style files, ';' and decimal comma."""
    raw = source.read_bytes() if isinstance(source, Path) else source
    head = (raw.decode("utf-8-sig", "replace") if isinstance(raw, bytes) else raw).split("\n", 1)[0]
    if head.count(";") > head.count(","):
        return read_table(raw, sep=";", decimal=",")
    return read_table(raw, sep=",")


def _label(row_number: int, cells: dict[str, str]) -> str:
    """The study label of a row (study, label or authors column; else "row N")."""
    for column in ("study", "label", "author", "authors"):
        if cells.get(column, "") not in ("", "NA"):
            return cells[column]
    return f"row {row_number}"


def read_effects(source: Path | str | bytes) -> Effects:
    """Read and check every row; a RowError names the first bad row and column, TableError a bad header."""
    table = _table(source)
    if not table.rows:
        raise TableError("the table has no data rows")
    if {"n", "r"} <= set(table.columns):
        scale: Scale = "r"
        estimate, spread, kind = "r", "n", "n"
    else:
        found = [c for c in EFFECT_COLUMNS if {c[0], c[1]} <= set(table.columns)]
        if not found:
            raise TableError(
                "need columns n,r (correlations) or yi,vi or g,g_se or .g,.g_se; the header has: " + ", ".join(table.columns)
            )
        scale, (estimate, spread, kind) = "raw", found[0]
    labels, years, yi, vi = [], [], [], []
    for row in table.rows:
        y_value = number(table, row, estimate)
        s_value = number(table, row, spread)
        if kind == "n":
            problem = correlation_problem(y_value, s_value)
            if problem:
                raise RowError(row.number, *problem)
            y, v = fisher_z(y_value, s_value)  # type: ignore[arg-type]
        else:
            if y_value is None:
                raise RowError(row.number, estimate, "is missing")
            if s_value is None or s_value <= 0:
                raise RowError(row.number, spread, "is missing" if s_value is None else f"{s_value:g} must be > 0")
            y, v = y_value, (s_value if kind == "variance" else s_value**2)
        year = number(table, row, "year") if "year" in table.columns else None
        labels.append(_label(row.number, row.cells))
        years.append(int(year) if year is not None else None)
        yi.append(y)
        vi.append(v)
    return Effects(labels, years, yi, vi, scale, construct_pairs(table))

