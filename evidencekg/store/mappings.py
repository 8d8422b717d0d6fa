"""SSSOM mapping files (ontology/mappings/*.sssom.tsv) read into SKOS match triples for their own named graph.

The file is SSSOM/TSV: a `#`-prefixed YAML header (curie_map, mapping_set_id, license...) and one
row per mapping. Each row gives `subject predicate object` with the CURIEs expanded by the
curie map; only the SKOS mapping predicates are accepted, so what is loaded is what SKOS means.
The SSSOM toolkit validates the files in the tests (tests/test_mappings.py).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import yaml  # type: ignore[import-untyped]

from evidencekg.errors import BadFile
from evidencekg.model.graphs import GRAPH
from evidencekg.store.protocol import Store

MAPPINGS_GRAPH = GRAPH + "mappings"
SKOS = "http://www.w3.org/2004/02/skos/core#"
MATCHES = frozenset(SKOS + p for p in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch"))
REQUIRED = ("subject_id", "predicate_id", "object_id", "mapping_justification")


@dataclass(frozen=True)
class Mapping:
    """One row: our term, the SKOS predicate, the external term (full IRIs), with labels and the reason."""

    subject: str
    predicate: str
    object: str
    subject_label: str
    object_label: str
    comment: str


def mapping_files(ontology_dir: Path) -> list[Path]:
    """The SSSOM files of ontology/mappings/, sorted (none when missing)."""
    folder = ontology_dir / "mappings"
    return sorted(p for p in folder.glob("*.sssom.tsv") if p.is_file()) if folder.is_dir() else []


def read_sssom(path: Path) -> tuple[dict[str, object], list[Mapping]]:
    """The metadata header and the mappings of an SSSOM/TSV file; BadFile names the line and what is wrong."""
    text = path.read_text(encoding="utf-8")
    header = "\n".join(line[1:] for line in text.splitlines() if line.startswith("#"))
    try:
        meta = yaml.safe_load(header) or {}
    except yaml.YAMLError as exc:
        raise BadFile(f"{path}: the #-header is not YAML: {exc}") from exc
    prefixes: dict[str, str] = dict(meta.get("curie_map") or {})
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    offset = sum(1 for line in text.splitlines() if line.startswith("#"))
    rows = list(csv.DictReader(io.StringIO(body), delimiter="\t"))
    missing = [c for c in REQUIRED if rows and c not in rows[0]]
    if missing:
        raise BadFile(f"{path}: no column {', '.join(missing)} in the header row (line {offset + 1})")

    def expand(curie: str, line: int) -> str:
        prefix, sep, local = curie.partition(":")
        if not sep or prefix not in prefixes:
            raise BadFile(f"{path}:{line}: {curie!r} uses no prefix of the curie_map ({', '.join(sorted(prefixes))})")
        return prefixes[prefix] + local

    mappings = []
    for number, row in enumerate(rows, start=offset + 2):
        predicate = expand(row["predicate_id"], number)
        if predicate not in MATCHES:
            raise BadFile(f"{path}:{number}: predicate {row['predicate_id']} is not a SKOS mapping predicate")
        mappings.append(Mapping(expand(row["subject_id"], number), predicate, expand(row["object_id"], number),
                                row.get("subject_label", ""), row.get("object_label", ""), row.get("comment", "")))  # fmt: skip
    return meta, mappings


def mapping_quads(paths: list[Path], graph: str = MAPPINGS_GRAPH) -> list[ox.Quad]:
    """The SKOS match triples of the files, in `graph`."""
    target = ox.NamedNode(graph)
    return [
        ox.Quad(ox.NamedNode(m.subject), ox.NamedNode(m.predicate), ox.NamedNode(m.object), target)
        for path in paths
        for m in read_sssom(path)[1]
    ]


_LOOKUP = f"""
SELECT DISTINCT ?term ?match ?label WHERE {{
  VALUES ?match {{ {" ".join(f"<{m}>" for m in sorted(MATCHES))} }}
  ?term ?match ?external .
  OPTIONAL {{ ?term <{SKOS}prefLabel>|<http://www.w3.org/2000/01/rdf-schema#label> ?label }}
}} ORDER BY ?term ?match"""


def lookup(store: Store, external: str) -> list[dict[str, str]]:
    """Our terms that a SKOS match links to an external IRI (the reverse of the mappings): term, predicate, label."""
    rows = store.select(_LOOKUP, {"external": ox.NamedNode(external)})
    found: dict[tuple[str, str], dict[str, str]] = {}
    for r in rows:
        key = (r["term"].value, r["match"].value)
        found.setdefault(key, {"term": key[0], "predicate": key[1], "label": r["label"].value if "label" in r else ""})
    return list(found.values())
