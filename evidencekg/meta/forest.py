"""Publication-style forest plots (matplotlib SVG, PNG or PDF): text columns, weights, axes on top and bottom, pages."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from evidencekg.errors import InvalidInput

if TYPE_CHECKING:  # matplotlib is imported where drawing happens: number() stays cheap to import
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ROW_COLOUR, POOLED_COLOUR, PI_COLOUR, NULL_COLOUR = "#333333", "#2166ac", "#7fa7d0", "#999999"
FORMATS = ("svg", "png", "pdf")
PER_PAGE = 40  # study rows per page: a page of a long plot stays readable and printable

# Layout, in inches (the figure is laid out by hand so every page has the same columns).
WIDTH, NOTE_WIDTH = 9.1, 2.8
LABEL_X, PLOT_LEFT, PLOT_RIGHT, WEIGHT_RIGHT, CI_X = 0.1, 3.0, 6.6, 7.3, 7.5
ROW, TITLE, HEADER, FOOTER, GAP = 0.2, 0.5, 0.62, 0.95, 0.35
FONT = 8.5


@dataclass(frozen=True)
class ForestRow:
    """One estimate: a label (study or source), the estimate, its CI (None when not reported)."""

    label: str
    estimate: float
    lower: float | None = None
    upper: float | None = None
    weight: float | None = None  # share of the total weight (0-1), shown as a percentage and as the marker's area
    note: str = ""  # shown in the right-hand column after the numbers (e.g. "k = 33, N = 2299")


@dataclass(frozen=True)
class PooledRow:
    """The pooled estimate drawn as a diamond over its CI, with an optional prediction interval."""

    label: str
    estimate: float
    lower: float
    upper: float
    pi_lower: float | None = None
    pi_upper: float | None = None
    note: str = ""  # a line under the pooled rows, e.g. the heterogeneity statistics


@dataclass(frozen=True)
class ForestText:
    """The words around the numbers: title, axis label, "favours" labels, column headers, decimals."""

    title: str = ""
    xlabel: str = "estimate"
    null: float | None = 0.0
    favours: tuple[str, str] | None = None  # (left of the null line, right of it), e.g. ("favours waitlist", "favours CBT")
    ci_header: str = "estimate [95% CI]"
    decimals: int | None = None  # fixed decimals for every number; None: as reported (see number())


def number(value: float) -> str:
    """Two decimals, three when the third is given (0.10, 0.278)."""
    text = f"{value:.2f}" if round(value, 2) == value else f"{value:.3f}".rstrip("0")
    return "0.00" if text == "-0.00" else text


def fixed(value: float, decimals: int | None) -> str:
    """`value` with `decimals` decimals (no "-0.00"), or as number() does when decimals is None."""
    if decimals is None:
        return number(value)
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def interval_text(estimate: float, lower: float | None, upper: float | None, decimals: int | None = None) -> str:
    """`0.28 [0.26, 0.30]`, or `0.28 (no CI reported)` when the CI is missing."""
    if lower is None or upper is None:
        return f"{fixed(estimate, decimals)} (no CI reported)"
    return f"{fixed(estimate, decimals)} [{fixed(lower, decimals)}, {fixed(upper, decimals)}]"


def page_slices(n: int, per_page: int = PER_PAGE) -> list[slice]:
    """Split n rows into the fewest pages of at most per_page rows, balanced (111 rows -> 37, 37, 37)."""
    pages = max(1, math.ceil(n / per_page))
    size = math.ceil(n / pages) if n else 0
    return [slice(i * size, min(n, (i + 1) * size)) for i in range(pages)]


def _limits(rows: Sequence[ForestRow], pooled: PooledRow | None, null: float | None) -> tuple[float, float]:
    """The x range covering every estimate, interval and the null line, with a margin."""
    values: list[float] = [] if null is None else [null]
    for row in rows:
        values += [v for v in (row.estimate, row.lower, row.upper) if v is not None]
    if pooled is not None:
        values += [v for v in (pooled.lower, pooled.upper, pooled.pi_lower, pooled.pi_upper) if v is not None]
    low, high = min(values), max(values)
    margin = max((high - low) * 0.04, 0.02)
    return low - margin, high + margin


def _lines(text: str) -> int:
    return text.count("\n") + 1


@dataclass(frozen=True)
class _Page:
    """One panel: its rows, whether it carries the pooled rows, its height in inches."""

    rows: Sequence[ForestRow]
    pooled: PooledRow | None
    number: int
    of: int

    @property
    def slots(self) -> float:
        """Rows of text (a two-line label takes two); the pooled block takes four."""
        n = sum(_lines(r.label) for r in self.rows)
        return n + (4 if self.pooled is not None else 0) + 0.4

    @property
    def height(self) -> float:
        return HEADER + self.slots * ROW + FOOTER


def _pages(rows: Sequence[ForestRow], pooled: PooledRow | None, per_page: int) -> list[_Page]:
    slices = page_slices(len(rows), per_page)
    return [_Page(rows[s], pooled if i == len(slices) - 1 else None, i + 1, len(slices)) for i, s in enumerate(slices)]


class _Canvas:
    """Draws panels on one figure whose size is fixed in inches (x positions in inches from the left edge)."""

    def __init__(self, fig: Figure, width: float, height: float, text: ForestText, xlim: tuple[float, float], largest: float | None) -> None:
        self.fig, self.width, self.height, self.text, self.xlim, self.largest = fig, width, height, text, xlim, largest
        self.weights = largest is not None

    def fx(self, inches: float) -> float:
        return inches / self.width

    def fy(self, inches_from_top: float) -> float:
        return 1 - inches_from_top / self.height

    def title(self, top: float, text: str, page: str) -> None:
        """The title (bold, left) and "page 1 of 3" (right), `top` inches below the figure's top."""
        self.fig.text(self.fx(LABEL_X), self.fy(top + 0.3), text, fontsize=11, fontweight="bold", va="baseline")
        if page:
            self.fig.text(self.fx(self.width - 0.1), self.fy(top + 0.3), page, fontsize=FONT, ha="right", va="baseline", color="#555555")

    def panel(self, page: _Page, top: float) -> None:
        """One page's rows between an axis on top and one at the bottom, with headers, favours labels and text columns."""
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        bottom = top + HEADER + page.slots * ROW
        ax = self.fig.add_axes((self.fx(PLOT_LEFT), self.fy(bottom), self.fx(PLOT_RIGHT - PLOT_LEFT), (bottom - top - HEADER) / self.height))
        ax.set_xlim(*self.xlim)
        ax.set_ylim(page.slots - 0.7, -0.7)  # slot 0 at the top
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
        step = _tick_step(ax)
        decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 1
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: fixed(x, decimals)))
        ax.tick_params(axis="x", top=True, labeltop=True, bottom=True, labelbottom=True, labelsize=FONT - 0.5, length=3)
        ax.set_yticks([])
        for side in ("left", "right"):
            ax.spines[side].set_visible(False)
        for side in ("top", "bottom"):
            ax.spines[side].set_color("#666666")
        drawn = page.slots - 0.4 - (1.5 if page.pooled is not None and page.pooled.note else 0)  # not through the note
        if self.text.null is not None:
            ax.vlines(self.text.null, -0.7, drawn - 0.3, color=NULL_COLOUR, lw=0.8, ls="--", zorder=0)
        self._headers(ax)
        self._footer(ax)
        y = 0.0
        for row in page.rows:
            lines = _lines(row.label)
            centre = y + (lines - 1) / 2
            self._row(ax, row, y, centre)
            y += lines
        if page.pooled is not None:
            self._pooled(ax, page.pooled, y + 1)

    def _headers(self, ax: Axes) -> None:
        """Column headers above the top axis: study, the measure over the plot, weight, estimate [CI]."""
        header = {"xycoords": ("figure fraction", "axes fraction"), "textcoords": "offset points", "fontsize": FONT,
                  "fontweight": "bold", "va": "bottom"}  # fmt: skip
        ax.annotate("Study", xy=(self.fx(LABEL_X), 1), xytext=(0, 17), ha="left", **header)  # type: ignore[arg-type]
        ax.annotate(self.text.xlabel, xy=(self.fx((PLOT_LEFT + PLOT_RIGHT) / 2), 1), xytext=(0, 17), ha="center", **header)  # type: ignore[arg-type]
        if self.weights:
            ax.annotate("Weight", xy=(self.fx(WEIGHT_RIGHT), 1), xytext=(0, 17), ha="right", **header)  # type: ignore[arg-type]
        ax.annotate(self.text.ci_header, xy=(self.fx(self._ci_x()), 1), xytext=(0, 17), ha=self._ci_align(), **header)  # type: ignore[arg-type]

    def _footer(self, ax: Axes) -> None:
        """The axis label and, either side of the null line, the "favours" labels."""
        ax.set_xlabel(self.text.xlabel, fontsize=FONT, labelpad=3)
        if self.text.favours and self.text.null is not None:
            left, right = self.text.favours
            common = {"xycoords": ("data", "axes fraction"), "textcoords": "offset points", "fontsize": FONT - 0.5,
                      "va": "top", "color": "#333333", "style": "italic"}  # fmt: skip
            ax.annotate(f"\u2190 {left}", xy=(self.text.null, 0), xytext=(-4, -36), ha="right", **common)  # type: ignore[arg-type]
            ax.annotate(f"{right} \u2192", xy=(self.text.null, 0), xytext=(4, -36), ha="left", **common)  # type: ignore[arg-type]

    def _ci_x(self) -> float:
        if self._ci_align() == "right":
            return self.width - 0.1
        return CI_X if self.weights else PLOT_RIGHT + 0.3  # no weight column: the numbers follow the plot

    def _ci_align(self) -> str:
        return "left" if self.width > WIDTH else "right"  # a notes column follows the numbers: left-align both

    def _columns(self, ax: Axes, y: float, label: str, weight: str, ci: str, bold: bool = False) -> None:
        """The text of one row: label (left), weight and estimate [CI] (right of the plot)."""
        style = {"xycoords": ("figure fraction", "data"), "va": "center", "fontsize": FONT,
                 "fontweight": "bold" if bold else "normal"}  # fmt: skip
        if label:
            ax.annotate(label, xy=(self.fx(LABEL_X), y), ha="left", **style)  # type: ignore[arg-type]
        if weight:
            ax.annotate(weight, xy=(self.fx(WEIGHT_RIGHT), y), ha="right", **style)  # type: ignore[arg-type]
        if ci:
            ax.annotate(ci, xy=(self.fx(self._ci_x()), y), ha=self._ci_align(), **style)  # type: ignore[arg-type]

    def _row(self, ax: Axes, row: ForestRow, y: float, centre: float) -> None:
        """A square sized by weight over the CI line (hollow when no CI was reported), and its text."""
        size = 22.0 if not (row.weight and self.largest) else 4.0 + 60.0 * row.weight / self.largest
        if row.lower is not None and row.upper is not None:
            ax.plot([row.lower, row.upper], [y, y], color=ROW_COLOUR, lw=1.0, solid_capstyle="butt")
            ax.scatter([row.estimate], [y], s=size, marker="s", color=ROW_COLOUR, zorder=3, linewidths=0)
        else:
            ax.scatter([row.estimate], [y], s=size, marker="s", facecolor="white", edgecolor=ROW_COLOUR, zorder=3)
        ci = interval_text(row.estimate, row.lower, row.upper, self.text.decimals) + (f"  {row.note}" if row.note else "")
        weight = f"{100 * row.weight:.1f}%" if row.weight is not None else ""
        self._columns(ax, centre, row.label, weight, ci)

    def _pooled(self, ax: Axes, pooled: PooledRow, y: float) -> None:
        """The diamond over the pooled CI, the prediction interval under it, the note (heterogeneity) last."""
        from matplotlib.patches import Polygon

        d = self.text.decimals
        ax.axhline(y - 0.75, color="#bbbbbb", lw=0.6)
        diamond = [(pooled.lower, y), (pooled.estimate, y + 0.38), (pooled.upper, y), (pooled.estimate, y - 0.38)]
        ax.add_patch(Polygon(diamond, closed=True, color=POOLED_COLOUR, zorder=2))
        ax.vlines(pooled.estimate, -0.7, y + (1.4 if pooled.pi_lower is not None else 0.5), color=POOLED_COLOUR, lw=0.6, ls=":", zorder=0)
        self._columns(ax, y, pooled.label, "100%" if self.weights else "", interval_text(pooled.estimate, pooled.lower, pooled.upper, d), bold=True)
        if pooled.pi_lower is not None and pooled.pi_upper is not None:
            ax.plot([pooled.pi_lower, pooled.pi_upper], [y + 1, y + 1], color=PI_COLOUR, lw=3, solid_capstyle="butt", zorder=1)
            self._columns(ax, y + 1, "Prediction interval", "", f"[{fixed(pooled.pi_lower, d)}, {fixed(pooled.pi_upper, d)}]")
        if pooled.note:
            self._columns(ax, y + 2, pooled.note, "", "")


