"""What the /meta page shows: the pick lists, the filters, and an analysis as numbers, sentences, plots and downloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from evidencekg.errors import EvidenceKGError, outcome_for
from evidencekg.meta.analysis import Analysis, Choices, analyse
from evidencekg.meta.choices import Filter, Menu, Option, filters, menu
from evidencekg.meta.forest import fixed
from evidencekg.meta.plots import forest_page_count
from evidencekg.meta.pooling import METHODS
from evidencekg.meta.report import apa_summary, p_apa
from evidencekg.meta.sensitivity import Step
from evidencekg.model.conditions import characteristic_label
from evidencekg.pages.meta_more import Line, SubgroupRow, more_lines, subgroup_rows
from evidencekg.store.protocol import Store

GROUPS = {"construct": "Constructs", "intervention": "Interventions", "comparator": "Comparators"}
METHOD_NAMES = {
    "REML": "REML (restricted maximum likelihood)", "DL": "DL (DerSimonian-Laird)", "PM": "PM (Paule-Mandel)",
    "FE": "FE (fixed effect)", "ML": "ML (maximum likelihood)", "HE": "HE (Hedges)", "SJ": "SJ (Sidik-Jonkman)",
}  # fmt: skip
FILTER_NAMES = {"rob": "risk of bias (0 high - 4 low)", "format": "format", "n_sessions_arm1": "sessions"}
TOP_PAIRS = 12


@dataclass(frozen=True)
class Statistic:
    """One number of the summary: its name, the text shown, the full value (for programs and tests)."""

    key: str
    name: str
    text: str
    value: float | int | None = None


@dataclass(frozen=True)
class SensitivityRow:
    """One re-pooling as a table row."""

    label: str
    estimate: str
    ci: str
    tau2: str
    i2: str


@dataclass
class Result:
    """An analysis as the page shows it."""

    title: str
    measure: str
    apa: str
    statistics: list[Statistic]
    notes: list[str]
    forest_pages: list[str]
    funnel: str
    downloads: list[tuple[str, str, str]]  # (label, address, file name)
    leave_one_out: list[SensitivityRow]
    cumulative: list[SensitivityRow]
    sensitivity_plots: list[tuple[str, str]]
    more: list[Line] = field(default_factory=list)
    subgroups: list[SubgroupRow] = field(default_factory=list)


@dataclass
class MetaPage:
    """The whole page: the form's lists and current values, the most studied pairs, the result or an error."""

    a: str
    b: str
    method: str
    level: float
    where: list[str]
    a_groups: list[tuple[str, list[Option]]]
    b_groups: list[tuple[str, list[Option]]]
    methods: list[tuple[str, str]]
    filters: list[tuple[Filter, str, str, list[tuple[str, str, int]]]]  # (filter, label, chosen value, (value, label, n))
    pairs: list[tuple[str, str, int, int, str]]  # (A label, B label, studies, findings, href)
    result: Result | None = None
    error: str | None = None
    status: int = 200
    share: str = "/meta"
    test: str = "z"
    by: str = ""
    more: bool = False


def _groups(options: list[Option]) -> list[tuple[str, list[Option]]]:
    groups: dict[str, list[Option]] = {}
    for option in options:
        groups.setdefault(GROUPS.get(option.group, option.group), []).append(option)
    return list(groups.items())


def _href(path: str, params: list[tuple[str, str]], **more: str) -> str:
    return f"{path}?{urlencode([*params, *more.items()])}"


def _steps(analysis: Analysis, steps: list[Step]) -> list[SensitivityRow]:
    back = analysis.back
    return [
        SensitivityRow(s.label, fixed(back(s.pooled.estimate), 2),
                       f"[{fixed(back(s.pooled.ci_lower), 2)}, {fixed(back(s.pooled.ci_upper), 2)}]",
                       f"{s.pooled.tau2:.3f}", f"{s.pooled.i2:.1f}%")
        for s in steps
    ]  # fmt: skip


def statistics(analysis: Analysis) -> list[Statistic]:
    """k, the estimate with CI and prediction interval, tau2, I2, Q and the p-values, each with its full value."""
    p, back = analysis.pair.pooled, analysis.back
    level = f"{p.level:.0%}"
    return [
        Statistic("k", "studies (k)", str(p.k), p.k),
        Statistic("findings", "comparisons pooled", str(len(analysis.pair.findings)), len(analysis.pair.findings)),
        Statistic("estimate", analysis.measure, fixed(back(p.estimate), 2), back(p.estimate)),
        Statistic("ci", f"{level} CI", f"[{fixed(back(p.ci_lower), 2)}, {fixed(back(p.ci_upper), 2)}]"),
        Statistic("pi", f"{level} prediction interval",
                  "none (fixed-effect model)" if p.pi_lower is None or p.pi_upper is None
                  else f"[{fixed(back(p.pi_lower), 2)}, {fixed(back(p.pi_upper), 2)}]"),
        Statistic("pval", "p (z-test)" if p.test == "z" else f"p (Knapp-Hartung t, df = {p.df})", p_apa(p.pval).removeprefix("p "), p.pval),
        Statistic("tau2", "\u03c4\u00b2", f"{p.tau2:.3f}", p.tau2),
        Statistic("i2", "I\u00b2", f"{p.i2:.1f}%", p.i2),
        Statistic("q", f"Q (df = {p.q_df})", f"{p.q:.2f}", p.q),
        Statistic("q_p", "p (Q)", p_apa(p.q_p).removeprefix("p "), p.q_p),
    ]


