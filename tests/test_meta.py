"""Pooling against metafor's documented dat.bcg results, statsmodels and PyMARE; the `meta pool` CLI contract."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import httpx
import numpy as np
import pytest
from pymare import Dataset
from pymare.estimators import DerSimonianLaird, VarianceBasedLikelihoodEstimator
from statsmodels.stats.meta_analysis import combine_effects
from typer.testing import CliRunner

from evidencekg.cli import app
from evidencekg.meta.pooling import pool, pool_correlations, tau2_estimate, typical_variance
from evidencekg.meta.sensitivity import cumulative, leave_one_out

# dat.bcg (Colditz et al. 1994, as shipped with metafor): tpos, tneg, cpos, cneg per trial.
BCG = [(4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
       (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
       (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
       (27, 16886, 29, 17825)]  # fmt: skip


def bcg_log_rr() -> tuple[list[float], list[float]]:
    """escalc(measure="RR") on dat.bcg: log risk ratios and their sampling variances."""
    yi = [math.log((a / (a + b)) / (c / (c + d))) for a, b, c, d in BCG]
    vi = [1 / a - 1 / (a + b) + 1 / c - 1 / (c + d) for a, b, c, d in BCG]
    return yi, vi


def test_bcg_reml_matches_metafor_documentation() -> None:
    """rma(yi, vi, data=dat.bcg): estimate -0.7145, se 0.1798, tau2 0.3132, I2 92.22%, Q 152.2330 (df 12)."""
    p = pool(*bcg_log_rr(), method="REML")
    assert round(p.estimate, 4) == -0.7145
    assert round(p.se, 4) == 0.1798
    assert round(p.tau2, 4) == 0.3132
    assert round(p.i2, 2) == 92.22
    assert round(p.q, 4) == 152.2330 and p.q_df == 12
    assert (round(p.ci_lower, 4), round(p.ci_upper, 4)) == (-1.0669, -0.3622)
    assert (round(p.pi_lower, 4), round(p.pi_upper, 4)) == (-1.8667, 0.4376)


def test_bcg_other_estimators_match_metafor_documentation() -> None:
    """DL tau2 0.3088 (estimate -0.7141), ML tau2 0.2800, FE estimate -0.4303 (se 0.0405)."""
    yi, vi = bcg_log_rr()
    assert round(pool(yi, vi, "DL").tau2, 4) == 0.3088 and round(pool(yi, vi, "DL").estimate, 4) == -0.7141
    assert round(pool(yi, vi, "ML").tau2, 4) == 0.2800
    fe = pool(yi, vi, "FE")
    assert (round(fe.estimate, 4), round(fe.se, 4), fe.tau2) == (-0.4303, 0.0405, 0.0)
    assert fe.i2 == pytest.approx(max(0.0, (fe.q - 12) / fe.q) * 100)


RNG = np.random.default_rng(20240531)
DATASETS = {
    "bcg": bcg_log_rr(),
    "heterogeneous": (list(RNG.normal(0.3, 0.4, 20)), list(RNG.uniform(0.01, 0.1, 20))),
    "homogeneous (Q < df)": ([0.30, 0.31, 0.29, 0.305, 0.30, 0.295], [0.04, 0.05, 0.03, 0.06, 0.05, 0.04]),
    "k = 2": ([0.1, 0.6], [0.02, 0.03]),
    "correlations (Fisher z)": (
        [math.atanh(r) for r in (0.12, 0.35, 0.22, -0.05, 0.41, 0.18, 0.29)],
        [1 / (n - 3) for n in (40, 120, 65, 88, 51, 300, 77)],
    ),
}


# Our pooling must not warn; statsmodels' combine_effects takes the square root of its negative
# untruncated DL tau2 on the Q < df data set (peer library noise, not ours): only that is ignored.
@pytest.mark.filterwarnings(
    "error::RuntimeWarning",
    r"ignore:invalid value encountered in sqrt:RuntimeWarning:statsmodels\.stats\.meta_analysis",
)
@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(("method", "method_re"), [("DL", "chi2"), ("PM", "iterated")])
def test_agrees_with_statsmodels(name: str, method: str, method_re: str) -> None:
    """Estimate, se, CI, tau2, Q and (for DL) I2 agree with statsmodels' combine_effects to 1e-4."""
    yi, vi = DATASETS[name]
    ours = pool(yi, vi, method)
    ref = combine_effects(np.array(yi), np.array(vi), method_re=method_re)
    frame = ref.summary_frame(use_t=False)
    if ref.tau2 < 0:  # statsmodels leaves DL's tau2 untruncated; metafor truncates to 0, i.e. the FE model
        assert ours.tau2 == 0.0
        assert (ours.estimate, ours.se) == (pytest.approx(ref.mean_effect_fe, abs=1e-4), pytest.approx(ref.sd_eff_w_fe, abs=1e-4))
        lower, upper = frame.loc["fixed effect", ["ci_low", "ci_upp"]]
    else:
        assert ours.tau2 == pytest.approx(ref.tau2, abs=1e-4)
        assert ours.estimate == pytest.approx(ref.mean_effect_re, abs=1e-4)
        assert ours.se == pytest.approx(ref.sd_eff_w_re, abs=1e-4)
        lower, upper = frame.loc["random effect", ["ci_low", "ci_upp"]]
    assert (ours.ci_lower, ours.ci_upper) == (pytest.approx(lower, abs=1e-4), pytest.approx(upper, abs=1e-4))
    assert ours.q == pytest.approx(ref.q, abs=1e-4)
    if method == "DL":  # metafor's tau2-based I2 equals (Q - df)/Q exactly for DL
        assert ours.i2 == pytest.approx(max(0.0, ref.i2) * 100, abs=1e-4)


