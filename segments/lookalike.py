"""Lookalike audiences: the customers whose GNN user embeddings are closest to a seed segment's.

Embeddings come through the `UserEmbeddings` port (segments does not import gnn: the
composition root adapts the recommendation model being served, `customer_graph.runtime`).
The seed's members that have an embedding are L2-normalised and averaged into a centroid;
every other active customer with an embedding is scored by cosine similarity to it, and
the `size` best (ties: customer id) become the segment `lookalike:<seed>:<size>` (score:
the cosine). Seed members and candidates without an embedding (no personalisation consent,
or new since the model was trained) are skipped and counted in the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from segments.membership_writes import write_differences
from segments.reads import active_customer_pages
from segments.service import SegmentService

LOOKALIKE_PREFIX = "lookalike:"
MAX_SIZE = 100_000


class EmbeddingsUnavailable(RuntimeError):  # noqa: N818 (the name callers catch)
    """No embeddings to compare with (no recommendation model is being served)."""


@dataclass(frozen=True)
class EmbeddingTable:
    """Customer embeddings of one model version: ids and one row per id."""

    version: str
    customer_ids: list[str]
    vectors: np.ndarray  # (customers, d)


class UserEmbeddings(Protocol):
    """Where customer embeddings come from (raises `EmbeddingsUnavailable` without any)."""

    def customer_embeddings(self) -> EmbeddingTable:
        """The current customers' embeddings."""
        ...


@dataclass(frozen=True)
class LookalikeReport:
    """The audience built, and who could not be compared."""

    segment_id: str
    seed_segment_id: str
    size: int  # asked for
    members: int  # in the audience (fewer than `size` when too few candidates)
    seed_members: int
    seed_without_embedding: int
    candidates: int  # active customers outside the seed with an embedding
    candidates_without_embedding: int
    model_version: str
    added: int
    removed: int
    built_at: int


def lookalike_segment_id(seed_segment_id: str, size: int) -> str:
    """The segment id of the `size` lookalikes of a seed segment."""
    return f"{LOOKALIKE_PREFIX}{seed_segment_id}:{size}"


def _normalised(vectors: np.ndarray) -> np.ndarray:
    found = np.asarray(vectors, dtype=np.float64)
    norms: np.ndarray = np.linalg.norm(found, axis=1, keepdims=True)
    normalised: np.ndarray = found / np.maximum(norms, 1e-12)
    return normalised


class LookalikeService:
    """Builds lookalike audiences of seed segments from customer embeddings."""

    def __init__(self, segments: SegmentService, embeddings: UserEmbeddings) -> None:
        self.segments = segments
        self.embeddings = embeddings

    async def _members(self, segment_id: str) -> dict[str, float]:
        rows = await self.segments.store.read("segments/memberships", {"segment_ids": [segment_id]})
        return {str(r["customer_id"]): float(r["score"]) for r in rows}

    async def _active(self) -> set[str]:
        found: set[str] = set()
        async for page in active_customer_pages(self.segments.store, 5000):
            found.update(page)
        return found

    async def build(
        self, seed_segment_id: str, size: int, now: int | None = None
    ) -> LookalikeReport:
        """Build (or rebuild) the audience; KeyError for an unknown seed, ValueError for a
        bad size or a seed none of whose members has an embedding."""
        if not 1 <= size <= MAX_SIZE:
            raise ValueError(f"size: must be between 1 and {MAX_SIZE:,}, got {size}")
        seed_info = await self.segments.get(seed_segment_id)
        if seed_info is None:
            raise KeyError(f"seedSegmentId: no segment {seed_segment_id!r}")
        now = self.segments.clock() if now is None else now
        table = self.embeddings.customer_embeddings()
        row_of = {cid: i for i, cid in enumerate(table.customer_ids)}
        seed = set(await self._members(seed_segment_id))
        seed_rows = [row_of[c] for c in sorted(seed) if c in row_of]
        if not seed_rows:
            raise ValueError(
                f"seedSegmentId: none of the {len(seed)} members of {seed_segment_id!r} has an "
                f"embedding in model version {table.version}"
            )
        vectors = _normalised(table.vectors)
        centroid = vectors[seed_rows].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        others = sorted((await self._active()) - seed)
        candidates = [c for c in others if c in row_of]
        scores = vectors[[row_of[c] for c in candidates]] @ centroid
        ranked = sorted(
            ((c, round(float(s), 6)) for c, s in zip(candidates, scores, strict=True)),
            key=lambda cs: (-cs[1], cs[0]),
        )
        chosen = ranked[:size]
        segment_id = lookalike_segment_id(seed_segment_id, size)
        definition = {
            "description": f"the {size:,} customers most like the members of "
            f"{seed_segment_id} (cosine of GNN embeddings to the seed's centroid)",
            "seed": seed_segment_id,
            "size": size,
            "model_version": table.version,
            "built_at": now,
            "seed_without_embedding": len(seed) - len(seed_rows),
            "candidates_without_embedding": len(others) - len(candidates),
        }
        name = f"Lookalikes of {seed_info.name} ({size:,})"
        row = {"id": segment_id, "kind": "lookalike", "name": name}
        await self.segments.store.write_batch(
            "segments/upsert_segments", [{**row, "definition": json.dumps(definition)}]
        )
        existing = {(c, segment_id): s for c, s in (await self._members(segment_id)).items()}
        desired = {(c, segment_id): s for c, s in chosen}
        added, removed = await write_differences(self.segments.store, desired, existing, now)
        return LookalikeReport(
            segment_id=segment_id,
            seed_segment_id=seed_segment_id,
            size=size,
            members=len(chosen),
            seed_members=len(seed),
            seed_without_embedding=len(seed) - len(seed_rows),
            candidates=len(candidates),
            candidates_without_embedding=len(others) - len(candidates),
            model_version=table.version,
            added=added,
            removed=removed,
            built_at=now,
        )
