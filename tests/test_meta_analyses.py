"""The whole analysis of a pair over the real Metapsy store: /api/meta/analysis and the /meta page's "more analyses"."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from evidencekg.meta.bias import bias
from evidencekg.meta.influence import outliers_removed
from evidencekg.meta.pairs import pool_pair
from evidencekg.meta.studies import pair_subgroups
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore
from service.app import create_app
from tests._server import live_server


@pytest.fixture(scope="module")
def base_url(metapsy_store: OxigraphStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = get_settings(var_dir=tmp_path_factory.mktemp("var"), memory=True, endpoint=None)
    with live_server(create_app(metapsy_store, settings)) as url:
        yield url


def test_api_analysis_has_every_part_of_a_metapsy_report(metapsy_store: OxigraphStore, base_url: str) -> None:
    """Main (Knapp-Hartung), Egger, rank test, trim-and-fill, outliers removed, influence, three-level, subgroups by rob."""
    params = {"a": "cbt", "b": "waitlist", "test": "knha", "by": "rob"}
    response = httpx.get(base_url + "/api/meta/analysis", params=params, timeout=300)
    assert response.status_code == 200, response.text
    out = response.json()
    pair = pool_pair(metapsy_store, "cbt", "waitlist", test="knha")
    ys, vs = [s.y for s in pair.studies], [s.v for s in pair.studies]
    assert out["estimate"] == pytest.approx(pair.pooled.estimate) and out["test"] == "knha" and out["df"] == pair.pooled.k - 1
    expected = bias(ys, vs, "REML", "knha")
    assert expected.egger is not None and expected.trimfill is not None
    assert out["egger"]["z"] == pytest.approx(expected.egger.z) and out["trimfill"]["k0"] == expected.trimfill.k0
    removed = outliers_removed([s.label for s in pair.studies], ys, vs, pair.pooled, "REML", "knha")
    assert out["outliers_removed"]["removed"] == removed.removed and removed.removed
    assert len(out["influence"]) == pair.pooled.k and {"rstudent", "cook_d", "dffits", "hat"} <= set(out["influence"][0])
    three = out["three_level"]
    assert three["k"] == len(pair.findings) > pair.pooled.k and len(three["sigma2"]) == 2 and three["robust"]["test"] == "t"
    groups = pair_subgroups(metapsy_store, pair, "rob")
    assert [g["value"] for g in out["subgroups"]["groups"]] == [g.value for g in groups.groups]
    assert out["subgroups"]["q_between"] == pytest.approx(groups.q_between)
    assert out["aggregation"]["rho"] == 0.6 and "rho = 0.6" in out["aggregation"]["text"]
    assert out["software"]["evidencekg"]


def test_meta_page_shows_more_analyses_and_subgroups(base_url: str) -> None:
    page = httpx.get(base_url + "/meta", params={"a": "cbt", "b": "waitlist", "test": "knha", "by": "rob", "more": "true"}, timeout=300)
    assert page.status_code == 200
    html = page.text
    for key in ("egger", "ranktest", "trimfill", "fsn", "outliers", "influence", "three-level", "q-between"):
        assert f'data-key="{key}"' in html, key
    assert 'id="meta-subgroups"' in html and "Knapp-Hartung" in html and "not a test of bias" in html
    plain = httpx.get(base_url + "/meta", params={"a": "cbt", "b": "waitlist"}, timeout=300).text
    assert 'data-key="egger"' not in plain  # asked for, not computed on every view


def test_where_ors_values_of_one_characteristic_and_compares_numbers(metapsy_store: OxigraphStore) -> None:
    """rob=3 and rob=4 is "3 or 4" (not nothing), and equals rob>2 and rob>=3; != and a second characteristic narrow it."""
    from evidencekg.meta.pairs import PairInputError, parse_where

    either = pool_pair(metapsy_store, "cbt", "waitlist", where=parse_where(["rob=3", "rob=4"]))
    three = pool_pair(metapsy_store, "cbt", "waitlist", where=parse_where(["rob=3"]))
    four = pool_pair(metapsy_store, "cbt", "waitlist", where=parse_where(["rob=4"]))
    assert set(either.findings) == set(three.findings) | set(four.findings) and three.findings and four.findings
    for condition in (["rob>2"], ["rob>=3"], ["rob!=0", "rob!=1", "rob!=2"]):
        other = pool_pair(metapsy_store, "cbt", "waitlist", where=parse_where(condition))
        assert set(other.findings) == set(either.findings), condition
        assert other.pooled.estimate == pytest.approx(either.pooled.estimate), condition
    narrower = pool_pair(metapsy_store, "cbt", "waitlist", where=parse_where(["rob>2", "format=ind"]))
    assert set(narrower.findings) < set(either.findings)
    with pytest.raises(PairInputError, match="compares numbers"):
        parse_where(["rob>high"])
