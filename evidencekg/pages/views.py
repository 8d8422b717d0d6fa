"""Typed page sections by kind of resource: findings, constructs, documents, publications."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox

from evidencekg.model.measures import measure_name
from evidencekg.model.namespaces import DOI_RESOLVER, EKG, PEARSON_R, PREFIXES, PUBMED, sparql_prologue
from evidencekg.pages.describe import (
    Link,
    ResourceView,
    Statement,
    Value,
    format_number,
    labels_of,
    make_link,
    natural_key,
    resource_triples,
    term_value,
)
from evidencekg.pages.evidence_groups import Group, computed_ci, evidence_groups, shown_number
from evidencekg.shapes import consistency
from evidencekg.store.protocol import Store

SKOS = PREFIXES["skos"]
PROV_DERIVED = PREFIXES["prov"] + "wasDerivedFrom"
FINDING_LIMIT = 200  # rows listed on a construct or publication page

_PROPS = "SELECT ?r ?p ?o WHERE { ?r ?p ?o }"
_FINDINGS = sparql_prologue() + """
SELECT ?r ?f ?from ?to ?intervention ?comparator ?estimate ?lo ?hi ?pub ?derived WHERE {
  %s
  FILTER EXISTS { VALUES ?ft { ekg:ReportedFinding ekg:DerivedFinding ekg:Finding } ?f a ?ft }
  OPTIONAL { ?f ekg:fromConstruct ?from }
  OPTIONAL { ?f ekg:toConstruct ?to }
  OPTIONAL { ?f ekg:interventionCondition ?intervention }
  OPTIONAL { ?f ekg:comparatorCondition ?comparator }
  OPTIONAL { ?f ekg:estimate ?estimate }
  OPTIONAL { ?f ekg:ciLower ?lo }
  OPTIONAL { ?f ekg:ciUpper ?hi }
  OPTIONAL { ?f ekg:reportedIn ?pub }
  BIND(EXISTS { ?f a ekg:DerivedFinding } AS ?derived)
} ORDER BY ?f LIMIT %d
"""
_ABOUT = sparql_prologue() + """
SELECT DISTINCT ?r ?x ?text WHERE {
  ?x a ?class ; ?about ?r .
  OPTIONAL { ?x rdf:value|skos:definition ?text }
} ORDER BY ?x
"""
# Constructs B such that the forest plot of (?r, B) shows findings under /plots/forest's rule (narrower
# constructs and components of both included): the other end of a finding about ?r or a narrower
# construct, or a broader construct of that end; never ?r itself, one of its narrower or broader ones.
_NARROWER = "(skos:narrower|^skos:broader|ekg:hasComponent|^ekg:componentOf)"
_FOREST_PAIRS = sparql_prologue() + f"""
SELECT DISTINCT ?b WHERE {{
  ?r {_NARROWER}* ?x .
  {{ ?f ekg:fromConstruct ?x ; ekg:toConstruct ?o }} UNION {{ ?f ekg:toConstruct ?x ; ekg:fromConstruct ?o }}
  ?f ekg:estimate ?estimate .
  ?b {_NARROWER}* ?o .
  ?b a ekg:Construct .
  FILTER NOT EXISTS {{ ?r {_NARROWER}* ?b }}
  FILTER NOT EXISTS {{ ?b {_NARROWER}* ?r }}
}}"""
_SENTENCES = sparql_prologue() + """
SELECT ?r ?s ?text ?position WHERE {
  ?s dcterms:isPartOf ?r . OPTIONAL { ?s rdf:value ?text } OPTIONAL { ?s ekg:position ?position }
} ORDER BY ?position ?s
"""


@dataclass(frozen=True)
class SentenceView:
    """A provenance sentence quoted verbatim, with the document it is part of."""

    link: Link
    text: str
    position: str | None
    document: Link | None
    document_url: str | None


@dataclass(frozen=True)
class FindingRow:
    """One finding in a list: what it relates, its estimate and CI, where it was reported."""

    link: Link
    source: Link | None
    target: Link | None
    estimate: str | None
    ci_lower: str | None
    ci_upper: str | None
    publication: Link | None
    derived: bool


@dataclass(frozen=True)
class Detail:
    """A linked node shown inline (heterogeneity, moderator test): its link and its own values."""

    link: Link
    values: list[Statement]


@dataclass
class FindingSection:
    """What a finding page shows above the statement tables."""

    derived: bool
    source: Link | None  # from construct, or the intervention condition of a trial finding
    target: Link | None
    comparator: Link | None
    numbers: dict[str, str]
    publication: Link | None
    doi: str | None
    links_out: list[tuple[str, str]]  # (text, url) of the publication's DOI and PMID IRIs
    study: Link | None
    sentences: list[SentenceView]
    heterogeneity: list[Detail]
    moderators: list[Detail]
    same_association: list[FindingRow]
    derived_from: list[Link]
    forest_href: str | None
    consistency: object | None = None
    consistency_error: str | None = None


@dataclass
class ConstructSection:
    """What a construct page shows: definition, scheme neighbours, findings, implications, mechanisms."""

    definition: str | None
    alt_labels: list[str]
    relations: dict[str, list[Link]]
    groups: list[Group]
    implications: list[tuple[Link, str]]
    mechanisms: list[tuple[Link, str]]
    forest_links: list[tuple[str, str]] = field(default_factory=list)


def _by_predicate(statements: list[Statement]) -> dict[str, list[Value]]:
    grouped: dict[str, list[Value]] = {}
    for s in statements:
        grouped.setdefault(s.predicate.iri, []).append(s.value)
    return grouped


def _first(values: dict[str, list[Value]], local: str) -> Value | None:
    found = values.get(str(EKG[local])) or []
    return found[0] if found else None


def _props(store: Store, iri: str) -> list[tuple[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
    return [(row["p"].value, row["o"]) for row in store.select(_PROPS, {"r": ox.NamedNode(iri)})]


def links_out(props: list[tuple[str, ox.NamedNode | ox.BlankNode | ox.Literal]]) -> list[tuple[str, str]]:
    """The DOI and PubMed IRIs a publication states (schema:sameAs) as (text, url), DOI first."""
    found = []
    for p, o in props:
        if p == PREFIXES["schema"] + "sameAs" and isinstance(o, ox.NamedNode):
            if o.value.startswith(DOI_RESOLVER):
                found.append((0, "doi:" + o.value[len(DOI_RESOLVER):], o.value))
            elif o.value.startswith(PUBMED):
                found.append((1, "PMID " + o.value[len(PUBMED):].strip("/"), o.value))
    return [(text, url) for _, text, url in sorted(found)]


def _details(store: Store, links: list[Link], labels: dict[str, str]) -> list[Detail]:
    details = []
    for link in links:
        values = [
            Statement(make_link(p, labels), term_value(o, labels, p))
            for p, o in _props(store, link.iri)
            if p not in (PREFIXES["rdf"] + "type", PREFIXES["rdfs"] + "label")
        ]
        details.append(Detail(link, sorted(values, key=lambda s: (s.predicate.label, natural_key(s.value.text)))))
    return details


def _finding_rows(store: Store, pattern: str, iri: str, labels: dict[str, str]) -> list[FindingRow]:
    rows = store.select(_FINDINGS % (pattern, FINDING_LIMIT), {"r": ox.NamedNode(iri)})
    more = _labels_of(store, rows)
    all_labels = {**more, **labels}

    def link(row: dict, *names: str) -> Link | None:
        term = next((row[n] for n in names if n in row), None)
        return make_link(term.value, all_labels) if term is not None else None

    def num(row: dict, name: str) -> str | None:
        return format_number(row[name].value) if name in row else None

    return [
        FindingRow(
            link=link(row, "f"),  # type: ignore[arg-type]
            source=link(row, "from", "intervention"),
            target=link(row, "to") if "comparator" not in row else link(row, "comparator"),
            estimate=num(row, "estimate"),
            ci_lower=num(row, "lo"),
            ci_upper=num(row, "hi"),
            publication=link(row, "pub"),
            derived=row["derived"].value == "true",
        )
        for row in rows
    ]


def _labels_of(store: Store, rows: list[dict]) -> dict[str, str]:
    """Labels for every IRI appearing in result rows (one query)."""
    return labels_of(store, {t.value for row in rows for t in row.values() if isinstance(t, ox.NamedNode)})


def slug(link: Link | None) -> str | None:
    """The last path segment of a local link (what /plots/forest takes for a construct)."""
    return link.href.rsplit("/", 1)[-1] if link is not None and link.local else None


def forest_href(a: Link | None, b: Link | None) -> str | None:
    """The forest-plot address for a pair of constructs (served by the network routes)."""
    if slug(a) is None or slug(b) is None:
        return None
    return "/plots/forest?" + urlencode({"a": slug(a), "b": slug(b)})


def forest_pairs(store: Store, construct: Link, labels: dict[str, str]) -> list[tuple[str, str]]:
    """(label, forest-plot address) for every construct whose plot with this one shows findings, narrower ones included.

    Trial comparisons (conditions, not constructs) have no forest plot of construct pairs and get no link;
    attachment insecurity has no finding of its own, but its narrower anxiety and avoidance have
    findings with therapeutic alliance: the plot of insecurity / alliance shows them.
    """
    rows = store.select(_FOREST_PAIRS, {"r": ox.NamedNode(construct.iri)})
    known = {**_labels_of(store, rows), **labels}
    links = (make_link(row["b"].value, known) for row in rows)
    return [(link.label, href) for link in links if (href := forest_href(construct, link))]


def consistency_for(store: Store, iri: str) -> tuple[object | None, str | None]:
    """The statcheck-like consistency result for a finding (evidencekg.shapes.consistency over its own description).

    A failure of the check never breaks the page: it is shown as a note instead.
    """
    try:
        import rdflib

        graph = rdflib.Graph()
        graph.parse(data=ox.serialize(resource_triples(store, iri), format=ox.RdfFormat.N_TRIPLES), format="nt")
        return consistency.check_finding(graph, iri), None
    except Exception as exc:  # noqa: BLE001 - a failing check must not break the page
        return None, f"consistency check unavailable: {exc}"


def finding_section(store: Store, view: ResourceView, labels: dict[str, str]) -> FindingSection:
    """The finding's constructs, numbers, publication, provenance and sibling statements."""
    values = _by_predicate(view.outgoing)
    link_of = lambda local: (v.link if (v := _first(values, local)) else None)  # noqa: E731
    numbers = {}
    for key, local in (
        ("estimate", "estimate"), ("ci_lower", "ciLower"), ("ci_upper", "ciUpper"),
        ("confidence_level", "confidenceLevel"), ("standard_error", "standardError"),
        ("p_value", "pValue"), ("p_relation", "pValueRelation"), ("k", "numberOfStudies"),
        ("k_description", "numberOfStudiesDescription"), ("n", "sampleSize"),
        ("subgroup", "subgroup"), ("time_point", "timePoint"), ("rater", "raterPerspective"),
        ("measure", "effectSizeMeasure"), ("model", "statisticalModel"),
        ("estimation_method", "estimationMethod"), ("pooling_method", "poolingMethod"),
        ("instrument", "instrument"), ("interpretation", "effectSizeInterpretation"),
    ):
        if (v := _first(values, local)) is not None:
            numbers[key] = measure_name(v.link.iri, labels.get(v.link.iri)) if key == "measure" and v.link else v.text
    for key in ("estimate", "ci_lower", "ci_upper", "standard_error"):  # a machine value (15 digits) to two decimals
        if key in numbers:
            numbers[key] = shown_number(numbers[key]).text
    if "ci_lower" not in numbers and (estimate := _first(values, "estimate")) is not None:
        def num(local: str) -> float | None:
            v = _first(values, local)
            return float(v.text) if v is not None else None

        measure = _first(values, "effectSizeMeasure")
        is_r = measure is not None and measure.link is not None and measure.link.iri == str(PEARSON_R)
        ci = computed_ci(float(estimate.text), num("standardError"), num("sampleSize"), num("arm1SampleSize"), num("arm2SampleSize"), is_r)
        if ci is not None:
            numbers["ci_computed"], numbers["ci_computed_how"] = ci.text, ci.how
    generated = values.get(PREFIXES["prov"] + "generatedAtTime")
    if generated:
        numbers["generated_at"] = generated[0].text
    derived = any(t.iri == str(EKG.DerivedFinding) for t in view.types)
    publication = link_of("reportedIn")
    doi, links = None, []
    if publication is not None:
        props = _props(store, publication.iri)
        doi = next((o.value for p, o in props if p.endswith("/bibo/doi")), None)
        links = links_out(props)
    sources = [v.link for v in values.get(PROV_DERIVED, []) if v.link]
    sentences = [_sentence(store, link, labels) for link in sources if link.href.startswith("/id/sentence/")]
    source = link_of("fromConstruct") or link_of("interventionCondition")
    target = link_of("toConstruct")
    same = _finding_rows(
        store, "{ ?r ekg:sameAssociationAs ?f } UNION { ?f ekg:sameAssociationAs ?r } FILTER(?f != ?r)",
        view.link.iri, labels,
    )
    section = FindingSection(
        derived=derived,
        source=source,
        target=target,
        comparator=link_of("comparatorCondition"),
        numbers=numbers,
        publication=publication,
        doi=doi,
        links_out=links,
        study=link_of("fromStudy"),
        sentences=sentences,
        heterogeneity=_details(store, [v.link for v in values.get(str(EKG.hasHeterogeneity), []) if v.link], labels),
        moderators=_details(store, [v.link for v in values.get(str(EKG.hasModeratorTest), []) if v.link], labels),
        same_association=same,
        derived_from=[] if not derived else sorted((s for s in sources if not s.href.startswith("/id/sentence/")), key=lambda link: (natural_key(link.label), link.iri)),
        forest_href=forest_href(link_of("fromConstruct"), target),
    )
    section.consistency, section.consistency_error = consistency_for(store, view.link.iri)
    return section