@pytest.mark.parametrize("name", DATASETS)
def test_reml_and_dl_agree_with_pymare(name: str) -> None:
    """REML (our Fisher scoring vs PyMARE's likelihood optimiser) and DL: tau2 and estimate agree.

    (PyMARE's standard errors use the Knapp-Hartung correction, metafor's default does not: se is
    checked against statsmodels above.)
    """
    yi, vi = DATASETS[name]
    data = Dataset(y=np.array(yi), v=np.array(vi))
    for ours, est in ((pool(yi, vi, "REML"), VarianceBasedLikelihoodEstimator(method="REML")), (pool(yi, vi, "DL"), DerSimonianLaird())):
        fitted = est.fit_dataset(data).summary()
        assert ours.tau2 == pytest.approx(float(np.ravel(fitted.tau2)[0]), abs=1e-4)
        stats = fitted.get_fe_stats()
        assert ours.estimate == pytest.approx(float(np.ravel(stats["est"])[0]), abs=1e-4)


def test_homogeneous_data_truncate_tau2_at_zero() -> None:
    yi, vi = DATASETS["homogeneous (Q < df)"]
    for method in ("REML", "DL", "PM", "ML", "HE"):
        p = pool(yi, vi, method)
        assert p.q < p.q_df and p.tau2 == 0.0 and p.i2 == 0.0, method
        assert p.estimate == pytest.approx(pool(yi, vi, "FE").estimate)


def test_single_study_is_its_own_estimate() -> None:
    p = pool([0.4], [0.09], "REML")
    assert (p.k, p.estimate, p.se, p.tau2, p.q, p.q_df) == (1, 0.4, pytest.approx(0.3), 0.0, 0.0, 0)


def test_i2_uses_metafors_typical_variance() -> None:
    yi, vi = DATASETS["heterogeneous"]
    p = pool(yi, vi, "REML")
    w = 1 / np.array(vi)
    s2 = (len(vi) - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum())
    assert typical_variance(np.array(vi)) == pytest.approx(s2)
    assert p.i2 == pytest.approx(100 * p.tau2 / (p.tau2 + s2))


def test_sj_and_he_follow_their_definitions() -> None:
    yi, vi = (np.array(x) for x in DATASETS["heterogeneous"])
    assert tau2_estimate(yi, vi, "HE") == pytest.approx(max(0.0, yi.var(ddof=1) - vi.mean()))
    t0 = yi.var(ddof=0)
    w = 1 / (vi + t0)
    mu = (w * yi).sum() / w.sum()
    assert tau2_estimate(yi, vi, "SJ") == pytest.approx(t0 * (w * (yi - mu) ** 2).sum() / (len(yi) - 1))


