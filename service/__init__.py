"""The evidencekg HTTP service (FastAPI): SPARQL protocol, linked data, REST and pages."""
