"""One resource's page: its statements, types and the typed sections its kind has (finding, construct, ...)."""

from __future__ import annotations

from dataclasses import replace

import pyoxigraph as ox

from evidencekg.pages.describe import (
    RDF_VALUE,
    SHOWN_INCOMING,
    ResourceView,
    exists,
    fallback_label,
    incoming_count,
    kind_of,
    labels_around,
    make_link,
    statements,
)
from evidencekg.pages.views import FindingSection, sections_for
from evidencekg.store.protocol import Store


def describe(store: Store, iri: str, group: str | None = None, page: int = 1) -> ResourceView | None:
    """The view model of one resource's page, or None when the store knows nothing about it.

    `group` and `page` page through one comparison's findings on a construct or condition page.
    """
    if not exists(store, iri):
        return None
    labels = labels_around(store, iri)
    outgoing, incoming = statements(store, iri, labels)
    types = [
        make_link(row["t"].value, labels)
        for row in store.select("SELECT ?r ?t WHERE { ?r a ?t }", {"r": ox.NamedNode(iri)})
    ]
    text = next((s.value.text for s in outgoing if s.predicate.iri == RDF_VALUE), None)
    view = ResourceView(
        link=make_link(iri, labels),
        kind=kind_of(iri),
        types=sorted(types, key=lambda t: t.label.lower()),
        text=text,
        outgoing=outgoing,
        incoming=incoming,
        incoming_total=incoming_count(store, iri) if len(incoming) >= SHOWN_INCOMING else len(incoming),
    )
    view.sections = sections_for(store, view, labels, group, page)
    finding = view.sections.get("finding")
    if isinstance(finding, FindingSection) and view.link.label == fallback_label(iri):  # no label: never a row slug
        view.link = replace(view.link, label=finding_name(finding) or view.link.label)
    return view


def finding_name(section: FindingSection) -> str | None:
    """A readable name for an unlabelled finding: "Ahmadpanah, 2016 · bdi-1: other psychotherapy vs care as usual"."""
    what = " vs ".join(link.label for link in (section.source, section.comparator or section.target) if link)
    who = " · ".join(x for x in (section.study.label if section.study else None, section.numbers.get("instrument")) if x)
    return f"{who}: {what}" if who and what else who or None
