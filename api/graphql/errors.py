"""Errors clients may see (a code and a message), and masking of everything else.

A resolver raises an `ApiError` subclass for anything the client can act on; its message
and `extensions.code` reach the client. Any other exception is an internal error: the
client gets `"internal error"` with `code: INTERNAL` and the request id, never a stack
trace, a file path or a Cypher statement; the log gets the traceback with the same id.
GraphQL's own errors (syntax, validation, depth/alias/token limits) describe the query
and pass unmasked.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from api.middleware import log_json

INTERNAL_MESSAGE = "internal error"


class ApiError(Exception):
    """An error whose message is meant for the client, with a machine-readable code."""

    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # graphql-core copies an original error's `extensions` into the GraphQL error.
        self.extensions: dict[str, Any] = {"code": self.code}


class Unauthenticated(ApiError):  # noqa: N818 (named after the GraphQL error code)
    """No API key was sent."""

    code = "UNAUTHENTICATED"


class Forbidden(ApiError):  # noqa: N818
    """The key's role may not do this."""

    code = "FORBIDDEN"


class NotFound(ApiError):  # noqa: N818
    """The thing asked for does not exist."""

    code = "NOT_FOUND"


class BadRequest(ApiError):  # noqa: N818
    """The arguments cannot be acted on; the message says why."""

    code = "BAD_REQUEST"


class ModelUnavailable(ApiError):  # noqa: N818
    """No recommendation model can be served yet."""

    code = "MODEL_NOT_AVAILABLE"


def is_internal(error: GraphQLError) -> bool:
    """True for an error raised by our code that is not an `ApiError`."""
    original = error.original_error
    return original is not None and not isinstance(original, ApiError | GraphQLError)


class MaskInternalErrors(MaskErrors):
    """`MaskErrors` for internal errors only, logging each with the request's id."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_internal, error_message=INTERNAL_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        """The masked error (code INTERNAL, request id), logged with its traceback first."""
        request_id = _request_id(self.execution_context.context)
        original = error.original_error
        log_json(
            logging.ERROR,
            "graphql_internal_error",
            request_id=request_id,
            path=error.path,
            error_type=type(original).__name__,
            traceback="".join(traceback.format_exception(original)) if original else "",
        )
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL", "request_id": request_id}
        return masked


def _request_id(context: object) -> str:
    request = getattr(context, "request", None)
    state = getattr(request, "state", None)
    return str(getattr(state, "request_id", ""))
