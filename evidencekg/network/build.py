"""The construct network: built from the store by SPARQL, with neighbourhood and centrality."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import networkx as nx

from evidencekg.errors import InvalidInput
from evidencekg.meta.forest import number
from evidencekg.model.citations import as_cited_in, author_year, document_name
from evidencekg.model.measures import measure_symbol
from evidencekg.model.names import NameIndex
from evidencekg.store.protocol import Store
from evidencekg.store.results import to_python

# Node kinds and edge kinds (the `kind` attribute of every node and edge).
CONSTRUCT, MECHANISM, IMPLICATION = "construct", "mechanism", "implication"
FINDING, COMPONENT_OF, BROADER = "finding", "componentOf", "broader"
STRUCTURE_KINDS = frozenset({COMPONENT_OF, BROADER})
MECHANISM_OF, AFFECTS, ABOUT = "mechanismOf", "affects", "about"
LAYERS = ("mechanisms", "implications")
ALPHA = 0.05
PROVENANCE_SEPARATOR = " | "  # between the sentences of a finding's `provenance` (the exports' one-text form)


def query_text(name: str) -> str:
    """The text of a named query shipped in evidencekg/sparql/ (e.g. 'network-findings')."""
    return resources.files("evidencekg.network").joinpath("queries", f"{name}.rq").read_text("utf-8")


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A SELECT row as plain Python values, empty strings dropped."""
    values = {name: to_python(term) for name, term in row.items()}
    return {name: value for name, value in values.items() if value not in (None, "")}


def slug_of(iri: str) -> str:
    """The last path segment of an instance IRI (`.../construct/attachment-anxiety` -> `attachment-anxiety`)."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def is_significant(attrs: Mapping[str, Any]) -> bool | None:
    """Significance derived as the model says: the CI excludes 0, else p < .05; None when unknown."""
    lower, upper = attrs.get("ci_lower"), attrs.get("ci_upper")
    if lower is not None and upper is not None:
        return bool(lower > 0 or upper < 0)
    p = attrs.get("p")
    if p is None:
        return None
    if attrs.get("p_relation") == "<":
        return bool(p <= ALPHA)
    return bool(p < ALPHA)


def source_label(citation: str | None, publication: str | None) -> str | None:
    """A short publication name for legends and filters: `Notsu et al. 2024` from the citation, else the slug."""
    short = author_year(citation) if citation else None
    return short or (slug_of(publication) if publication else None)


def cited_in(sentences: list[dict[str, Any]], publication: str | None) -> dict[str, Any] | None:
    """The document a finding's figure was read from when it summarises another publication than the finding's.

    A finding reportedIn Flückiger 2018 but read only from the PPRNet summary of Notsu 2024 is
    "as cited in" that summary; one read from a summary of its own publication is not.
    """
    documents = {s["document"]: s for s in sentences if s.get("summarises")}
    if publication is None or not documents:
        return None
    if any(publication in s["summarises"].split() for s in documents.values()):
        return None
    return next(iter(documents.values()))


def derived_label(attrs: Mapping[str, Any]) -> str:
    """The source line of a derived finding: `derived: pooled by evidencekg (REML, k = 5)`."""
    k = attrs.get("k") or len(str(attrs.get("derived_from") or "").split())
    details = ", ".join(x for x in (attrs.get("pooling_method"), f"k = {k}" if k else "") if x)
    return "derived: pooled by evidencekg" + (f" ({details})" if details else "")


def _iso(value: Any) -> str | None:
    """A date or time as ISO 8601 text (so every export and JSON can carry it)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def finding_label(attrs: Mapping[str, Any]) -> str:
    """The short label of a finding edge: `r = -0.13 [-0.19, -0.07]` (CI only when reported)."""
    measure = attrs.get("measure_name", "r")
    text = f"{measure} = {number(attrs['estimate'])}" if "estimate" in attrs else measure
    if "ci_lower" in attrs and "ci_upper" in attrs:
        text += f" [{number(attrs['ci_lower'])}, {number(attrs['ci_upper'])}]"
    return text


