"""Validation results cached by query text, one cache per schema.

Strawberry's `ValidationCache` keys its LRU cache by the parsed document, and hashing a
graphql-core document walks the whole syntax tree on every request (a tenth of a
millisecond for the frontend's query, more than validating from the cache saves). The
parser cache (`ParserCache`) already makes one text one document, so the text (with the
rule classes, which are built once per schema) is an equivalent key that hashes in
microseconds.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

Key = tuple[str, tuple[type[ASTValidationRule], ...]]


class ValidationResults:
    """A bounded LRU map from (query text, rules) to that document's validation errors."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._errors: OrderedDict[Key, list[GraphQLError]] = OrderedDict()

    def get(self, key: Key) -> list[GraphQLError] | None:
        """The cached errors of a key (None: not cached), marked as recently used."""
        found = self._errors.get(key)
        if found is not None:
            self._errors.move_to_end(key)
        return found

    def put(self, key: Key, errors: list[GraphQLError]) -> None:
        """Cache a key's errors, dropping the least recently used beyond `maxsize`."""
        self._errors[key] = errors
        if len(self._errors) > self.maxsize:
            self._errors.popitem(last=False)

    def __len__(self) -> int:
        return len(self._errors)


class TextValidationCache(SchemaExtension):
    """Validates a document once per distinct query text (see the module docstring)."""

    def __init__(self, results: ValidationResults) -> None:
        super().__init__()
        self.results = results

    def on_validate(self) -> Iterator[None]:
        """Set the document's validation errors (an empty list when it is valid)."""
        context = self.execution_context
        document = context.graphql_document
        rules = tuple(context.validation_rules)
        if document is not None:
            if context.query is None:  # a document given without its text: not cached
                context.pre_execution_errors = validate_document(
                    context.schema._schema, document, rules
                )
            else:
                key = (context.query, rules)
                errors = self.results.get(key)
                if errors is None:
                    errors = validate_document(context.schema._schema, document, rules)
                    self.results.put(key, errors)
                context.pre_execution_errors = errors
        yield