def test_leave_one_out_and_cumulative_repool_the_right_subsets() -> None:
    yi, vi = DATASETS["heterogeneous"]
    labels = [f"s{i}" for i in range(len(yi))]
    loo = leave_one_out(labels, yi, vi, "DL")
    assert len(loo) == len(yi)
    ref = combine_effects(np.array(yi[1:]), np.array(vi[1:]), method_re="chi2")
    assert loo[0].label == "s0" and loo[0].pooled.estimate == pytest.approx(ref.mean_effect_re, abs=1e-10)
    years = [2000 + (i * 7) % 13 for i in range(len(yi))]
    steps = cumulative(labels, years, yi, vi, "DL")
    assert [s.pooled.k for s in steps] == list(range(1, len(yi) + 1))
    assert steps[-1].pooled.estimate == pytest.approx(pool(yi, vi, "DL").estimate)
    assert steps[0].label == labels[years.index(min(years))]


runner = CliRunner()
KEYS_R = ["k", "method", "r", "r_ci_lower", "r_ci_upper", "z", "se", "tau2", "i2", "q", "q_df", "q_p", "r_pi_lower", "r_pi_upper"]


def test_cli_pool_correlations_json_keys_and_values(tmp_path: Path) -> None:
    rs, ns = [0.12, 0.35, 0.22, -0.05, 0.41], [40, 120, 65, 88, 51]
    sheet = tmp_path / "r.csv"
    sheet.write_text("study,n,r,ignored\n" + "".join(f"s{i},{n},{r},x\n" for i, (n, r) in enumerate(zip(ns, rs))))
    result = runner.invoke(app, ["meta", "pool", str(sheet), "--method", "DL", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out)[: len(KEYS_R)] == KEYS_R  # today's keys first, then test, df, zval, pval, z-scale and tau2/I2 CIs
    ref = combine_effects(np.arctanh(rs), 1 / (np.array(ns) - 3), method_re="chi2")
    assert out["z"] == pytest.approx(ref.mean_effect_re, abs=1e-6)
    assert out["r"] == pytest.approx(math.tanh(ref.mean_effect_re), abs=1e-6)
    assert out["i2"] == pytest.approx(max(0, ref.i2) * 100, abs=1e-6)
    assert out == pytest.approx(json.loads(json.dumps(_summary(rs, ns))))


def _summary(rs: list[float], ns: list[int]) -> dict[str, object]:
    from evidencekg.meta.pooling import correlation_summary

    return correlation_summary(pool_correlations(rs, ns, "DL", confint=True))


@pytest.mark.parametrize(
    ("header", "rows", "keys"),
    [
        ("study,yi,vi", "a,0.2,0.01\nb,0.5,0.02\nc,0.1,0.015\n", "yi"),
        ("study,g,g_se", "a,0.2,0.1\nb,0.5,0.14\nc,0.1,0.12\n", "g"),
        ('"";"study";".g";".g_se"', '"1";"a";0,2;0,1\n"2";"b";0,5;0,14\n"3";"c";0,1;0,12\n', ".g"),
    ],
)
def test_cli_pool_effects_with_variance_or_se(tmp_path: Path, header: str, rows: str, keys: str) -> None:
    sheet = tmp_path / "e.csv"
    sheet.write_text(header + "\n" + rows)
    out = json.loads(runner.invoke(app, ["meta", "pool", str(sheet), "--method", "PM"]).stdout)
    assert list(out)[:13] == ["k", "method", "estimate", "se", "ci_lower", "ci_upper", "tau2", "i2", "q", "q_df", "q_p", "pi_lower", "pi_upper"]
    ref = combine_effects(np.array([0.2, 0.5, 0.1]), np.array([0.01, 0.02, 0.015]) if keys == "yi" else np.array([0.1, 0.14, 0.12]) ** 2, method_re="iterated")
    assert out["estimate"] == pytest.approx(ref.mean_effect_re, abs=1e-4)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("a,50,0.2\nb,3,0.3\n", "row 2, column 'n'"),
        ("a,50,0.2\nb,40,1.0\n", "row 2, column 'r'"),
        ("a,50,0.2\nb,40,-1.2\n", "row 2, column 'r'"),
        ("a,50,\nb,40,0.1\n", "row 1, column 'r': is missing"),
        ("a,,0.3\nb,40,0.1\n", "row 1, column 'n': is missing"),
        ("a,fifty,0.3\n", "row 1, column 'n': 'fifty' is not a number"),
    ],
)
def test_cli_pool_rejects_bad_rows_naming_them(tmp_path: Path, rows: str, expected: str) -> None:
    sheet = tmp_path / "bad.csv"
    sheet.write_text("study,n,r\n" + rows)
    result = runner.invoke(app, ["meta", "pool", str(sheet)])
    assert result.exit_code == 2
    assert expected in result.stderr


