"""Prepare a SPARQL Update received by the protocol: its protocol dataset (using-graph-uri) written into the text."""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from evidencekg.errors import BadRequest
from evidencekg.sparql.text import PUNCT, WORD, Token, block_end, tokenize, top_level_words


def prepare_update(text: str, using_graphs: Sequence[str] = (), using_named_graphs: Sequence[str] = ()) -> str:
    """The update text to execute, or BadRequest saying what is wrong (SERVICE/LOAD are checked on the result, by writes)."""
    for graph in (*using_graphs, *using_named_graphs):
        check_graph_iri(graph)
    if using_graphs or using_named_graphs:
        text = with_using(text, using_graphs, using_named_graphs)
    return text


def check_graph_iri(value: str) -> None:
    """BadRequest unless `value` is one absolute IRI (nothing that could close the <...> it is written into)."""
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        raise BadRequest(f"using-graph-uri/using-named-graph-uri {value!r} is not an absolute IRI: {exc}") from None
    if any(char in value for char in '<>"{}|^`\\ ') or any(ord(char) < 0x21 for char in value):
        raise BadRequest(f"using-graph-uri/using-named-graph-uri {value!r} holds characters an IRI may not hold")


def with_using(text: str, using_graphs: Sequence[str], using_named_graphs: Sequence[str]) -> str:
    """Give every DELETE/INSERT ... WHERE operation the protocol's dataset as USING / USING NAMED clauses.

    The SPARQL 1.1 Protocol forbids combining using-graph-uri / using-named-graph-uri with an
    update that declares its own dataset (USING, USING NAMED or WITH): that is a BadRequest.
    A `DELETE WHERE { P }` shorthand becomes `DELETE { P } USING ... WHERE { P }` (same meaning).
    """
    tokens = list(tokenize(text))
    words = list(top_level_words(tokens))
    for _, word in words:
        if word.text in ("USING", "WITH"):
            raise BadRequest(
                f"the update declares its own dataset ({word.text} at offset {word.start}) and the request "
                "also gives using-graph-uri/using-named-graph-uri: the protocol allows only one of them"
            )
    clause = " ".join([*(f"USING <{g}>" for g in using_graphs), *(f"USING NAMED <{g}>" for g in using_named_graphs)])
    edits = [_using_edit(text, tokens, index, clause) for index, word in words if word.text == "WHERE"]
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _using_edit(text: str, tokens: list[Token], where_index: int, clause: str) -> tuple[int, int, str]:
    """The edit (start, end, replacement) that puts `clause` before the top-level WHERE at tokens[where_index]."""
    where = tokens[where_index]
    before = tokens[where_index - 1] if where_index else None
    if before is not None and before.kind == WORD and before.text == "DELETE":  # DELETE WHERE shorthand
        open_index = where_index + 1
        if open_index >= len(tokens) or tokens[open_index].kind != PUNCT or tokens[open_index].text != "{":
            return (where.start, where.start, "")
        close = block_end(tokens, open_index)
        end = tokens[close].start + 1 if close < len(tokens) else len(text)
        pattern = text[tokens[open_index].start : end]
        return (where.start, end, f"{pattern} {clause} WHERE {pattern}")
    return (where.start, where.start, f"{clause} ")
