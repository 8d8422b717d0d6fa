"""The /meta page, its downloads and plots over a real store and server; the paged forest-plot renderer; the CLI plots."""

from __future__ import annotations

import csv
import io
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from evidencekg.cli import app
from evidencekg.evidence.ingest import ingest
from evidencekg.load.shipped import shipped_store
from evidencekg.meta.analysis import Choices, analyse
from evidencekg.meta.choices import menu
from evidencekg.meta.forest import ForestRow, ForestText, PooledRow, figure_bytes, forest_pages, page_slices
from evidencekg.meta.plots import analysis_forest, study_rows
from evidencekg.meta.report import apa_summary, p_apa
from evidencekg.settings import get_settings
from evidencekg.store.embedded import OxigraphStore
from service.app import create_app
from tests._ingest_support import METAPSY_OPTIONS, metapsy
from tests._server import live_server

SHEET = Path(__file__).parents[1] / "examples" / "simulated-attachment-alliance.csv"
runner = CliRunner()


def get(url: str, **kwargs: object) -> httpx.Response:
    """GET with room for a first plot (matplotlib's import) on a busy machine."""
    return httpx.get(url, timeout=120, **kwargs)  # type: ignore[arg-type]


def svg_texts(body: bytes) -> list[str]:
    """Every text element of an SVG."""
    return [t.text or "" for t in ET.fromstring(body).iter() if t.tag.endswith("text")]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The shipped evidence, the simulated attachment/alliance sheet (12 studies a pair) and a Metapsy excerpt."""
    settings = get_settings(var_dir=tmp_path_factory.mktemp("var"), memory=True, endpoint=None)
    held = shipped_store(settings)
    ingest(held, SHEET, "sheet", name="simulated-sheet", settings=settings)
    ingest(held, metapsy(), "metapsy", name="metapsy-excerpt", settings=settings, options=METAPSY_OPTIONS)
    return held


@pytest.fixture(scope="module")
def base_url(store: OxigraphStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = get_settings(var_dir=tmp_path_factory.mktemp("var"), memory=True, endpoint=None)
    with live_server(create_app(store, settings)) as url:
        yield url


def test_page_slices_are_balanced_and_bounded() -> None:
    assert [s.stop - s.start for s in page_slices(111)] == [37, 37, 37]
    assert [s.stop - s.start for s in page_slices(40)] == [40]
    assert [s.stop - s.start for s in page_slices(81)] == [27, 27, 27]
    assert all(s.stop - s.start <= 40 for n in range(1, 300) for s in page_slices(n))


def test_long_forest_plot_pages_each_have_headers_and_two_axes() -> None:
    rows = [ForestRow(f"Author{i}, {1990 + i % 30}", 0.1 * (i % 7), 0.1 * (i % 7) - 0.3, 0.1 * (i % 7) + 0.3, weight=1 / 95) for i in range(95)]
    pooled = PooledRow("Random-effects model (REML), k = 95", 0.3, 0.25, 0.35, -0.2, 0.8, note="Heterogeneity: tau2 = 0.05")
    text = ForestText(title="CBT vs waitlist", xlabel="Hedges' g", favours=("favours waitlist", "favours CBT"), ci_header="Hedges' g [95% CI]", decimals=2)
    pages = forest_pages(rows, pooled, text)
    assert len(pages) == 3
    seen = []
    for number, fig in enumerate(pages, 1):
        (ax,) = fig.axes
        top_labels = [t for t in ax.xaxis.get_major_ticks() if t.label2.get_visible()]
        bottom_labels = [t for t in ax.xaxis.get_major_ticks() if t.label1.get_visible()]
        assert top_labels and bottom_labels  # an axis at the top and one at the bottom of every page
        texts = svg_texts(figure_bytes(fig, "svg"))
        assert {"Study", "Weight", "Hedges' g [95% CI]", "CBT vs waitlist", f"page {number} of 3"} <= set(texts)
        assert "\u2190 favours waitlist" in texts and "favours CBT \u2192" in texts
        labels = [t for t in texts if t.startswith("Author")]
        assert len(labels) <= 40
        seen += labels
        assert ("Heterogeneity: tau2 = 0.05" in texts) == (number == 3)  # the pooled rows close the last page
    assert seen == [r.label for r in rows]
    assert "0.30 [0.25, 0.35]" in svg_texts(figure_bytes(pages[-1], "svg")) and "[-0.20, 0.80]" in svg_texts(figure_bytes(pages[-1], "svg"))


def test_analysis_of_a_construct_pair(store: OxigraphStore) -> None:
    analysis = analyse(store, Choices.parse("attachment avoidance", "therapeutic-alliance", "DL"))
    p = analysis.pair.pooled
    assert analysis.title == "attachment avoidance and therapeutic alliance"  # labels, never slugs
    assert math.isclose(sum(analysis.weights()), 1.0)
    expected_weights = [1 / (s.v + p.tau2) for s in analysis.pair.studies]
    assert analysis.weights()[0] == pytest.approx(expected_weights[0] / sum(expected_weights))
    assert len(analysis.leave_one_out) == p.k == len(analysis.cumulative)
    assert analysis.cumulative[-1].pooled.estimate == pytest.approx(p.estimate)
    line = apa_summary(analysis)
    r = f"{math.tanh(p.estimate):.2f}".replace("0.", ".", 1)
    assert f"k = {p.k} studies" in line and f"r = {r}," in line and p_apa(p.pval) in line and f"Q({p.q_df})" in line
    texts = svg_texts(analysis_forest(analysis))
    labels = [row.label for row in study_rows(analysis)]
    assert labels == [s.label for s in analysis.pair.studies] and set(labels) <= set(texts)
    assert not any(label.startswith("sim") or "row" in label for label in labels)  # study labels, not row or study slugs
    assert not any(t.startswith("https://") for t in texts)
    assert analysis.favours is None  # an association has no "favours" side


def test_menu_lists_both_kinds_with_counts(store: OxigraphStore) -> None:
    held = menu(store)
    groups = {o.group for o in held.a}
    assert groups == {"construct", "intervention"} and {o.group for o in held.b} == {"construct", "comparator"}
    cbt = next(o for o in held.a if o.value == "cbt")
    assert cbt.findings == 3 and cbt.label == "cognitive behaviour therapy"
    pair = next(p for p in held.pairs if p.a.endswith("/cbt") and p.b.endswith("/waitlist"))
    assert (pair.findings, pair.studies) == (2, 1)


def test_meta_page_shows_the_library_result(store: OxigraphStore, base_url: str) -> None:
    params = {"a": "attachment-anxiety", "b": "therapeutic-alliance", "method": "REML"}
    page = get(base_url + "/meta", params=params)
    assert page.status_code == 200, page.text
    analysis = analyse(store, Choices.parse(**params))
    p = analysis.pair.pooled
    assert f'data-key="estimate" data-value="{math.tanh(p.estimate)}">{math.tanh(p.estimate):.2f}<' in page.text
    assert f'data-key="k" data-value="{p.k}">{p.k}<' in page.text
    assert apa_summary(analysis).replace("'", "&#39;") in page.text
    assert page.text.count("/plots/meta-forest?a=attachment-anxiety&amp;b=therapeutic-alliance&amp;method=REML&amp;page=") == 1
    assert 'href="/meta?a=cbt&amp;b=waitlist&amp;method=REML"' in page.text  # the most studied pairs link to their result
    empty = get(base_url + "/meta")
    assert empty.status_code == 200 and 'id="meta-result"' not in empty.text and 'id="meta-pairs"' in empty.text
    unknown = get(base_url + "/meta", params={"a": "atachment anxiety", "b": "therapeutic-alliance"})
    assert unknown.status_code == 404 or unknown.status_code == 400
    assert "did you mean" in unknown.text and 'id="meta-form"' in unknown.text


def test_meta_page_filters_on_study_characteristics(store: OxigraphStore, base_url: str) -> None:
    page = get(base_url + "/meta", params={"a": "cbt", "b": "waitlist"})
    assert 'data-characteristic="country"' in page.text and 'value="country=us"' in page.text
    none = get(base_url + "/meta", params={"a": "cbt", "b": "waitlist", "where": "country=uk"})
    assert none.status_code == 404 and "with country=uk" in none.text
    some = get(base_url + "/meta", params={"a": "cbt", "b": "waitlist", "where": "country=us"})
    assert some.status_code == 200 and 'value="country=us" selected' in some.text


def test_downloads(store: OxigraphStore, base_url: str) -> None:
    params = {"a": "attachment-avoidance", "b": "therapeutic-alliance", "method": "DL"}
    analysis = analyse(store, Choices.parse(**params))
    p = analysis.pair.pooled
    table = get(base_url + "/meta/table/studies.csv", params=params)
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    assert "attachment-avoidance-vs-therapeutic-alliance-studies.csv" in table.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert len(rows) == p.k + 1 and float(rows[-1]["estimate"]) == pytest.approx(math.tanh(p.estimate))
    assert sum(float(r["weight_percent"]) for r in rows[:-1]) == pytest.approx(100)
    loo = list(csv.DictReader(io.StringIO(get(base_url + "/meta/table/leave-one-out.csv", params=params).text)))
    assert [r["left_out"] for r in loo] == [s.label for s in analysis.pair.studies]
    assert get(base_url + "/meta/table/other.csv", params=params).status_code == 404
    svg = get(base_url + "/plots/meta-forest", params=params)
    assert svg.headers["content-type"] == "image/svg+xml" and "attachment avoidance and therapeutic alliance" in svg_texts(svg.content)
    png = get(base_url + "/plots/meta-forest", params={**params, "format": "png"})
    assert png.content.startswith(b"\x89PNG")
    pdf = get(base_url + "/plots/meta-forest", params={**params, "format": "pdf"})
    assert pdf.content.startswith(b"%PDF") and pdf.content.count(b"/Type /Page\n") + pdf.content.count(b"/Type /Page ") >= 1
    assert get(base_url + "/plots/meta-forest", params={**params, "page": 2}).status_code == 400  # 12 studies: one page
    funnel = get(base_url + "/plots/meta-funnel", params=params)
    assert funnel.status_code == 200 and "standard error" in svg_texts(funnel.content) and "Fisher's z" in svg_texts(funnel.content)
    cumulative = get(base_url + "/plots/meta-sensitivity", params={**params, "view": "cumulative"})
    texts = svg_texts(cumulative.content)
    assert cumulative.status_code == 200 and sum(t.startswith("+ ") for t in texts) == p.k
    assert get(base_url + "/plots/meta-sensitivity", params={**params, "view": "sideways"}).status_code == 400


def test_cli_writes_the_same_plot_as_the_api(tmp_path: Path, store: OxigraphStore, base_url: str) -> None:
    folder = tmp_path / "store"
    assert runner.invoke(app, ["load", "--store", str(folder)]).exit_code == 0
    assert runner.invoke(app, ["ingest", str(SHEET), "--format", "sheet", "--store", str(folder)]).exit_code == 0
    out = tmp_path / "forest.svg"
    result = runner.invoke(app, ["meta", "forest", "attachment-anxiety", "therapeutic-alliance", "-o", str(out), "--store", str(folder)])
    assert result.exit_code == 0, result.output
    api = get(base_url + "/plots/meta-forest", params={"a": "attachment-anxiety", "b": "therapeutic-alliance"})
    assert svg_texts(out.read_bytes()) == svg_texts(api.content)
    pdf = tmp_path / "forest.pdf"
    result = runner.invoke(app, ["meta", "pair", "attachment-anxiety", "therapeutic-alliance", "--plot", str(pdf), "--store", str(folder)])
    assert result.exit_code == 0 and json.loads(result.stdout)["k"] > 1 and pdf.read_bytes().startswith(b"%PDF")
    bad = runner.invoke(app, ["meta", "forest", "attachment-anxiety", "therapeutic-alliance", "-o", str(tmp_path / "x.gif"), "--store", str(folder)])
    assert bad.exit_code == 2
