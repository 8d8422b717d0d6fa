"""Resolve a name a user typed (label, alternative label, slug, prefixed name or IRI) to one IRI, or suggest close names."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from evidencekg import errors
from evidencekg.errors import BadRequest
from evidencekg.model.namespaces import compact


def normal(text: str) -> str:
    """A name compared ignoring case, `-`, `_` and repeated spaces.

    >>> normal("Attachment-Avoidance"), normal("attachment_avoidance  ")
    ('attachment avoidance', 'attachment avoidance')
    """
    return " ".join(re.sub(r"[-_]+", " ", text).lower().split())


def close_matches(wanted: str, aliases: dict[str, str], limit: int = 5) -> list[str]:
    """Labels whose alias (or a word of it, or a part containing `wanted`) is closest to `wanted` (difflib)."""
    scores: dict[str, float] = {}
    for alias, label in aliases.items():
        words = [word for word in re.split(r"[\s/#:-]+", alias) if len(word) > 3]
        score = max([difflib.SequenceMatcher(None, wanted, alias).ratio()]
                    + [0.9 * difflib.SequenceMatcher(None, wanted, word).ratio() for word in words])
        if wanted and wanted in alias:
            score = max(score, 0.95)
        scores[label] = max(scores.get(label, 0.0), score)
    best = max(scores.values(), default=0.0)
    ranked = [(s, label) for label, s in scores.items() if s >= max(0.7, best - 0.15)]
    return [label for s, label in sorted(ranked, key=lambda x: (-x[0], x[1]))][:limit]


class UnknownName(errors.UnknownName):
    """A construct or condition name matched nothing; `suggestions` holds the labels of close names of that kind.

    `parameter` names the request parameter that gave it, when a caller knows (set before re-raising).
    """

    def __init__(self, name: str, kind: str, suggestions: list[str], parameter: str | None = None) -> None:
        self.name, self.kind, self.suggestions, self.parameter = name, kind, suggestions, parameter
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else f"; no {kind} has a similar name"
        super().__init__(f"unknown {kind} {name!r}{hint}")

    def detail(self) -> dict[str, Any]:
        """The HTTP body's detail: the parameter, the message and the suggestions, for clients to offer."""
        return {"parameter": self.parameter, "message": str(self), "suggestions": self.suggestions}


class AmbiguousName(BadRequest):
    """A name stands for things of different kinds (a construct and a condition, say); the message lists them."""


def iri_forms(iri: str) -> list[str]:
    """The written forms of an IRI besides itself: `id:construct/x`, `construct:x` and the slug `x`."""
    forms = [compact(iri)]
    path = forms[0].partition(":")[2] if forms[0] != iri else ""
    kind, sep, slug = path.rpartition("/")
    if sep and kind and "/" not in kind:
        forms.append(f"{kind}:{slug}")
    forms.append(iri.rstrip("/").rsplit("/", 1)[-1])
    return forms


class NameIndex:
    """The names of the IRIs of one kind: each IRI, its prefixed names, its slug, its labels and other names (codes)."""

    def __init__(self, kind: str = "construct") -> None:
        self.kind = kind
        self._iris: dict[str, str] = {}  # exact IRI -> IRI
        self._forms: dict[str, str] = {}  # normal(IRI or prefixed name) -> IRI
        self._names: dict[str, str] = {}  # normal(slug, label or code) -> IRI (what suggestions compare with)
        self._labels: dict[str, str] = {}  # IRI -> the label suggestions show

    def __contains__(self, iri: object) -> bool:
        """Whether `iri` is one of the indexed IRIs."""
        return iri in self._iris

    def add(self, iri: str, label: str | None = None, *other_names: str | None) -> None:
        """Let `iri` be found by itself, its prefixed names, its slug, `label` and `other_names` (first one wins)."""
        slug = iri.rstrip("/").rsplit("/", 1)[-1]
        self._labels.setdefault(iri, label or slug)
        self._iris.setdefault(iri, iri)
        forms = iri_forms(iri)
        for form in (iri, *forms[:-1]):
            self._forms.setdefault(normal(form), iri)
        for name in (forms[-1], label, *other_names):
            if name:
                self._names.setdefault(normal(name), iri)

    def label(self, iri: str) -> str | None:
        """The label suggestions show for an indexed IRI (its prefLabel, else rdfs:label, else slug)."""
        return self._labels.get(iri)

    def find(self, text: str) -> str | None:
        """The IRI a name stands for (IRIs may come in <angle brackets>; case, `-` and `_` ignored), or None."""
        wanted = text.strip().strip("<>").strip()
        key = normal(wanted)
        return self._iris.get(wanted) or self._forms.get(key) or self._names.get(key)

    def aliases(self) -> dict[str, str]:
        """Every slug, label and code (normalised) -> the label suggestions show for its IRI."""
        return {name: self._labels[iri] for name, iri in self._names.items()}

    def suggestions(self, text: str, limit: int = 5) -> list[str]:
        """The labels of the IRIs whose names come closest to `text`, best first."""
        return close_matches(normal(text.strip().strip("<>")), self.aliases(), limit)

    def resolve(self, text: str, limit: int = 5) -> str:
        """The IRI a name stands for; an UnknownName suggesting up to `limit` close names when none matches."""
        found = self.find(text)
        if found is None:
            raise UnknownName(text, self.kind, self.suggestions(text, limit))
        return found


def resolve_among(indexes: Iterable[NameIndex], text: str, limit: int = 5) -> tuple[str, str]:
    """(IRI, kind) of the one index that knows the name; unknown everywhere: UnknownName with every kind's close names."""
    chosen = list(indexes)
    found = {(iri, index.kind) for index in chosen if (iri := index.find(text)) is not None}
    if len(found) > 1:
        raise AmbiguousName(f"{text!r} is ambiguous: it names {', '.join(f'the {k} {i}' for i, k in sorted(found))}")
    if found:
        return found.pop()
    aliases = {name: label for index in chosen for name, label in index.aliases().items()}
    close = close_matches(normal(text.strip().strip("<>")), aliases, limit)
    raise UnknownName(text, " or ".join(index.kind for index in chosen), close)

