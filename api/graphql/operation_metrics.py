"""Per-operation GraphQL metrics: latency by operation, errors by code, root fields used.

The extension wraps each operation (parse, validation and execution; it is the outermost one,
so it sees the errors as the client does, internal ones already masked). Labels are bounded:
`operation` is the operation's name as the document declares it (`<anonymous>` without one,
`<unparsed>` when the document does not parse) and the first `MAX_OPERATION_NAMES` distinct
names a process sees are kept, later ones count as `<other>`; `code` is an error code from a
fixed set; `field` is a root field the schema has (documents are validated first).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

from graphql import FieldNode, GraphQLError, OperationDefinitionNode
from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from api.graphql.errors import ApiError, is_internal

MAX_OPERATION_NAMES = 200
ANONYMOUS = "<anonymous>"
UNPARSED = "<unparsed>"
OTHER = "<other>"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")

GRAPHQL_OPERATION_SECONDS = Histogram(
    "cg_graphql_operation_seconds",
    "GraphQL operation latency (parse, validation, execution) by operation type and name.",
    ["type", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
GRAPHQL_ERRORS = Counter(
    "cg_graphql_errors",  # exposed as cg_graphql_errors_total
    "Errors in GraphQL answers by operation type, name and code (FORBIDDEN, BAD_REQUEST, "
    "INTERNAL, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, …).",
    ["type", "operation", "code"],
)
GRAPHQL_ROOT_FIELDS = Counter(
    "cg_graphql_root_fields",  # exposed as cg_graphql_root_fields_total
    "Root fields selected by executed GraphQL operations, by operation type.",
    ["type", "field"],
)


class _Names:
    """The operation names labels may carry: the first `limit` distinct ones."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str) -> str:
        """`name` itself, or `<other>` once `limit` other names have been seen."""
        if not _NAME.match(name):
            return OTHER
        with self._lock:
            if name in self._seen:
                return name
            if len(self._seen) >= self.limit:
                return OTHER
            self._seen.add(name)
            return name


NAMES = _Names(MAX_OPERATION_NAMES)


def _operation(context: ExecutionContext) -> OperationDefinitionNode | None:
    """The operation that ran: the one named by `operationName`, or the only one."""
    document = context.graphql_document
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    wanted = context.operation_name
    for operation in operations:
        if wanted is None or (operation.name is not None and operation.name.value == wanted):
            return operation
    return None


def _code(error: GraphQLError, parsed: bool) -> str:
    """The error's code as the client sees it (masked internal errors say INTERNAL)."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str) and _NAME.match(code):
        return code
    original = error.original_error
    if isinstance(original, ApiError):
        return original.code
    if is_internal(error):
        return "INTERNAL"
    return VALIDATION_FAILED if parsed else PARSE_FAILED


def record(context: ExecutionContext, seconds: float, raised: BaseException | None = None) -> None:
    """Observe one operation: its latency, its errors and its root fields. `raised`: what
    the operation raised instead of answering (a syntax error raised while parsing through
    the parser cache; strawberry turns it into the answer's error)."""
    operation = _operation(context)
    if operation is None:
        kind, name = "unknown", UNPARSED if context.graphql_document is None else OTHER
    else:
        kind = operation.operation.value
        name = NAMES.label(operation.name.value) if operation.name else ANONYMOUS
    GRAPHQL_OPERATION_SECONDS.labels(type=kind, operation=name).observe(seconds)
    result = context.result
    errors = (result.errors if result is not None else None) or context.pre_execution_errors
    if not errors and raised is not None:
        errors = [raised if isinstance(raised, GraphQLError) else GraphQLError(str(raised))]
    parsed = context.graphql_document is not None
    for error in errors or []:
        GRAPHQL_ERRORS.labels(type=kind, operation=name, code=_code(error, parsed)).inc()
    executed = result is not None and result.data is not None
    if operation is not None and executed:
        for selection in operation.selection_set.selections:
            if isinstance(selection, FieldNode) and not selection.name.value.startswith("__"):
                GRAPHQL_ROOT_FIELDS.labels(type=kind, field=selection.name.value).inc()


class OperationMetrics(SchemaExtension):
    """Times each operation and counts its errors and root fields (see the module docstring)."""

    def on_operation(self) -> Iterator[None]:
        """Everything from parsing to the masked result, timed."""
        started = time.perf_counter()
        raised: BaseException | None = None
        try:
            yield
        except BaseException as error:
            raised = error
            raise
        finally:
            record(self.execution_context, time.perf_counter() - started, raised)
