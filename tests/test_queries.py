"""The named-query catalogue: headers, parameters, and each query's exact result on the shipped data."""

from __future__ import annotations

import pytest

from evidencekg.model.names import UnknownName
from evidencekg.query.catalogue import (
    CatalogueError,
    QueryParameterError,
    get_query,
    list_queries,
    load_query,
    parse_query,
    projected_variables,
    resolve_construct,
    run_named,
    select_frame,
    select_rows,
)
from evidencekg.settings import Settings
from evidencekg.store.embedded import OxigraphStore
from evidencekg.store.results import to_dataframe, to_records
from tests._writes_support import copy_into
from tests.test_store_contract import oxigraph_server  # noqa: F401 - the real server fixture

ID = "https://w3id.org/evidencekg/id/"
EKG = "https://w3id.org/evidencekg/ontology#"


def f(slug: str) -> str:
    return f"{ID}finding/{slug}"


def c(slug: str) -> str:
    return f"{ID}construct/{slug}"


def doc(slug: str) -> str:
    return f"{ID}document/{slug}"


def records(store: OxigraphStore, name: str, **params: str) -> list[dict]:
    return to_records(run_named(store, name, params), projected_variables(get_query(name)))


# --- the catalogue itself -------------------------------------------------------------------


def test_catalogue_has_the_documented_queries(project_settings: Settings) -> None:
    names = {q.name for q in list_queries(project_settings)}
    assert names >= {
        "associations", "construct-scheme", "ci-excludes-zero", "evidence-between",
        "implications-by-construct", "finding-provenance", "same-association", "heterogeneity",
    }
    for query in list_queries(project_settings):
        assert query.title != query.name and len(query.description) > 40, query.name
        projected = projected_variables(query)
        for param in query.params:  # pyoxigraph binds only projected variables
            assert param.name in projected, f"{query.name}: parameter {param.name} is not projected"


def test_header_parsing() -> None:
    query = parse_query(
        "q",
        "# title: T\n# description: first line\n#   second line\n"
        "# param: who (type: construct) the construct\n# param: x (type: decimal) a number\n"
        "# default: x=0.5\nSELECT ?who ?x { }\n",
    )
    assert (query.title, query.description) == ("T", "first line second line")
    assert [(p.name, p.type, p.description, p.default) for p in query.params] == [
        ("who", "construct", "the construct", None),
        ("x", "decimal", "a number", "0.5"),
    ]
    with pytest.raises(CatalogueError, match="bad '# param:' line"):
        parse_query("q", "# param: x (type: float) no such type\nSELECT * {}")
    with pytest.raises(CatalogueError, match="undeclared parameter"):
        parse_query("q", "# default: y=1\nSELECT * {}")


def test_unknown_query_lists_close_names(project_settings: Settings) -> None:
    with pytest.raises(CatalogueError, match="did you mean heterogeneity"):
        get_query("heterogenity", project_settings)


@pytest.mark.parametrize(
    "spelling",
    ["attachment avoidance", "Attachment-Avoidance", "attachment-avoidance", "avoidant attachment",
     c("attachment-avoidance"), f"<{c('attachment-avoidance')}>", "id:construct/attachment-avoidance"],
)
def test_construct_parameters_accept_label_slug_or_iri(loaded_store: OxigraphStore, spelling: str) -> None:
    assert resolve_construct(loaded_store, spelling).value == c("attachment-avoidance")


def test_unknown_construct_lists_close_matches(loaded_store: OxigraphStore) -> None:
    with pytest.raises(QueryParameterError, match="did you mean 'therapeutic alliance'") as raised:
        resolve_construct(loaded_store, "theraputic aliance")
    assert isinstance(raised.value.__cause__, UnknownName)  # the resolver's error, as a parameter error
    with pytest.raises(QueryParameterError, match="unknown construct 'xyzzy'; no construct has a similar name"):
        resolve_construct(loaded_store, "xyzzy")


