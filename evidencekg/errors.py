"""Every error the library raises for a caller to see, under one root, and the one table of what each means.

`OUTCOMES` maps an error class to its HTTP status, CLI exit code and short title; `outcome_for`
looks an error up along its MRO, so a subclass defined anywhere in the library inherits the entry
of the family it derives from. service/errors.py and the CLI both answer from this table.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = [
    "OUTCOMES",
    "BadFile",
    "BadRequest",
    "Busy",
    "Conflict",
    "EvidenceKGError",
    "Forbidden",
    "InvalidInput",
    "NotAcceptable",
    "NotFound",
    "NothingFound",
    "Outcome",
    "QuerySyntaxError",
    "QueryTimeout",
    "Refused",
    "ResourceLimit",
    "ResultTooLarge",
    "ShapeViolation",
    "StoreError",
    "StoreUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnknownName",
    "UnsupportedMediaType",
    "outcome_for",
]


class EvidenceKGError(Exception):
    """The root of every error the library raises on purpose; the message is meant for the user."""

    def detail(self) -> str | dict[str, Any]:
        """What an HTTP JSON body's "detail" holds: the message (subclasses may give structured data)."""
        return str(self) or type(self).__name__


class InvalidInput(EvidenceKGError, ValueError):
    """A value the caller gave is malformed (a bad filter, parameter, layer or cell); the message names it."""


class Refused(EvidenceKGError, ValueError):
    """The input was read but refused as a whole, and nothing was written; the message says where and why."""


class Conflict(EvidenceKGError):
    """The request clashes with what the store holds (a document ingested before; a write that would remove the shipped evidence without force)."""


class NothingFound(EvidenceKGError, LookupError):
    """What was asked for exists nowhere in the store (no such term, no findings to pool or plot)."""


class UnknownName(NothingFound):
    """A name the caller typed matched nothing (a construct, a named query); the message lists close matches."""


class StoreError(EvidenceKGError):
    """A store operation failed; the message is meant for the user."""


class BadFile(StoreError):
    """A file given to be loaded cannot be read or parsed; nothing of it reached the store."""


class StoreFull(StoreError):
    """The disk under the store is full: the write was not kept, the store is as it was before it."""


class StoreUnavailable(StoreError):
    """The store cannot be reached (a remote endpoint refused, timed out or broke the connection)."""


class QuerySyntaxError(StoreError):
    """The query or update text could not be parsed."""


class NotAcceptable(StoreError):
    """No result format acceptable to the caller exists for this query."""


class BadRequest(StoreError):
    """The request is malformed (a protocol rule was broken); the message says which."""


class UnsupportedMediaType(BadRequest):
    """The request body has a media type (or charset) this operation does not accept."""


class Forbidden(BadRequest):
    """The query or update reaches outside the store (SERVICE, LOAD) to a target not allowlisted."""


class QueryTimeout(StoreError):
    """The query ran longer than settings.query_timeout and was stopped (its worker killed)."""


class ResourceLimit(QueryTimeout):
    """The query was stopped because its worker passed a resource bound (memory); retrying as is will not help."""


class Busy(QueryTimeout):
    """The service has no room for this query now (heavy lane full); `retry_after` says when to try again."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyRequests(Busy):
    """This client already has its share of heavy queries running or waiting; others' queries are unaffected."""


class ResultTooLarge(StoreError):
    """The result has more rows or triples than settings.result_limit allows."""


class Unauthorized(StoreError):
    """A write was attempted without a valid bearer token (or writes are switched off)."""


class ShapeViolation(StoreError):
    """Incoming data does not conform to the SHACL shapes; `report` holds the validation text.

    `violations` lists the same problems as plain data (focus_node, path, value, message) for API clients.
    """

    def __init__(self, message: str, report: str = "", violations: list[dict[str, str | None]] | None = None) -> None:
        super().__init__(message)
        self.report = report
        self.violations = violations or []


class NotFound(StoreError):
    """The graph or resource asked for does not exist."""


class Outcome(NamedTuple):
    """What an error means to a caller: the HTTP status, the CLI exit code and a short title."""

    status: int
    exit_code: int
    title: str


# One entry per family; an error without an entry of its own takes the first one along its MRO.
# Exit code 2 means "fix what you typed"; 1 means the command could not do its work.
OUTCOMES: dict[type[EvidenceKGError], Outcome] = {
    EvidenceKGError: Outcome(500, 1, "Error"),
    InvalidInput: Outcome(400, 2, "Bad request"),
    Refused: Outcome(422, 1, "Refused"),
    Conflict: Outcome(409, 1, "Conflict"),
    NothingFound: Outcome(404, 1, "Not found"),
    UnknownName: Outcome(404, 2, "Not found"),
    StoreError: Outcome(500, 1, "Store error"),
    BadFile: Outcome(400, 2, "Bad request"),  # fix the file (its file:line:col is in the message)
    StoreFull: Outcome(507, 1, "Insufficient storage"),
    StoreUnavailable: Outcome(502, 1, "Store unreachable"),
    QuerySyntaxError: Outcome(400, 2, "Bad request"),  # the parser's message, with its line:column
    BadRequest: Outcome(400, 2, "Bad request"),
    Forbidden: Outcome(400, 2, "Bad request"),  # SERVICE / LOAD to a target not allowlisted
    UnsupportedMediaType: Outcome(415, 2, "Unsupported media type"),
    ResultTooLarge: Outcome(400, 1, "Bad request"),  # the client can add a LIMIT; retrying as is will not help
    Unauthorized: Outcome(401, 1, "Unauthorized"),
    NotFound: Outcome(404, 1, "Not found"),
    NotAcceptable: Outcome(406, 2, "Not acceptable"),
    ShapeViolation: Outcome(422, 1, "Refused by the data shapes"),
    QueryTimeout: Outcome(503, 1, "Query stopped"),
    Busy: Outcome(503, 1, "Busy"),
    TooManyRequests: Outcome(429, 1, "Too many requests"),
}


def outcome_for(exc: BaseException | type[BaseException]) -> Outcome | None:
    """The table's entry for an error (or class): its own, else the nearest along its MRO; None outside the root."""
    cls = exc if isinstance(exc, type) else type(exc)
    for klass in cls.__mro__:
        if klass in OUTCOMES:
            return OUTCOMES[klass]  # type: ignore[index]
    return None
