"""What differs between external SPARQL engines (Oxigraph server, Virtuoso, any SPARQL 1.1 server): one profile each.

RemoteStore asks its profile instead of testing engine names: how a query without a dataset of
its own gets our default graph (the data union, evidencekg.model.graphs), which graphs are the
engine's own (never counted, dumped or cleared), where triples "in the default graph" go, and
the quirks of its answers. `detect` picks the profile from the `Server` header the endpoint sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidencekg.model.graphs import GRAPH

# Where a remote store without a default graph of its own keeps the triples loaded "into the default graph".
REMOTE_DEFAULT_GRAPH = GRAPH + "default"


@dataclass(frozen=True)
class Engine:
    """The behaviour of one kind of SPARQL server, as RemoteStore needs it."""

    name: str
    # the server's own `union-default-graph` parameter (Oxigraph) reads every graph
    union_parameter: bool = False
    # the data union is named graph by graph with default-graph-uri (the ontology, shapes and the
    # engine's own graphs left out); neither this nor union_parameter: the server's default graph as it
    # is configured (GraphDB's and Stardog's union, Fuseki's with unionDefaultGraph, evidencekg's own data union)
    names_data_graphs: bool = False
    # False: the server has no default graph of its own we can write and read apart, so triples
    # loaded into "the default graph" go to REMOTE_DEFAULT_GRAPH (in the data union)
    own_default_graph: bool = False
    # graphs the engine keeps for itself (IRI prefixes): outside the union, never counted, dumped or cleared
    system_graphs: tuple[str, ...] = ()
    # False: blank nodes are refused in INSERT DATA, so loads use INSERT { ... } WHERE {} (the same triples)
    blank_nodes_in_insert_data: bool = True

    def is_system_graph(self, graph: str) -> bool:
        """Whether a graph is the engine's own bookkeeping (Virtuoso's virtrdf graph...)."""
        return graph.startswith(self.system_graphs) if self.system_graphs else False


OXIGRAPH = Engine("oxigraph", union_parameter=True, own_default_graph=True)
VIRTUOSO = Engine(
    "virtuoso",
    system_graphs=(
        "http://www.openlinksw.com/",  # virtrdf: quad maps, the engine's own schema
        "http://www.w3.org/ns/ldp#",
        "http://localuriqaserver/",
    ),
    names_data_graphs=True,
    blank_nodes_in_insert_data=False,
)
# Fuseki, GraphDB, QLever, another evidencekg...: only what the SPARQL 1.1 Protocol promises
SPARQL11 = Engine("sparql11", own_default_graph=True)

ENGINES = {e.name: e for e in (OXIGRAPH, VIRTUOSO, SPARQL11)}
_SERVERS = ((re.compile(r"^oxigraph\b", re.I), OXIGRAPH), (re.compile(r"^virtuoso\b", re.I), VIRTUOSO))


def detect(server_header: str | None) -> Engine:
    """The profile for a `Server` response header (SPARQL11 when the server is not one we know).

    >>> detect("Virtuoso/07.20.3229 (Linux) x86_64-pc-linux-gnu").name
    'virtuoso'
    >>> detect("Oxigraph/0.5.13").name, detect("Apache Jena Fuseki (5.0.0)").name, detect(None).name
    ('oxigraph', 'sparql11', 'sparql11')
    """
    for pattern, engine in _SERVERS:
        if server_header and pattern.search(server_header.strip()):
            return engine
    return SPARQL11


def engine_named(name: str) -> Engine | None:
    """The profile called `name` ('auto': None, detected on first use); an unknown name is a ValueError naming the choices."""
    if name == "auto":
        return None
    if name not in ENGINES:
        raise ValueError(f"unknown SPARQL engine {name!r}: choose auto, {', '.join(ENGINES)}")
    return ENGINES[name]
