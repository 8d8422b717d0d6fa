"""The one construct/condition name resolver: the names a store gives its constructs and trial conditions."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from evidencekg.model.conditions import METAPSY_CONDITIONS
from evidencekg.model.names import NameIndex, resolve_among
from evidencekg.model.namespaces import CONDITION_SCHEME, CONSTRUCT_SCHEME, EKG, ID, sparql_prologue
from evidencekg.store.cache import cached
from evidencekg.store.protocol import Row, Store

# kind -> (class, scheme): a thing of the kind is typed with the class or is a concept of the scheme.
KINDS: dict[str, tuple[str, str]] = {
    "construct": (str(EKG.Construct), str(CONSTRUCT_SCHEME)),
    "condition": (str(EKG.Condition), str(CONDITION_SCHEME)),
}

NAMES = sparql_prologue() + """
SELECT ?iri ?pref ?alt ?label ?code WHERE {
  { ?iri a <%s> } UNION { ?iri skos:inScheme <%s> }
  OPTIONAL { ?iri skos:prefLabel ?pref } OPTIONAL { ?iri skos:altLabel ?alt }
  OPTIONAL { ?iri rdfs:label ?label } OPTIONAL { ?iri skos:notation ?code }
}"""


def _value(row: Row, key: str) -> str | None:
    """The text of an IRI or literal in a result row (None when unbound or a blank node)."""
    term = row.get(key)
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else None


def name_index(store: Store, kind: str) -> NameIndex:
    """Every construct (or condition) of the store by IRI, prefixed name, slug, prefLabel, altLabel, rdfs:label, code.

    Conditions are also found by their Metapsy code and label (model/conditions.py).
    """
    if kind not in KINDS:
        raise ValueError(f"name_index: kind {kind!r} is not one of {', '.join(KINDS)}")
    return cached(store, ("name_index", kind), lambda: _name_index(store, kind))


def _name_index(store: Store, kind: str) -> NameIndex:
    """name_index without the cache."""
    index = NameIndex(kind)
    for row in store.select(NAMES % KINDS[kind]):
        iri, *names = (_value(row, k) for k in ("iri", "pref", "alt", "label", "code"))
        if iri is not None:
            index.add(iri, names[0] or names[2], *names[1:])
    if kind == "condition":
        for code, (slug, label) in METAPSY_CONDITIONS.items():
            if (iri := f"{ID}condition/{slug}") in index:
                index.add(iri, None, code, label)
    return index


def resolve_name(store: Store, text: str, kinds: Sequence[str] = ("construct",), limit: int = 5) -> tuple[str, str]:
    """(IRI, kind) a name stands for among the given kinds; UnknownName (did you mean ...?) or AmbiguousName if not one."""
    return resolve_among([name_index(store, kind) for kind in kinds], text, limit)
