"""Reading delimited study tables: rows with their raw text, and typed cells with errors naming row and column."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from evidencekg.errors import InvalidInput


class TableError(InvalidInput):
    """The table as a whole cannot be read (encoding, header, missing columns)."""


class RowError(InvalidInput):
    """One cell of one row is wrong; the message names the row, the column and the problem."""

    def __init__(self, row: int, column: str, problem: str) -> None:
        self.row, self.column, self.problem = row, column, problem
        super().__init__(f"row {row}, column '{column}': {problem}")


@dataclass(frozen=True)
class TableRow:
    """One data row: its 1-based number, its cells by column name and its raw text."""

    number: int
    cells: dict[str, str]
    raw: str


@dataclass(frozen=True)
class Table:
    """A parsed table: header and rows, plus how numbers are written in it."""

    columns: list[str]
    rows: list[TableRow]
    decimal: str = "."
    na: tuple[str, ...] = ("", "NA")


def read_table(
    source: Path | str | bytes, *, sep: str = ",", decimal: str = ".", na: tuple[str, ...] = ("", "NA")
) -> Table:
    """Parse a delimited file (path, text or bytes; UTF-8, BOM allowed) keeping each row's raw text."""
    if isinstance(source, Path):
        source = source.read_bytes()
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TableError(f"the file is not UTF-8 text (byte {exc.start})") from exc
    lines = source.splitlines(keepends=True)
    reader = csv.reader(lines, delimiter=sep)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise TableError("the file is empty (no header row)") from None
    except csv.Error as exc:
        raise TableError(f"header: {exc}") from exc
    rows: list[TableRow] = []
    consumed = reader.line_num
    try:
        for cells in reader:
            raw = "".join(lines[consumed : reader.line_num]).rstrip("\r\n")
            consumed = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank line
            number = len(rows) + 1
            if len(cells) != len(header):
                raise RowError(number, "*", f"has {len(cells)} cells, the header has {len(header)}")
            rows.append(TableRow(number, {h: c.strip() for h, c in zip(header, cells)}, raw))
    except csv.Error as exc:
        raise TableError(f"line {reader.line_num}: {exc}") from exc
    return Table(header, rows, decimal, na)


def require_columns(table: Table, needed: list[str] | tuple[str, ...]) -> None:
    """Fail with the list of missing columns unless the table has all of them."""
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise TableError(f"missing column(s) {', '.join(missing)}; the header has: {', '.join(table.columns)}")


def text(table: Table, row: TableRow, column: str, *, required: bool = False) -> str | None:
    """A cell as text, None when empty or NA (a RowError when required)."""
    value = row.cells.get(column, "")
    if value in table.na:
        if required:
            raise RowError(row.number, column, "is missing")
        return None
    return value


def number(
    table: Table, row: TableRow, column: str, *, required: bool = False, minimum: float | None = None
) -> float | None:
    """A cell as a finite number (decimal mark per table), None when empty or NA."""
    value = text(table, row, column, required=required)
    if value is None:
        return None
    try:
        result = float(value.replace(table.decimal, ".") if table.decimal != "." else value)
    except ValueError:
        raise RowError(row.number, column, f"{value!r} is not a number") from None
    if not math.isfinite(result):
        raise RowError(row.number, column, f"{value!r} is not a finite number")
    if minimum is not None and result < minimum:
        raise RowError(row.number, column, f"{value} is below the minimum {minimum:g}")
    return result


def integer(table: Table, row: TableRow, column: str, *, required: bool = False, minimum: int = 0) -> int | None:
    """A cell as a whole number (a RowError if it has a fractional part)."""
    value = number(table, row, column, required=required, minimum=minimum)
    if value is None:
        return None
    if not value.is_integer():
        raise RowError(row.number, column, f"{row.cells[column]!r} is not a whole number")
    return int(value)


def lexical(table: Table, row: TableRow, column: str) -> str | None:
    """A numeric cell's text as an xsd:decimal lexical form, keeping its printed decimals."""
    value = text(table, row, column)
    if value is None:
        return None
    number(table, row, column)  # validates
    value = value.replace(table.decimal, ".") if table.decimal != "." else value
    if "e" in value.lower():
        return format(Decimal(value), "f")
    if value.startswith((".", "-.", "+.")):
        value = value.replace(".", "0.", 1)
    return value.lstrip("+")