def _sentence(store: Store, link: Link, labels: dict[str, str]) -> SentenceView:
    props = _props(store, link.iri)
    text = next((o.value for p, o in props if p == PREFIXES["rdf"] + "value"), "")
    position = next((o.value for p, o in props if p == str(EKG.position)), None)
    doc_iri = next((o.value for p, o in props if p == PREFIXES["dcterms"] + "isPartOf"), None)
    document, url = None, None
    if doc_iri is not None:
        doc_props = _props(store, doc_iri)
        title = next((o.value for p, o in doc_props if p == PREFIXES["dcterms"] + "title"), None)
        document = make_link(doc_iri, {doc_iri: title} if title else labels)
        url = next(
            (o.value for p, o in doc_props if p.endswith(("/foaf/0.1/page", "/dc/terms/source")) and o.value.startswith("http")),
            None,
        )
    return SentenceView(link=link, text=text, position=position, document=document, document_url=url)


def _about(store: Store, iri: str, cls: str, props: str, labels: dict[str, str]) -> list[tuple[Link, str]]:
    query = _ABOUT.replace("?about", props).replace("?class", cls)
    rows = store.select(query, {"r": ox.NamedNode(iri)})
    more = {**_labels_of(store, rows), **labels}
    return [(make_link(row["x"].value, more), row["text"].value if "text" in row else "") for row in rows]


