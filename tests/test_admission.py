"""Admission control: quick queries never wait behind heavy ones; a client past its share gets 429, a full lane 503."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest

from evidencekg.errors import Busy, TooManyRequests
from evidencekg.store.admission import FAST, HEAVY, Admission, query_key
from evidencekg.store.embedded import OxigraphStore
from tests._server import live_server, memory_app

TIMEOUT = 4.0
NEVER_ENDS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"  # 2.7e10 rows over 3,000 triples


def generated_store() -> OxigraphStore:
    """3,000 triples: enough for a cross join that outlives any timeout here."""
    store = OxigraphStore()
    store.oxigraph.extend(
        ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"), ox.Literal(i), ox.DefaultGraph())
        for i in range(3000)
    )
    return store


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, object]]:
    """One heavy slot, one fast worker, a share of one heavy query per client, room for two heavy queries."""
    overrides = {"query_timeout": TIMEOUT, "fast_budget": 0.2, "query_workers": 1, "fast_workers": 1, "client_share": 1, "heavy_queue": 2}
    app = memory_app(generated_store(), settings_overrides=overrides)
    with live_server(app) as base_url:
        yield base_url, app


def ask(base_url: str, query: str, source: str = "127.0.0.1") -> httpx.Response:
    """POST a query from a loopback source address (each address is one client)."""
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=60) as client:
        return client.post(f"{base_url}/sparql", data={"query": query})


def wait_for(condition: object, seconds: float = 30.0) -> None:
    """Poll until a condition holds (the server's own state, not a clock guess)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.05)
    assert condition(), "the condition never held"  # type: ignore[operator]


def test_quick_queries_answer_while_heavy_ones_hold_the_lane_and_shares_are_enforced(server: tuple[str, object]) -> None:
    base_url, app = server
    executor = app.state.executor  # type: ignore[attr-defined]
    assert ask(base_url, "ASK {}").status_code == 200  # workers up
    answers: dict[str, httpx.Response] = {}

    def background(name: str, source: str) -> threading.Thread:
        thread = threading.Thread(target=lambda: answers.__setitem__(name, ask(base_url, NEVER_ENDS, source)))
        thread.start()
        return thread

    first = background("first", "127.0.0.1")  # unknown: starts fast, outlives the budget, turns heavy
    wait_for(lambda: executor.admission.heavy_admitted == 1)
    assert executor.admission.lane(query_key(NEVER_ENDS)) == HEAVY
    quick = ask(base_url, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")  # the same client's quick query is not queued
    assert quick.status_code == 200 and "3000" in quick.text

    again = ask(base_url, NEVER_ENDS, "127.0.0.1")  # the same client, past its share of one
    assert again.status_code == 429
    assert again.headers["Retry-After"].isdigit() and "client_share" in again.text

    other = background("other", "127.0.0.2")  # another client still gets a place (it waits for the heavy slot)
    wait_for(lambda: executor.admission.heavy_admitted == 2)
    full = ask(base_url, NEVER_ENDS, "127.0.0.3")  # the lane holds two: a third client is told to come back
    assert full.status_code == 503
    assert full.headers["Retry-After"].isdigit() and "heavy_queue" in full.text
    assert ask(base_url, "ASK { ?s ?p 7 }", "127.0.0.3").status_code == 200  # ... while its quick queries go on

    first.join(60)
    other.join(60)
    for name in ("first", "other"):
        assert answers[name].status_code == 503 and "stopped" in answers[name].text  # each ran to the timeout
    assert executor.admission.heavy_admitted == 0
    assert ask(base_url, "ASK {}").status_code == 200


def test_admission_lanes_and_places() -> None:
    admission = Admission(heavy_queue=2, client_share=1, retry_after=3)
    key = query_key("SELECT *\n  { ?s ?p ?o }")
    assert key == query_key("SELECT * { ?s ?p ?o }")  # whitespace does not make a query new
    assert key != query_key("SELECT * { ?s ?p ?o }", {"s": "x"})
    assert admission.lane(key) == FAST
    admission.mark_heavy(key)
    assert admission.lane(key) == HEAVY
    with admission.heavy("a"):
        with pytest.raises(TooManyRequests) as refused:
            with admission.heavy("a"):
                pass
        assert refused.value.retry_after == 3
        with admission.heavy("b"):
            with pytest.raises(Busy):
                with admission.heavy("c"):
                    pass
            assert admission.heavy_admitted == 2
    assert admission.heavy_admitted == 0
    with admission.heavy("a"):  # places are given back
        pass
