"""Turn query results (pyoxigraph terms) into Python values, tables and DataFrames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import pyoxigraph as ox

from evidencekg.model.namespaces import compact
from evidencekg.store.protocol import Row, Term

if TYPE_CHECKING:
    import pandas as pd

XSD = "http://www.w3.org/2001/XMLSchema#"
INTEGER_TYPES = {
    f"{XSD}{t}"
    for t in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong", "unsignedShort",
        "unsignedByte",
    )
}
FLOAT_TYPES = {f"{XSD}decimal", f"{XSD}double", f"{XSD}float"}

Value = str | int | float | bool | dt.date | dt.datetime | None


def to_python(term: Term | None) -> Value:
    """A plain Python value for a term: IRIs and strings as str, numbers as int/float, booleans, dates.

    >>> to_python(ox.Literal("-0.09", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")))
    -0.09
    """
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if not isinstance(term, ox.Literal):
        return str(term)
    datatype = term.datatype.value
    try:
        if datatype in INTEGER_TYPES:
            return int(term.value)
        if datatype in FLOAT_TYPES:
            return float(Decimal(term.value)) if datatype.endswith("decimal") else float(term.value)
        if datatype == f"{XSD}boolean":
            return term.value in ("true", "1")
        if datatype == f"{XSD}date":
            return dt.date.fromisoformat(term.value)
        if datatype == f"{XSD}dateTime":
            return dt.datetime.fromisoformat(term.value.replace("Z", "+00:00"))
    except (ValueError, InvalidOperation):
        return term.value  # an ill-typed literal stays readable rather than failing
    return term.value


def columns_of(rows: Sequence[Row], declared: Sequence[str] = ()) -> list[str]:
    """Column names: the declared ones, then any others in first-seen order."""
    names = list(declared)
    for row in rows:
        names += [n for n in row if n not in names]
    return names


def to_records(rows: Sequence[Row], columns: Sequence[str] = ()) -> list[dict[str, Value]]:
    """Rows as dicts of Python values (missing bindings become None)."""
    names = columns_of(rows, columns)
    return [{n: to_python(row.get(n)) for n in names} for row in rows]


def to_dataframe(rows: Sequence[Row], columns: Sequence[str] = ()) -> pd.DataFrame:
    """Rows as a pandas DataFrame of Python values (pandas is imported only when asked)."""
    import pandas as pd

    return pd.DataFrame.from_records(to_records(rows, columns), columns=columns_of(rows, columns))


def display(term: Term | None, short: bool = False) -> str:
    """A human form of a term for tables: IRIs (prefixed when `short`), literals by their lexical value."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode):
        return compact(term.value) if short else term.value
    return str(term)
