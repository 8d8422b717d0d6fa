"""Search the store by words: constructs, conditions, studies, findings, publications, sources and their sentences."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pyoxigraph as ox

from evidencekg.errors import InvalidInput
from evidencekg.model.namespaces import sparql_prologue
from evidencekg.pages.describe import labels_of, make_link
from evidencekg.store.protocol import Store

KINDS = ("construct", "condition", "study", "finding", "publication", "source", "sentence")
PER_KIND = 10  # results listed per kind (the count says how many matched)
MAX_QUERY = 200
SNIPPET = 160  # characters of a long text shown around the match

_SEARCH = sparql_prologue() + """
SELECT ?kind ?x (SAMPLE(?text) AS ?match) WHERE {
  VALUES (?class ?kind) {
    (ekg:Construct "construct") (ekg:Condition "condition") (ekg:PrimaryStudy "study")
    (ekg:ReportedFinding "finding") (ekg:DerivedFinding "finding") (ekg:Publication "publication")
    (ekg:SourceDocument "source") (ekg:Dataset "source") (ekg:SourceSentence "sentence")
  }
  VALUES ?p { skos:prefLabel skos:altLabel skos:notation rdfs:label ekg:studyLabel dcterms:title rdf:value
              dcterms:bibliographicCitation bibo:doi }
  ?x ?p ?text ; a ?class .
  FILTER(CONTAINS(LCASE(STR(?text)), ?q))
} GROUP BY ?kind ?x"""


@dataclass(frozen=True)
class Hit:
    """One resource that matched: its kind, where it is, its label and the text that matched (shortened)."""

    kind: str
    iri: str
    href: str
    label: str
    match: str

    def as_json(self) -> dict[str, str]:
        """The hit as /api/search answers it."""
        return asdict(self)


@dataclass(frozen=True)
class Results:
    """Every kind's first PER_KIND hits (best first) and how many matched in all."""

    query: str
    hits: dict[str, list[Hit]]
    counts: dict[str, int]

    def as_json(self) -> dict[str, object]:
        """{"query", "counts", "results": [...]} for /api/search."""
        return {"query": self.query, "counts": self.counts,
                "results": [h.as_json() for kind in KINDS for h in self.hits.get(kind, [])]}  # fmt: skip


def snippet(text: str, words: str, width: int = SNIPPET) -> str:
    """The part of a long text around the first match, with ellipses where it was cut.

    >>> snippet("a" * 100 + " alliance " + "b" * 100, "alliance", 30)
    '…aaaaaaaaaa alliance bbbbbbbbbb…'
    """
    if len(text) <= width:
        return text
    at = max(text.lower().find(words.lower()), 0)
    start = max(0, min(at - (width - len(words)) // 2, len(text) - width))
    return ("\u2026" if start else "") + text[start : start + width] + ("\u2026" if start + width < len(text) else "")


def _rank(hit: Hit, words: str) -> tuple[int, int, str]:
    label = hit.label.lower()
    return (0 if label == words else 1 if label.startswith(words) else 2 if words in label else 3, len(hit.label), label)


def search(store: Store, query: str) -> Results:
    """Resources whose labels, titles, notations, citations, DOIs or sentences contain the words (case ignored)."""
    words = " ".join(query.split()).lower()
    if not words:
        raise InvalidInput("search for something: give q=words (a construct, condition, study, DOI or a phrase)")
    if len(words) > MAX_QUERY:
        raise InvalidInput(f"the search is {len(words)} characters long; at most {MAX_QUERY} are searched")
    rows = store.select(_SEARCH, {"q": ox.Literal(words)})
    labels = labels_of(store, {r["x"].value for r in rows if r["kind"].value != "sentence"})
    found: dict[str, list[Hit]] = {}
    for row in rows:
        kind, iri, text = row["kind"].value, row["x"].value, row["match"].value
        link = make_link(iri, labels)
        if kind == "sentence":  # the sentence itself is what people read
            label, match = snippet(text, words), ""
        else:
            label, match = link.label, "" if text == link.label else snippet(text, words)
        found.setdefault(kind, []).append(Hit(kind, iri, link.href, label, match))
    hits = {kind: sorted(found[kind], key=lambda h: _rank(h, words))[:PER_KIND] for kind in KINDS if kind in found}
    return Results(query=words, hits=hits, counts={kind: len(found[kind]) for kind in KINDS if kind in found})
