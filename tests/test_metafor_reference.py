"""Every statistic of evidencekg.meta against metafor itself, run through Rscript in the test (skips without Rscript).

The data come from metafor's own datasets (dat.bcg log risk ratios, dat.mcdaniel1994 correlations as
Fisher's z, dat.normand1999 standardized mean differences) and from the Metapsy depression database
(CBT vs waitlist, skipped without ../shared). R computes both the effect sizes and the reference
results; Python pools R's yi and vi and must agree to 1e-4 (I2 to 0.01 points).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidencekg.cli import app
from evidencekg.meta.bias import bias
from evidencekg.meta.influence import influence
from evidencekg.meta.moderators import meta_regression, subgroups
from evidencekg.meta.multilevel import aggregate, robust, three_level
from evidencekg.meta.pooling import METHODS, pool
from evidencekg.store.embedded import OxigraphStore
from tests._metafor import run_r

TOL, I2_TOL = 1e-4, 0.01

DATASETS_R = r"""
dats <- list(
  bcg = escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg),
  mcdaniel1994 = escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.mcdaniel1994),
  normand1999 = escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                       data = dat.normand1999)
)
metapsy <- Sys.getenv("METAPSY_CSV")
if (nzchar(metapsy)) {
  d <- read.csv2(metapsy)
  d <- d[d$condition_arm1 == "cbt" & d$condition_arm2 == "wl" & !is.na(d$.g) & !is.na(d$.g_se), ]
  dats$metapsy_cbt_wl <- data.frame(study = d$study, yi = d$.g, vi = d$.g_se^2, rob = d$rob, format = d$format,
                                    year = d$year, es_id = seq_len(nrow(d)))
}
"""

POOLING_R = DATASETS_R + r"""
# metafor stops PM / uniroot at tol 1.2e-4 and Fisher scoring at 1e-5: tightened, so both sides give the optimum
tight <- list(tol = 1e-12, threshold = 1e-12)
for (name in names(dats)) {
  d <- dats[[name]]
  emit(kind = "data", dataset = name, yi = aslist(d$yi), vi = aslist(d$vi))
  for (method in c("REML", "DL", "PM", "ML", "HE", "SJ", "FE")) for (test in c("z", "knha")) {
    res <- suppressWarnings(rma(yi, vi, data = d, method = method, test = test, control = tight))
    pr <- predict(res)
    emit(kind = "pool", dataset = name, method = method, test = test, estimate = res$b[1], se = res$se,
         ci_lower = res$ci.lb, ci_upper = res$ci.ub, zval = res$zval, pval = res$pval, tau2 = res$tau2,
         i2 = res$I2, h2 = res$H2, q = res$QE, q_p = res$QEp, pi_lower = pr$pi.lb, pi_upper = pr$pi.ub)
    if (method != "FE" && test == "z") {
      ci <- confint(res, control = tight)$random
      emit(kind = "confint", dataset = name, method = method, tau2 = aslist(ci["tau^2", ]),
           i2 = aslist(ci["I^2(%)", ]), h2 = aslist(ci["H^2", ]))
    }
  }
}
"""


@pytest.fixture(scope="module")
def r_env(request: pytest.FixtureRequest, monkeypatch_module: pytest.MonkeyPatch) -> None:
    """METAPSY_CSV for the R scripts when ../shared holds the Metapsy database."""
    path = Path(__file__).resolve().parents[2] / "shared" / "evidence-bases" / "metapsy-depression-psyctr" / "data.csv"
    if path.is_file():
        monkeypatch_module.setenv("METAPSY_CSV", str(path))
    else:
        monkeypatch_module.delenv("METAPSY_CSV", raising=False)


@pytest.fixture(scope="module")
def monkeypatch_module() -> pytest.MonkeyPatch:
    mp = pytest.MonkeyPatch()
    yield mp  # type: ignore[misc]
    mp.undo()


@pytest.fixture(scope="module")
def pooling_reference(r_env: None, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    """metafor's rma(), predict() and confint() for every dataset, estimator and test."""
    return run_r(POOLING_R, tmp_path_factory.mktemp("metafor-pool"), "pooling")