def test_decimal_parameter_is_checked(tmp_path, loaded_store: OxigraphStore) -> None:
    (tmp_path / "above.rq").write_text(
        "# title: above\n# param: t (type: decimal) threshold\n"
        "PREFIX ekg: <https://w3id.org/evidencekg/ontology#>\n"
        "SELECT ?finding ?t { ?finding a ekg:ReportedFinding ; ekg:estimate ?r FILTER(?r > ?t) } ORDER BY ?finding\n"
    )
    settings = Settings(queries_dir=tmp_path)
    rows = to_records(run_named(loaded_store, "above", {"t": "0.2"}, settings))
    assert [r["finding"] for r in rows] == [
        f("flueckiger2018-alliance-outcome"), f("flueckiger2018-alliance-outcome-internet"), f("pprnet-alliance-outcome"),
    ]
    with pytest.raises(CatalogueError, match="not a decimal"):
        run_named(loaded_store, "above", {"t": "high"}, settings)


# --- the seed's numbers, straight from the store ----------------------------------------------


def test_every_seed_number_is_queryable(loaded_store: OxigraphStore) -> None:
    def value(subject: str, prop: str) -> object:
        rows = loaded_store.select(f"SELECT ?v {{ <{subject}> <{EKG}{prop}> ?v }}")
        assert len(rows) == 1, (subject, prop, rows)
        return to_records(rows)[0]["v"]

    anxiety, avoidance = f("notsu2024-anxiety-alliance"), f("notsu2024-avoidance-alliance")
    assert [value(anxiety, p) for p in ("estimate", "ciLower", "ciUpper", "pValue", "pValueRelation")] == [-0.09, -0.15, -0.03, 0.01, "="]
    assert [value(avoidance, p) for p in ("estimate", "ciLower", "ciUpper", "pValue", "pValueRelation")] == [-0.13, -0.19, -0.07, 0.001, "<"]
    assert [value(anxiety, "numberOfStudies"), value(anxiety, "sampleSize")] == [33, 2299]
    patients, clinicians = f"{ID}sample/notsu2024-patients", f"{ID}sample/notsu2024-clinicians"
    assert [value(patients, p) for p in ("meanAge", "ageRangeMin", "ageRangeMax", "sampleSize")] == [32.11, 21.6, 45.2, 2299]
    assert [value(clinicians, "sampleSize"), value(clinicians, "meanYearsExperience")] == [582, 5.0]
    assert value(f("pprnet-alliance-outcome"), "estimate") == 0.28


# --- each catalogue query's exact result -------------------------------------------------------


def test_associations(loaded_store: OxigraphStore) -> None:
    rows = records(loaded_store, "associations")
    got = {
        r["finding"].rsplit("/", 1)[-1]: (
            r["from"], r["to"], r["r"], r["ciLower"], r["ciUpper"], r["pRelation"], r["p"], r["k"], r["n"], r["doi"],
            set(r["documents"].split()),
        )
        for r in rows
    }
    notsu_docs = {doc("pprnet-notsu2024"), doc("notsu2024-abstract-psu")}
    alliance, outcome = c("therapeutic-alliance"), c("psychotherapy-outcome")
    assert len(rows) == len(got) == 6
    assert got == {
        "notsu2024-anxiety-alliance": (c("attachment-anxiety"), alliance, -0.09, -0.15, -0.03, "=", 0.01, 33, 2299, "10.1080/10503307.2024.2370344", notsu_docs),
        "notsu2024-avoidance-alliance": (c("attachment-avoidance"), alliance, -0.13, -0.19, -0.07, "<", 0.001, 33, 2299, "10.1080/10503307.2024.2370344", notsu_docs),
        "pprnet-alliance-outcome": (alliance, outcome, 0.28, None, None, "<", 0.001, None, None, "10.1037/pst0000172", {doc("pprnet-notsu2024")}),
        "flueckiger2018-alliance-outcome": (alliance, outcome, 0.278, 0.256, 0.299, "<", 0.0001, None, None, "10.1037/pst0000172", {doc("flueckiger2018-abstract-zora")}),
        "flueckiger2018-alliance-outcome-internet": (alliance, outcome, 0.275, None, None, None, None, 23, None, "10.1037/pst0000172", {doc("flueckiger2018-abstract-zora")}),
        "diener2011-security-alliance": (c("attachment-security"), alliance, 0.17, 0.10, 0.23, "<", 0.001, 17, 886, "10.1037/a0022425", {doc("diener2011-pubmed")}),
    }
    assert {r["finding"]: r["kDescription"] for r in rows}[f("pprnet-alliance-outcome")] == "almost 300"
    assert {r["finding"]: r["subgroup"] for r in rows}[f("flueckiger2018-alliance-outcome-internet")] == "internet-based"


