"""evidencekg: a knowledge graph and semantic evidence store for psychotherapy research."""

__version__ = "0.1.0"
