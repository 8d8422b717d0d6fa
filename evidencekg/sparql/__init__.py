"""SPARQL text: a linear lexer, the SERVICE/LOAD guard, update building, parse-error positions."""