def test_a_query_given_as_text_file_or_name(tmp_path, loaded_store: OxigraphStore, project_settings: Settings) -> None:
    text = "PREFIX ekg: <https://w3id.org/evidencekg/ontology#>\nSELECT ?n { ?finding a ekg:ReportedFinding ; ekg:sampleSize ?n } ORDER BY ?n"
    (tmp_path / "sizes.rq").write_text("# title: sizes\n# param: finding (type: iri) the finding\n" + text)
    assert [r["n"] for r in to_records(select_rows(loaded_store, text))] == [886, 2299, 2299]
    from_file = select_rows(loaded_store, tmp_path / "sizes.rq", {"finding": "diener2011-security-alliance"})
    assert to_records(from_file) == [{"n": 886}]
    assert to_records(select_rows(loaded_store, str(tmp_path / "sizes.rq"), {"finding": "diener2011-security-alliance"})) == to_records(from_file)
    assert load_query("associations", project_settings).path == project_settings.queries_dir / "associations.rq"
    with pytest.raises(CatalogueError, match="no such query file"):
        load_query(tmp_path / "absent.rq")


def test_select_frame_keeps_select_order(loaded_store: OxigraphStore) -> None:
    frame = select_frame(loaded_store, "finding-provenance", {"finding": "notsu2024-anxiety-alliance"})
    assert list(frame.columns) == projected_variables(get_query("finding-provenance"))
    assert list(frame["position"]) == [1, 2, 5, 13, 16, 18]


def test_associations_as_dataframe(loaded_store: OxigraphStore) -> None:
    frame = to_dataframe(run_named(loaded_store, "associations"))
    assert frame.shape[0] == 6
    assert frame.set_index("finding").loc[f("diener2011-security-alliance"), "n"] == 886
    assert frame["r"].min() == -0.13 and frame["r"].max() == 0.28


def test_construct_scheme(loaded_store: OxigraphStore) -> None:
    rows = {r["construct"].rsplit("/", 1)[-1]: r for r in records(loaded_store, "construct-scheme")}

    def labels(slug: str, column: str) -> set[str]:
        return set((rows[slug][column] or "").split("; ")) - {""}

    assert len(rows) == 12
    assert labels("attachment-insecurity", "narrower") == {"attachment anxiety", "attachment avoidance"}
    assert labels("attachment-anxiety", "broader") == {"attachment insecurity"}
    assert labels("therapeutic-alliance", "components") == {"agreement on goals", "agreement on tasks", "relational bond"}
    assert labels("therapeutic-alliance", "narrower") == set()  # components are listed apart
    assert labels("alliance-bond", "componentOf") == {"therapeutic alliance"}
    assert labels("psychotherapy-outcome", "narrower") == {"symptom reduction", "depressive symptoms"}
    assert labels("attachment-security", "related") == {"attachment insecurity"}
    assert labels("therapeutic-alliance", "related") == {"alliance rupture", "psychotherapy outcome"}


