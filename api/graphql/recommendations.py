"""Recommendation types and the one place the API calls `RecommendationService`.

Note on annotations: strawberry reads the (postponed, string) annotations of these types
when the schema is built, in this module's namespace, so every name an annotation uses is
imported at runtime here, never under `TYPE_CHECKING`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from enum import Enum

import strawberry

from api.graphql.context import Info
from api.graphql.errors import BadRequest, ModelUnavailable
from api.graphql.loaders import ItemInteraction
from api.graphql.permissions import field
from gnn.serving import ModelNotAvailable

MAX_RECOMMENDATIONS = 100


@strawberry.enum(description="How a recommendation list was made.")
class RecommendationSource(Enum):
    """`RecommendationService`'s sources."""

    MODEL = "model"
    INDUCTIVE = "inductive"
    POPULARITY = "popularity"


@strawberry.type(description="A catalogue item.")
class Item:
    """An item of the catalogue."""

    id: strawberry.ID
    title: str | None
    category: str | None
    brand: str | None
    price: float | None
    currency: str | None
    in_stock: bool | None


@strawberry.type(description="One recommended item and its score (higher is better).")
class Recommendation:
    """One ranked item."""

    item_id: strawberry.ID
    score: float

    @field("The item's catalogue entry (null if not in the catalogue).")
    async def item(self, info: Info) -> Item | None:
        """The catalogue entry, through the request's items loader."""
        row = await info.context.loaders.items.load(str(self.item_id))
        if row is None:
            return None
        return Item(
            id=strawberry.ID(str(row["id"])),
            title=row.get("title"),
            category=row.get("category"),
            brand=row.get("brand"),
            price=row.get("price"),
            currency=row.get("currency"),
            in_stock=row.get("in_stock"),
        )


@strawberry.type(description="Top items for a customer or visitor, best first.")
class RecommendationList:
    """Ranked items with the model version and the way they were made."""

    source: RecommendationSource
    model_version: str
    items: list[Recommendation]
    personalised: bool = strawberry.field(
        default=True,
        description="False when the person has not consented to personalisation: the list "
        "is then the non-personalised popularity ranking (their own data unused).",
    )


def pooled(rows: Sequence[ItemInteraction]) -> list[tuple[str, float]]:
    """Weight per item over all rows (all identifiers and interaction types summed)."""
    weights: dict[str, float] = defaultdict(float)
    for row in rows:
        weights[row.item_id] += row.weight
    return sorted(weights.items())


def recommend(
    info: Info,
    user_id: str,
    interactions: Sequence[ItemInteraction],
    first: int,
    categories: list[str] | None,
    exclude_items: list[str] | None,
    personalised: bool = True,
) -> RecommendationList:
    """Ask the served model; what the user already has is never recommended. Not
    `personalised` (no consent): popularity, without the user or their interactions."""
    if not 1 <= first <= MAX_RECOMMENDATIONS:
        raise BadRequest(f"first: must be between 1 and {MAX_RECOMMENDATIONS}")
    try:
        found = info.context.services.recommendations.recommend(
            user_id if personalised else None,
            first,
            interactions=pooled(interactions) if personalised else (),
            categories=set(categories) if categories is not None else None,
            exclude_items=exclude_items or (),
        )
    except ModelNotAvailable:
        raise ModelUnavailable(
            "no recommendation model is being served yet (none promoted, or the current "
            "version failed to load)"
        ) from None
    return RecommendationList(
        source=RecommendationSource(found.source),
        model_version=found.version,
        items=[Recommendation(item_id=strawberry.ID(i), score=s) for i, s in found.items],
        personalised=personalised,
    )
