"""The GraphQL schema, merged from the domain modules, and its FastAPI router.

Limits guard the server against expensive documents before anything runs: query depth,
aliases per document and tokens per document (the parser stops at the limit). Internal
errors are masked (`api.graphql.errors`). Extensions are passed as factories: strawberry
0.341 deprecates extension instances, which would be shared by concurrent requests.
"""

from __future__ import annotations

from pathlib import Path

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.graphql.consent import ConsentMutation
from api.graphql.context import get_context
from api.graphql.customer_queries import CustomerQuery
from api.graphql.errors import MaskInternalErrors
from api.graphql.ingest_mutations import IngestMutation
from api.graphql.models import ModelsMutation, ModelsQuery
from api.graphql.operation_metrics import OperationMetrics
from api.graphql.privacy import PrivacyMutation, PrivacyQuery
from api.graphql.router import JsonErrorsGraphQLRouter
from api.graphql.segments import SegmentsMutation, SegmentsQuery
from api.graphql.steward import StewardMutation, StewardQuery
from api.graphql.steward_customer import StewardCustomerQuery
from api.graphql.steward_pair import StewardPairQuery
from api.graphql.steward_queue import StewardQueueQuery
from api.graphql.validation_cache import TextValidationCache, ValidationResults

MAX_DEPTH = 8
MAX_ALIASES = 20
MAX_TOKENS = 2000
CACHED_DOCUMENTS = 1024
SDL_PATH = Path(__file__).with_name("schema.graphql")

Query = merge_types(
    "Query",
    (
        CustomerQuery,
        ModelsQuery,
        StewardQuery,
        SegmentsQuery,
        StewardQueueQuery,
        StewardPairQuery,
        StewardCustomerQuery,
        PrivacyQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        ModelsMutation,
        StewardMutation,
        SegmentsMutation,
        ConsentMutation,
        PrivacyMutation,
        IngestMutation,
    ),
)


class ApiSchema(strawberry.Schema):
    """`strawberry.Schema` without its default error logging: `MaskInternalErrors` logs
    internal errors (JSON, with the request id); client errors need no log line."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Nothing: see the class docstring."""


def build_schema(
    max_depth: int = MAX_DEPTH, max_aliases: int = MAX_ALIASES, max_tokens: int = MAX_TOKENS
) -> strawberry.Schema:
    """The API's schema with its limits and error masking."""
    validated = ValidationResults(CACHED_DOCUMENTS)
    limits: list[type[ASTValidationRule]] = [
        depth_rule(max_depth, None),
        aliases_rule(max_aliases),
    ]
    return ApiSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            # Outermost: times the whole operation and sees the errors as the client does.
            OperationMetrics,
            # Parsed and validated documents are cached by query text: a frontend sends the
            # same few documents over and over (a small saving; benchmarks/RESULTS.md).
            lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
            lambda: TextValidationCache(validated),
            # The depth and alias rules are built once per schema, not per request: a new
            # rule class per request would miss the validation cache on every request
            # (strawberry's limiter extensions build one in their constructor).
            lambda: AddValidationRules(limits),
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            MaskInternalErrors,
        ],
    )


def sdl(schema: strawberry.Schema | None = None) -> str:
    """The schema in SDL, as `schema.graphql` holds it."""
    return (schema or build_schema()).as_str() + "\n"


def graphql_router(schema: strawberry.Schema | None = None) -> JsonErrorsGraphQLRouter:
    """The `/graphql` endpoint: POST (and GET for queries) plus GraphiQL in a browser."""
    return JsonErrorsGraphQLRouter(
        schema or build_schema(), context_getter=get_context, graphql_ide="graphiql"
    )
