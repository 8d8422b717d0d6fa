"""Adding evidence: validated writes and the ingest pipeline for sheets and Metapsy tables."""
