"""Resolve a name a user typed (label, alternative label, slug, `id:` name or IRI) to one IRI, or suggest close names."""

from __future__ import annotations

import difflib
import re

from evidencekg.model.namespaces import ID


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


class NameIndex:
    """The names that stand for some IRIs: each IRI, its `id:` name, its slug and its labels."""

    def __init__(self) -> None:
        self._iris: dict[str, str] = {}  # exact IRI or `id:` name -> IRI
        self._names: dict[str, str] = {}  # normal(slug or label) -> IRI
        self._labels: dict[str, str] = {}  # IRI -> the label suggestions show

    def add(self, iri: str, label: str | None = None, *other_names: str) -> None:
        """Let `iri` be found by itself, its `id:` name, its slug, `label` and `other_names` (first one wins)."""
        slug = iri.rstrip("/").rsplit("/", 1)[-1]
        self._labels.setdefault(iri, label or slug)
        self._iris.setdefault(iri, iri)
        if iri.startswith(str(ID)):
            self._iris.setdefault(f"id:{iri[len(str(ID)):]}", iri)
        for name in (slug, label, *other_names):
            if name:
                self._names.setdefault(normal(name), iri)

    def find(self, text: str) -> str | None:
        """The IRI a name stands for (IRIs may come in <angle brackets>), or None."""
        wanted = text.strip().strip("<>")
        return self._iris.get(wanted) or self._names.get(normal(wanted))

    def suggestions(self, text: str, limit: int = 5) -> list[str]:
        """The labels of the IRIs whose names come closest to `text`, best first."""
        aliases = {name: self._labels[iri] for name, iri in self._names.items()}
        return close_matches(normal(text.strip().strip("<>")), aliases, limit)
