"""Describe one resource: its triples for RDF formats, its labels and links, and a view model for HTML."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from evidencekg.errors import NotFound, StoreError
from evidencekg.model.graphs import ONTOLOGY
from evidencekg.model.namespaces import ID, PREFIXES, prefixed, sparql_prologue
from evidencekg.pages.links import safe_href
from evidencekg.store.protocol import GRAPH_FORMATS, Store

XSD = PREFIXES["xsd"]
RDF_TYPE = PREFIXES["rdf"] + "type"
RDF_VALUE = PREFIXES["rdf"] + "value"
DOI_PROPERTY = "http://purl.org/ontology/bibo/doi"
Q_P_VALUE = PREFIXES["ekg"] + "qPValue"
NUMERIC_TYPES = {XSD + t for t in ("decimal", "double", "float", "integer", "int", "long", "nonNegativeInteger")}
LOCAL_PREFIX = "/id/"

# Properties that name a resource, most preferred first.
LABEL_PROPERTIES = (
    "skos:prefLabel",
    "rdfs:label",
    "dcterms:title",
    "ekg:studyLabel",
)

_TRIPLES = (
    sparql_prologue()
    + "CONSTRUCT { ?r ?p ?o . ?s ?q ?r } WHERE { { ?r ?p ?o } UNION { ?s ?q ?r } }"
)
_EXISTS = "ASK { { ?r ?p ?o } UNION { ?s ?q ?r } }"
# ?x's labels with the rank of their property (0 best), for best_labels.
# Labels come from the data union and from the ontology graphs (property and class names).
_RANKED_LABEL = (
    "  VALUES (?lp ?rank) { " + " ".join(f"({p} {i})" for i, p in enumerate(LABEL_PROPERTIES)) + " }\n"
    f"  {{ ?x ?lp ?label }} UNION {{ GRAPH ?og {{ ?x ?lp ?label }} FILTER(STRSTARTS(STR(?og), \"{ONTOLOGY}\")) }}\n"
)
_LABELS = sparql_prologue() + (
    "SELECT DISTINCT ?r ?x ?label ?rank WHERE {\n"
    "  { BIND(?r AS ?x) } UNION { ?r ?x ?o } UNION { ?r ?p ?x }\n"
    "  UNION { ?r ?p ?y . ?y ?q ?x FILTER(isIRI(?x)) }\n"
    + _RANKED_LABEL
    + "}"
)
_OUT = "SELECT ?r ?p ?o WHERE { ?r ?p ?o }"
SHOWN_INCOMING = 40  # statements pointing at a resource that its page lists (the rest: counted, and in ?format=ttl)
_IN = f"SELECT ?r ?s ?p WHERE {{ ?s ?p ?r }} ORDER BY ?p ?s LIMIT {SHOWN_INCOMING}"
_IN_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?r }"


@dataclass(frozen=True)
class Link:
    """A resource as a page shows it: its IRI, a label and where the link goes."""

    iri: str
    label: str
    href: str
    local: bool


@dataclass(frozen=True)
class Value:
    """The object of a statement: a link to a resource, or a literal's display text."""

    text: str
    link: Link | None = None
    datatype: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Statement:
    """One row of a page's statement table (outgoing: predicate -> value; incoming: value -> predicate)."""

    predicate: Link
    value: Value


@dataclass
class ResourceView:
    """Everything the HTML page of one resource shows; typed sections are filled by kind."""

    link: Link
    kind: str
    types: list[Link]
    text: str | None
    outgoing: list[Statement]
    incoming: list[Statement]  # at most SHOWN_INCOMING of them
    sections: dict[str, object] = field(default_factory=dict)
    incoming_total: int = 0  # how many statements point here in all


def local_path(iri: str) -> str | None:
    """The local /id/... path of an instance IRI, or None when the IRI is not ours.

    >>> local_path("https://w3id.org/evidencekg/id/construct/attachment-anxiety")
    '/id/construct/attachment-anxiety'
    """
    base = str(ID)
    return LOCAL_PREFIX + iri[len(base):] if iri.startswith(base) and len(iri) > len(base) else None


