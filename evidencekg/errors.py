"""Every error the library raises for a caller to see; service/errors.py maps each to one HTTP status."""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotAcceptable",
    "NotFound",
    "QuerySyntaxError",
    "QueryTimeout",
    "ResourceLimit",
    "ResultTooLarge",
    "ShapeViolation",
    "StoreError",
    "Unauthorized",
    "UnsupportedMediaType",
]


class StoreError(Exception):
    """A store operation failed; the message is meant for the user."""


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


class Conflict(StoreError):
    """The write would remove the shipped evidence (default graph, ALL, our graphs) and was not forced."""