def stating_first(sentences: list[dict[str, Any]], estimate: float | None) -> list[dict[str, Any]]:
    """Provenance sentences with those that state the estimate (`.13` for r = -0.13) first, else in document order."""
    if estimate is None:
        return sentences
    digits = number(abs(estimate)).lstrip("0")
    return sorted(sentences, key=lambda s: digits not in s["text"])


def _finding_edges(store: Store) -> list[dict[str, Any]]:
    """One attribute dict per (finding, from, to), provenance sentences merged in."""
    sources: dict[str, list[dict[str, Any]]] = {}
    for raw in store.select(query_text("network-provenance")):
        row = _row(raw)
        sources.setdefault(row["finding"], []).append(row)
    edges = []
    for raw in store.select(query_text("network-findings")):
        row = _row(raw)
        attrs: dict[str, Any] = {
            "kind": FINDING,
            "finding": row["finding"],
            "source": row["from"],
            "target": row["to"],
            "finding_type": row.get("findingType", "unspecified"),
            "measure": row.get("measure"),
            "measure_name": measure_symbol(row.get("measure")),
            "estimate": row.get("estimate"),
            "ci_lower": row.get("ciLower"),
            "ci_upper": row.get("ciUpper"),
            "confidence_level": row.get("confidenceLevel"),
            "p": row.get("p"),
            "p_relation": row.get("pRelation", "=" if "p" in row else None),
            "k": row.get("k"),
            "k_description": row.get("kDescription"),
            "n": row.get("n"),
            "subgroup": row.get("subgroup"),
            "rater": row.get("rater"),
            "study": row.get("study"),
            "primary_study": row.get("primaryStudy"),
            "publication": row.get("publication"),
            "doi": row.get("doi"),
            "citation": row.get("citation") or row.get("title"),
            "same_as": row.get("sameAs"),
            "pooling_method": row.get("poolingMethod"),
            "generated_at": _iso(row.get("generatedAt")),
            "derived_from": row.get("derivedFrom"),
        }
        attrs["publication_label"] = source_label(attrs["citation"], attrs["publication"])
        attrs["source_label"] = attrs["publication_label"]
        if attrs["finding_type"] == "derived":
            attrs["source_label"] = derived_label(attrs)
        if attrs["measure_name"] == "r" and attrs["estimate"] is not None:
            attrs["r"] = attrs["estimate"]
        sentences = stating_first(sources.get(row["finding"], []), row.get("estimate"))
        citing = cited_in(sentences, attrs["publication"])
        if citing is not None and attrs["source_label"]:
            attrs["cited_in"] = citing["document"]
            attrs["cited_in_label"] = document_name(citing.get("documentShortTitle"), citing.get("documentTitle"))
            attrs["source_label"] = as_cited_in(attrs["source_label"], attrs["cited_in_label"])
        if sentences:
            attrs["sources"] = [
                {"sentence": s["sentence"], "text": s["text"], "document": s.get("document"),
                 "document_title": s.get("documentTitle"), "document_url": s.get("documentUrl")}
                for s in sentences
            ]
            attrs["sentence"] = " ".join(s["sentence"] for s in sentences)
            attrs["provenance"] = PROVENANCE_SEPARATOR.join(s["text"] for s in sentences)
            documents = list(dict.fromkeys(s["document"] for s in sentences if "document" in s))
            attrs["document"] = " ".join(documents) or None
            first = next((s for s in sentences if "document" in s), {})
            attrs["document_title"] = first.get("documentTitle")
            attrs["document_url"] = first.get("documentUrl")
        attrs = {key: value for key, value in attrs.items() if value is not None}
        attrs["significant"] = is_significant(attrs)
        attrs["label"] = finding_label(attrs)
        edges.append(attrs)
    return edges