def iri_for_path(path: str) -> str:
    """The instance IRI a local path /id/{path} stands for (the path without the /id/ prefix).

    NotFound when that is no IRI (a space, `<`, `"`, `{`, a bad %-escape...): no resource can have it.
    """
    iri = str(ID) + path.lstrip("/")
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise NotFound(f"/id/{path!r} names no resource: {exc} (not a valid IRI)") from exc
    return iri


def kind_of(iri: str) -> str:
    """The kind of an instance (`finding`, `construct`, ...) read from its IRI, or '' when not ours."""
    path = local_path(iri)
    return path[len(LOCAL_PREFIX):].split("/", 1)[0] if path else ""


def fallback_label(iri: str) -> str:
    """A readable name for an IRI nobody labelled: the slug of our instances, else its prefixed name."""
    path = local_path(iri)
    return path.rsplit("/", 1)[-1].replace("-", " ") if path else prefixed(iri)


def make_link(iri: str, labels: dict[str, str]) -> Link:
    """A link to an IRI: local /id/ paths for our instances, the IRI itself for web addresses, else no href ("")."""
    path = local_path(iri)
    return Link(iri=iri, label=labels.get(iri) or fallback_label(iri), href=path or safe_href(iri) or "", local=path is not None)


def format_number(lexical: str) -> str:
    """Show a decimal with at least two decimals (Oxigraph stores 0.10 as 0.1), integers as they are.

    >>> format_number("0.1"), format_number("-0.09"), format_number("0.278"), format_number("33")
    ('0.10', '-0.09', '0.278', '33')
    """
    if "." not in lexical or "e" in lexical.lower():
        return lexical
    whole, decimals = lexical.split(".", 1)
    return f"{whole}.{decimals.ljust(2, '0')}"


def p_text(p: float) -> str:
    """A p-value to read: four decimals, or "< 0.0001" where that would print 0.0000 (stores keep the number).

    >>> p_text(0.04567), p_text(1.2e-22), p_text(0.99)
    ('0.0457', '< 0.0001', '0.9900')
    """
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}"


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key reading digit runs as numbers, so "row2" sorts before "row10" (case ignored).

    >>> sorted(["row10", "Row2", "row1"], key=natural_key)
    ['row1', 'Row2', 'row10']
    """
    return tuple((0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"(\d+)", text.lower()) if x)


def literal_value(term: ox.Literal, predicate: str = "") -> Value:
    """The display value of a literal: numbers padded, DOIs and web addresses as links."""
    datatype = term.datatype.value if term.datatype else None
    text = format_number(term.value) if datatype in NUMERIC_TYPES else term.value
    if predicate == Q_P_VALUE and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", term.value) and float(term.value) < 1e-4:
        text = p_text(float(term.value))  # a computed Q p-value can be 1e-22: never "0"
    url = None
    if predicate == DOI_PROPERTY:
        url = "https://doi.org/" + term.value
    elif term.value.startswith(("http://", "https://")):
        url = term.value
    return Value(text=text, datatype=datatype, url=url)


def term_value(term: object, labels: dict[str, str], predicate: str = "") -> Value:
    """The display value of any RDF term."""
    if isinstance(term, ox.NamedNode):
        link = make_link(term.value, labels)
        return Value(text=link.label, link=link)
    if isinstance(term, ox.Literal):
        return literal_value(term, predicate)
    return Value(text=str(term))


def exists(store: Store, iri: str) -> bool:
    """Whether the store says anything about or pointing to this IRI."""
    return store.ask(_EXISTS, {"r": ox.NamedNode(iri)})


def resource_triples(store: Store, iri: str) -> list[ox.Triple]:
    """The resource's symmetric description: every triple with it as subject or object."""
    return store.construct(_TRIPLES, {"r": ox.NamedNode(iri)})


def best_labels(rows: list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]) -> dict[str, str]:
    """Each ?x's label from rows of ?x ?label ?rank: the one of the most preferred property (LABEL_PROPERTIES)."""
    best: dict[str, tuple[int, str]] = {}
    for row in rows:
        x, label, rank = row["x"].value, row["label"].value, int(row["rank"].value)
        if x not in best or rank < best[x][0]:
            best[x] = (rank, label)
    return {x: label for x, (_, label) in best.items()}


