"""A construct's or condition's findings grouped by comparison, each group with its pooled summary and a paged list."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlencode

import pyoxigraph as ox

from evidencekg.errors import EvidenceKGError
from evidencekg.meta.choices import while_unchanged
from evidencekg.meta.pairs import Row, effects_from_rows
from evidencekg.meta.pooling import pool
from evidencekg.model.measures import measure_name
from evidencekg.model.namespaces import PEARSON_R, sparql_prologue
from evidencekg.pages.describe import Link, format_number, labels_of, make_link, natural_key
from evidencekg.store.protocol import Store

PAGE_ROWS = 20  # findings listed per group and page
OPEN_UP_TO = 30  # a page with at most this many findings opens every group
Z95 = 1.959963984540054

_FINDINGS = sparql_prologue() + """
SELECT DISTINCT ?f ?from ?to ?int ?cmp ?est ?lo ?hi ?se ?n ?n1 ?n2 ?measure ?study ?label ?year ?instrument
       ?ilabel ?pub ?flabel ?subgroup ?derived ?primary WHERE {
  { ?f ekg:fromConstruct ?r } UNION { ?f ekg:toConstruct ?r }
  UNION { ?f ekg:interventionCondition ?r } UNION { ?f ekg:comparatorCondition ?r }
  FILTER EXISTS { VALUES ?ft { ekg:ReportedFinding ekg:DerivedFinding ekg:Finding } ?f a ?ft }
  OPTIONAL { ?f ekg:fromConstruct ?from } OPTIONAL { ?f ekg:toConstruct ?to }
  OPTIONAL { ?f ekg:interventionCondition ?int } OPTIONAL { ?f ekg:comparatorCondition ?cmp }
  OPTIONAL { ?f ekg:estimate ?est } OPTIONAL { ?f ekg:ciLower ?lo } OPTIONAL { ?f ekg:ciUpper ?hi }
  OPTIONAL { ?f ekg:standardError ?se } OPTIONAL { ?f ekg:sampleSize ?n }
  OPTIONAL { ?f ekg:arm1SampleSize ?n1 } OPTIONAL { ?f ekg:arm2SampleSize ?n2 }
  OPTIONAL { ?f ekg:effectSizeMeasure ?measure }
  OPTIONAL { ?f ekg:fromStudy ?study OPTIONAL { ?study ekg:studyLabel ?label } OPTIONAL { ?study dcterms:issued ?year } }
  OPTIONAL { ?f ekg:instrument ?instrument OPTIONAL { ?instrument skos:prefLabel ?ilabel } }
  OPTIONAL { ?f ekg:reportedIn ?pub } OPTIONAL { ?f rdfs:label ?flabel } OPTIONAL { ?f ekg:subgroup ?subgroup }
  BIND(EXISTS { ?f a ekg:DerivedFinding } AS ?derived)
  BIND(EXISTS { ?f a ekg:ReportedFinding ; ekg:fromStudy ?ps . ?ps a ekg:PrimaryStudy } AS ?primary)
}"""


@dataclass(frozen=True)
class Shown:
    """A number as a page prints it, and whether evidencekg computed it (not printed by the source)."""

    text: str
    computed: bool = False
    how: str = ""


@dataclass(frozen=True)
class GroupRow:
    """One finding in a group's list, named by its study and instrument (or its label), never by its row slug."""

    link: Link
    name: str
    detail: str
    estimate: Shown | None
    ci: Shown | None
    n: str | None
    publication: Link | None
    derived: bool
    primary: bool = False  # a primary study's finding (a meta-analysis's own statement is listed first)


@dataclass(frozen=True)
class Summary:
    """A group's pooled primary-study estimate (REML) as the page prints it."""

    k: int
    measure: str
    estimate: str
    ci: str
    i2: str