def _tick_step(ax: Axes) -> float:
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    return float(ticks[1] - ticks[0]) if len(ticks) > 1 else 0.0


def _figure(pages: Sequence[_Page], rows: Sequence[ForestRow], pooled: PooledRow | None, text: ForestText) -> Figure:
    """One figure holding the given pages one under another, each with its own axes and headers."""
    from matplotlib.figure import Figure

    width = WIDTH + (NOTE_WIDTH if any(r.note for r in rows) else 0.0)
    title_lines = _lines(text.title) if text.title else 0
    title_height = TITLE + 0.18 * (title_lines - 1) if title_lines else 0.1
    height = title_height + sum(p.height for p in pages) + GAP * (len(pages) - 1)
    fig = Figure(figsize=(width, height))  # no pyplot: safe in server threads
    weights = [r.weight for r in rows if r.weight]
    canvas = _Canvas(fig, width, height, text, _limits(rows, pooled, text.null), max(weights) if weights else None)
    of = pages[0].of
    canvas.title(0.18 * (title_lines - 1), text.title, f"page {pages[0].number} of {of}" if of > 1 and len(pages) == 1 else "")
    top = title_height
    for page in pages:
        if len(pages) > 1 and page.number > 1:
            fig.text(canvas.fx(LABEL_X), canvas.fy(top - 0.05), f"(continued, page {page.number} of {of})", fontsize=FONT, color="#555555")
        canvas.panel(page, top)
        top += page.height + GAP
    return fig


