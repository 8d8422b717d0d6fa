"""The named graphs of a store: where the ontology, the shapes, each shipped file, each ingest and each saved pooled finding live.

Queries without FROM / FROM NAMED (and without a protocol dataset) read the *data union* as their
default graph: the store's real default graph plus every named graph except the ontology graphs,
the shapes graph and the meta graph (`in_data_union`). The ontology is read where a query asks for
it (`FROM <.../graph/ontology/evidencekg>`, `GRAPH ?g`); the construct scheme (constructs.ttl) is
data, so its labels are in the union.
"""

from __future__ import annotations

GRAPH = "https://w3id.org/evidencekg/graph/"
META_GRAPH = GRAPH + "meta"  # the load fingerprint
SHAPES_GRAPH = GRAPH + "shapes"  # ontology/*shapes*.ttl
ONTOLOGY = GRAPH + "ontology/"  # ontology/<stem>.ttl (the classes and properties)
DATA = GRAPH + "data/"  # data/<stem>.ttl, and the construct scheme ontology/constructs.ttl
INGEST = GRAPH + "ingest/"  # one per ingested document: ingest/<document slug>
DERIVED = GRAPH + "derived/"  # one per saved pooled finding: derived/<finding key>

# Ontology-folder files that are data (the SKOS construct scheme researchers' queries name).
DATA_IN_ONTOLOGY_FOLDER = frozenset({"constructs"})


def ontology_graph(stem: str) -> str:
    """The graph of an ontology file."""
    return ONTOLOGY + stem


def data_graph(stem: str) -> str:
    """The graph of a shipped data file."""
    return DATA + stem


def ingest_graph(slug: str) -> str:
    """The graph of one ingested document."""
    return INGEST + slug


def derived_graph(key: str) -> str:
    """The graph of one saved pooled finding."""
    return DERIVED + key


def in_data_union(graph: str) -> bool:
    """Whether a named graph belongs to the default graph data queries read."""
    return not (graph.startswith(ONTOLOGY) or graph in (SHAPES_GRAPH, META_GRAPH))