def _add_construct(graph: nx.MultiDiGraph, iri: str, **attrs: Any) -> None:
    """Add a construct node (label falls back to the slug)."""
    node = {"kind": CONSTRUCT, "iri": iri, "slug": slug_of(iri), "label": slug_of(iri)}
    node.update({key: value for key, value in attrs.items() if value not in (None, "")})
    graph.add_node(iri, **node)


def parse_layers(text: str) -> tuple[str, ...]:
    """Layers from a comma-separated list ("mechanisms,implications"); an unknown one is a ValueError."""
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [layer for layer in chosen if layer not in LAYERS]
    if unknown:
        raise InvalidInput(f"layers: unknown layer {', '.join(unknown)}; choose from {', '.join(LAYERS)}")
    return chosen


def _add_layers(graph: nx.MultiDiGraph, store: Store, layers: Iterable[str]) -> None:
    """Add proposed mechanisms and practice implications as nodes linked to their constructs."""
    wanted = set(parse_layers(",".join(layers)))
    specs = [("mechanisms", "network-mechanisms", "mechanism", MECHANISM)]
    specs.append(("implications", "network-implications", "implication", IMPLICATION))
    for layer, query, key, kind in specs:
        if layer not in wanted:
            continue
        for raw in store.select(query_text(query)):
            row = _row(raw)
            node = row[key]
            text = row.get("text", slug_of(node))
            short = row.get("label") or (text if len(text) <= 60 else text[:57].rstrip() + "...")
            attrs = {"kind": kind, "iri": node, "slug": slug_of(node), "label": short, "text": text}
            attrs.update({k: row[k] for k in ("sentence",) if k in row})
            if "restsOn" in row:
                attrs["rests_on"] = row["restsOn"]
            graph.add_node(node, **attrs)
            if kind == MECHANISM:
                if row.get("about") in graph:
                    graph.add_edge(row["about"], node, key=MECHANISM_OF, kind=MECHANISM_OF, label="mechanism")
                if row.get("affects") in graph:
                    graph.add_edge(node, row["affects"], key=AFFECTS, kind=AFFECTS, label="affects")
            elif row.get("about") in graph:
                graph.add_edge(node, row["about"], key=ABOUT, kind=ABOUT, label="about")


def build_network(store: Store, layers: Iterable[str] = ()) -> nx.MultiDiGraph:
    """The construct network: constructs, scheme structure (child -> parent) and findings (from -> to).

    Finding edges are keyed by the finding IRI; structure edges by their kind, one per pair
    (a component relation wins over the plain broader relation it implies).
    """
    graph = nx.MultiDiGraph(name="evidencekg construct network")
    for raw in store.select(query_text("network-constructs")):
        row = _row(raw)
        _add_construct(
            graph, row["construct"], label=row.get("label"),
            definition=row.get("definition"), alt_labels=row.get("altLabels"),
        )
    structure: dict[tuple[str, str], str] = {}
    for raw in store.select(query_text("network-structure")):
        row = _row(raw)
        pair = (row["child"], row["parent"])
        if structure.get(pair) != COMPONENT_OF:
            structure[pair] = row["relation"]
    for (child, parent), relation in sorted(structure.items()):
        label = "component of" if relation == COMPONENT_OF else "narrower than"
        graph.add_edge(child, parent, key=relation, kind=relation, label=label)
    for attrs in _finding_edges(store):
        for end in (attrs["source"], attrs["target"]):
            if end not in graph:  # a finding about a concept not typed ekg:Construct
                _add_construct(graph, end)
        source, target = attrs.pop("source"), attrs.pop("target")
        graph.add_edge(source, target, key=attrs["finding"], **attrs)
    _add_layers(graph, store, layers)
    return graph


def construct_nodes(graph: nx.MultiDiGraph) -> list[str]:
    """The construct nodes, in label order."""
    nodes = [n for n, kind in graph.nodes(data="kind") if kind == CONSTRUCT]
    return sorted(nodes, key=lambda n: graph.nodes[n]["label"].lower())


