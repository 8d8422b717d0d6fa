"""Long lists are paged: catalogue queries take limit/offset, a busy construct's page lists 40 of the statements pointing at it."""

from __future__ import annotations

from pathlib import Path

import httpx

from evidencekg.evidence.synth import busiest_pair, write_synth
from evidencekg.load.shipped import load_files
from evidencekg.pages.describe import SHOWN_INCOMING
from evidencekg.pages.resource import describe
from evidencekg.store.embedded import OxigraphStore


def test_catalogue_queries_take_limit_and_offset(live_url: str) -> None:
    everything = httpx.get(f"{live_url}/queries/associations?format=json", timeout=60).json()["results"]["bindings"]
    assert len(everything) >= 4
    page = httpx.get(f"{live_url}/queries/associations?format=json&limit=2&offset=1", timeout=60).json()["results"]["bindings"]
    assert page == everything[1:3]  # the catalogue's queries order their rows, so pages follow one another
    csv_page = httpx.get(f"{live_url}/queries/associations?format=csv&limit=1", timeout=60)
    assert csv_page.status_code == 200 and len(csv_page.text.strip().splitlines()) == 2  # header + one row
    for bad in ("limit=0", "offset=-1", "limit=x"):
        response = httpx.get(f"{live_url}/queries/associations?{bad}", timeout=60)
        assert response.status_code == 422, (bad, response.text)


def test_a_busy_construct_page_lists_a_bounded_number_of_incoming_statements(loaded_store: OxigraphStore, tmp_path: Path) -> None:
    synthetic = tmp_path / "s600.nq"
    write_synth(synthetic, 600, seed=1)
    load_files(loaded_store, [synthetic])
    a, _ = busiest_pair(1)
    iri = f"https://w3id.org/evidencekg/id/construct/{a}"
    total = int(loaded_store.select(f"SELECT (COUNT(*) AS ?n) {{ ?s ?p <{iri}> }}")[0]["n"].value)
    assert total > SHOWN_INCOMING
    view = describe(loaded_store, iri)
    assert view is not None
    assert len(view.incoming) == SHOWN_INCOMING and view.incoming_total == total
    assert all(s.value.text for s in view.incoming)  # each shown subject has its label or name
