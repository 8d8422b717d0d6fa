"""A SPARQL Update cut into its operations (kind, blocks, graphs, prologue), read from the lexer's tokens in one pass."""

from __future__ import annotations

from dataclasses import dataclass

from evidencekg.sparql.text import IRI, PNAME, PUNCT, WORD, Prologue, Token, block_end, tokenize

GRAPH_OPS = ("CLEAR", "DROP", "CREATE", "LOAD", "ADD", "MOVE", "COPY")
# Words whose result differs from one run to the next (or that reach outside): an update using one cannot be replayed.
UNREPEATABLE = frozenset({"NOW", "RAND", "UUID", "STRUUID", "BNODE", "LOAD", "SERVICE"})


@dataclass(frozen=True)
class Operation:
    """One operation of an update: what it is and the text of its parts.

    `kind` is "INSERT DATA", "DELETE DATA", "DELETE WHERE", "MODIFY" (DELETE/INSERT ... WHERE), one of
    GRAPH_OPS, or "OTHER" (not understood here: the caller must not rely on this reading). `prologue`
    holds every PREFIX and BASE declared up to this operation, as text to put before a part.
    """

    kind: str
    prologue: str
    delete: str | None = None  # "{ ... }": a DELETE template, a DELETE DATA block, a DELETE WHERE pattern
    insert: str | None = None  # "{ ... }": an INSERT template or an INSERT DATA block
    where: str | None = None  # "{ ... }": the WHERE group (DELETE WHERE: its pattern)
    with_graph: str | None = None  # WITH's IRI
    using: tuple[str, ...] = ()
    using_named: tuple[str, ...] = ()
    target: str | None = None  # CLEAR/DROP/CREATE: "DEFAULT", "NAMED", "ALL" or a graph IRI
    silent: bool = False


def _is(tokens: list[Token], index: int, *texts: str) -> bool:
    """Whether tokens[index] is a word or punctuation with one of these texts."""
    return index < len(tokens) and tokens[index].kind in (WORD, PUNCT) and tokens[index].text in texts


class _Reader:
    """Walks the tokens of one update, cutting blocks out of its text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = list(tokenize(text))
        self.prologue = Prologue()
        self.declared: list[str] = []

    def block(self, index: int) -> tuple[str, int] | None:
        """The text of the { } block opening at tokens[index] and the index after it (None when there is none)."""
        if not _is(self.tokens, index, "{"):
            return None
        end = block_end(self.tokens, index)
        if end >= len(self.tokens):
            return None
        return self.text[self.tokens[index].start : self.tokens[end].start + 1], end + 1

    def iri(self, index: int) -> str | None:
        """The IRI (resolved or expanded) written at tokens[index], or None."""
        if index >= len(self.tokens):
            return None
        token = self.tokens[index]
        if token.kind == IRI:
            return self.prologue.resolve(token.text)
        if token.kind == PNAME:
            return self.prologue.expand(token.text)
        return None

    def declarations(self, index: int) -> int:
        """Record the PREFIX / BASE declarations from tokens[index] on; the index after them."""
        while _is(self.tokens, index, "PREFIX", "BASE"):
            size = 3 if self.tokens[index].text == "PREFIX" else 2
            if index + size > len(self.tokens):
                return index
            self.prologue.declare(self.tokens, index)
            last = self.tokens[index + size - 1]
            end = self.text.index(">", last.start) + 1 if last.kind == IRI else last.start + len(last.text)
            self.declared.append(self.text[self.tokens[index].start : end])
            index += size
        return index

    def graph_target(self, index: int) -> tuple[str | None, bool, int]:
        """CLEAR/DROP/CREATE's target from tokens[index]: (DEFAULT/NAMED/ALL or IRI, SILENT, index after)."""
        silent = _is(self.tokens, index, "SILENT")
        index += silent
        if _is(self.tokens, index, "DEFAULT", "NAMED", "ALL"):
            return self.tokens[index].text, silent, index + 1
        index += _is(self.tokens, index, "GRAPH")
        return self.iri(index), silent, index + 1

    def operation(self, index: int) -> tuple[Operation, int]:
        """The operation starting at tokens[index] (after its prologue) and the index after it."""
        prologue = "\n".join(self.declared) + "\n" if self.declared else ""
        tokens = self.tokens
        first = tokens[index].text if tokens[index].kind == WORD else ""
        if first in GRAPH_OPS:
            target, silent, after = self.graph_target(index + 1)
            if first in ("CLEAR", "DROP", "CREATE") and target is not None:
                return Operation(first, prologue, target=target, silent=silent), after
            return Operation(first if target is not None else "OTHER", prologue), len(tokens)  # not read further
        if first in ("INSERT", "DELETE") and _is(tokens, index + 1, "DATA", "WHERE"):
            found = self.block(index + 2)
            if found is None:
                return Operation("OTHER", prologue), len(tokens)
            if tokens[index + 1].text == "DATA":
                if first == "INSERT":
                    return Operation("INSERT DATA", prologue, insert=found[0]), found[1]
                return Operation("DELETE DATA", prologue, delete=found[0]), found[1]
            if first == "DELETE":
                return Operation("DELETE WHERE", prologue, delete=found[0], where=found[0]), found[1]
        return self.modify(index, prologue)

    def modify(self, index: int, prologue: str) -> tuple[Operation, int]:
        """A DELETE/INSERT ... WHERE operation (with WITH and USING), or OTHER."""
        tokens, parts = self.tokens, {}
        with_graph = None
        if _is(tokens, index, "WITH"):
            with_graph = self.iri(index + 1)
            index += 2
        for word in ("DELETE", "INSERT"):
            if _is(tokens, index, word) and (found := self.block(index + 1)) is not None:
                parts[word.lower()], index = found
        using: list[str] = []
        named: list[str] = []
        while _is(tokens, index, "USING"):
            is_named = _is(tokens, index + 1, "NAMED")
            iri = self.iri(index + 1 + is_named)
            if iri is None:
                return Operation("OTHER", prologue), len(tokens)
            (named if is_named else using).append(iri)
            index += 2 + is_named
        where = self.block(index + 1) if _is(tokens, index, "WHERE") else None
        if not parts or where is None:
            return Operation("OTHER", prologue), len(tokens)
        return Operation(
            "MODIFY", prologue, parts.get("delete"), parts.get("insert"), where[0], with_graph, tuple(using), tuple(named)
        ), where[1]


def operations(update: str) -> list[Operation]:
    """The operations of an update in order (an operation not understood comes back as OTHER, ending the list).

    >>> [op.kind for op in operations("PREFIX x: <http://x/> INSERT DATA { x:a x:b 1 } ; DROP SILENT GRAPH x:g")]
    ['INSERT DATA', 'DROP']
    """
    reader = _Reader(update)
    tokens, index = reader.tokens, 0
    result: list[Operation] = []
    while True:
        index = reader.declarations(index)
        if index >= len(tokens):
            return result
        op, index = reader.operation(index)
        result.append(op)
        if op.kind == "OTHER":
            return result
        if index < len(tokens) and not _is(tokens, index, ";"):
            result.append(Operation("OTHER", op.prologue))
            return result
        index += 1


def replayable(update: str) -> bool:
    """Whether running the update again on a copy of the same state gives the same state (blank node labels aside).

    >>> replayable("INSERT DATA { <http://x/a> <http://x/b> 1 }"), replayable("INSERT { ?s <http://x/t> ?now } WHERE { BIND(NOW() AS ?now) ?s ?p ?o }")
    (True, False)
    """
    return not any(token.kind == WORD and token.text in UNREPEATABLE for token in tokenize(update))