def forest_pages(
    rows: Sequence[ForestRow], pooled: PooledRow | None = None, text: ForestText | None = None, per_page: int = PER_PAGE
) -> list[Figure]:
    """One figure per page of at most per_page rows; each has the title, headers and both axes; the last the pooled rows."""
    if not rows and pooled is None:
        raise ValueError("a forest plot needs at least one row")
    text = text or ForestText()
    return [_figure([p], rows, pooled, text) for p in _pages(rows, pooled, per_page)]


def forest_figure(
    rows: Sequence[ForestRow],
    pooled: PooledRow | None = None,
    title: str = "",
    xlabel: str = "estimate",
    null: float | None = 0.0,
    text: ForestText | None = None,
    per_page: int = PER_PAGE,
) -> Figure:
    """The whole plot as one figure: the pages one under another, the axis repeated on top and bottom of each."""
    if not rows and pooled is None:
        raise ValueError("a forest plot needs at least one row")
    text = text or ForestText(title=title, xlabel=xlabel, null=null)
    return _figure(_pages(rows, pooled, per_page), rows, pooled, text)


def page_count(rows: int, per_page: int = PER_PAGE) -> int:
    """How many pages a plot of this many study rows takes."""
    return len(page_slices(rows, per_page))


def figure_bytes(fig: Figure, fmt: str = "svg", dpi: int = 200) -> bytes:
    """Render a figure to SVG, PNG or PDF bytes (SVG with text as text and without a date, so output is reproducible)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown picture format {fmt!r}; choose {', '.join(FORMATS)}")
    from matplotlib import rc_context

    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else None)
    with rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):  # SVG text stays text: searchable, selectable, smaller
        fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", pad_inches=0.15, metadata=metadata)
    return buffer.getvalue()


def pages_pdf(figures: Sequence[Figure]) -> bytes:
    """Several figures as one multi-page PDF (one page each)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    buffer = io.BytesIO()
    with rc_context({"pdf.fonttype": 42}), PdfPages(buffer, metadata={"CreationDate": None}) as pdf:
        for fig in figures:
            pdf.savefig(fig, bbox_inches="tight", pad_inches=0.15)
    return buffer.getvalue()


def forest_plot(
    rows: Sequence[ForestRow],
    pooled: PooledRow | None = None,
    title: str = "",
    xlabel: str = "estimate",
    null: float | None = 0.0,
    fmt: str = "svg",
    text: ForestText | None = None,
    page: int | None = None,
    per_page: int = PER_PAGE,
) -> bytes:
    """A forest plot as SVG (default), PNG or PDF bytes.

    PDF: one page per `per_page` rows. SVG/PNG: every page in one picture (axes repeated), or only `page` (1-based).
    """
    text = text or ForestText(title=title, xlabel=xlabel, null=null)
    if fmt == "pdf":
        return pages_pdf(forest_pages(rows, pooled, text, per_page))
    if page is not None:
        figures = forest_pages(rows, pooled, text, per_page)
        if not 1 <= page <= len(figures):
            raise InvalidInput(f"page {page}: the plot has {len(figures)} page(s)")
        return figure_bytes(figures[page - 1], fmt)
    return figure_bytes(forest_figure(rows, pooled, text=text, per_page=per_page), fmt)
