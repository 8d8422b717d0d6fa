"""A general forest plot (matplotlib, SVG or PNG): one row per estimate, optional pooled diamond and prediction interval."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported where drawing happens: number() stays cheap to import
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

ROW_COLOUR, POOLED_COLOUR, PI_COLOUR = "#333333", "#2166ac", "#7fa7d0"


@dataclass(frozen=True)
class ForestRow:
    """One estimate: a label (study or source), the estimate, its CI (None when not reported)."""

    label: str
    estimate: float
    lower: float | None = None
    upper: float | None = None
    weight: float | None = None  # relative marker area (e.g. inverse variance); None: default size
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
    note: str = ""


def number(value: float) -> str:
    """Two decimals, three when the third is given (0.10, 0.278)."""
    text = f"{value:.2f}" if round(value, 2) == value else f"{value:.3f}".rstrip("0")
    return "0.00" if text == "-0.00" else text


def interval_text(estimate: float, lower: float | None, upper: float | None) -> str:
    """`0.28 [0.26, 0.30]`, or `0.28 (no CI reported)` when the CI is missing."""
    if lower is None or upper is None:
        return f"{number(estimate)} (no CI reported)"
    return f"{number(estimate)} [{number(lower)}, {number(upper)}]"


def _limits(rows: Sequence[ForestRow], pooled: PooledRow | None, null: float | None) -> tuple[float, float]:
    """The x range covering every estimate, interval and the null line, with a margin."""
    values: list[float] = [] if null is None else [null]
    for row in rows:
        values += [v for v in (row.estimate, row.lower, row.upper) if v is not None]
    if pooled is not None:
        values += [v for v in (pooled.lower, pooled.upper, pooled.pi_lower, pooled.pi_upper) if v is not None]
    low, high = min(values), max(values)
    margin = max((high - low) * 0.08, 0.02)
    return low - margin, high + margin


def _draw_rows(ax: Axes, rows: Sequence[ForestRow], top: int) -> None:
    """Squares sized by weight over horizontal CI lines; hollow markers when no CI was reported."""
    weights = [r.weight for r in rows if r.weight]
    largest = max(weights) if weights else None
    for i, row in enumerate(rows):
        y = top - i
        size = 60.0 if not (row.weight and largest) else 30.0 + 150.0 * row.weight / largest
        if row.lower is not None and row.upper is not None:
            ax.plot([row.lower, row.upper], [y, y], color=ROW_COLOUR, lw=1.4, solid_capstyle="butt")
            ax.scatter([row.estimate], [y], s=size, marker="s", color=ROW_COLOUR, zorder=3)
        else:
            ax.scatter([row.estimate], [y], s=size, marker="s", facecolor="white", edgecolor=ROW_COLOUR, zorder=3)


def _draw_pooled(ax: Axes, pooled: PooledRow, y: float) -> None:
    """The pooled diamond and, when given, the prediction interval as a thick pale bar."""
    from matplotlib.patches import Polygon

    if pooled.pi_lower is not None and pooled.pi_upper is not None:
        ax.plot([pooled.pi_lower, pooled.pi_upper], [y, y], color=PI_COLOUR, lw=5, solid_capstyle="butt", zorder=1)
    diamond = [(pooled.lower, y), (pooled.estimate, y + 0.3), (pooled.upper, y), (pooled.estimate, y - 0.3)]
    ax.add_patch(Polygon(diamond, closed=True, color=POOLED_COLOUR, zorder=2))


def forest_figure(
    rows: Sequence[ForestRow],
    pooled: PooledRow | None = None,
    title: str = "",
    xlabel: str = "estimate",
    null: float | None = 0.0,
) -> Figure:
    """The forest plot as a matplotlib Figure (labels left, `estimate [CI]` and notes right)."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    if not rows and pooled is None:
        raise ValueError("a forest plot needs at least one row")
    n = len(rows) + (2 if pooled is not None else 0)
    fig = Figure(figsize=(10, 1.4 + 0.45 * n))  # no pyplot: safe in server threads
    ax = fig.subplots()
    top = n - 1
    _draw_rows(ax, rows, top)
    labels = [r.label for r in rows]
    texts = [interval_text(r.estimate, r.lower, r.upper) + (f"  {r.note}" if r.note else "") for r in rows]
    if pooled is not None:
        _draw_pooled(ax, pooled, 0)
        labels += ["", pooled.label]
        pooled_text = interval_text(pooled.estimate, pooled.lower, pooled.upper)
        if pooled.pi_lower is not None and pooled.pi_upper is not None:
            pooled_text += f"  PI [{number(pooled.pi_lower)}, {number(pooled.pi_upper)}]"
        texts += ["", pooled_text + (f"  {pooled.note}" if pooled.note else "")]
    low, high = _limits(rows, pooled, null)
    ax.set_xlim(low, high)
    ax.set_ylim(-0.8, top + 0.8)
    ax.set_yticks(range(top, top - len(labels), -1), labels)
    for y, text in zip(range(top, top - len(texts), -1), texts):
        ax.annotate(text, xy=(1.02, y), xycoords=("axes fraction", "data"), va="center", fontsize=9)
    if null is not None:
        ax.axvline(null, color="#999999", lw=0.8, ls="--", zorder=0)
    ax.set_xlabel(xlabel)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    if pooled is not None and pooled.pi_lower is not None:
        handles = [Line2D([], [], color=PI_COLOUR, lw=5, label="prediction interval")]
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, -0.02), frameon=False, fontsize=8)
    fig.tight_layout()
    fig.subplots_adjust(right=0.62)
    return fig


def figure_bytes(fig: Figure, fmt: str = "svg", dpi: int = 200) -> bytes:
    """Render a figure to SVG or PNG bytes (SVG with text as text and without a date, so output is reproducible)."""
    if fmt not in {"svg", "png"}:
        raise ValueError(f"unknown picture format {fmt!r}; choose svg or png")
    from matplotlib import rc_context

    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else None
    with rc_context({"svg.fonttype": "none"}):  # SVG text stays text: searchable, selectable, smaller
        fig.savefig(buffer, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
    return buffer.getvalue()


def forest_plot(
    rows: Sequence[ForestRow],
    pooled: PooledRow | None = None,
    title: str = "",
    xlabel: str = "estimate",
    null: float | None = 0.0,
    fmt: str = "svg",
) -> bytes:
    """A forest plot as SVG (default) or PNG bytes."""
    return figure_bytes(forest_figure(rows, pooled, title, xlabel, null), fmt)
