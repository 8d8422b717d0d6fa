"""Read a study table for pooling: correlations (study,n,r) or effects with variance (yi,vi) or SE (g,g_se / .g,.g_se)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from evidencekg.evidence.tabular import RowError, Table, TableError, TableRow, number, read_table
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
    cells: list[dict[str, str]] = field(default_factory=list)  # every row's cells (moderators, clusters), header lowercased
    warnings: list[str] = field(default_factory=list)  # what metafor would warn about, and ambiguous columns

    def column(self, name: str) -> list[str]:
        """One column's cells ("" where empty or NA); an InvalidInput names a column the file lacks."""
        key = name.strip().lower()
        if self.cells and key not in self.cells[0]:
            raise TableError(f"no column {name!r}; the header has: {', '.join(self.cells[0])}")
        return [("" if c.get(key, "") == "NA" else c.get(key, "")) for c in self.cells]


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
    table = read_table(raw, sep=";", decimal=",") if head.count(";") > head.count(",") else read_table(raw, sep=",")
    lower = [c.lower() for c in table.columns]  # headers are case-insensitive (N,R is n,r)
    rows = [TableRow(r.number, {k.lower(): v for k, v in r.cells.items()}, r.raw) for r in table.rows]
    return Table(lower, rows, table.decimal, table.na)


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
    found = [c for c in EFFECT_COLUMNS if {c[0], c[1]} <= set(table.columns)]
    warnings = []
    if {"n", "r"} <= set(table.columns):
        scale: Scale = "r"
        estimate, spread, kind = "r", "n", "n"
        if found:
            warnings.append(f"warning: the file has both n,r and {found[0][0]},{found[0][1]}: pooling r (Fisher's z from n, r); "
                            f"remove the n,r columns to pool {found[0][0]}")  # fmt: skip
    else:
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
    return Effects(labels, years, yi, vi, scale, construct_pairs(table), [r.cells for r in table.rows],
                   warnings + data_warnings(labels, vi))  # fmt: skip


VARIANCE_RATIO = 1e7  # metafor warns when max(vi) / min(vi) exceeds this


def data_warnings(labels: list[str], vi: list[float]) -> list[str]:
    """Warnings metafor gives (extreme ratio of sampling variances) and duplicate study labels."""
    out = []
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    dupes = [f"{label} ({n} rows)" for label, n in seen.items() if n > 1]
    if dupes:
        out.append(f"warning: duplicate study labels: {', '.join(dupes[:10])}{' ...' if len(dupes) > 10 else ''}; "
                   "each row is pooled as its own study (aggregate them, or use meta multilevel --cluster)")  # fmt: skip
    if vi and max(vi) / min(vi) >= VARIANCE_RATIO:
        out.append(f"warning: the ratio of the largest to the smallest sampling variance is {max(vi) / min(vi):.3g} "
                   "(metafor warns: estimates may be unstable)")  # fmt: skip
    return out