def _data(records: list[dict[str, object]]) -> dict[str, tuple[list[float], list[float]]]:
    return {str(r["dataset"]): (r["yi"], r["vi"]) for r in records if r["kind"] == "data"}  # type: ignore[misc]


def test_every_dataset_is_there(pooling_reference: list[dict[str, object]]) -> None:
    assert {"bcg", "mcdaniel1994", "normand1999"} <= set(_data(pooling_reference))
    assert {r["method"] for r in pooling_reference if r["kind"] == "pool"} == set(METHODS)


def test_pooling_equals_rma_for_every_estimator_and_test(pooling_reference: list[dict[str, object]]) -> None:
    """rma(yi, vi, method, test): estimate, se, CI, z/t, p, tau2, I2, H2, Q and predict()'s interval."""
    data = _data(pooling_reference)
    checked = 0
    for ref in (r for r in pooling_reference if r["kind"] == "pool"):
        yi, vi = data[str(ref["dataset"])]
        ours = pool(yi, vi, str(ref["method"]), test=str(ref["test"]))
        where = f"{ref['dataset']} {ref['method']} {ref['test']}"
        for key in ("estimate", "se", "ci_lower", "ci_upper", "zval", "pval", "tau2", "h2", "q", "q_p"):
            assert getattr(ours, key) == pytest.approx(ref[key], abs=TOL), f"{where}: {key}"
        assert ours.i2 == pytest.approx(ref["i2"], abs=I2_TOL), f"{where}: i2"
        if ref["method"] == "FE":  # metafor prints no prediction interval for a fixed-effect model
            assert ours.pi_lower is None and ours.pi_upper is None
        else:
            assert (ours.pi_lower, ours.pi_upper) == (pytest.approx(ref["pi_lower"], abs=TOL), pytest.approx(ref["pi_upper"], abs=TOL)), where
        checked += 1
    assert checked >= 3 * 7 * 2


def test_q_profile_intervals_equal_confint(pooling_reference: list[dict[str, object]]) -> None:
    """confint(rma(...)): the Q-profile CI of tau2 and the I2 and H2 intervals it implies."""
    data = _data(pooling_reference)
    for ref in (r for r in pooling_reference if r["kind"] == "confint"):
        yi, vi = data[str(ref["dataset"])]
        ours = pool(yi, vi, str(ref["method"]), confint=True)
        for key, got in (("tau2", ours.tau2_ci), ("i2", ours.i2_ci), ("h2", ours.h2_ci)):
            want = ref[key]
            assert got is not None and isinstance(want, list)
            tol = I2_TOL if key == "i2" else TOL
            assert got == (pytest.approx(want[1], abs=tol), pytest.approx(want[2], abs=tol)), f"{ref['dataset']} {ref['method']} {key}"


