"""Names of things: namespaces, construct and condition names, measures, citations."""