def finding_edges(graph: nx.MultiDiGraph) -> list[tuple[str, str, dict[str, Any]]]:
    """All finding edges as (from, to, attributes), in finding-IRI order."""
    edges = [(u, v, d) for u, v, d in graph.edges(data=True) if d["kind"] == FINDING]
    return sorted(edges, key=lambda e: e[2]["finding"])


def resolve_construct(graph: nx.MultiDiGraph, name: str) -> str:
    """The construct node a user means, by any name the store resolver accepts (UnknownName suggests close ones)."""
    index = NameIndex("construct")
    for node in construct_nodes(graph):
        attrs = graph.nodes[node]
        index.add(node, attrs["label"], *attrs.get("alt_labels", "").split("|"))
    return index.resolve(name)


def findings_between(graph: nx.MultiDiGraph, a: str, b: str) -> list[dict[str, Any]]:
    """Every finding between two constructs, in either stated direction (with `from` and `to`)."""
    found = []
    for u, v in ((a, b), (b, a)):
        for attrs in graph.get_edge_data(u, v, default={}).values():
            if attrs["kind"] == FINDING:
                found.append({"from": u, "to": v, **attrs})
    return sorted(found, key=lambda f: f["finding"])


def edge_summary(graph: nx.MultiDiGraph, u: str, v: str, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """An edge as a JSON-ready dict, with the labels of both ends."""
    return {
        "from": u, "from_label": graph.nodes[u].get("label", u),
        "to": v, "to_label": graph.nodes[v].get("label", v), **attrs,
    }


def neighbourhood(graph: nx.MultiDiGraph, construct: str) -> dict[str, Any]:
    """A construct with its findings (out and in), its scheme parents and children, mechanisms and implications."""
    node = dict(graph.nodes[construct])
    result: dict[str, Any] = {"construct": node, "findings": [], "parents": [], "children": []}
    result.update({"mechanisms": [], "implications": []})
    for u, v, attrs in list(graph.out_edges(construct, data=True)) + list(graph.in_edges(construct, data=True)):
        kind = attrs["kind"]
        other = v if u == construct else u
        if kind == FINDING:
            result["findings"].append(edge_summary(graph, u, v, attrs))
        elif kind in STRUCTURE_KINDS:
            bucket = "parents" if u == construct else "children"
            result[bucket].append({"iri": other, "label": graph.nodes[other]["label"], "relation": kind})
        elif kind in {MECHANISM_OF, AFFECTS}:
            result["mechanisms"].append({"role": kind, **graph.nodes[other]})
        elif kind == ABOUT:
            result["implications"].append(dict(graph.nodes[other]))
    result["findings"].sort(key=lambda f: f["finding"])
    return result


def construct_graph(graph: nx.MultiDiGraph) -> nx.Graph:
    """The constructs joined by findings or structure, as a simple undirected graph."""
    simple = nx.Graph()
    simple.add_nodes_from(construct_nodes(graph))
    for u, v, kind in graph.edges(data="kind"):
        if kind == FINDING or kind in STRUCTURE_KINDS:
            simple.add_edge(u, v)
    return simple


def centrality(graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Per construct: number of findings, degree and betweenness centrality (undirected, structure included)."""
    simple = construct_graph(graph)
    degree = nx.degree_centrality(simple)
    betweenness = nx.betweenness_centrality(simple)
    rows = []
    for node in simple:
        findings = sum(1 for *_, k in graph.edges(node, data="kind") if k == FINDING)
        findings += sum(1 for *_, k in graph.in_edges(node, data="kind") if k == FINDING)
        rows.append({
            "iri": node, "label": graph.nodes[node]["label"], "findings": findings,
            "degree": simple.degree(node), "degree_centrality": degree[node],
            "betweenness": betweenness[node],
        })
    return sorted(rows, key=lambda r: (-r["betweenness"], -r["degree"], r["label"]))