def test_ci_excludes_zero(loaded_store: OxigraphStore) -> None:
    rows = records(loaded_store, "ci-excludes-zero")
    assert [(r["finding"], r["direction"]) for r in rows] == [
        (f("diener2011-security-alliance"), "positive"),
        (f("flueckiger2018-alliance-outcome"), "positive"),
        (f("notsu2024-anxiety-alliance"), "negative"),
        (f("notsu2024-avoidance-alliance"), "negative"),
    ]  # pprnet and the internet subgroup give no interval


@pytest.mark.parametrize(("a", "b"), [("attachment insecurity", "therapeutic-alliance"), ("working alliance", "insecure attachment")])
def test_evidence_between_includes_narrower_constructs(loaded_store: OxigraphStore, a: str, b: str) -> None:
    rows = records(loaded_store, "evidence-between", a=a, b=b)
    assert [(r["finding"], r["kind"], r["estimate"]) for r in rows] == [
        (f("notsu2024-anxiety-alliance"), "reported", -0.09),
        (f("notsu2024-avoidance-alliance"), "reported", -0.13),
    ]


def test_evidence_between_alliance_and_outcome(loaded_store: OxigraphStore) -> None:
    rows = records(loaded_store, "evidence-between", a="psychotherapy outcome", b="agreement on goals")
    assert rows == []  # a component of the alliance has no finding of its own
    rows = records(loaded_store, "evidence-between", a="symptom reduction", b="therapeutic alliance")
    assert rows == []  # narrower of outcome: the outcome findings are about the broader construct
    rows = records(loaded_store, "evidence-between", a="psychotherapy outcome", b="therapeutic alliance")
    assert [r["finding"] for r in rows] == [
        f("flueckiger2018-alliance-outcome"), f("flueckiger2018-alliance-outcome-internet"), f("pprnet-alliance-outcome"),
    ]


def test_implications_by_construct(loaded_store: OxigraphStore) -> None:
    rows = records(loaded_store, "implications-by-construct")
    pairs = {(r["construct"].rsplit("/", 1)[-1], r["implication"].rsplit("/", 1)[-1]) for r in rows}
    assert pairs == {
        ("therapeutic-alliance", "establish-alliance-early"),
        ("symptom-reduction", "establish-alliance-early"),
        ("therapeutic-alliance", "identify-patient-factors-repair-ruptures"),
        ("alliance-rupture", "identify-patient-factors-repair-ruptures"),
        ("attachment-insecurity", "alliance-harder-with-insecure-attachment"),
        ("therapeutic-alliance", "alliance-harder-with-insecure-attachment"),
        ("attachment-insecurity", "recognize-and-empathize"),
        ("attachment-insecurity", "optimal-responsiveness"),
        ("attachment-anxiety", "anxiety-distant-reflective-stance"),
        ("attachment-avoidance", "avoidance-space-and-time-for-trust"),
    }
    rests = {r["implication"].rsplit("/", 1)[-1]: set(r["restsOn"].split()) for r in rows}
    assert rests["identify-patient-factors-repair-ruptures"] == {
        f("pprnet-alliance-outcome"), f("notsu2024-anxiety-alliance"), f("notsu2024-avoidance-alliance"),
    }
    assert rests["avoidance-space-and-time-for-trust"] == {f("notsu2024-avoidance-alliance")}


def test_finding_provenance(loaded_store: OxigraphStore) -> None:
    rows = records(loaded_store, "finding-provenance", finding="notsu2024-avoidance-alliance")
    assert [(r["document"], r["position"]) for r in rows] == [
        (doc("notsu2024-abstract-psu"), 1), (doc("notsu2024-abstract-psu"), 3), (doc("notsu2024-abstract-psu"), 5),
        (doc("pprnet-notsu2024"), 13), (doc("pprnet-notsu2024"), 17), (doc("pprnet-notsu2024"), 18),
    ]
    s17 = rows[4]["text"]
    assert s17.startswith("The average effect size between attachment avoidance and alliance was r = -.13")
    same = records(loaded_store, "finding-provenance", finding="id:finding/pprnet-alliance-outcome")
    assert [(r["document"], r["position"]) for r in same] == [(doc("pprnet-notsu2024"), 5)]  # the summary said r = .28


