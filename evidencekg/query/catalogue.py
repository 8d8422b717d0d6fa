"""The named-query catalogue: queries/NAME.rq files with a documented header, run with bound parameters."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from evidencekg.errors import InvalidInput, StoreError, UnknownName
from evidencekg.model.namespaces import ID, PREFIXES
from evidencekg.settings import Settings, get_settings
from evidencekg.sparql.text import tokenize, top_level_words
from evidencekg.store.names import resolve_name
from evidencekg.store.protocol import Row, Store, Term
from evidencekg.store.results import to_dataframe

if TYPE_CHECKING:
    import pandas as pd

PARAM_TYPES = ("iri", "construct", "string", "decimal")
XSD_DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
INSTANCE_KINDS = (
    "publication", "document", "sentence", "study", "sample", "finding", "construct", "condition",
    "measure", "mechanism", "implication", "heterogeneity", "moderator-test", "scheme",
)

_KEY = re.compile(r"^(title|description|param|default):\s*(.*)$")
_PARAM = re.compile(rf"^(?P<name>[A-Za-z_]\w*)\s*\(type:\s*(?P<type>{'|'.join(PARAM_TYPES)})\)\s*(?P<doc>.*)$")
_DEFAULT = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<value>.*)$")


class CatalogueError(StoreError):
    """A named query is unknown, badly documented, or was given bad parameters."""


class UnknownQuery(UnknownName, CatalogueError):
    """No named query (or query file) of that name exists; the message lists close matches."""


class QueryParameterError(InvalidInput, CatalogueError):
    """A named query was given a parameter it does not take, a value of the wrong type, or none it needs."""


@dataclass(frozen=True)
class QueryParam:
    """One declared parameter of a named query."""

    name: str
    type: str  # one of PARAM_TYPES
    description: str
    default: str | None = None


@dataclass(frozen=True)
class NamedQuery:
    """A catalogue query: its name (the file stem), documentation, parameters and SPARQL text."""

    name: str
    title: str
    description: str
    params: tuple[QueryParam, ...]
    text: str
    path: Path | None = None


def parse_query(name: str, text: str, path: Path | None = None) -> NamedQuery:
    """Read the header comment block (`# title:`, `# description:`, `# param:`, `# default:`) of a query."""
    fields: dict[str, list[str]] = {"title": [], "description": [], "param": [], "default": []}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        match = _KEY.match(body)
        if match:
            current = match.group(1)
            fields[current].append(match.group(2).strip())
        elif current in ("title", "description") and body:
            fields[current][-1] += " " + body
    where = path or name
    defaults: dict[str, str] = {}
    for entry in fields["default"]:
        dmatch = _DEFAULT.match(entry)
        if not dmatch:
            raise CatalogueError(f"{where}: bad '# default:' line {entry!r} (expected name=value)")
        defaults[dmatch.group("name")] = dmatch.group("value").strip()
    params = []
    for entry in fields["param"]:
        pmatch = _PARAM.match(entry)
        if not pmatch:
            raise CatalogueError(
                f"{where}: bad '# param:' line {entry!r} (expected 'name (type: {'|'.join(PARAM_TYPES)}) description')"
            )
        pname = pmatch.group("name")
        params.append(QueryParam(pname, pmatch.group("type"), pmatch.group("doc").strip(), defaults.get(pname)))
    unknown = set(defaults) - {p.name for p in params}
    if unknown:
        raise CatalogueError(f"{where}: '# default:' for undeclared parameter(s) {', '.join(sorted(unknown))}")
    title = fields["title"][0] if fields["title"] else name
    return NamedQuery(name, title, " ".join(fields["description"]), tuple(params), text, path)


def list_queries(settings: Settings | None = None) -> list[NamedQuery]:
    """Every queries/*.rq, sorted by name."""
    folder = (settings or get_settings()).queries_dir
    return [parse_query(p.stem, p.read_text(encoding="utf-8"), p) for p in sorted(folder.glob("*.rq"))]


def get_query(name: str, settings: Settings | None = None) -> NamedQuery:
    """One catalogue query by name; unknown names get an error listing close matches."""
    settings = settings or get_settings()
    names = [q.stem for q in sorted(settings.queries_dir.glob("*.rq"))]
    if name in names:  # only a listed name reaches the file system (a 300-character name is no OSError)
        path = settings.queries_dir / f"{name}.rq"
        return parse_query(name, path.read_text(encoding="utf-8"), path)
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(names) or 'none'}"
    raise UnknownQuery(f"unknown query {name!r}{hint}")


def expand_iri(value: str, kind_hint: str | None = None) -> ox.NamedNode:
    """An IRI from `<iri>`, a full IRI, a prefixed name (id:finding/x) or, given a kind, a bare slug."""
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        text = PREFIXES[prefix] + local
    elif not sep and kind_hint in INSTANCE_KINDS:
        text = f"{ID}{kind_hint}/{text}"
    try:
        return ox.NamedNode(text)
    except ValueError as exc:
        raise QueryParameterError(f"{value!r} is not an IRI, a prefixed name or a known slug: {exc}") from exc


def resolve_construct(store: Store, value: str) -> ox.NamedNode:
    """A construct from any name the store resolver accepts (label, slug, prefixed name, IRI); else QueryParameterError."""
    try:
        return ox.NamedNode(resolve_name(store, value, ("construct",), limit=3)[0])
    except UnknownName as exc:
        raise QueryParameterError(str(exc)) from exc


def bind_param(store: Store, param: QueryParam, value: str) -> Term:
    """The RDF term a textual parameter value stands for, checked against the parameter's type."""
    if param.type == "construct":
        return resolve_construct(store, value)
    if param.type == "iri":
        return expand_iri(value, param.name if param.name in INSTANCE_KINDS else None)
    if param.type == "decimal":
        try:
            Decimal(value.strip())
        except InvalidOperation as exc:
            raise QueryParameterError(f"parameter {param.name}: {value!r} is not a decimal number") from exc
        return ox.Literal(value.strip(), datatype=XSD_DECIMAL)
    return ox.Literal(value)


def bindings_for(store: Store, query: NamedQuery, params: Mapping[str, str]) -> dict[str, Term]:
    """Check the given parameters against the declared ones (defaults applied) and convert them."""
    declared = {p.name: p for p in query.params}
    unknown = set(params) - set(declared)
    if unknown:
        known = ", ".join(declared) or "none"
        raise QueryParameterError(f"query {query.name!r} has no parameter(s) {', '.join(sorted(unknown))} (it takes: {known})")
    bindings: dict[str, Term] = {}
    for param in query.params:
        value = params.get(param.name, param.default)
        if value is None:
            raise QueryParameterError(f"query {query.name!r} needs --param {param.name}=... ({param.type}: {param.description})")
        bindings[param.name] = bind_param(store, param, value)
    return bindings


def run_query(store: Store, query: NamedQuery, params: Mapping[str, str] | None = None) -> list[Row]:
    """Run a parsed catalogue SELECT with its parameters passed as bindings (never pasted into the text)."""
    return store.select(query.text, bindings_for(store, query, params or {}) or None)


def run_named(
    store: Store, name: str, params: Mapping[str, str] | None = None, settings: Settings | None = None
) -> list[Row]:
    """Run queries/NAME.rq with textual parameters (constructs by label, slug or IRI)."""
    return run_query(store, get_query(name, settings), params)


def load_query(source: str | Path, settings: Settings | None = None) -> NamedQuery:
    """A query from SPARQL text, a .rq file, or a catalogue name (queries/NAME.rq without .rq)."""
    text = str(source)
    if isinstance(source, str) and (any(c.isspace() for c in text.strip()) or "{" in text):
        return parse_query("query", text)
    path = Path(source)
    if path.is_file():
        return parse_query(path.stem, path.read_text(encoding="utf-8"), path)
    if path.suffix == ".rq" or len(path.parts) > 1:
        raise UnknownQuery(f"{path}: no such query file")
    return get_query(text, settings)


def select_rows(
    store: Store, source: str | Path, params: Mapping[str, str] | None = None, settings: Settings | None = None
) -> list[Row]:
    """Run a SELECT given as text, .rq file or catalogue name, with textual parameters; the result rows."""
    return run_query(store, load_query(source, settings), params)


def select_frame(
    store: Store, source: str | Path, params: Mapping[str, str] | None = None, settings: Settings | None = None
) -> pd.DataFrame:
    """Like select_rows, as a pandas DataFrame of Python values, columns in SELECT order."""
    named = load_query(source, settings)
    return to_dataframe(run_query(store, named, params), projected_variables(named))


PAGING = ("limit", "offset")  # query-string parameters every catalogue query takes besides its own


def paged(query: NamedQuery, limit: str | None = None, offset: str | None = None) -> str:
    """The query's text with `LIMIT n OFFSET m` appended (a page of a long list); the text itself without either.

    QueryParameterError when a value is not a whole number (limit >= 1, offset >= 0) or the query
    already ends in its own LIMIT or OFFSET.
    """
    if limit is None and offset is None:
        return query.text
    clauses = []
    for name, value, least in (("LIMIT", limit, 1), ("OFFSET", offset, 0)):
        if value is None:
            continue
        if not value.strip().isdigit() or int(value) < least:
            raise QueryParameterError(f"{name.lower()}={value!r} must be a whole number of at least {least}")
        clauses.append(f"{name} {int(value)}")
    words = {token.text.upper() for _, token in top_level_words(list(tokenize(query.text)))}
    if words & {"LIMIT", "OFFSET"}:
        raise QueryParameterError(f"the query {query.name!r} has its own LIMIT or OFFSET: it cannot be paged")
    return f"{query.text.rstrip()}\n{' '.join(clauses)}\n"


def projected_variables(query: NamedQuery) -> list[str]:
    """The SELECT clause's variable names in order (for column order when rows lack some)."""
    text = re.sub(r"#[^\n]*", "", query.text)
    match = re.search(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(.*?)\s*(?:\bWHERE\s*)?\{", text, re.I | re.S)
    if not match:
        return []
    names: list[str] = []
    depth, group = 0, ""
    for token in re.findall(r"\(|\)|[?$]\w+|[^()?$]+", match.group(1)):
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
            if depth == 0:
                alias = re.search(r"\bAS\s+[?$](\w+)\s*$", group, re.I)
                names += [alias.group(1)] if alias else []
                group = ""
        elif depth == 0 and token[0] in "?$":
            names.append(token[1:])
        if depth > 0 and token != "(" or depth > 1:
            group += token
    return names