def test_cli_pool_rejects_unknown_method_and_missing_columns(tmp_path: Path) -> None:
    sheet = tmp_path / "x.csv"
    sheet.write_text("study,est\na,1\n")
    assert "need columns" in runner.invoke(app, ["meta", "pool", str(sheet)]).stderr
    assert "--method" in runner.invoke(app, ["meta", "pool", str(sheet), "--method", "XX"]).stderr


# --- table output: what a researcher reads ----------------------------------------------------


def table_rows(output: str) -> dict[str, str]:
    """The statistic -> value cells of a two-column rich table."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.split("\u2502")[1:-1]]
        if len(cells) == 2 and cells[0]:
            rows[cells[0]] = cells[1]
    return rows


def test_measure_names_for_display() -> None:
    from evidencekg.model.measures import measure_name
    from evidencekg.model.namespaces import HEDGES_G, PEARSON_R

    assert (measure_name(str(PEARSON_R)), measure_name(str(HEDGES_G), None)) == ("Pearson's r", "Hedges' g")
    assert measure_name("http://purl.obolibrary.org/obo/STATO_0000100") == "obo:STATO_0000100"  # no label: a CURIE, not the IRI
    assert measure_name("http://example.org/or", "odds ratio") == "odds ratio"


def test_table_bounds_tiny_p_values_and_adds_the_z_test_p(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    yi, vi = [0.0, 1.0, 2.0, 3.0, 0.5], [0.01, 0.02, 0.01, 0.015, 0.01]  # Q is huge: its p underflows 1e-4
    sheet = tmp_path / "e.csv"
    sheet.write_text("study,yi,vi\n" + "".join(f"s{i},{y},{v}\n" for i, (y, v) in enumerate(zip(yi, vi))))
    as_json = json.loads(runner.invoke(app, ["meta", "pool", str(sheet), "--format", "json"]).stdout)
    assert 0 <= as_json["q_p"] < 1e-4 and as_json["pval"] == pool(yi, vi, "REML").pval  # JSON keeps the numbers
    table = runner.invoke(app, ["meta", "pool", str(sheet), "--format", "table"])
    assert table.exit_code == 0, table.output
    rows = table_rows(table.stdout)
    assert rows["q_p"] == "< 0.0001" and "0.0000" not in table.stdout
    expected = pool(yi, vi, "REML")
    assert rows["pval"] == ("< 0.0001" if expected.pval < 1e-4 else f"{expected.pval:.4f}")
    assert rows["estimate"] == f"{expected.estimate:.4f}"
    assert "test of the pooled estimate (metafor's pval: z" in table.stdout


def test_table_pval_is_metafors_z_test(tmp_path: Path) -> None:
    from scipy import stats

    rs, ns = [0.12, 0.35, 0.22, -0.05, 0.41], [40, 120, 65, 88, 51]
    sheet = tmp_path / "r.csv"
    sheet.write_text("study,n,r\n" + "".join(f"s{i},{n},{r}\n" for i, (n, r) in enumerate(zip(ns, rs))))
    rows = table_rows(runner.invoke(app, ["meta", "pool", str(sheet), "--method", "DL", "--format", "table"]).stdout)
    ref = combine_effects(np.arctanh(rs), 1 / (np.array(ns) - 3), method_re="chi2")
    p = 2 * stats.norm.sf(abs(ref.mean_effect_re / ref.sd_eff_w_re))
    assert float(rows["pval"]) == pytest.approx(p, abs=1e-4) and 1e-4 < p < 0.05


def test_pool_warns_when_construct_columns_hold_several_pairs(tmp_path: Path) -> None:
    header = "study,n,r,construct_a,construct_b\n"
    two = tmp_path / "two.csv"
    two.write_text(header + "s1,50,0.1,attachment-anxiety,therapeutic-alliance\ns2,60,-0.2,attachment-avoidance,therapeutic-alliance\n"
                   "s3,70,0.05,therapeutic-alliance,attachment-anxiety\n")  # fmt: skip
    result = runner.invoke(app, ["meta", "pool", str(two)])
    assert result.exit_code == 0 and json.loads(result.stdout)["k"] == 3  # warned, not refused: every row pooled
    assert "2 construct pairs" in result.stderr  # anxiety/alliance written both ways is one pair
    assert "attachment-anxiety / therapeutic-alliance" in result.stderr and "attachment-avoidance / therapeutic-alliance" in result.stderr
    assert "meta pair" in result.stderr
    one = tmp_path / "one.csv"
    one.write_text(header + "s1,50,0.1,attachment-anxiety,therapeutic-alliance\ns2,60,-0.2,attachment-anxiety,therapeutic-alliance\n")
    assert runner.invoke(app, ["meta", "pool", str(one)]).stderr == ""


SHEET = ("study,authors,year,title,doi,n,r,construct_a,construct_b,rater\n"
         "s1,Alpha A.,2010,One,10.1234/one,80,-0.12,attachment-anxiety,therapeutic-alliance,patient\n"
         "s1,Alpha A.,2010,One,10.1234/one,80,-0.02,attachment-anxiety,therapeutic-alliance,therapist\n"
         "s2,Beta B.,2015,Two,10.1234/two,150,-0.05,attachment-anxiety,therapeutic-alliance,patient\n"
         "s3,Gamma C.,2020,Three,10.1234/three,60,-0.20,attachment-anxiety,therapeutic-alliance,observer\n")  # fmt: skip


@pytest.fixture(scope="module")
def sheet_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store with the shipped evidence and a 3-study sheet (study s1 with two effects)."""
    folder = tmp_path_factory.mktemp("meta-store")
    file = folder / "three-studies.csv"
    file.write_text(SHEET)
    assert runner.invoke(app, ["load", "--store", str(folder / "store")]).exit_code == 0
    result = runner.invoke(app, ["ingest", str(file), "--format", "sheet", "--store", str(folder / "store")])
    assert result.exit_code == 0, result.output
    return folder / "store"


