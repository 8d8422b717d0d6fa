"""A small SPARQL lexer: just enough to find keywords, IRIs, prefixed names and braces outside strings and comments."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

from evidencekg.errors import BadRequest

# Token kinds.
IRI = "iri"  # <...>, text holds the IRI without brackets (escapes resolved)
PNAME = "pname"  # prefix:local
VAR = "var"  # ?x or $x, text holds the name
STRING = "string"
WORD = "word"  # keywords and other bare words, upper-cased
PUNCT = "punct"

_PN_CHARS_BASE = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
_PN_CHARS = _PN_CHARS_BASE + "_0-9\u00b7\u0300-\u036f\u203f-\u2040\\-"
_PNAME = re.compile(
    rf"(?:[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)?:"
    rf"(?:(?:[{_PN_CHARS}:]|%[0-9A-Fa-f]{{2}}|\\[_~.\-!$&'()*+,;=/?#@%])"
    rf"(?:(?:[{_PN_CHARS}.:]|%[0-9A-Fa-f]{{2}}|\\[_~.\-!$&'()*+,;=/?#@%])*"
    rf"(?:[{_PN_CHARS}:]|%[0-9A-Fa-f]{{2}}|\\[_~.\-!$&'()*+,;=/?#@%]))?)?"
)
_IRIREF = re.compile(r'<((?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*)>')
_VAR = re.compile(rf"[?$]([{_PN_CHARS_BASE}_0-9][{_PN_CHARS_BASE}_0-9\u00b7\u0300-\u036f\u203f-\u2040]*)")
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
# A maximal run of characters that names, words and numbers are made of: read once, then split, so that
# tokenizing stays linear (matching _PNAME at every offset of a long colon-free run was quadratic).
_RUN = re.compile(rf"(?:[{_PN_CHARS}.:%]|\\[_~.\-!$&'()*+,;=/?#@%])+")
_STRINGS = (
    re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.S),
    re.compile(r"'''(?:[^'\\]|\\.|'(?!''))*'''", re.S),
    re.compile(r'"(?:[^"\\\n\r]|\\.)*"'),
    re.compile(r"'(?:[^'\\\n\r]|\\.)*'"),
)
_SPACE_OR_COMMENT = re.compile(r"(?:\s+|#[^\n\r]*)+")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\([_~.\-!$&'()*+,;=/?#@%])")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


class NestingTooDeep(BadRequest):
    """A query or update nests deeper than settings.max_nesting (refused before any parser sees it)."""


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind, its text (see the kind constants) and where it starts."""

    kind: str
    text: str
    start: int


def unescape_codepoints(text: str) -> str:
    r"""Apply SPARQL's \uXXXX and \UXXXXXXXX escapes (which the spec allows anywhere in a query)."""

    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    return _UCHAR.sub(replace, text)


def tokenize(text: str) -> Iterator[Token]:
    """Yield the tokens of a query or update; unknown characters become one-character PUNCT tokens."""
    pos, end = 0, len(text)
    while pos < end:
        space = _SPACE_OR_COMMENT.match(text, pos)
        if space:
            pos = space.end()
            continue
        char = text[pos]
        if char == "<":
            iri = _IRIREF.match(text, pos)
            if iri:
                yield Token(IRI, unescape_codepoints(iri.group(1)), pos)
                pos = iri.end()
                continue
        if char in "\"'":
            for pattern in _STRINGS:
                string = pattern.match(text, pos)
                if string:
                    yield Token(STRING, string.group(0), pos)
                    pos = string.end()
                    break
            else:  # unterminated: the rest is one string (the parser will refuse it)
                yield Token(STRING, text[pos:], pos)
                return
            continue
        if char in "?$":
            var = _VAR.match(text, pos)
            if var:
                yield Token(VAR, var.group(1), pos)
                pos = var.end()
                continue
        run = _RUN.match(text, pos)
        if run is None:
            yield Token(PUNCT, char, pos)
            pos += 1
            continue
        name = run.group(0).rstrip(".")
        if not name:
            yield Token(PUNCT, char, pos)
            pos += 1
            continue
        token, length = _name_token(name, pos)
        yield token
        pos += length


def _name_token(run: str, start: int) -> tuple[Token, int]:
    """The token at the start of a run of name characters, and how many characters it covers.

    A run holding a colon starts with a prefixed name; one without is a word (a keyword when it is all
    ASCII letters, digits and '_'; otherwise a bare name or number that no rule here cares about).
    """
    if ":" in run:
        pname = _PNAME.match(run)
        if pname and pname.group(0):
            return Token(PNAME, pname.group(0), start), pname.end()
        word = _WORD.match(run)
        return (Token(WORD, word.group(0).upper(), start), word.end()) if word else (Token(PUNCT, run[0], start), 1)
    return Token(WORD, run.upper(), start), len(run)


