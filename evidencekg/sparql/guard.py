"""Refuse SERVICE and LOAD targets outside the allowlist, deciding on the parsed query, never on a text scan.

How the decision is made (docs/security.md):

1. A query or update can only reach out through the keywords SERVICE or LOAD. Oxigraph matches
   keywords case-insensitively and needs no word boundary after them (``SERVICESILENT`` is
   ``SERVICE SILENT``), and SPARQL applies ``\\u`` escapes before parsing. So the text is
   unescaped and case-folded, and if neither letter sequence ``service`` nor ``load`` occurs
   anywhere in it, nothing can reach out: allowed in linear time, with no parsing.
2. Otherwise the text is parsed with a full SPARQL 1.1 grammar (rdflib's) and the SERVICE and LOAD
   targets are read from the parse tree with PREFIX and BASE applied. A text that this grammar
   cannot read is refused (it might hide a call that the engine's grammar would see).
3. Each target must be an IRI that matches an allowlist entry as a normalised URL: same scheme,
   host and port, and the entry's path segments a prefix of the target's; a target with ``.`` or
   ``..`` segments, encoded separators or user info matches nothing. ``*`` allows everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from evidencekg.errors import Forbidden, QueryTimeout, ShapeViolation, StoreError
from evidencekg.sparql.text import check_nesting, unescape_codepoints

ALLOW_ALL = "*"
KEYWORDS = ("service", "load")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ENCODED_SEPARATOR = re.compile(r"%(?:2f|5c|2e|00)", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """Where a SERVICE or LOAD would go: the keyword, the IRI (None for a variable or an unknown name) and what was written."""

    keyword: str
    iri: str | None
    written: str


@dataclass(frozen=True)
class Endpoint:
    """A URL reduced to what decides where a request goes: scheme, host, port and path segments."""

    scheme: str
    host: str
    port: int
    segments: tuple[str, ...]

    def covers(self, other: Endpoint) -> bool:
        """Whether `other` lies at or below this endpoint (whole path segments, never a string prefix)."""
        return (
            (self.scheme, self.host, self.port) == (other.scheme, other.host, other.port)
            and other.segments[: len(self.segments)] == self.segments
        )


def endpoint(url: str) -> Endpoint | None:
    """The normalised form of an http(s) URL, or None when it could hide where it goes.

    >>> endpoint("HTTP://Example.org:80/a/b/?x=1")
    Endpoint(scheme='http', host='example.org', port=80, segments=('a', 'b'))
    >>> endpoint("http://example.org/a/../secret") is None
    True
    """
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc or "\\" in url:
        return None
    if _ENCODED_SEPARATOR.search(parts.path):
        return None
    segments = tuple(parts.path.split("/")[1:]) if parts.path else ()
    if any(segment in (".", "..") for segment in segments):
        return None
    while segments and segments[-1] == "":
        segments = segments[:-1]
    return Endpoint(scheme, parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[scheme], segments)


def might_reach_out(text: str) -> bool:
    """Whether the letters of SERVICE or LOAD occur anywhere in the text, in any case, escaped or not."""
    folded = (text + "\n" + unescape_codepoints(text)).casefold()
    return any(keyword in folded for keyword in KEYWORDS)


def targets(text: str, base_iri: str | None = None, *, update: bool = False) -> list[Target]:
    """Every SERVICE and LOAD target of a query (or update), read from its parse tree.

    Forbidden when the text names SERVICE or LOAD somewhere but cannot be parsed: it is not run unread.
    """
    if not might_reach_out(text):
        return []
    found: list[Target] = []
    for variant in dict.fromkeys((text, unescape_codepoints(text))):
        found.extend(_parsed_targets(_as_oxigraph_reads_lines(variant), base_iri, update))
    return found


def _as_oxigraph_reads_lines(text: str) -> str:
    """The text with every carriage return made a line feed, for the checker's grammar only.

    SPARQL (and Oxigraph) end a ``#`` comment at CR as well as at LF, while rdflib's grammar ends
    it at LF only: ``# c<CR>SERVICE <...> {}`` was a comment to the checker and a SERVICE call to
    the engine. Elsewhere CR and LF mean the same (white space; inside a long string, content; in
    a short string or an IRI, an error in both grammars), so the swap changes no reading.
    """
    return text.replace("\r", "\n")


def _parsed_targets(text: str, base_iri: str | None, update: bool) -> Iterator[Target]:
    """The targets in one reading of the text: rdflib's parse tree with PREFIX and BASE applied, walked whole."""
    import functools

    from rdflib.plugins.sparql import parser  # a full SPARQL grammar; loaded only when a keyword's letters occur
    from rdflib.plugins.sparql.algebra import translatePName, translatePrologue, traverse

    try:
        pairs: list[tuple[Any, Any]]
        if update:
            parsed_update = parser.parseUpdate(text)
            pairs = list(zip(parsed_update.prologue, parsed_update.request))
        else:
            parsed_query = parser.parseQuery(text)
            pairs = [(parsed_query[0], parsed_query[1])]
        prologue = None
        resolved: list[object] = []
        for declarations, operation in pairs:
            prologue = translatePrologue(declarations, base_iri, None, prologue)
            resolved.append(traverse(operation, visitPost=functools.partial(translatePName, prologue=prologue)))
    except Exception as exc:  # noqa: BLE001 - any failure to read it means it is not run
        raise Forbidden(
            "the text contains the letters of SERVICE or LOAD and could not be read by the checker that makes "
            f"sure it does not reach out of this store ({type(exc).__name__}: {_short(exc)}); "
            "check its syntax, or rename what is spelled like these keywords"
        ) from None
    yield from _walk(resolved)


