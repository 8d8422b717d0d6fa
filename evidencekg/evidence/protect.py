"""Updates that would empty the shipped evidence (ALL, NAMED, our graphs) need force=true; the default graph is the user's."""

from __future__ import annotations

from collections.abc import Iterable

from evidencekg.errors import Conflict
from evidencekg.sparql.text import IRI, PNAME, WORD, Prologue, Token, tokenize, top_level_words

PROTECTED_GRAPHS = "https://w3id.org/evidencekg/graph/"
WHOLE = ("ALL", "NAMED")  # DEFAULT holds only what users wrote there: the shipped evidence lives in named graphs


def _target(tokens: list[Token], index: int, prologue: Prologue) -> str | None:
    """The graph named from tokens[index] on (SILENT and GRAPH skipped): DEFAULT, ALL, NAMED or an IRI."""
    while index < len(tokens) and tokens[index].kind == WORD and tokens[index].text in ("SILENT", "GRAPH"):
        index += 1
    if index >= len(tokens):
        return None
    token = tokens[index]
    if token.kind == WORD and token.text in (*WHOLE, "DEFAULT"):
        return token.text
    if token.kind == IRI:
        return prologue.resolve(token.text)
    if token.kind == PNAME:
        return prologue.expand(token.text)
    return None


def emptied_graphs(update: str, base_iri: str | None = None) -> list[str]:
    """What the update's DROP, CLEAR, COPY and MOVE operations empty (DEFAULT, ALL, NAMED or graph IRIs).

    >>> emptied_graphs("PREFIX g: <https://x/> DROP SILENT GRAPH g:a ; CLEAR DEFAULT ; MOVE <b> TO <c>", "https://x/")
    ['https://x/a', 'DEFAULT', 'https://x/b', 'https://x/c']
    """
    tokens = list(tokenize(update))
    prologue = Prologue(base_iri)
    emptied: list[str | None] = []
    words = list(top_level_words(tokens))
    for position, (index, word) in enumerate(words):
        if word.text in ("PREFIX", "BASE"):
            prologue.declare(tokens, index)
        elif word.text in ("DROP", "CLEAR"):
            emptied.append(_target(tokens, index + 1, prologue))
        elif word.text in ("COPY", "MOVE"):
            if word.text == "MOVE":  # MOVE also empties its source
                emptied.append(_target(tokens, index + 1, prologue))
            to = next((i for i, w in words[position + 1:] if w.text == "TO"), None)
            if to is not None:
                emptied.append(_target(tokens, to + 1, prologue))
    return [graph for graph in emptied if graph is not None]


def is_protected(graph: str) -> bool:
    """True for ALL, NAMED and the graphs under PROTECTED_GRAPHS (the shipped evidence)."""
    return graph in WHOLE or graph.startswith(PROTECTED_GRAPHS)


def refuse_unforced(update: str, graphs: Iterable[str], base_iri: str | None = None) -> None:
    """Raise Conflict when the update would empty a protected graph of a store holding the shipped evidence.

    `graphs` are the store's named graphs: the shipped evidence is there when one is under PROTECTED_GRAPHS (its
    fingerprint graph at least); a store without it (a user's own, the W3C test suites') has nothing to protect.
    """
    if not any(graph.startswith(PROTECTED_GRAPHS) for graph in graphs):
        return
    hit = [g if g in WHOLE else f"<{g}>" for g in emptied_graphs(update, base_iri) if is_protected(g)]
    if hit:
        raise Conflict(
            f"this write would remove {', '.join(dict.fromkeys(hit))}, which hold the shipped evidence; "
            "send it again with force=true (a query parameter) to do so"
        )