def result_view(analysis: Analysis) -> Result:
    """The numbers, sentences, plot addresses and downloads of one analysis."""
    params = analysis.choices.params()
    pages = forest_page_count(analysis)
    forest = [_href("/plots/meta-forest", params, page=str(n)) for n in range(1, pages + 1)]
    stem = f"{analysis.pair.a.rsplit('/', 1)[-1]}-vs-{analysis.pair.b.rsplit('/', 1)[-1]}"
    downloads = [
        ("studies (CSV)", _href("/meta/table/studies.csv", params), f"{stem}-studies.csv"),
        ("leave-one-out (CSV)", _href("/meta/table/leave-one-out.csv", params), f"{stem}-leave-one-out.csv"),
        ("cumulative (CSV)", _href("/meta/table/cumulative.csv", params), f"{stem}-cumulative.csv"),
        ("forest plot (SVG)", _href("/plots/meta-forest", params, format="svg"), f"{stem}-forest.svg"),
        ("forest plot (PNG)", _href("/plots/meta-forest", params, format="png"), f"{stem}-forest.png"),
        ("forest plot (PDF, one page per 40 studies)", _href("/plots/meta-forest", params, format="pdf"), f"{stem}-forest.pdf"),
        ("funnel plot (SVG)", _href("/plots/meta-funnel", params, format="svg"), f"{stem}-funnel.svg"),
        ("funnel plot (PNG)", _href("/plots/meta-funnel", params, format="png"), f"{stem}-funnel.png"),
        ("JSON (API)", _href("/api/meta", params), f"{stem}.json"),
    ]
    notes = [analysis.pair.aggregation_note()]
    if analysis.pair.excluded:
        notes.append(f"{len(analysis.pair.excluded)} findings were left out (no standard error, another measure...).")
    sensitivity = [(kind, _href("/plots/meta-sensitivity", params, view=kind)) for kind in ("leave-one-out", "cumulative")]
    return Result(
        title=analysis.title, measure=analysis.measure, apa=apa_summary(analysis), statistics=statistics(analysis),
        notes=notes, forest_pages=forest, funnel=_href("/plots/meta-funnel", params),
        downloads=downloads, leave_one_out=_steps(analysis, analysis.leave_one_out),
        cumulative=_steps(analysis, analysis.cumulative), sensitivity_plots=sensitivity if analysis.leave_one_out else [],
        more=more_lines(analysis), subgroups=subgroup_rows(analysis),
    )  # fmt: skip


def meta_page(
    store: Store, a: str = "", b: str = "", method: str = "REML", level: float = 0.95, where: list[str] | None = None,
    test: str = "z", by: str = "", more: bool = False,
) -> MetaPage:
    """The page for these choices: lists and filters always; a result when A and B are given (or the error, said plainly)."""
    where = [w for w in (where or []) if w.strip()]
    held: Menu = menu(store)
    chosen = dict(w.partition("=")[::2] for w in where)
    pairs = [(held.labels[p.a], held.labels[p.b], p.studies, p.findings,
              _href("/meta", [("a", p.a.rsplit("/", 1)[-1]), ("b", p.b.rsplit("/", 1)[-1]), ("method", method.upper())]))
             for p in held.pairs[:TOP_PAIRS]]  # fmt: skip
    view = MetaPage(
        a=a, b=b, method=method.upper(), level=level, where=where, a_groups=_groups(held.a), b_groups=_groups(held.b),
        methods=[(m, METHOD_NAMES.get(m, m)) for m in METHODS], filters=[], pairs=pairs, test=test, by=by, more=more,
    )  # fmt: skip
    pair_key: tuple[str, str, str] | None = None
    if a and b:
        try:
            choices = Choices.parse(a, b, method, level, where, test, by=by or None)
            view.share = _href("/meta", choices.params() + ([("more", "1")] if more else []))
            analysis = analyse(store, choices, more=more)
            view.result = result_view(analysis)
            pair_key = (analysis.pair.kind, analysis.pair.a, analysis.pair.b)
        except EvidenceKGError as exc:
            outcome = outcome_for(exc)
            view.error, view.status = str(exc), (outcome.status if outcome else 500)
    elif a or b:
        view.error, view.status = "choose both A and B", 400
    view.filters = [(f, FILTER_NAMES.get(f.name, f.name.replace("_", " ")), chosen.get(f.name, ""),
                     [(value, characteristic_label(f.name, value), n) for value, n in f.values])
                    for f in filters(store, pair_key, frozenset(chosen))]  # fmt: skip
    return view

