"""Ingest: round trips with provenance, every rejection path writes nothing, derived findings, CLI and HTTP."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from evidencekg.cli import app
from evidencekg.evidence.ingest import AlreadyIngested, IngestError, ingest
from evidencekg.meta.pairs import PairError, parse_where, pool_pair, save_derived
from evidencekg.model.namespaces import sparql_prologue
from evidencekg.settings import Settings
from evidencekg.store.embedded import OxigraphStore
from tests._ingest_support import METAPSY_OPTIONS, METAPSY_ROWS, SHEET_HEADER, SHEET_ROWS, metapsy, sheet, with_columns
from tests._server import live_server, memory_app
from tests._writes_support import oxigraph_serve, remote_store

P = sparql_prologue()


def values(store: OxigraphStore, query: str) -> list[str]:
    """The first column of a SELECT as strings."""
    rows = store.select(P + query)
    return [next(iter(r.values())).value for r in rows]


def test_sheet_round_trip_with_row_provenance(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    result = ingest(loaded_store, sheet(), "sheet", name="test-sheet", settings=project_settings)
    assert result.findings == 3
    rows = loaded_store.select(P + """
        SELECT ?f ?r ?n ?text ?pos ?doi WHERE {
          ?f a ekg:ReportedFinding ; ekg:estimate ?r ; ekg:sampleSize ?n ; ekg:reportedIn/bibo:doi ?doi ;
             ekg:fromConstruct <https://w3id.org/evidencekg/id/construct/attachment-anxiety> ;
             prov:wasDerivedFrom ?s . ?s rdf:value ?text ; ekg:position ?pos ; dcterms:isPartOf <https://w3id.org/evidencekg/id/document/test-sheet> .
        } ORDER BY ?pos""")
    assert [float(r["r"].value) for r in rows] == [-0.12, -0.05, -0.20]
    assert [int(r["n"].value) for r in rows] == [80, 150, 60]
    assert [r["text"].value for r in rows] == SHEET_ROWS
    assert [int(r["pos"].value) for r in rows] == [1, 2, 3]
    assert [r["doi"].value for r in rows] == ["10.1234/one", "10.1234/two", "10.1234/three"]
    links = values(loaded_store, "SELECT ?l WHERE { ?f ekg:reportedIn ?p ; prov:wasDerivedFrom/dcterms:isPartOf <https://w3id.org/evidencekg/id/document/test-sheet> . ?p <https://schema.org/sameAs> ?l } ORDER BY ?l")
    assert links == ["https://doi.org/10.1234/one", "https://doi.org/10.1234/three", "https://doi.org/10.1234/two"]  # the DOI as an IRI, no PMID guessed


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("s9,X,2001,T,10.1/x,3,0.1,attachment-anxiety,therapeutic-alliance,patient,a", "row 4, column 'n'"),
        ("s9,X,2001,T,10.1234/x,50,1.0,attachment-anxiety,therapeutic-alliance,patient,a", "row 4, column 'r'"),
        ("s9,X,2001,T,10.1234/x,50,,attachment-anxiety,therapeutic-alliance,patient,a", "row 4, column 'r': is missing"),
        ("s9,X,2001,T,10.1234/x,50,0.1,no-such-construct,therapeutic-alliance,patient,a", "row 4, column 'construct_a': unknown construct"),
        ("s9,X,2001,T,10.1234/x,50,0.1,attachment-anxiety,therapeutic-alliance,cousin,a", "row 4, column 'rater': unknown rater"),
        ("s9,X,2001,T,not-a-doi,50,0.1,attachment-anxiety,therapeutic-alliance,patient,a", "row 4, column 'doi'"),
        ("s9,X,2001,T,10.1234/x,50.5,0.1,attachment-anxiety,therapeutic-alliance,patient,a", "row 4, column 'n'"),
        ("s9,X,2001,,10.1234/x,50,0.1,attachment-anxiety,therapeutic-alliance,patient,a", "row 4, column 'title'"),
        ("s9,X,2001,T,,50,0.1,attachment-anxiety,therapeutic-alliance,patient,a", "row 4, column 'doi'"),
        ("s9,X,2001,T,10.1234/x,50,0.1,attachment-anxiety", "row 4, column '*'"),
    ],
)
def test_sheet_bad_row_names_row_column_and_writes_nothing(
    loaded_store: OxigraphStore, project_settings: Settings, row: str, where: str
) -> None:
    before = len(loaded_store)
    with pytest.raises(IngestError) as error:
        ingest(loaded_store, sheet([*SHEET_ROWS, row]), "sheet", name="bad", settings=project_settings)
    assert where in str(error.value) and "nothing was written" in str(error.value)
    assert len(loaded_store) == before


def test_missing_columns_and_second_import_are_refused(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    with pytest.raises(IngestError, match="missing column"):
        ingest(loaded_store, sheet(header=SHEET_HEADER.replace(",r,", ",rho,")), "sheet", name="x", settings=project_settings)
    ingest(loaded_store, sheet(), "sheet", name="twice", settings=project_settings)
    before = len(loaded_store)
    with pytest.raises(IngestError, match="already ingested"):
        ingest(loaded_store, sheet(), "sheet", name="twice", settings=project_settings)
    assert len(loaded_store) == before
    ingest(loaded_store, sheet(SHEET_ROWS[:2]), "sheet", name="twice", settings=project_settings, replace=True)
    assert len(values(loaded_store, "SELECT ?f WHERE { ?f prov:wasDerivedFrom/dcterms:isPartOf <https://w3id.org/evidencekg/id/document/twice> ; a ekg:ReportedFinding }")) == 2


def test_metapsy_excerpt_round_trip(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    result = ingest(loaded_store, metapsy(), name="metapsy-excerpt", settings=project_settings, options=METAPSY_OPTIONS)  # format guessed
    assert result.findings == 4
    rows = loaded_store.select(P + """
        SELECT ?g ?se ?i ?c ?m ?rater ?n1 ?doi ?text WHERE {
          ?f a ekg:ReportedFinding ; ekg:estimate ?g ; ekg:standardError ?se ; ekg:interventionCondition/skos:notation ?i ;
             ekg:comparatorCondition/skos:notation ?c ; ekg:instrument/skos:prefLabel ?m ; ekg:raterPerspective ?rater ;
             ekg:toConstruct <https://w3id.org/evidencekg/id/construct/depressive-symptoms> ; ekg:effectSizeMeasure obo:STATO_0000319 ;
             ekg:reportedIn/bibo:doi ?doi ; prov:wasDerivedFrom/rdf:value ?text .
          OPTIONAL { ?f ekg:arm1SampleSize ?n1 }
          ?f prov:wasDerivedFrom/ekg:position ?pos .
        } ORDER BY ?pos""")
    assert [(float(r["g"].value), float(r["se"].value)) for r in rows] == [(0.8, 0.25), (0.6, 0.24), (0.3, 0.2), (1.1, 0.3)]
    assert [(r["i"].value, r["c"].value) for r in rows] == [("cbt", "wl"), ("cbt", "wl"), ("cbt", "cau"), ("pst", "wl")]
    assert [r["rater"].value.rsplit("#")[-1] for r in rows] == ["SelfReport", "ClinicianRated", "SelfReport", "SelfReport"]
    assert [r["n1"].value if "n1" in r else None for r in rows] == ["30", "30", "50", None]
    assert {r["doi"].value for r in rows} == {"10.1234/metapsy-excerpt"}  # the DOI it was given, no other
    assert [r["text"].value for r in rows] == METAPSY_ROWS
    credit = values(loaded_store, "SELECT ?l WHERE { <https://w3id.org/evidencekg/id/document/metapsy-excerpt> dcterms:license ?l ; dcterms:source ?s ; dcterms:bibliographicCitation ?c }")
    assert credit == ["https://opendatacommons.org/licenses/by/1-0/"]
    assert len(values(loaded_store, "SELECT DISTINCT ?s WHERE { ?s a ekg:PrimaryStudy ; ^obo:IAO_0000136/dcterms:isPartOf <https://w3id.org/evidencekg/id/document/metapsy-excerpt> }")) == 3


@pytest.mark.parametrize(
    ("cell", "replacement", "where"),
    [(";0,25;", ";abc;", "row 1, column '.g_se'"), (";0,25;", ";-0,25;", "row 1, column '.g_se'"),
     ('"self-report";"post";30', '"parent";"post";30', "row 1, column 'rating'"), (";0,8;", ";NA;", "row 1, column '.g': is missing")],
)  # fmt: skip
def test_metapsy_bad_row_writes_nothing(loaded_store: OxigraphStore, project_settings: Settings, cell: str, replacement: str, where: str) -> None:
    before = len(loaded_store)
    rows = [METAPSY_ROWS[0].replace(cell, replacement, 1), *METAPSY_ROWS[1:]]
    with pytest.raises(IngestError) as error:
        ingest(loaded_store, metapsy(rows), "metapsy", name="bad-metapsy", settings=project_settings, options=METAPSY_OPTIONS)
    assert where in str(error.value)
    assert len(loaded_store) == before


def test_pooled_pair_saved_as_derived_finding_with_provenance(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    ingest(loaded_store, metapsy(), name="mp", settings=project_settings, options=METAPSY_OPTIONS)
    result = pool_pair(loaded_store, "cbt", "waitlist", "DL")
    assert result.pooled.k == 1 and len(result.findings) == 2  # two comparisons of one study, averaged
    iri = save_derived(loaded_store, result, project_settings)
    inputs = values(loaded_store, f"SELECT ?x WHERE {{ <{iri}> a ekg:DerivedFinding ; prov:wasDerivedFrom ?x }} ORDER BY ?x")
    assert inputs == sorted(result.findings)
    method = values(loaded_store, f"SELECT ?m WHERE {{ <{iri}> ekg:poolingMethod ?m ; prov:generatedAtTime ?t }}")[0]
    assert method.startswith("evidencekg ") and "random-effects (DL)" in method  # the version, then the model
    assert not loaded_store.ask(P + f"ASK {{ <{iri}> a ekg:ReportedFinding }}")
    again = pool_pair(loaded_store, "cbt", "waitlist", "DL")  # the derived finding is never pooled as input
    assert again.findings == result.findings


def test_cli_ingest_writes_to_disk_store(tmp_path: Path) -> None:
    """Into a store that was never loaded: the constructs come with the shipped evidence, so later commands resolve them."""
    file = tmp_path / "my-sheet.csv"
    file.write_bytes(sheet())
    store = tmp_path / "store"  # never loaded: ingest loads the shipped evidence first
    result = CliRunner().invoke(app, ["ingest", str(file), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "ingested 3 findings" in result.stdout and "document/my-sheet" in result.stdout
    assert "loaded the shipped evidence" in result.stderr
    pair = ["meta", "pair", "attachment-anxiety", "therapeutic-alliance", "--store", str(store), "--method", "DL"]
    only = CliRunner().invoke(app, [*pair, "--where", "setting=out"])
    assert only.exit_code == 0, only.output
    assert json.loads(only.stdout)["k"] == 2 and json.loads(only.stdout)["where"] == "setting=out"
    assert CliRunner().invoke(app, [*pair, "--where", "setting"]).exit_code == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(sheet([*SHEET_ROWS, SHEET_ROWS[0].replace(",80,", ",2,")]))
    result = CliRunner().invoke(app, ["ingest", str(bad), "--store", str(store)])
    assert result.exit_code == 1 and "row 4, column 'n'" in result.stderr


def test_http_ingest_needs_token_and_reports_rows() -> None:
    application = memory_app(load_evidence=True, settings_overrides={"token": "secret"})
    with live_server(application) as base:
        url = f"{base}/api/ingest"
        assert httpx.post(url, params={"name": "web"}, content=sheet()).status_code == 401
        auth = {"Authorization": "Bearer secret", "Content-Type": "text/csv"}
        bad = httpx.post(url, params={"name": "web"}, content=sheet([SHEET_ROWS[0].replace("-0.12", "1.5")]), headers=auth)
        assert bad.status_code == 422 and "row 1, column 'r'" in bad.json()["detail"]
        ok = httpx.post(url, params={"name": "web", "format": "sheet"}, content=sheet(), headers=auth)
        assert ok.status_code == 200 and ok.json()["findings"] == 3
        seen = httpx.get(f"{base}/sparql", params={"query": P + "SELECT ?f WHERE { ?f a ekg:ReportedFinding ; prov:wasDerivedFrom/dcterms:isPartOf <https://w3id.org/evidencekg/id/document/web> }"},
                         headers={"Accept": "application/sparql-results+json"})  # fmt: skip
        assert len(seen.json()["results"]["bindings"]) == 3  # the query executor sees the ingest at once
        pooled = httpx.get(f"{base}/api/meta", params={"a": "attachment-anxiety", "b": "therapeutic-alliance"}).json()
        assert pooled["k"] == 3 and -0.2 < pooled["r"] < -0.05
        plot = httpx.get(f"{base}/plots/meta-forest", params={"a": "attachment-anxiety", "b": "therapeutic-alliance"})
        assert plot.headers["content-type"].startswith("image/svg") and b"<svg" in plot.content
        history = httpx.get(f"{base}/api/meta/history", params={"a": "attachment-anxiety", "b": "therapeutic-alliance"}).json()
        diener = [h for h in history if "diener" in h["finding"]]
        assert diener and not diener[0]["same_pair"] and "attachment-security" in diener[0]["note"]


@pytest.mark.shared
def test_whole_metapsy_database_imports(shared_dir: Path, project_settings: Settings) -> None:
    store = OxigraphStore()
    result = ingest(store, shared_dir / "evidence-bases/metapsy-depression-psyctr/data.csv", settings=project_settings)
    assert result.findings == 900 and result.loaded_evidence  # the empty store got the shipped evidence first
    studies = values(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?f ekg:fromStudy ?s ; prov:wasDerivedFrom/dcterms:isPartOf <{result.document}> }}")
    assert studies == ["480"]
    assert pool_pair(store, "cbt", "waitlist").pooled.k > 50


def test_study_characteristics_are_ingested_and_filter_a_pair(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    data = with_columns(metapsy(), {"format": ['"ind"', '"ind"', '"grp"', '"grp"'], "rob": ["3", "3", "4", "NA"]})
    ingest(loaded_store, data, name="mp-chars", settings=project_settings, options=METAPSY_OPTIONS)
    found = loaded_store.select(P + """
        SELECT ?pos ?name ?value WHERE {
          ?f prov:wasDerivedFrom/ekg:position ?pos ; ekg:hasStudyCharacteristic ?c .
          ?c a ekg:StudyCharacteristic ; ekg:characteristic ?name ; rdf:value ?value .
        } ORDER BY ?pos ?name""")
    got = [(int(r["pos"].value), r["name"].value, r["value"].value) for r in found]
    assert got == [(1, "country", "us"), (1, "format", "ind"), (1, "rob", "3"), (2, "country", "us"), (2, "format", "ind"),
                   (2, "rob", "3"), (3, "country", "uk"), (3, "format", "grp"), (3, "rob", "4"), (4, "format", "grp")]  # fmt: skip
    # one node per coded value of the file, shared by the findings that have it
    assert values(loaded_store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a ekg:StudyCharacteristic }") == ["6"]
    everything = pool_pair(loaded_store, "cbt", "waitlist", "DL")
    assert everything.pooled.k == 1
    ind = pool_pair(loaded_store, "cbt", "care-as-usual", "DL", where=parse_where(["format=GRP", "rob=4"]))
    assert ind.pooled.k == 1 and ind.as_json()["where"] == "format=GRP, rob=4"
    with pytest.raises(PairError, match="with format=ind"):
        pool_pair(loaded_store, "cbt", "care-as-usual", "DL", where=parse_where(["format=ind"]))
    with pytest.raises(PairError, match="NAME=VALUE"):
        parse_where(["format"])
    iri = save_derived(loaded_store, ind, project_settings)
    assert values(loaded_store, f"SELECT ?s WHERE {{ <{iri}> ekg:subgroup ?s }}") == ["format=GRP, rob=4"]
    before = len(loaded_store)
    ingest(loaded_store, data, name="mp-chars", settings=project_settings, options=METAPSY_OPTIONS, replace=True)  # characteristics replaced, not doubled
    assert len(loaded_store) == before


def test_metapsy_findings_are_reported_in_a_dataset(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    ingest(loaded_store, metapsy(), name="mp-ds", settings=project_settings, options=METAPSY_OPTIONS)
    sources = loaded_store.select(P + "SELECT DISTINCT ?d ?doi WHERE { ?f ekg:reportedIn ?d . ?d bibo:doi ?doi ; dcterms:license ?l . ?f ekg:fromStudy ?s }")
    assert [(r["d"].value, r["doi"].value) for r in sources] == [("https://w3id.org/evidencekg/id/dataset/doi-10-1234-metapsy-excerpt", "10.1234/metapsy-excerpt")]
    dataset = sources[0]["d"].value
    assert loaded_store.ask(P + f"ASK {{ <{dataset}> a ekg:Dataset , <http://www.w3.org/ns/dcat#Dataset> }}")
    assert not loaded_store.ask(P + f"ASK {{ <{dataset}> a ekg:Publication }}")
    assert values(loaded_store, f"SELECT ?l WHERE {{ <{dataset}> <https://schema.org/sameAs> ?l }}") == ["https://doi.org/10.1234/metapsy-excerpt"]
    # a trial's report, where its full_ref states a DOI, is linked from the study (rdfs:seeAlso), not equated with it
    assert "https://doi.org/10.1234/aard" in values(loaded_store, "SELECT ?l WHERE { ?s a ekg:PrimaryStudy ; rdfs:seeAlso ?l }")


def test_sheet_moderators_become_study_characteristics(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    ingest(loaded_store, sheet(), "sheet", name="mods", settings=project_settings)
    assert values(loaded_store, "SELECT ?v WHERE { ?f ekg:hasStudyCharacteristic [ ekg:characteristic \"setting\" ; rdf:value ?v ] } ORDER BY ?v") == ["in", "out", "out"]
    out = pool_pair(loaded_store, "attachment-anxiety", "therapeutic-alliance", "DL", where=parse_where(["setting=out"]))
    assert out.pooled.k == 2


def test_linked_construct_outside_the_scheme_is_rejected(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    """The shapes see what the store says about a linked construct: one outside the scheme fails its row."""
    loaded_store.update(P + 'INSERT DATA { <https://w3id.org/evidencekg/id/construct/stray> a ekg:Construct ; skos:prefLabel "stray"@en }')
    before = len(loaded_store)
    rows = [*SHEET_ROWS, SHEET_ROWS[0].replace("s1,", "s4,").replace("attachment-anxiety", "stray")]
    with pytest.raises(IngestError, match=r"row 4, column 'construct_a': .*constructs scheme"):
        ingest(loaded_store, sheet(rows), "sheet", name="stray", settings=project_settings)
    assert len(loaded_store) == before


def test_sheet_constructs_are_named_as_everywhere_else(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    """Cells name constructs by label, alternative label, slug, `id:` name or IRI (the shared NameIndex)."""
    names = ["anxious attachment", "Attachment Anxiety", "id:construct/attachment-anxiety",
             "https://w3id.org/evidencekg/id/construct/attachment-anxiety"]  # fmt: skip
    rows = [row.replace(",attachment-anxiety,", f",{name},") for row, name in zip(SHEET_ROWS, names, strict=False)]
    rows.append(SHEET_ROWS[0].replace("s1,", "s4,").replace(",attachment-anxiety,", f",{names[3]},"))
    ingest(loaded_store, sheet(rows), "sheet", name="named", settings=project_settings)
    froms = values(loaded_store, "SELECT ?c WHERE { ?f ekg:fromConstruct ?c ; prov:wasDerivedFrom/dcterms:isPartOf <https://w3id.org/evidencekg/id/document/named> }")
    assert froms == ["https://w3id.org/evidencekg/id/construct/attachment-anxiety"] * 4
    with pytest.raises(IngestError, match=r"row 1, column 'construct_a': unknown construct 'attachment anxeity'; did you mean 'attachment anxiety'"):
        ingest(loaded_store, sheet([SHEET_ROWS[0].replace(",attachment-anxiety,", ",attachment anxeity,")]), "sheet", name="typo", settings=project_settings)


def test_the_same_file_under_another_name_is_refused(loaded_store: OxigraphStore, project_settings: Settings) -> None:
    """Identical bytes count once: a second import names the first, and only replacing that import is allowed."""
    ingest(loaded_store, metapsy(), name="first", settings=project_settings, options=METAPSY_OPTIONS)
    before = len(loaded_store)
    with pytest.raises(AlreadyIngested) as error:
        ingest(loaded_store, metapsy(), name="second", settings=project_settings, options=METAPSY_OPTIONS)
    message = str(error.value)
    assert "id/document/first" in message and "twice" in message and "--name first --replace" in message
    with pytest.raises(AlreadyIngested):  # --replace of another name does not make it a new file
        ingest(loaded_store, metapsy(), name="second", settings=project_settings, options=METAPSY_OPTIONS, replace=True)
    assert len(loaded_store) == before
    assert pool_pair(loaded_store, "cbt", "care-as-usual", "DL").pooled.k == 1
    ingest(loaded_store, metapsy(), name="first", settings=project_settings, options=METAPSY_OPTIONS, replace=True)
    assert len(loaded_store) == before
    digest = values(loaded_store, "SELECT ?h WHERE { <https://w3id.org/evidencekg/id/document/first> ekg:contentSha256 ?h }")
    assert digest == [hashlib.sha256(metapsy()).hexdigest()]


def test_http_ingest_into_an_empty_store_and_duplicates_say_how_to_replace_over_the_api() -> None:
    application = memory_app(load_evidence=False, settings_overrides={"token": "secret"})
    auth = {"Authorization": "Bearer secret", "Content-Type": "text/csv"}
    with live_server(application) as base:
        url = f"{base}/api/ingest"
        first = httpx.post(url, params={"name": "web-one"}, content=sheet(), headers=auth)
        assert first.status_code == 200, first.text  # the constructs were loaded first
        again = httpx.post(url, params={"name": "web-one"}, content=sheet(SHEET_ROWS[:2]), headers=auth)
        assert again.status_code == 409
        assert "name=web-one&replace=true" in again.json()["detail"] and "--replace" not in again.json()["detail"]
        copy = httpx.post(url, params={"name": "web-two"}, content=sheet(), headers=auth)
        assert copy.status_code == 409
        detail = copy.json()["detail"]
        assert "id/document/web-one" in detail and "name=web-one&replace=true" in detail and "--replace" not in detail
        pooled = httpx.get(f"{base}/api/meta", params={"a": "attachment anxiety", "b": "therapeutic-alliance"}).json()
        assert pooled["k"] == 3


def test_a_remote_store_without_the_constructs_is_refused(tmp_path: Path, project_settings: Settings) -> None:
    with oxigraph_serve(tmp_path / "remote") as base:
        with pytest.raises(IngestError, match=r"holds no constructs scheme .*load the shipped ontology"):
            ingest(remote_store(base), sheet(), "sheet", name="remote", settings=project_settings)
        assert not remote_store(base).ask("ASK { ?s ?p ?o }")


def finding_counts(store: OxigraphStore) -> tuple[int, int, int]:
    """How many things are ekg:Finding, ekg:ReportedFinding and ekg:DerivedFinding."""
    counts = [values(store, f"SELECT (COUNT(?f) AS ?n) {{ ?f a ekg:{kind} }}") for kind in ("Finding", "ReportedFinding", "DerivedFinding")]
    return tuple(int(c[0]) for c in counts)  # type: ignore[return-value]


def test_reported_and_derived_findings_are_all_ekg_findings(tmp_path: Path, project_settings: Settings) -> None:
    """`?f a ekg:Finding` finds every finding: shipped, ingested, pooled and saved (the ontology's subclass types are written)."""
    store = OxigraphStore()
    ingest(store, sheet(), "sheet", name="typed", settings=project_settings)  # loads the shipped evidence first
    shipped = finding_counts(store)
    findings, reported, derived = shipped
    assert findings == reported + derived and reported > 3
    ingested = values(store, "SELECT ?f { ?f a ekg:Finding ; prov:wasDerivedFrom/dcterms:isPartOf <https://w3id.org/evidencekg/id/document/typed> }")
    assert len(ingested) == 3
    save_derived(store, pool_pair(store, "attachment-anxiety", "therapeutic-alliance"), project_settings)
    findings, reported, derived = finding_counts(store)
    assert derived == shipped[2] + 1 and findings == reported + derived
