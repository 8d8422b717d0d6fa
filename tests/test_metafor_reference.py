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
from evidencekg.meta.pooling import METHODS, pool
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
