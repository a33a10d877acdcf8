"""Recommendation model versions: list them, promote one, roll back (ML engineers, admins).

Promotion goes through `GnnRegistry` (checksums verified first), then serving reloads at
once, so the next request already uses the new version; file work (checksums, arrays) runs
in a worker thread. Messages never carry server paths. Annotations: see
`api.graphql.customers`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry

from api.graphql.context import Info
from api.graphql.errors import BadRequest, NotFound
from api.graphql.permissions import Operation, guarded, guarded_mutation
from gnn.model_version import ModelVersion, RegistryError, VerificationError

NDCG_KEY = "graphsage/ndcg@20"


@strawberry.type(description="One scalar evaluation metric of a model version.")
class Metric:
    """`name` as stored, e.g. `graphsage/ndcg@20` or `mf/recall@10`."""

    name: str
    value: float


@strawberry.type(description="A registered GraphSAGE recommendation model version.")
class GnnModelVersion:
    """A registry version with its key figures."""

    version: str
    created_at: str | None
    current: bool = strawberry.field(description="True for the version being served.")
    data_hash: str | None
    ndcg_at_20: float | None = strawberry.field(description="Test NDCG@20 of GraphSAGE.")
    best_baseline: str | None
    ratio_to_best_baseline: float | None = strawberry.field(
        description="GraphSAGE NDCG@20 over the best reference baseline's."
    )
    users: int | None
    items: int | None
    metrics: list[Metric]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def version_of(found: ModelVersion, current: str | None) -> GnnModelVersion:
    """The GraphQL view of a registry version."""
    meta = found.meta
    metrics, counts = _mapping(meta.get("metrics")), _mapping(meta.get("counts"))
    return GnnModelVersion(
        version=found.version,
        created_at=str(meta["created_at"]) if meta.get("created_at") else None,
        current=found.version == current,
        data_hash=str(meta["data_hash"]) if meta.get("data_hash") else None,
        ndcg_at_20=_number(metrics.get(NDCG_KEY)),
        best_baseline=str(meta["best_baseline"]) if meta.get("best_baseline") else None,
        ratio_to_best_baseline=_number(meta.get("graphsage_over_best_baseline")),
        users=int(counts["users"]) if isinstance(counts.get("users"), int) else None,
        items=int(counts["items"]) if isinstance(counts.get("items"), int) else None,
        metrics=[
            Metric(name=name, value=number)
            for name, value in sorted(metrics.items())
            if (number := _number(value)) is not None
        ],
    )


@strawberry.type
class ModelsQuery:
    """Root fields of the models domain."""

    @guarded(Operation.MODELS_READ, "Recommendation model versions, oldest first.")
    def model_versions(self, info: Info) -> list[GnnModelVersion]:
        """Every complete version in the registry, the served one flagged `current`."""
        registry = info.context.services.recommendations.registry
        current = registry.current_name()
        return [version_of(v, current) for v in registry.versions()]


@strawberry.type
class ModelsMutation:
    """Mutations of the models domain."""

    @guarded_mutation(Operation.MODELS_PROMOTE, "Serve a version (checksums verified first).")
    async def promote_model(self, info: Info, version: str) -> GnnModelVersion:
        """Point `current` at `version` and reload serving now."""
        service = info.context.services.recommendations
        known = {v.version for v in service.registry.versions()}
        if version not in known:
            raise NotFound(f"version: no complete model version {version!r}")
        try:
            found = await asyncio.to_thread(service.registry.promote, version)
        except VerificationError as corrupt:
            raise BadRequest(str(corrupt)) from None
        await asyncio.to_thread(service.refresh)  # checksums and arrays: off the loop
        return version_of(found, service.registry.current_name())

    @guarded_mutation(Operation.MODELS_PROMOTE, "Serve the version that was current before.")
    async def rollback_model(self, info: Info) -> GnnModelVersion:
        """One step back in the promotion history, and reload serving now."""
        service = info.context.services.recommendations
        try:
            found = await asyncio.to_thread(service.registry.rollback)
        except VerificationError as corrupt:
            raise BadRequest(str(corrupt)) from None
        except RegistryError:
            raise BadRequest("cannot roll back: no earlier version was current") from None
        await asyncio.to_thread(service.refresh)  # checksums and arrays: off the loop
        return version_of(found, service.registry.current_name())