def test_pair_table_names_the_measure_explains_aggregation_and_prints_whole_iris(sheet_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    pair = ["meta", "pair", "attachment-anxiety", "therapeutic-alliance", "--store", str(sheet_store)]
    as_json = json.loads(runner.invoke(app, pair).stdout)
    assert as_json["effect_size_measure"].endswith("STATO_0000280") and as_json["effect_size_measure_name"] == "Pearson's r"
    result = runner.invoke(app, [*pair, "--format", "table", "--save"])
    assert result.exit_code == 0, result.output
    rows = table_rows(result.stdout)
    assert rows["effect_size_measure"] == "Pearson's r" and "STATO" not in result.stdout
    assert rows["k"] == "3" and rows["within_study_rho"] == "0.6000"  # Metapsy's default
    assert "1 of 3 studies had several effects" in result.stdout and "rho = 0.6" in result.stdout
    assert "inverse-variance weighted mean" in result.stdout and "per study" in result.stdout  # no arms named here
    assert rows["derived_finding"].startswith("https://w3id.org/evidencekg/id/finding/pooled-attachment-anxiety-therapeutic-alliance-reml-")
    assert "\u2026" not in result.stdout  # nothing cut off, at the 120 columns used when stdout is not a terminal
    assert max(len(line) for line in result.stdout.splitlines()) <= 120
    monkeypatch.setenv("COLUMNS", "80")
    narrow = runner.invoke(app, [*pair, "--format", "table"])
    assert "\u2026" not in narrow.stdout and max(len(line) for line in narrow.stdout.splitlines()) <= 80


def test_history_table_is_readable_in_120_columns(sheet_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    result = runner.invoke(app, ["meta", "history", "attachment-anxiety", "therapeutic-alliance", "--store", str(sheet_store), "--format", "table"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 120 and "\u2026" not in result.stdout
    diener = next(line for line in lines if "Diener & Monroe 2011" in line)
    assert "attachment security" in diener and "0.17 [0.10, 0.23]" in diener and "related pair" in diener
    notsu = next(line for line in lines if "Notsu et al. 2024" in line and "anxiety" in line)
    assert "-0.09 [-0.15, -0.03]" in notsu and "related pair" not in notsu
    full = json.loads(runner.invoke(app, ["meta", "history", "attachment-anxiety", "therapeutic-alliance", "--store", str(sheet_store), "--format", "json"]).stdout)
    assert {r["source"] for r in full if r["citation"]} >= {"Diener & Monroe 2011", "Notsu et al. 2024"}
    assert any(r["citation"].startswith("Notsu, H., Blansfield, R. E.") for r in full if r["citation"])


HETEROGENEOUS_SHEET = (
    "study,authors,year,title,doi,n,r,construct_a,construct_b,rater\n"
    "h1,Alpha A.,2010,One,10.1234/h-one,2000,-0.30,attachment-anxiety,therapeutic-alliance,patient\n"
    "h2,Beta B.,2015,Two,10.1234/h-two,2000,0.00,attachment-anxiety,therapeutic-alliance,patient\n"
)  # fmt: skip


def test_saved_tiny_q_p_value_is_stored_faithfully_and_shown_below_0_0001(tmp_path: Path) -> None:
    """Two large studies that disagree: Cochran's Q p is about 1e-22; stored as that number, shown as "< 0.0001", never 0."""
    from evidencekg.evidence.ingest import ingest
    from evidencekg.load.shipped import shipped_store
    from evidencekg.meta.pairs import pool_pair, save_derived
    from evidencekg.settings import get_settings
    from tests._server import live_server, memory_app

    settings = get_settings(var_dir=tmp_path / "var", store_path=None, memory=False, endpoint=None)
    store = shipped_store(settings)
    ingest(store, HETEROGENEOUS_SHEET.encode(), "sheet", name="heterogeneous", settings=settings)
    result = pool_pair(store, "attachment-anxiety", "therapeutic-alliance", "DL")
    assert result.pooled.k == 2 and 0 < result.pooled.q_p < 1e-15
    iri = save_derived(store, result, settings)
    rows = list(store.select(
        "PREFIX ekg: <https://w3id.org/evidencekg/ontology#> "
        f"SELECT ?q WHERE {{ <{iri}> ekg:hasHeterogeneity/ekg:qPValue ?q }}"))  # fmt: skip
    assert len(rows) == 1
    assert float(rows[0]["q"].value) == pytest.approx(result.pooled.q_p, rel=1e-9, abs=0)
    with live_server(memory_app(store)) as base:
        page = httpx.get(base + "/id/finding/" + iri.rsplit("/", 1)[-1], timeout=30).text
    shown = re.search(r">Q p-value</a></td><td>(.*?)</td>", page)
    assert shown is not None, "the finding page shows no Q p-value row"
    assert shown.group(1).strip() == "&lt; 0.0001"


def test_pool_warns_about_ambiguous_columns_duplicate_labels_and_extreme_variances(tmp_path: Path) -> None:
    """Both n,r and yi,vi: r is pooled and the file is named; duplicate labels and a variance ratio >= 1e7 warn like metafor."""
    both = tmp_path / "both.csv"
    both.write_text("study,N,R,yi,vi\na,50,0.2,0.9,0.01\na,60,0.3,0.8,0.02\nc,70,0.1,0.7,0.03\n")
    result = runner.invoke(app, ["meta", "pool", str(both)])
    assert result.exit_code == 0, result.output
    assert "both n,r and yi,vi" in result.stderr and "duplicate study labels: a (2 rows)" in result.stderr
    assert json.loads(result.stdout)["r"] == pytest.approx(math.tanh(pool_correlations([0.2, 0.3, 0.1], [50, 60, 70]).estimate))
    extreme = tmp_path / "extreme.csv"
    extreme.write_text("study,yi,vi\na,0.1,1e-9\nb,0.2,0.5\nc,0.3,0.1\n")
    assert "ratio of the largest to the smallest sampling variance" in runner.invoke(app, ["meta", "pool", str(extreme)]).stderr
