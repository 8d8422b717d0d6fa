"""Where triples live: the Store protocol, embedded Oxigraph, a remote endpoint, query workers."""