def construct_section(store: Store, view: ResourceView, labels: dict[str, str], group: str | None = None, page: int = 1) -> ConstructSection:
    """The construct's definition, its place in the scheme, and the evidence that touches it."""
    out = _by_predicate(view.outgoing)
    inc = _by_predicate(view.incoming)

    def links(out_props: tuple[str, ...], in_props: tuple[str, ...]) -> list[Link]:
        found = {v.link.iri: v.link for p in out_props for v in out.get(p, []) if v.link}
        found.update({v.link.iri: v.link for p in in_props for v in inc.get(p, []) if v.link})
        return sorted(found.values(), key=lambda link: link.label.lower())

    relations = {
        "broader": links((SKOS + "broader",), (SKOS + "narrower",)),
        "narrower": links((SKOS + "narrower",), (SKOS + "broader",)),
        "component of": links((str(EKG.componentOf),), (str(EKG.hasComponent),)),
        "components": links((str(EKG.hasComponent),), (str(EKG.componentOf),)),
        "related": links((SKOS + "related",), (SKOS + "related",)),
    }
    # components are also broader/narrower (sub-properties): do not list them twice
    relations["broader"] = [x for x in relations["broader"] if x not in relations["component of"]]
    relations["narrower"] = [x for x in relations["narrower"] if x not in relations["components"]]
    definition = next(iter(out.get(SKOS + "definition", [])), None)
    return ConstructSection(
        definition=definition.text if definition else None,
        alt_labels=[v.text for v in out.get(SKOS + "altLabel", [])],
        relations=relations,
        groups=evidence_groups(store, view.link.iri, labels, group, page),
        implications=_about(store, view.link.iri, "ekg:PracticeImplication", "ekg:aboutConstruct", labels),
        mechanisms=_about(
            store, view.link.iri, "ekg:ProposedMechanism", "(ekg:aboutConstruct|ekg:affectsConstruct)", labels
        ),
        forest_links=sorted(forest_pairs(store, view.link, labels)),
    )