@dataclass
class Group:
    """The findings of one comparison (intervention vs comparator) or one construct pair, with their summary."""

    key: str
    kind: str  # "comparison" | "association"
    a: Link
    b: Link
    rows: list[GroupRow]
    studies: int
    summary: Summary | None
    meta_href: str | None
    forest_href: str | None
    page: int = 1
    pages: int = 1
    open: bool = False
    page_hrefs: list[tuple[int, str]] = field(default_factory=list)

    @property
    def publication(self) -> Link | None:
        """Where every row was reported, when that is one source (the list then leaves the column out)."""
        found = {r.publication.iri: r.publication for r in self.rows if r.publication}
        return next(iter(found.values())) if len(found) == 1 and all(r.publication for r in self.rows) else None

    @property
    def title(self) -> str:
        """"cognitive behaviour therapy vs waitlist" or "attachment anxiety – therapeutic alliance"."""
        return f"{self.a.label} vs {self.b.label}" if self.kind == "comparison" else f"{self.a.label} \u2013 {self.b.label}"

    @property
    def shown(self) -> list[GroupRow]:
        """The rows of the current page."""
        return self.rows[(self.page - 1) * PAGE_ROWS : self.page * PAGE_ROWS]


def shown_number(lexical: str) -> Shown:
    """As the source printed it (0.10 kept as 0.10); a machine value with more than three decimals to two.

    >>> shown_number("0.580935979666018").text, shown_number("-0.09").text, shown_number("0.278").text, shown_number("0.1").text
    ('0.58', '-0.09', '0.278', '0.10')
    """
    decimals = len(lexical.split(".", 1)[1]) if "." in lexical and "e" not in lexical.lower() else 0
    if decimals > 3 or "e" in lexical.lower():
        return Shown(f"{float(lexical):.2f}")
    return Shown(format_number(lexical))


def computed_ci(estimate: float, se: float | None, n: float | None, n1: float | None, n2: float | None, r: bool) -> Shown | None:
    """A 95% CI evidencekg computes when none was reported: from the SE, else Pearson r's n (Fisher z), else g's arm sizes.

    >>> computed_ci(0.5, 0.1, None, None, None, False).text, computed_ci(0.3, None, 100, None, None, True).text
    ('[0.30, 0.70]', '[0.11, 0.47]')
    """
    if r and se is None and n is not None and n > 3 and abs(estimate) < 1:
        z, half = math.atanh(estimate), Z95 / math.sqrt(n - 3)
        return Shown(f"[{math.tanh(z - half):.2f}, {math.tanh(z + half):.2f}]", True, f"computed from r and N = {n:g} (Fisher z)")
    how = "computed from the SE (estimate \u00b1 1.96 SE)"
    if se is None and n1 and n2:
        se, how = math.sqrt((n1 + n2) / (n1 * n2) + estimate**2 / (2 * (n1 + n2))), "computed from the arm sizes (SE of g)"
    if se is None or se <= 0:
        return None
    return Shown(f"[{estimate - Z95 * se:.2f}, {estimate + Z95 * se:.2f}]", True, how)


def _value(row: Row, name: str) -> str | None:
    return row[name].value if name in row else None


def _float(row: Row, name: str) -> float | None:
    try:
        return float(row[name].value) if name in row else None
    except ValueError:
        return None


def _row(row: Row, labels: dict[str, str]) -> GroupRow:
    f = row["f"].value
    name = _value(row, "label") or _value(row, "flabel") or labels.get(_value(row, "pub") or "", "") or make_link(f, labels).label
    detail = " \u00b7 ".join(x for x in (_value(row, "ilabel"), _value(row, "subgroup")) if x)
    estimate = shown_number(row["est"].value) if "est" in row else None
    ci = None
    if "lo" in row and "hi" in row:
        ci = Shown(f"[{shown_number(row['lo'].value).text}, {shown_number(row['hi'].value).text}]")
    elif (est := _float(row, "est")) is not None:
        measure = _value(row, "measure")
        ci = computed_ci(est, _float(row, "se"), _float(row, "n"), _float(row, "n1"), _float(row, "n2"), measure == str(PEARSON_R))
    n1, n2 = _float(row, "n1"), _float(row, "n2")
    n = _value(row, "n") or (f"{n1 + n2:g}" if n1 is not None and n2 is not None else None)
    pub = _value(row, "pub")
    return GroupRow(
        link=Link(iri=f, label=name, href=make_link(f, labels).href, local=True), name=name, detail=detail,
        estimate=estimate, ci=ci, n=n, publication=make_link(pub, labels) if pub else None,
        derived=row["derived"].value == "true", primary=row["primary"].value == "true",
    )  # fmt: skip


