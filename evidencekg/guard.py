"""Refuse SERVICE and LOAD targets outside settings.service_allowlist (queries and updates must not reach out)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from evidencekg.errors import Forbidden
from evidencekg.sparql_text import IRI, PNAME, VAR, WORD, Prologue, Token, tokenize, unescape_codepoints

ALLOW_ALL = "*"


@dataclass(frozen=True)
class Target:
    """Where a SERVICE or LOAD would go: the keyword, the IRI (None for a variable) and what was written."""

    keyword: str
    iri: str | None
    written: str


def targets(text: str, base_iri: str | None = None) -> Iterator[Target]:
    """Every SERVICE and LOAD target in a query or update, names expanded as the parser would."""
    tokens = list(tokenize(text))
    prologue = Prologue(base_iri)
    for index, token in enumerate(tokens):
        if token.kind != WORD:
            continue
        if token.text in ("PREFIX", "BASE"):
            prologue.declare(tokens, index)
        elif token.text in ("SERVICE", "LOAD"):
            yield _target(token.text, tokens[index + 1 :], prologue)


def _target(keyword: str, rest: list[Token], prologue: Prologue) -> Target:
    """The target that follows a SERVICE/LOAD keyword (an optional SILENT skipped)."""
    if rest and rest[0].kind == WORD and rest[0].text == "SILENT":
        rest = rest[1:]
    if not rest:
        return Target(keyword, None, "(nothing)")
    token = rest[0]
    if token.kind == IRI:
        return Target(keyword, prologue.resolve(token.text), f"<{token.text}>")
    if token.kind == PNAME:
        return Target(keyword, prologue.expand(token.text), token.text)
    if token.kind == VAR:
        return Target(keyword, None, f"?{token.text}")
    return Target(keyword, None, token.text)


def allowed(target: Target, allowlist: Sequence[str]) -> bool:
    """Whether the allowlist lets this target through ('*' allows everything, variables included)."""
    if ALLOW_ALL in allowlist:
        return True
    return target.iri is not None and any(target.iri.startswith(prefix) for prefix in allowlist if prefix)


def check(text: str, allowlist: Sequence[str], base_iri: str | None = None) -> None:
    """Raise Forbidden (naming the target and the setting) for the first SERVICE/LOAD not allowlisted.

    The text is scanned as written and with its \\u escapes applied, so neither reading hides a target.
    """
    for variant in dict.fromkeys((text, unescape_codepoints(text))):
        for target in targets(variant, base_iri):
            if not allowed(target, allowlist):
                raise Forbidden(_refusal(target, allowlist))


def _refusal(target: Target, allowlist: Sequence[str]) -> str:
    """A message that says what was refused and how an operator would allow it."""
    if target.iri is None and target.written.startswith("?"):
        what = f"{target.keyword} {target.written} (a variable target could reach any endpoint)"
    elif target.iri is None and target.written[:1].isalpha():
        what = f"{target.keyword} {target.written} (its prefix is not declared)"
    elif target.iri is None:
        what = f"{target.keyword} followed by {target.written!r} (not an IRI)"
    else:
        what = f"{target.keyword} <{target.iri}>"
    allowed_now = ", ".join(allowlist) if allowlist else "nothing"
    return (
        f"{what} is not allowed: this endpoint only lets SERVICE and LOAD reach URLs starting with "
        f"an allowlisted prefix (allowed now: {allowed_now}; set EVIDENCEKG_SERVICE_ALLOWLIST)"
    )