def nesting_depth(text: str) -> int:
    """How deep { ( [ nest outside strings, IRIs and comments (linear time; parsers recurse on each level).

    >>> nesting_depth("SELECT * { { ?s ?p ?o FILTER((1 + 2) > 0) } }")
    4
    """
    depth = deepest = 0
    for token in tokenize(text):
        if token.kind != PUNCT:
            continue
        if token.text in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif token.text in "})]":
            depth = max(0, depth - 1)
    return deepest


def check_nesting(text: str, limit: int) -> None:
    """Raise NestingTooDeep when `text` nests past `limit` (checked before parsing, in linear time)."""
    depth = nesting_depth(text)
    if depth > limit:
        raise NestingTooDeep(
            f"the text nests groups, parentheses or brackets {depth} levels deep; at most {limit} are accepted "
            "(settings.max_nesting, EVIDENCEKG_MAX_NESTING)"
        )


class Prologue:
    """The PREFIX and BASE declarations seen so far, to expand names the way the parser would."""

    def __init__(self, base: str | None = None) -> None:
        self.base = base
        self.prefixes: dict[str, str] = {}

    def resolve(self, iri: str) -> str:
        """An IRI made absolute against the current base (left as is when there is none)."""
        if _ABSOLUTE.match(iri) or not self.base:
            return iri
        return urljoin(self.base, iri)

    def expand(self, pname: str) -> str | None:
        """The full IRI of a prefixed name, or None when its prefix was never declared."""
        prefix, _, local = pname.partition(":")
        namespace = self.prefixes.get(prefix)
        if namespace is None:
            return None
        return namespace + _LOCAL_ESCAPE.sub(r"\1", local)

    def declare(self, tokens: list[Token], index: int) -> None:
        """Record the PREFIX or BASE declaration that starts at tokens[index], if well formed."""
        word = tokens[index].text
        if word == "BASE" and index + 1 < len(tokens) and tokens[index + 1].kind == IRI:
            self.base = self.resolve(tokens[index + 1].text)
        elif word == "PREFIX" and index + 2 < len(tokens):
            name, iri = tokens[index + 1], tokens[index + 2]
            if name.kind == PNAME and name.text.endswith(":") and iri.kind == IRI:
                self.prefixes[name.text[:-1]] = self.resolve(iri.text)


def top_level_words(tokens: list[Token]) -> Iterator[tuple[int, Token]]:
    """(index, token) for WORD tokens outside any { } block (where update operations' keywords live)."""
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind == PUNCT and token.text == "{":
            depth += 1
        elif token.kind == PUNCT and token.text == "}":
            depth = max(0, depth - 1)
        elif token.kind == WORD and depth == 0:
            yield index, token


def block_end(tokens: list[Token], open_index: int) -> int:
    """Index of the } closing the { at open_index (len(tokens) when unbalanced)."""
    depth = 0
    for index in range(open_index, len(tokens)):
        if tokens[index].kind == PUNCT and tokens[index].text == "{":
            depth += 1
        elif tokens[index].kind == PUNCT and tokens[index].text == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(tokens)


def has_dataset_clause(text: str) -> bool:
    """Whether a query names its own dataset (FROM / FROM NAMED, which sit outside every group)."""
    return any(word.text == "FROM" for _, word in top_level_words(list(tokenize(text))))


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def query_form(text: str) -> str | None:
    """The query's form (SELECT, ASK, CONSTRUCT or DESCRIBE), None when it has none (an update, or not SPARQL).

    >>> query_form("PREFIX s: <http://schema.org/> ask { ?x a s:Thing }")
    'ASK'
    """
    return next((word.text for _, word in top_level_words(list(tokenize(text))) if word.text in QUERY_FORMS), None)


def where_group_start(text: str) -> int | None:
    """Offset just inside the `{` that opens a query's WHERE group (where a VALUES block binds for the whole group).

    None when there is none to find, and for the `CONSTRUCT WHERE { ... }` short form, whose group
    may hold only triples.
    """
    tokens = list(tokenize(text))
    words = list(top_level_words(tokens))
    form = next((word.text for _, word in words if word.text in QUERY_FORMS), None)
    for index, word in words:
        if word.text == "WHERE":
            if index > 0 and tokens[index - 1].kind == WORD and tokens[index - 1].text == "CONSTRUCT":
                return None
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            return following.start + 1 if following and following.kind == PUNCT and following.text == "{" else None
    opens, depth = [], 0  # no WHERE keyword: the group is the first top-level block (after CONSTRUCT's template)
    for token in tokens:
        if token.kind == PUNCT and token.text == "{":
            if depth == 0:
                opens.append(token.start)
            depth += 1
        elif token.kind == PUNCT and token.text == "}":
            depth = max(0, depth - 1)
    wanted = 1 if form == "CONSTRUCT" else 0
    return opens[wanted] + 1 if len(opens) > wanted else None
