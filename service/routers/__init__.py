"""HTTP routers, one per concern; each calls the library and holds no SPARQL or statistics."""