def _key(a: Link, b: Link) -> str:
    return f"{a.href.rsplit('/', 1)[-1]}--{b.href.rsplit('/', 1)[-1]}"


def _summary(rows: list[Row], between: str) -> Summary | None:
    inputs = [
        {**r, "outcome": r["to"]} if "to" in r else r
        for r in rows
        if r["primary"].value == "true" and "measure" in r and "est" in r and "study" in r
    ]
    if len({r["study"].value for r in inputs}) < 2:
        return None
    try:
        measure, scale, effects, _, _ = effects_from_rows(inputs, between)
        if len(effects) < 2:
            return None
        pooled = pool([e.y for e in effects], [e.v for e in effects], "REML", 0.95)
    except (EvidenceKGError, ValueError, ArithmeticError):
        return None
    back = math.tanh if scale == "r" else (lambda x: x)
    return Summary(
        k=pooled.k, measure=measure_name(measure), estimate=f"{back(pooled.estimate):.2f}",
        ci=f"[{back(pooled.ci_lower):.2f}, {back(pooled.ci_upper):.2f}]", i2=f"{pooled.i2:.0f}%",
    )  # fmt: skip


def _groups(store: Store, iri: str) -> list[tuple[str, str, str, list[Row]]]:
    rows = store.select(_FINDINGS, {"r": ox.NamedNode(iri)})
    seen: set[str] = set()
    grouped: dict[tuple[str, str, str], list[Row]] = defaultdict(list)
    for row in rows:
        f = row["f"].value
        if f in seen:  # a second label or a second graph holding the same triple
            continue
        seen.add(f)
        if "int" in row and "cmp" in row:
            grouped[("comparison", row["int"].value, row["cmp"].value)].append(row)
        elif "from" in row and "to" in row:
            a, b = row["from"].value, row["to"].value
            flipped = ("association", b, a)
            grouped[flipped if flipped in grouped else ("association", a, b)].append(row)
    return [(kind, a, b, found) for (kind, a, b), found in grouped.items()]


def evidence_groups(store: Store, iri: str, labels: dict[str, str], chosen: str | None = None, page: int = 1) -> list[Group]:
    """The findings touching a construct or condition, grouped by comparison, most findings first.

    Each group has a pooled REML summary of its primary-study findings (two studies or more), links to the
    /meta page and (for construct pairs) the forest plot, and pages of PAGE_ROWS rows; `chosen` (a group key)
    opens that group at `page`.
    """
    raw = while_unchanged(store, ("evidence-groups", iri), lambda: _groups(store, iri))
    names = {**labels_of(store, {x for _, a, b, rows in raw for x in (a, b)} | {r["pub"].value for _, _, _, rows in raw for r in rows if "pub" in r}), **labels}
    groups = []
    for kind, a, b, rows in raw:
        la, lb = make_link(a, names), make_link(b, names)
        listed = sorted((_row(r, names) for r in rows), key=lambda g: (g.primary, natural_key(g.name), natural_key(g.detail), g.link.iri))
        key = _key(la, lb)
        query = urlencode({"a": la.href.rsplit("/", 1)[-1], "b": lb.href.rsplit("/", 1)[-1]})
        groups.append(Group(
            key=key, kind=kind, a=la, b=lb, rows=listed,
            studies=len({r["study"].value for r in rows if "study" in r}),
            summary=while_unchanged(store, ("group-summary", kind, a, b), partial(_summary, rows, f"between {a} and {b}")),
            meta_href=f"/meta?{query}" if la.local and lb.local else None,
            forest_href=f"/plots/forest?{query}" if kind == "association" and la.local and lb.local else None,
        ))  # fmt: skip
    groups.sort(key=lambda g: (-len(g.rows), g.title.lower()))
    total = sum(len(g.rows) for g in groups)
    for group in groups:
        group.pages = max(1, math.ceil(len(group.rows) / PAGE_ROWS))
        if group.key == chosen:
            group.page, group.open = min(max(page, 1), group.pages), True
        group.open = group.open or total <= OPEN_UP_TO
        group.page_hrefs = [(n, "?" + urlencode({"group": group.key, "page": n}) + f"#group-{group.key}") for n in range(1, group.pages + 1)]
    return groups
