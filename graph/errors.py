"""The graph layer's own exceptions: callers never see a driver exception."""

from __future__ import annotations


class GraphError(Exception):
    """Base class of every error raised by a GraphStore."""


class GraphUnavailableError(GraphError):
    """The backend cannot be reached (connection refused, lost, timed out)."""


class GraphAuthError(GraphUnavailableError):
    """The backend refused the credentials."""


class QueryError(GraphError):
    """The backend rejected a query (syntax, semantics, run-time error)."""

    def __init__(self, message: str, query_name: str | None = None) -> None:
        super().__init__(f"{query_name}: {message}" if query_name else message)
        self.query_name = query_name


class ConstraintViolationError(QueryError):
    """A write broke a uniqueness constraint."""


class UnknownQueryError(GraphError):
    """No query file exists under that name for this backend."""


class EmbeddedServerError(GraphUnavailableError):
    """The embedded FalkorDB server could not be started or reached."""
