"""One trial, one study: a Metapsy row's study matched to a study another import already holds (DOI, else author + year + arms)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import URIRef

from evidencekg.evidence.batch import slug
from evidencekg.model.names import normal
from evidencekg.model.namespaces import ID, sparql_prologue
from evidencekg.store.protocol import Store

# Every primary study with a label that some source outside this document describes: its year,
# identifiers (doi:..., pmid:...) and the conditions of its arms.
HELD = sparql_prologue() + """
SELECT ?s ?label ?year ?identifier ?condition WHERE {
  ?s a ekg:PrimaryStudy ; ekg:studyLabel ?label .
  FILTER EXISTS { ?s ^obo:IAO_0000136/dcterms:isPartOf ?d . FILTER (?d != <%s>) }
  OPTIONAL { ?s dcterms:issued ?year }
  OPTIONAL { ?s dcterms:identifier ?identifier }
  OPTIONAL { ?s ekg:hasArm/ekg:armCondition ?condition }
}"""


@dataclass
class Trial:
    """What identifies a trial across databases: its label (author, year), year, identifiers, arm conditions."""

    label: str
    year: str | None = None
    identifiers: set[str] = field(default_factory=set)
    conditions: set[str] = field(default_factory=set)

    def same_as(self, other: Trial) -> bool:
        """The same trial: a shared DOI or PMID; without identifiers on both, the same author, year and arms."""
        if self.identifiers and other.identifiers:
            return bool(self.identifiers & other.identifiers)
        return (normal(self.label) == normal(other.label) and self.year == other.year
                and bool(self.conditions) and self.conditions == other.conditions)  # fmt: skip


def held_trials(store: Store, document: URIRef) -> dict[str, Trial]:
    """The studies other sources hold, by IRI."""
    held: dict[str, Trial] = {}
    for row in store.select(HELD % document):
        trial = held.setdefault(row["s"].value, Trial(row["label"].value))
        if "year" in row:
            trial.year = row["year"].value[:4]
        if "identifier" in row:
            trial.identifiers.add(row["identifier"].value.lower())
        if "condition" in row:
            trial.conditions.add(row["condition"].value)
    return held


def study_iris(store: Store, document: URIRef, trials: dict[str, Trial]) -> dict[str, URIRef]:
    """The study IRI of each label of this file: a held study of the same trial, else id:study/{label}.

    When id:study/{label} is taken by a different trial from another source, the file's document
    slug is added (id:study/{label}-{document}). Each label is decided on its own facts, so the
    order of the rows never matters.
    """
    held = held_trials(store, document)
    by_identifier: dict[str, list[str]] = defaultdict(list)
    for iri, trial in held.items():
        for identifier in trial.identifiers:
            by_identifier[identifier].append(iri)
    chosen: dict[str, URIRef] = {}
    for label, trial in sorted(trials.items()):
        candidates = sorted({iri for i in trial.identifiers for iri in by_identifier.get(i, [])})
        candidates += sorted(iri for iri, other in held.items() if iri not in candidates and trial.same_as(other))
        plain = ID[f"study/{slug(label)}"]
        if candidates:
            chosen[label] = URIRef(candidates[0])
        elif str(plain) in held:
            chosen[label] = ID[f"study/{slug(label)}-{str(document).rsplit('/', 1)[-1]}"]
        else:
            chosen[label] = plain
    return chosen
