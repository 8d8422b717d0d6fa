"""A funnel plot (matplotlib SVG or PNG): each study's effect against its standard error, the pooled line, the pseudo-CI funnel."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from evidencekg.meta.forest import POOLED_COLOUR, ROW_COLOUR, fixed

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def funnel_figure(
    effects: Sequence[float], ses: Sequence[float], centre: float, level: float = 0.95, xlabel: str = "effect", title: str = ""
) -> Figure:
    """Effects (x) against standard errors (y, 0 at the top); the pooled estimate and its pseudo confidence funnel."""
    from matplotlib.figure import Figure
    from scipy import stats

    crit = float(stats.norm.ppf(1 - (1 - level) / 2))
    top = max(ses) * 1.08 if ses else 1.0
    fig = Figure(figsize=(6.4, 5.0))
    ax = fig.subplots()
    ax.fill([centre - crit * top, centre, centre + crit * top], [top, 0, top], color="#eef3f9", zorder=0, lw=0)
    ax.plot([centre - crit * top, centre, centre + crit * top], [top, 0, top], color="#7f8c99", lw=0.8, ls="--",
            label=f"pseudo {level:.0%} CI")  # fmt: skip
    ax.axvline(centre, color=POOLED_COLOUR, lw=1.2, label=f"pooled estimate {fixed(centre, 2)}")
    ax.scatter(effects, ses, s=16, color=ROW_COLOUR, alpha=0.8, zorder=3, linewidths=0, label=f"studies (k = {len(effects)})")
    ax.set_ylim(top, 0)
    low = min([*effects, centre - crit * top])
    high = max([*effects, centre + crit * top])
    pad = (high - low) * 0.05
    ax.set_xlim(low - pad, high + pad)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("standard error")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.legend(loc="upper right", frameon=False, fontsize=8)
    fig.tight_layout()
    return fig