def test_cli_pool_knha_json_is_metafors_knapp_hartung(pooling_reference: list[dict[str, object]], tmp_path: Path) -> None:
    """`meta pool FILE --test knha --format json` (headers in any case) prints rma(test = "knha")'s numbers."""
    yi, vi = _data(pooling_reference)["normand1999"]
    ref = next(r for r in pooling_reference if r["kind"] == "pool" and r["dataset"] == "normand1999"
               and r["method"] == "REML" and r["test"] == "knha")  # fmt: skip
    sheet = tmp_path / "normand.csv"
    sheet.write_text("Study,YI,VI\n" + "".join(f"s{i},{y!r},{v!r}\n" for i, (y, v) in enumerate(zip(yi, vi))))
    result = CliRunner().invoke(app, ["meta", "pool", str(sheet), "--test", "knha", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["test"] == "knha" and out["df"] == len(yi) - 1
    for key in ("estimate", "se", "ci_lower", "ci_upper", "pval", "pi_lower", "pi_upper", "tau2"):
        assert out[key] == pytest.approx(ref[key], abs=TOL), key


# --- moderators, bias, influence, several effects per study ------------------------------------

MODELS_R = DATASETS_R + r"""
tight <- list(tol = 1e-12, threshold = 1e-12)
bcg <- dats$bcg
emit(kind = "data", dataset = "bcg", yi = aslist(bcg$yi), vi = aslist(bcg$vi), ablat = aslist(bcg$ablat),
     year = aslist(bcg$year), alloc = aslist(as.character(bcg$alloc)))
coefs <- function(res) list(name = aslist(rownames(res$b)), estimate = aslist(res$b[, 1]), se = aslist(res$se),
                            pval = aslist(res$pval), ci_lower = aslist(res$ci.lb), ci_upper = aslist(res$ci.ub))
for (test in c("z", "knha")) {
  res <- rma(yi, vi, mods = ~ ablat + year + alloc, data = bcg, test = test, control = tight)
  emit(kind = "metareg", dataset = "bcg", test = test, mods = aslist(c("ablat", "year", "alloc")),
       qm = res$QM, qm_p = res$QMp, qe = res$QE, qe_p = res$QEp, r2 = res$R2, tau2 = res$tau2, i2 = res$I2)
  cf <- coefs(res); emit(kind = "coefficients", dataset = "bcg", test = test, name = cf$name, estimate = cf$estimate,
                         se = cf$se, pval = cf$pval, ci_lower = cf$ci_lower, ci_upper = cf$ci_upper)
}
subgroup <- function(name, d, by) {
  res <- rma(yi, vi, mods = ~ factor(d[[by]]), data = d, control = tight)
  lv <- sort(unique(d[[by]][!is.na(d[[by]])]))
  fits <- lapply(lv, function(l) rma(yi, vi, data = d, subset = !is.na(d[[by]]) & d[[by]] == l, control = tight))
  qb <- rma(sapply(fits, function(f) f$b[1]), sei = sapply(fits, function(f) f$se), method = "FE")
  emit(kind = "subgroups", dataset = name, by = by, levels = aslist(as.character(lv)), qm = res$QM, qm_p = res$QMp,
       estimate = aslist(sapply(fits, function(f) f$b[1])), se = aslist(sapply(fits, function(f) f$se)),
       tau2 = aslist(sapply(fits, function(f) f$tau2)), q_between = qb$QE, q_between_p = qb$QEp)
}
subgroup("bcg", bcg, "alloc")
biasref <- function(name, d) {
  res <- rma(yi, vi, data = d, control = tight)
  eg <- regtest(res)
  rk <- ranktest(res)
  rk_approx <- suppressWarnings(ranktest(res, exact = FALSE))
  tf <- trimfill(res)
  fs <- fsn(yi, vi, data = d)
  # influence() refits k models in R (26 s of CPU for Metapsy's k = 251): the smaller datasets only
  inf <- if (nrow(d) <= 60) influence(res)$inf else list()
  emit(kind = "bias", dataset = name, yi = aslist(d$yi), vi = aslist(d$vi), egger_z = eg$zval, egger_p = eg$pval, limit = eg$est, rank_tau = rk$tau,
       rank_p = rk$pval, rank_p_approx = rk_approx$pval, k0 = tf$k0, side = tf$side, tf_estimate = tf$b[1], tf_ci_lower = tf$ci.lb, tf_ci_upper = tf$ci.ub,
       fsn = fs$fsnum, rstudent = aslist(inf$rstudent), dffits = aslist(inf$dffits), cook_d = aslist(inf$cook.d),
       cov_r = aslist(inf$cov.r), tau2_del = aslist(inf$tau2.del), qe_del = aslist(inf$QE.del), hat = aslist(inf$hat),
       weight = aslist(inf$weight), inf = aslist(inf$inf == "*"))
}
for (name in names(dats)) biasref(name, dats[[name]])
k11 <- dat.konstantopoulos2011
ml <- rma.mv(yi, vi, random = ~ 1 | district/school, data = k11, control = list(rel.tol = 1e-12))
rb <- robust(ml, cluster = k11$district)
emit(kind = "multilevel", dataset = "konstantopoulos2011", yi = aslist(k11$yi), vi = aslist(k11$vi),
     cluster = aslist(as.character(k11$district)), estimate = ml$b[1], se = ml$se, ci_lower = ml$ci.lb, ci_upper = ml$ci.ub,
     sigma2 = aslist(ml$sigma2), robust_se = rb$se, robust_ci_lower = rb$ci.lb, robust_ci_upper = rb$ci.ub, robust_p = rb$pval)
if (!is.null(dats$metapsy_cbt_wl)) {
  d <- dats$metapsy_cbt_wl
  subgroup("metapsy_cbt_wl", d, "rob")
  res <- rma(yi, vi, mods = ~ rob + format, data = d, control = tight)
  cf <- coefs(res)
  emit(kind = "metapsy_metareg", qm = res$QM, qm_p = res$QMp, qe = res$QE, qe_p = res$QEp, r2 = res$R2, name = cf$name,
       estimate = cf$estimate, se = cf$se, rob = aslist(d$rob), format = aslist(d$format), study = aslist(d$study))
  ml <- rma.mv(yi, vi, random = ~ 1 | study/es_id, data = d, control = list(rel.tol = 1e-12))
  emit(kind = "multilevel", dataset = "metapsy_cbt_wl", yi = aslist(d$yi), vi = aslist(d$vi), cluster = aslist(d$study),
       estimate = ml$b[1], se = ml$se, ci_lower = ml$ci.lb, ci_upper = ml$ci.ub, sigma2 = aslist(ml$sigma2),
       robust_se = robust(ml, cluster = d$study)$se, robust_ci_lower = robust(ml, cluster = d$study)$ci.lb,
       robust_ci_upper = robust(ml, cluster = d$study)$ci.ub, robust_p = robust(ml, cluster = d$study)$pval)
  e <- escalc(yi = yi, vi = vi, data = d)
  for (w in c(TRUE, FALSE)) for (rho in c(0.5, 0.6)) {
    a <- aggregate(e, cluster = study, rho = rho, weighted = w)
    emit(kind = "aggregate", weighted = w, rho = rho, study = aslist(a$study), yi = aslist(a$yi), vi = aslist(a$vi))
  }
}
"""


@pytest.fixture(scope="module")
def models_reference(r_env: None, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    """metafor's meta-regressions, subgroups, regtest/ranktest/trimfill/fsn, influence, rma.mv, robust and aggregate."""
    return run_r(MODELS_R, tmp_path_factory.mktemp("metafor-models"), "models")


def _kind(records: list[dict[str, object]], kind: str, **match: object) -> list[dict[str, object]]:
    return [r for r in records if r["kind"] == kind and all(r.get(k) == v for k, v in match.items())]


def _close(got: object, want: object, tol: float = TOL) -> bool:
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(_close(g, w, tol) for g, w in zip(got, want))
    return got == pytest.approx(want, abs=tol)


@pytest.mark.parametrize("test", ["z", "knha"])
def test_meta_regression_equals_rma_with_mods(models_reference: list[dict[str, object]], test: str) -> None:
    """rma(yi, vi, mods = ~ ablat + year + alloc, test): coefficients (intrcpt, numeric, factor levels), QM, QE, R2."""
    data = _kind(models_reference, "data", dataset="bcg")[0]
    ref = _kind(models_reference, "metareg", test=test)[0]
    coefficients = _kind(models_reference, "coefficients", test=test)[0]
    labels = [f"s{i}" for i in range(len(data["yi"]))]  # type: ignore[arg-type]
    columns = {"ablat": [repr(x) for x in data["ablat"]], "year": [repr(x) for x in data["year"]], "alloc": data["alloc"]}  # type: ignore[union-attr]
    out = meta_regression(labels, data["yi"], data["vi"], columns, "REML", test).as_json()  # type: ignore[arg-type]
    assert [c["name"] for c in out["coefficients"]] == coefficients["name"]  # type: ignore[union-attr]
    for key in ("estimate", "se", "pval", "ci_lower", "ci_upper"):
        assert _close([c[key] for c in out["coefficients"]], coefficients[key]), key  # type: ignore[union-attr]
    for key in ("qm", "qm_p", "qe", "qe_p", "tau2"):
        assert _close(out[key], ref[key]), key
    assert _close(out["r2"], ref["r2"], I2_TOL) and _close(out["i2"], ref["i2"], I2_TOL)


def test_subgroups_equal_per_level_fits_and_q_between(models_reference: list[dict[str, object]]) -> None:
    """Per-level rma() fits, QM of rma(mods = ~ factor(x)) and Q-between over the levels' estimates."""
    bcg = _kind(models_reference, "data", dataset="bcg")[0]
    cases = [("bcg", bcg["yi"], bcg["vi"], bcg["alloc"])]
    metapsy = _kind(models_reference, "metapsy_metareg")
    if metapsy:
        m = _kind(models_reference, "multilevel", dataset="metapsy_cbt_wl")[0]
        cases.append(("metapsy_cbt_wl", m["yi"], m["vi"], ["" if r is None else str(int(r)) for r in metapsy[0]["rob"]]))  # type: ignore[union-attr]
    for name, yi, vi, values in cases:
        ref = _kind(models_reference, "subgroups", dataset=name)[0]
        result = subgroups([f"s{i}" for i in range(len(yi))], yi, vi, values, "x")  # type: ignore[arg-type]
        assert [g.value for g in result.groups] == ref["levels"], name
        assert _close([g.pooled.estimate for g in result.groups], ref["estimate"]), name
        assert _close([g.pooled.se for g in result.groups], ref["se"]), name
        assert _close([g.pooled.tau2 for g in result.groups], ref["tau2"]), name
        assert _close(result.regression.fit.qm, ref["qm"]) and _close(result.regression.fit.qm_p, ref["qm_p"]), name
        assert _close(result.q_between, ref["q_between"]) and _close(result.q_between_p, ref["q_between_p"]), name


def test_bias_and_influence_equal_regtest_ranktest_trimfill_fsn_influence(models_reference: list[dict[str, object]]) -> None:
    """regtest(), ranktest(), trimfill() (L0), fsn() and influence() on every dataset."""
    refs = _kind(models_reference, "bias")
    assert len(refs) >= 3 and sum(1 for r in refs if r.get("rstudent")) >= 2
    for ref in refs:
        yi, vi = ref["yi"], ref["vi"]
        b = bias(yi, vi)  # type: ignore[arg-type]
        where = str(ref["dataset"])
        assert b.egger is not None and b.ranktest is not None and b.trimfill is not None
        assert _close(b.egger.z, ref["egger_z"]) and _close(b.egger.p, ref["egger_p"]), where
        assert _close(b.egger.limit_estimate, ref["limit"]), where
        # metafor's exact = TRUE is R's exact Kendall p, numerically wrong from k ~ 100 (negative, then NaN):
        # from k = 50 on, as cor.test's own default, the normal approximation, i.e. ranktest(res, exact = FALSE)
        want_p = ref["rank_p"] if len(yi) < 50 else ref["rank_p_approx"]  # type: ignore[arg-type]
        assert _close(b.ranktest.tau, ref["rank_tau"]) and _close(b.ranktest.p, want_p), where
        assert (b.trimfill.k0, b.trimfill.side) == (ref["k0"], ref["side"]), where
        for key, got in (("tf_estimate", b.trimfill.pooled.estimate), ("tf_ci_lower", b.trimfill.pooled.ci_lower),
                         ("tf_ci_upper", b.trimfill.pooled.ci_upper), ("fsn", b.fail_safe_n.n)):  # fmt: skip
            assert _close(got, ref[key]), f"{where} {key}"
        if not ref.get("rstudent"):
            continue
        rows = influence([f"s{i}" for i in range(len(yi))], yi, vi)  # type: ignore[arg-type]
        for key in ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight"):
            assert _close([getattr(r, key) for r in rows], ref[key]), f"{where} {key}"
        assert [r.influential for r in rows] == [bool(x) for x in ref["inf"]], where  # type: ignore[union-attr]


def test_three_level_and_robust_equal_rma_mv(models_reference: list[dict[str, object]]) -> None:
    """rma.mv(yi, vi, random = ~ 1 | cluster/es_id) by REML, and robust(model, cluster)."""
    refs = _kind(models_reference, "multilevel")
    assert refs
    for ref in refs:
        yi, vi, cluster = ref["yi"], ref["vi"], [str(c) for c in ref["cluster"]]  # type: ignore[union-attr]
        model = three_level(yi, vi, cluster)  # type: ignore[arg-type]
        where = str(ref["dataset"])
        for key in ("estimate", "se", "ci_lower", "ci_upper"):
            assert _close(getattr(model, key), ref[key]), f"{where} {key}"
        assert _close(list(model.sigma2), ref["sigma2"]), where
        rb = robust(model, yi, vi, cluster)  # type: ignore[arg-type]
        assert _close(rb.se, ref["robust_se"]) and _close(rb.pval, ref["robust_p"]), where
        assert _close(rb.ci_lower, ref["robust_ci_lower"]) and _close(rb.ci_upper, ref["robust_ci_upper"]), where


def test_aggregate_equals_metafor_aggregate(models_reference: list[dict[str, object]]) -> None:
    """aggregate(escalc, cluster = study, rho, weighted) for rho 0.5 / 0.6, weighted and not (Metapsy CBT vs waitlist)."""
    refs = _kind(models_reference, "aggregate")
    if not refs:
        pytest.skip("the Metapsy database (../shared) is not present")
    m = _kind(models_reference, "multilevel", dataset="metapsy_cbt_wl")[0]
    for ref in refs:
        names, ys, vs = aggregate(m["yi"], m["vi"], m["cluster"], float(ref["rho"]), bool(ref["weighted"]))  # type: ignore[arg-type]
        ours = dict(zip(names, zip(ys, vs)))
        assert sorted(ours) == sorted(ref["study"])  # type: ignore[arg-type]
        for study, y, v in zip(ref["study"], ref["yi"], ref["vi"]):  # type: ignore[arg-type]
            assert _close(ours[study][0], y) and _close(ours[study][1], v), (study, ref["rho"], ref["weighted"])


def test_cli_contract_mods_bias_multilevel(models_reference: list[dict[str, object]], tmp_path: Path) -> None:
    """`meta pool --mods`, `meta bias` and `meta multilevel --cluster` print metafor's numbers under the issue's keys."""
    runner = CliRunner()
    data = _kind(models_reference, "data", dataset="bcg")[0]
    sheet = tmp_path / "bcg.csv"
    rows = zip(data["yi"], data["vi"], data["ablat"], data["year"], data["alloc"])  # type: ignore[call-overload]
    sheet.write_text("study,yi,vi,ablat,year,alloc\n" + "".join(f"t{i},{y!r},{v!r},{a},{yr},{al}\n" for i, (y, v, a, yr, al) in enumerate(rows)))
    result = runner.invoke(app, ["meta", "pool", str(sheet), "--mods", "ablat,year,alloc", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    ref, coefficients = _kind(models_reference, "metareg", test="z")[0], _kind(models_reference, "coefficients", test="z")[0]
    assert {"estimate", "ci_lower", "pi_lower", "tau2", "i2"} <= set(out)  # today's keys stay
    assert [c["name"] for c in out["coefficients"]] == coefficients["name"]
    assert set(out["coefficients"][0]) >= {"name", "estimate", "se", "ci_lower", "ci_upper", "pval"}
    assert _close([c["estimate"] for c in out["coefficients"]], coefficients["estimate"])
    for key in ("qm", "qm_p", "qe", "qe_p"):
        assert _close(out[key], ref[key]), key
    assert _close(out["r2"], ref["r2"], I2_TOL)

    bias_ref = _kind(models_reference, "bias", dataset="bcg")[0]
    out = json.loads(runner.invoke(app, ["meta", "bias", str(sheet), "--format", "json"]).stdout)
    assert _close(out["egger"]["z"], bias_ref["egger_z"]) and _close(out["egger"]["p"], bias_ref["egger_p"])
    assert _close(out["ranktest"]["tau"], bias_ref["rank_tau"]) and _close(out["ranktest"]["p"], bias_ref["rank_p"])
    tf = out["trimfill"]
    assert (tf["k0"], tf["side"]) == (bias_ref["k0"], bias_ref["side"])
    assert _close([tf["estimate"], tf["ci_lower"], tf["ci_upper"]], [bias_ref["tf_estimate"], bias_ref["tf_ci_lower"], bias_ref["tf_ci_upper"]])
    assert "fail-safe" in out["fail_safe_n"]["label"]

    ml = _kind(models_reference, "multilevel", dataset="konstantopoulos2011")[0]
    sheet = tmp_path / "schools.csv"
    sheet.write_text("district,yi,vi\n" + "".join(f"{c},{y!r},{v!r}\n" for c, y, v in zip(ml["cluster"], ml["yi"], ml["vi"])))  # type: ignore[call-overload]
    result = runner.invoke(app, ["meta", "multilevel", str(sheet), "--cluster", "district", "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert _close([out[k] for k in ("estimate", "se", "ci_lower", "ci_upper")], [ml[k] for k in ("estimate", "se", "ci_lower", "ci_upper")])
    assert _close(out["sigma2"], ml["sigma2"]) and _close(out["robust"]["se"], ml["robust_se"])


# --- a Metapsy-style report over the store: CBT vs waitlist from the real database ---------------

STORE_R = r"""
d <- read.csv2(Sys.getenv("METAPSY_CSV"))
d <- d[d$condition_arm1 == "cbt" & d$condition_arm2 == "wl" & !is.na(d$.g) & !is.na(d$.g_se), ]
e <- escalc(yi = d$.g, vi = d$.g_se^2, data = d)
e$arms <- paste(e$study, e$multi_arm1, e$multi_arm2)
for (by in c("study", "arms")) for (w in c(TRUE, FALSE)) for (rho in c(0.5, 0.6)) for (test in c("z", "knha")) {
  a <- aggregate(e, cluster = e[[by]], rho = rho, weighted = w)
  res <- rma(yi, vi, data = a, test = test, control = list(threshold = 1e-12))
  emit(kind = "pair", by = by, weighted = w, rho = rho, test = test, k = res$k, estimate = res$b[1], ci_lower = res$ci.lb,
       ci_upper = res$ci.ub, tau2 = res$tau2, pi_lower = predict(res)$pi.lb, pi_upper = predict(res)$pi.ub)
}
a <- aggregate(e, cluster = study, rho = 0.6)
# a study's risk of bias when all its rows agree (evidencekg leaves out a study whose comparisons differ)
same <- tapply(e$rob, e$study, function(x) if (length(unique(x)) == 1) x[1] else NA)
a$rob <- same[as.character(a$study)]
a$rob[is.na(a$rob)] <- -1
lv <- sort(unique(a$rob[a$rob >= 0]))
fits <- lapply(lv, function(l) rma(yi, vi, data = a, subset = rob == l, test = "knha"))
emit(kind = "rob", levels = aslist(as.character(lv)), estimate = aslist(sapply(fits, function(f) f$b[1])),
     ci_lower = aslist(sapply(fits, function(f) f$ci.lb)), k = aslist(sapply(fits, function(f) f$k)))
"""


def test_store_pair_aggregation_choices_equal_metafor_aggregate(r_env: None, metapsy_store: OxigraphStore, tmp_path: Path) -> None:
    """`meta pair cbt waitlist` under every --aggregate/--weighted/--rho/--test equals aggregate() + rma(); subgroups by rob."""
    from evidencekg.meta.pairs import Aggregation, pool_pair
    from evidencekg.meta.studies import pair_subgroups

    refs = run_r(STORE_R, tmp_path, "store")
    for ref in _kind(refs, "pair"):
        how = Aggregation("studies" if ref["by"] == "study" else "arms", float(ref["rho"]), bool(ref["weighted"]))  # type: ignore[arg-type]
        result = pool_pair(metapsy_store, "cbt", "waitlist", test=str(ref["test"]), aggregation=how)
        if how.by == "arms" and not result.arms_known:
            continue  # the store names no arms: "arms" is "studies" (stated in the output), compared above
        p, where = result.pooled, f"{ref['by']} rho={ref['rho']} weighted={ref['weighted']} {ref['test']}"
        assert p.k == ref["k"], where
        assert _close([p.estimate, p.ci_lower, p.ci_upper, p.tau2, p.pi_lower, p.pi_upper],
                      [ref[k] for k in ("estimate", "ci_lower", "ci_upper", "tau2", "pi_lower", "pi_upper")]), where  # fmt: skip
    default = pool_pair(metapsy_store, "cbt", "waitlist", test="knha")
    assert "rho = 0.6" in default.aggregation_note() and default.as_json()["aggregation"]["weighted"] is True  # type: ignore[index]
    rob = _kind(refs, "rob")[0]
    groups = pair_subgroups(metapsy_store, pool_pair(metapsy_store, "cbt", "waitlist", test="knha",
                                                     aggregation=Aggregation("studies")), "rob")  # fmt: skip
    assert [g.value for g in groups.groups] == rob["levels"]
    assert _close([g.pooled.estimate for g in groups.groups], rob["estimate"])
    assert _close([g.pooled.ci_lower for g in groups.groups], rob["ci_lower"])