def test_same_association(loaded_store: OxigraphStore) -> None:
    rows = records(loaded_store, "same-association")
    assert len(rows) == 1
    row = rows[0]
    assert (row["finding"], row["r"], row["ciLower"], row["ciUpper"], row["p"], row["k"]) == (
        f("flueckiger2018-alliance-outcome"), 0.278, 0.256, 0.299, 0.0001, None,
    )
    assert (row["other"], row["otherR"], row["otherCiLower"], row["otherP"], row["otherK"]) == (
        f("pprnet-alliance-outcome"), 0.28, None, 0.001, None,
    )
    assert row["documents"].split() == [doc("flueckiger2018-abstract-zora")]  # who said r = .278
    assert row["otherDocuments"].split() == [doc("pprnet-notsu2024")]  # who said r = .28
    assert row["linkedBy"].split() == [f"{ID}sentence/flueckiger2018-abstract-zora-f2"]  # who said they are one


def test_heterogeneity(loaded_store: OxigraphStore) -> None:
    rows = records(loaded_store, "heterogeneity")
    got = {(r["finding"].rsplit("/", 1)[-1], r["assessment"].rsplit("/", 1)[-1]): (r["i2"], r["q"], r["qDf"], r["qP"], r["description"]) for r in rows}
    assert got == {
        ("diener2011-security-alliance", "diener2011-security-alliance"): (None, 6.10, 16, 0.99, None),
        ("notsu2024-anxiety-alliance", "notsu2024-anxiety-alliance"): (43.7, None, None, None, None),
        ("notsu2024-anxiety-alliance", "pprnet-notsu2024-robustness"): (None, None, None, None, "low to moderate variability"),
        ("notsu2024-avoidance-alliance", "notsu2024-avoidance-alliance"): (44.7, None, None, None, None),
        ("notsu2024-avoidance-alliance", "pprnet-notsu2024-robustness"): (None, None, None, None, "low to moderate variability"),
    }


def test_derived_findings_are_excluded_or_labelled(loaded_store: OxigraphStore) -> None:
    loaded_store.update(
        f"""PREFIX ekg: <{EKG}> INSERT DATA {{
        <{f('pooled-test')}> a ekg:DerivedFinding ; ekg:fromConstruct <{c('attachment-anxiety')}> ;
            ekg:toConstruct <{c('therapeutic-alliance')}> ; ekg:estimate -0.5 ; ekg:ciLower -0.6 ; ekg:ciUpper -0.4 ;
            ekg:hasHeterogeneity <{ID}heterogeneity/pooled-test> . }}"""
    )
    for name in ("associations", "ci-excludes-zero", "heterogeneity"):
        assert f("pooled-test") not in {r["finding"] for r in records(loaded_store, name)}, name
    between = records(loaded_store, "evidence-between", a="attachment anxiety", b="alliance")
    assert [(r["finding"], r["kind"]) for r in between] == [
        (f("pooled-test"), "derived"), (f("notsu2024-anxiety-alliance"), "reported"),
    ]


def test_queries_run_through_a_remote_store_too(request: pytest.FixtureRequest, loaded_store: OxigraphStore) -> None:
    """Bindings travel as VALUES to a real endpoint: same answer as the embedded store."""
    from evidencekg.store.remote import RemoteStore

    base = request.getfixturevalue("oxigraph_server")
    remote = RemoteStore(f"{base}/query", f"{base}/update")
    remote.clear()
    copy_into(loaded_store, remote)
    for name, params in (("evidence-between", {"a": "attachment insecurity", "b": "alliance"}), ("finding-provenance", {"finding": "diener2011-security-alliance"})):
        assert to_records(run_named(remote, name, params)) == to_records(run_named(loaded_store, name, params))