def labels_around(store: Store, iri: str) -> dict[str, str]:
    """Labels for the resource, its predicates, what it points at and what those point at (best label wins).

    What points at the resource is labelled by `statements` for the rows a page shows (a busy
    construct has thousands; labelling all of them and their neighbours took 94% of its page).
    """
    return best_labels(store.select(_LABELS, {"r": ox.NamedNode(iri)}))


def labels_of(store: Store, iris: set[str]) -> dict[str, str]:
    """Labels for the given IRIs in one query (best label wins, as labels_around)."""
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in sorted(iris))
    query = sparql_prologue() + f"SELECT ?x ?label ?rank WHERE {{\n  VALUES ?x {{ {values} }}\n" + _RANKED_LABEL + "}"
    return best_labels(store.select(query))


def jsonld_context(ontology_dir: Path | None) -> dict[str, object]:
    """The JSON-LD context: ontology/context.jsonld when present, else the project's prefixes."""
    if ontology_dir is not None:
        path = ontology_dir / "context.jsonld"
        if path.is_file():
            document = json.loads(path.read_text(encoding="utf-8"))
            return document.get("@context", document)
    return jsonld_prefixes()


def jsonld_prefixes() -> dict[str, object]:
    """The project's prefixes as a JSON-LD context; `id` is `ekgid` there, so a JSON key `id` is no predicate."""
    return {("ekgid" if name == "id" else name): iri for name, iri in PREFIXES.items()}


def context_document(ontology_dir: Path) -> bytes:
    """The JSON-LD context file as it ships (ontology/context.jsonld), for /context.jsonld; NotFound when absent."""
    path = ontology_dir / "context.jsonld"
    if not path.is_file():
        raise NotFound(f"no JSON-LD context at {path}")
    return path.read_bytes()


def serialize_triples(
    triples: list[ox.Triple], media_type: str, context: dict[str, object] | None = None
) -> bytes:
    """Serialize triples as Turtle, N-Triples, RDF/XML or (compacted with the context) JSON-LD."""
    if media_type == "application/ld+json":
        from rdflib import Graph

        graph = Graph()
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
        return graph.serialize(format="json-ld", context=context or jsonld_prefixes()).encode()
    fmt = GRAPH_FORMATS.get(media_type)
    if fmt is None:
        raise StoreError(f"cannot describe a resource as {media_type}")
    # Instance IRIs stay whole: with `id:` Oxigraph writes `id:finding\/slug`, valid Turtle but hard to read.
    prefixes = None
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG):
        prefixes = {name: iri for name, iri in PREFIXES.items() if name != "id"}
    return ox.serialize(triples, format=fmt, prefixes=prefixes)  # type: ignore[return-value]  # stub: bytes when no output is given


def statements(store: Store, iri: str, labels: dict[str, str]) -> tuple[list[Statement], list[Statement]]:
    """The resource's outgoing and incoming statements, sorted by predicate then value."""
    node = {"r": ox.NamedNode(iri)}
    outgoing = [
        Statement(make_link(row["p"].value, labels), term_value(row["o"], labels, row["p"].value))
        for row in store.select(_OUT, node)
        if row["p"].value != RDF_TYPE
    ]
    rows = store.select(_IN, node)  # bounded: a busy construct has thousands of findings pointing at it
    labels.update(labels_of(store, {t.value for row in rows for t in (row["s"], row["p"]) if isinstance(t, ox.NamedNode)} - set(labels)))
    incoming = [Statement(make_link(row["p"].value, labels), term_value(row["s"], labels)) for row in rows]
    key = lambda s: (s.predicate.label.lower(), natural_key(s.value.text))  # noqa: E731
    return sorted(outgoing, key=key), sorted(incoming, key=key)


def incoming_count(store: Store, iri: str) -> int:
    """How many statements point at a resource (its page lists SHOWN_INCOMING of them)."""
    rows = store.select(_IN_COUNT, {"r": ox.NamedNode(iri)})
    return int(rows[0]["n"].value) if rows else 0