def document_sentences(store: Store, iri: str) -> list[tuple[Link, str, str | None]]:
    """A document's sentences in order: link, verbatim text, position."""
    rows = store.select(_SENTENCES, {"r": ox.NamedNode(iri)})
    return [
        (make_link(row["s"].value, {}), row["text"].value if "text" in row else "",
         row["position"].value if "position" in row else None)
        for row in rows
    ]


def sections_for(store: Store, view: ResourceView, labels: dict[str, str], group: str | None = None, page: int = 1) -> dict[str, object]:
    """The typed sections a page of this kind shows (empty for kinds with only statement tables).

    Construct and condition pages list their findings by comparison; `group` and `page` page through one of them.
    """
    types = {t.iri for t in view.types}
    if view.kind == "finding" or types & {str(EKG.ReportedFinding), str(EKG.DerivedFinding), str(EKG.Finding)}:
        return {"finding": finding_section(store, view, labels)}
    if view.kind == "construct" or str(EKG.Construct) in types:
        return {"construct": construct_section(store, view, labels, group, page)}
    if view.kind == "condition" or str(EKG.Condition) in types:
        return {"groups": evidence_groups(store, view.link.iri, labels, group, page)}
    if view.kind == "document":
        return {"sentences": document_sentences(store, view.link.iri)}
    if view.kind == "publication":
        return {"findings": _finding_rows(store, "?f ekg:reportedIn ?r .", view.link.iri, labels)}
    if view.kind == "study":
        return {"findings": _finding_rows(store, "?f ekg:fromStudy ?r .", view.link.iri, labels)}
    return {}