def _walk(node: object) -> Iterator[Target]:
    """Depth-first over rdflib's CompValue tree, yielding ServiceGraphPattern and Load targets (IRIs already absolute)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef, Variable

    stack: list[object] = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, CompValue):
            keyword = {"ServiceGraphPattern": "SERVICE", "Load": "LOAD"}.get(current.name)
            if keyword is not None:
                term = current.get("term") if keyword == "SERVICE" else current.get("iri")
                if isinstance(term, Variable):
                    yield Target(keyword, None, f"?{term}")
                elif isinstance(term, URIRef):
                    yield Target(keyword, str(term), f"<{term}>")
                else:
                    yield Target(keyword, None, str(term))
            stack.extend(current.values())
        elif isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list | tuple | ParseResults):
            stack.extend(current)


def allowed(target: Target, allowlist: Sequence[str]) -> bool:
    """Whether the allowlist lets this target through ('*' allows everything, variables included)."""
    if ALLOW_ALL in allowlist:
        return True
    if target.iri is None:
        return False
    wanted = endpoint(target.iri)
    return wanted is not None and any(entry.covers(wanted) for entry in _entries(allowlist))


def _entries(allowlist: Iterable[str]) -> Iterator[Endpoint]:
    """The allowlist's entries that are usable URLs (others allow nothing)."""
    for item in allowlist:
        entry = endpoint(item) if item else None
        if entry is not None:
            yield entry


def check(text: str, allowlist: Sequence[str], base_iri: str | None = None, *, update: bool = False) -> list[Target]:
    """Raise Forbidden for the first SERVICE/LOAD not allowlisted; return the (allowed) targets otherwise."""
    found = targets(text, base_iri, update=update)
    for target in found:
        if not allowed(target, allowlist):
            raise Forbidden(_refusal(target, allowlist))
    return found


def _short(exc: BaseException) -> str:
    """The first line of an error, cut to 160 characters."""
    text = " ".join(str(exc).split())
    return text[:160] + (" ..." if len(text) > 160 else "")


def _refusal(target: Target, allowlist: Sequence[str]) -> str:
    """A message that says what was refused and how an operator would allow it."""
    if target.iri is None and target.written.startswith("?"):
        what = f"{target.keyword} {target.written} (a variable target could reach any endpoint)"
    elif target.iri is None:
        what = f"{target.keyword} {target.written} (not an IRI this checker could resolve)"
    else:
        what = f"{target.keyword} <{target.iri}>"
    allowed_now = ", ".join(allowlist) if allowlist else "nothing"
    return (
        f"{what} is not allowed: this endpoint only lets SERVICE and LOAD reach URLs at or below an allowlisted "
        f"URL (same scheme, host, port and leading path segments; allowed now: {allowed_now}; "
        "set EVIDENCEKG_SERVICE_ALLOWLIST)"
    )


@contextmanager
def admitted(
    text: str, allowlist: Sequence[str], max_nesting: int, base_iri: str | None = None, *, update: bool = False
) -> Iterator[list[Target]]:
    """Run a query or update inside: its nesting checked first (before any parser), then its SERVICE/LOAD targets.

    Inside the block a failure of an allowlisted remote call never shows what the remote answered
    (remote_errors_hidden). Yields the targets that were allowed.
    """
    check_nesting(text, max_nesting)
    reaching = check(text, allowlist, base_iri, update=update)
    with remote_errors_hidden(reaching):
        yield reaching


@contextmanager
def remote_errors_hidden(reaching: Sequence[Target]) -> Iterator[None]:
    """Inside: when allowlisted targets were reached, a failure names the hosts but never carries what they answered.

    A remote body or status in an error text would turn the endpoint into a scanner of whatever it can reach.
    """
    try:
        yield
    except (QueryTimeout, ShapeViolation, Forbidden):
        raise
    except (StoreError, OSError, ValueError, RuntimeError) as exc:
        if not reaching and not _carries_remote_answer(str(exc)):
            raise
        raise StoreError(remote_failure(reaching)) from None


def _carries_remote_answer(text: str) -> bool:
    """Whether an error text holds what a remote endpoint answered (Oxigraph's SERVICE/LOAD failure wording).

    A second line of defence: with no target found, no call should have happened at all.
    """
    return " returned by http" in text or " with payload:" in text


def remote_failure(reaching: Sequence[Target]) -> str:
    """The error text for a query or update whose SERVICE/LOAD call failed (hosts only, no remote answer)."""
    hosts = sorted({urlsplit(t.iri).netloc for t in reaching if t.iri} or {"(a variable target)"})
    return (
        f"the query or update failed while calling {', '.join(hosts)} (SERVICE/LOAD); "
        "what the remote endpoint answered is not shown"
    )
