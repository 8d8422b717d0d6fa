"""The /meta page's "more analyses": small-study checks, influence, outliers removed, three-level model, subgroups."""

from __future__ import annotations

from dataclasses import dataclass

from evidencekg.meta.analysis import Analysis
from evidencekg.meta.forest import fixed
from evidencekg.meta.report import p_apa


@dataclass(frozen=True)
class Line:
    """One analysis in a sentence: its key (for tests and links), its name and what it found."""

    key: str
    name: str
    text: str


@dataclass(frozen=True)
class SubgroupRow:
    """One level of a subgroup analysis as a table row."""

    value: str
    k: int
    estimate: str
    ci: str
    tau2: str


def more_lines(analysis: Analysis) -> list[Line]:
    """The extra analyses in words (empty when they were not asked for)."""
    more, back, p = analysis.more, analysis.back, analysis.pair.pooled
    if more is None:
        return []

    def interval(estimate: float, lower: float, upper: float) -> str:
        return f"{fixed(back(estimate), 2)} [{fixed(back(lower), 2)}, {fixed(back(upper), 2)}]"

    lines = []
    if more.bias is not None:
        b = more.bias
        if b.egger is not None:
            stat = "z" if b.egger.df is None else f"t({b.egger.df})"
            lines.append(Line("egger", "Egger's regression test (regtest)", f"{stat} = {b.egger.z:.2f}, {p_apa(b.egger.p)}; "
                              f"limit estimate {fixed(back(b.egger.limit_estimate), 2)}"))  # fmt: skip
        if b.ranktest is not None:
            lines.append(Line("ranktest", "Rank correlation test (ranktest)", f"Kendall's \u03c4 = {b.ranktest.tau:.3f}, {p_apa(b.ranktest.p)}"))
        if b.trimfill is not None:
            tf = b.trimfill
            lines.append(Line("trimfill", "Trim-and-fill (L0)", f"{tf.k0} studies filled on the {tf.side}; with them "
                              f"{interval(tf.pooled.estimate, tf.pooled.ci_lower, tf.pooled.ci_upper)}, k = {tf.pooled.k}"))  # fmt: skip
        lines.append(Line("fsn", "Rosenthal's fail-safe N (not a test of bias)", f"{b.fail_safe_n.n:.0f}"))
    if more.outliers is not None:
        o = more.outliers
        if o.pooled is None:
            lines.append(Line("outliers", "Outliers removed (study CI outside the pooled CI)", "none" if not o.removed else ", ".join(o.removed)))
        else:
            lines.append(Line("outliers", "Outliers removed (study CI outside the pooled CI)",
                              f"{len(o.removed)} removed ({', '.join(o.removed[:6])}{' ...' if len(o.removed) > 6 else ''}); "
                              f"without them {interval(o.pooled.estimate, o.pooled.ci_lower, o.pooled.ci_upper)}, k = {o.pooled.k}"))  # fmt: skip
    if more.influence:
        flagged = [r.label for r in more.influence if r.influential]
        lines.append(Line("influence", "Influential studies (influence())", ", ".join(flagged) if flagged else "none"))
    if more.three_level is not None:
        m = more.three_level
        robust = "" if more.robust is None else f"; cluster-robust CI [{fixed(back(more.robust.ci_lower), 2)}, {fixed(back(more.robust.ci_upper), 2)}]"
        lines.append(Line("three-level", "Three-level model (every comparison, nested in its study)",
                          f"{interval(m.estimate, m.ci_lower, m.ci_upper)}, k = {m.k} in {m.clusters} studies; "
                          f"\u03c3\u00b2 between {m.sigma2[0]:.3f}, within {m.sigma2[1]:.3f}{robust}"))  # fmt: skip
    if more.subgroups is not None:
        s = more.subgroups
        lines.append(Line("q-between", f"Subgroup difference by {s.by}",
                          f"Q-between({s.q_between_df}) = {s.q_between:.2f}, {p_apa(s.q_between_p)} (each level its own \u03c4\u00b2); "
                          f"QM = {s.regression.fit.qm:.2f} (one \u03c4\u00b2)"))  # fmt: skip
    if more.regression is not None:
        f = more.regression.fit
        coefs = "; ".join(f"{c.name} {c.estimate:.3f} [{c.ci_lower:.3f}, {c.ci_upper:.3f}]" for c in f.coefficients)
        lines.append(Line("meta-regression", f"Meta-regression on {', '.join(more.regression.moderators)}",
                          f"{coefs}; QM = {f.qm:.2f}, {p_apa(f.qm_p or 1.0)}; R\u00b2 = {f.r2 or 0:.1f}%, k = {f.k}"))  # fmt: skip
    del p
    return lines


def subgroup_rows(analysis: Analysis) -> list[SubgroupRow]:
    """One row per level of the chosen characteristic."""
    if analysis.more is None or analysis.more.subgroups is None:
        return []
    back = analysis.back
    return [SubgroupRow(g.value, g.pooled.k, fixed(back(g.pooled.estimate), 2),
                        f"[{fixed(back(g.pooled.ci_lower), 2)}, {fixed(back(g.pooled.ci_upper), 2)}]", f"{g.pooled.tau2:.3f}")
            for g in analysis.more.subgroups.groups]  # fmt: skip
