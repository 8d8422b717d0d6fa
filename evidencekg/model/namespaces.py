"""The namespaces and well-known IRIs of the evidencekg vocabulary."""

from __future__ import annotations

from typing import NewType

from rdflib import Namespace

IRI = NewType("IRI", str)

EKG = Namespace("https://w3id.org/evidencekg/ontology#")
ID = Namespace("https://w3id.org/evidencekg/id/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
FABIO = Namespace("http://purl.org/spar/fabio/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
PROV = Namespace("http://www.w3.org/ns/prov#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SCHEMA = Namespace("https://schema.org/")

CONSTRUCT_SCHEME = ID["scheme/constructs"]
CONDITION_SCHEME = ID["scheme/conditions"]
MEASURE_SCHEME = ID["scheme/measures"]
PEARSON_R = OBO["STATO_0000280"]
HEDGES_G = OBO["STATO_0000319"]
IS_ABOUT = OBO["IAO_0000136"]  # IAO 'is about': how a sentence names the study it describes (a study is no prov:Entity)
STANDARDIZED_MEAN_DIFFERENCE = OBO["STATO_0000100"]  # alternative term "Cohen's d statistic"
RELATIVE_RISK = OBO["STATO_0000245"]  # "relative risk" (risk ratio)
DOI_RESOLVER = "https://doi.org/"  # a DOI as an IRI: schema:sameAs <https://doi.org/10....>
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"  # a PMID as an IRI: <https://pubmed.ncbi.nlm.nih.gov/N/>
LOG_TRANSFORMATION = OBO["OBI_0200094"]  # "logarithmic transformation" (in stato.owl)

PREFIXES: dict[str, str] = {
    "ekg": str(EKG),
    "id": str(ID),
    "obo": str(OBO),
    "fabio": str(FABIO),
    "bibo": str(BIBO),
    "prov": str(PROV),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "schema": str(SCHEMA),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def sparql_prologue() -> str:
    """PREFIX lines for every namespace above, for queries written in code."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def compact(iri: str) -> str:
    """An IRI as a prefixed name when a known prefix fits (anything else unchanged).

    >>> compact("https://w3id.org/evidencekg/id/construct/attachment-anxiety")
    'id:construct/attachment-anxiety'
    """
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def prefixed(iri: str) -> str:
    """A compact `prefix:local` name for a vocabulary IRI when a known prefix fits, else the IRI (ours stay whole).

    >>> prefixed("https://w3id.org/evidencekg/ontology#estimate")
    'ekg:estimate'
    """
    return iri if iri.startswith(str(ID)) else compact(iri)
