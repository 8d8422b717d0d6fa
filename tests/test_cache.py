"""Answers cached per store generation: the same pair is pooled once per write, and any write makes it current again."""

from __future__ import annotations

from pathlib import Path

from evidencekg.evidence.ingest import ingest
from evidencekg.meta.pairs import pool_pair
from evidencekg.settings import Settings
from evidencekg.store.cache import ResultCache, cached
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.names import name_index

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "simulated-attachment-alliance.csv"
HEADER = EXAMPLE.read_text().splitlines()[0]


def test_a_pooled_pair_is_kept_until_the_next_write(loaded_store: OxigraphStore, project_settings: Settings, tmp_path: Path) -> None:
    ingest(loaded_store, EXAMPLE, "sheet", settings=project_settings)
    first = pool_pair(loaded_store, "attachment-avoidance", "therapeutic-alliance")
    assert pool_pair(loaded_store, "attachment-avoidance", "therapeutic-alliance") is first  # no second read, no second fit
    assert pool_pair(loaded_store, "attachment-avoidance", "therapeutic-alliance", "DL") is not first  # another key
    extra = tmp_path / "one-more.csv"
    extra.write_text(HEADER + "\nsim99,\"Extra, A.\",2021,SIMULATED study 99 (not real data),10.0000/simulated.99,400,-0.30,"
                     "attachment-avoidance,therapeutic-alliance,patient,outpatient\n")  # fmt: skip
    ingest(loaded_store, extra, "sheet", settings=project_settings)
    after = pool_pair(loaded_store, "attachment-avoidance", "therapeutic-alliance")
    assert after is not first
    assert len(after.studies) == len(first.studies) + 1  # the new study is pooled
    assert pool_pair(loaded_store, "attachment-avoidance", "therapeutic-alliance") is after


def test_names_follow_writes_and_raw_writes_clear_by_hand(loaded_store: OxigraphStore) -> None:
    before = name_index(loaded_store, "construct")
    assert name_index(loaded_store, "construct") is before
    loaded_store.update(
        'PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX ekg: <https://w3id.org/evidencekg/ontology#> '
        'INSERT DATA { <https://w3id.org/evidencekg/id/construct/new-one> a ekg:Construct ; '
        'skos:inScheme <https://w3id.org/evidencekg/id/scheme/constructs> ; skos:prefLabel "new one"@en }'
    )
    after = name_index(loaded_store, "construct")
    assert after is not before and after.find("new one") and not before.find("new one")
    loaded_store.results.clear()  # what a writer behind the Store API's back must do
    assert name_index(loaded_store, "construct") is not after


def test_the_cache_itself() -> None:
    cache = ResultCache(size=2)
    calls: list[str] = []

    def compute(name: str) -> str:
        calls.append(name)
        return name.upper()

    assert cache.get(0, "a", lambda: compute("a")) == "A" and cache.get(0, "a", lambda: compute("a")) == "A"
    assert calls == ["a"]
    cache.get(0, "b", lambda: compute("b"))
    cache.get(0, "c", lambda: compute("c"))  # size 2: "a" goes
    assert len(cache) == 2
    cache.get(0, "a", lambda: compute("a"))
    assert calls == ["a", "b", "c", "a"]
    cache.get(1, "a", lambda: compute("a"))  # a write moved the generation: everything is recomputed
    assert calls[-1] == "a" and len(cache) == 1
    assert cached(object(), "x", lambda: compute("x")) == "X" and cached(object(), "x", lambda: compute("x")) == "X"
    assert calls[-2:] == ["x", "x"]  # no cache on the object: always computed
