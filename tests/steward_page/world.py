"""A small resolved world with a real review queue for the steward page: the identity tests'
demo world (items, records, events) in an embedded store, plus a few records that name an
existing person and nothing else (or a different address), so that the trained model scores
them between the review and the auto-merge threshold; a full resolution run then queues them
as it would in production."""

from __future__ import annotations

import asyncio
import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from customer_graph.runtime import build_pipeline, graph_store, identity_service
from customer_graph.settings import Settings
from graph.port import GraphStore
from graph.queries import Cypher
from ingestion.file_import import FileKind, import_file

HASH_KEY = SecretStr("test-key-test-key-test-key")
STEWARD_KEY = "ann:steward-key-0123456789"  # a named key: audit entries say "steward:ann"
FRONTEND_KEY = "frontend-key-0123456789"
ADMIN_KEY = "admin-key-0123456789abc"
VARIANTS = 16  # extra records, one per person


@dataclass
class StewardWorld:
    """The world's settings, its queued pairs and customers worth splitting."""

    settings: Settings
    pending: list[tuple[str, str]]  # pairs queued by resolution, records of two customers
    multi_record: list[str]  # customers with at least two records


def settings_for(data_dir: Path) -> Settings:
    """The world's settings, with a steward, a frontend and an admin key."""
    return Settings(
        data_dir=data_dir,
        hash_key=HASH_KEY,
        api_keys={STEWARD_KEY: "steward", FRONTEND_KEY: "frontend", ADMIN_KEY: "admin"},
        identity_resolve_on_ingest=False,
    )


def variant_records(world_dir: Path, target: Path) -> Path:
    """A JSONL file of new web records: the names of existing CRM records, alone (every other
    one) or with an address elsewhere."""
    with (world_dir / "records.csv").open(encoding="utf-8", newline="") as f:
        crm = [r for r in csv.DictReader(f) if r["source"] == "crm" and r["first_name"]]
    lines = []
    for i, row in enumerate(crm[:VARIANTS]):
        record: dict[str, Any] = {
            "source": "web",
            "source_id": f"REVIEW-{i:03d}",
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "updated_at": "2026-06-01T10:00:00Z",
        }
        if i % 2:
            record |= {"address": f"{i} Elsewhere Road", "postcode": "ZZ1 1ZZ", "city": "Elsewhere"}
        lines.append(json.dumps(record))
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


async def _pending(store: GraphStore) -> list[tuple[str, str]]:
    rows = await store.read(
        Cypher(
            "MATCH (a:Record)-[m:CANDIDATE_MATCH {status: 'pending'}]->(b:Record) "
            "MATCH (a)-[:BELONGS_TO]->(ca:Customer), (b)-[:BELONGS_TO]->(cb:Customer) "
            "WHERE ca.id <> cb.id RETURN a.key AS l, b.key AS r ORDER BY l, r"
        )
    )
    return [(str(r["l"]), str(r["r"])) for r in rows]


async def _multi_record(store: GraphStore) -> list[str]:
    rows = await store.read(
        Cypher(
            "MATCH (c:Customer)<-[:BELONGS_TO]-(r:Record) WITH c, count(r) AS n "
            "WHERE n >= 2 RETURN c.id AS id ORDER BY id"
        )
    )
    return [str(r["id"]) for r in rows]


def build_world(world_dir: Path, identity_model_dir: Path, data_dir: Path) -> StewardWorld:
    """Load, add the variants, resolve (a few seconds); the caller keeps the server up."""
    settings = settings_for(data_dir)
    shutil.copytree(identity_model_dir, settings.identity_model_dir)
    extra = variant_records(world_dir, data_dir / "review-variants.jsonl")

    async def build() -> StewardWorld:
        async with graph_store(settings) as store:
            pipeline = build_pipeline(settings, store)
            try:
                for path, kind in (
                    (world_dir / "items.csv", FileKind.ITEMS),
                    (world_dir / "records.csv", FileKind.RECORDS),
                    (extra, FileKind.RECORDS),
                    (world_dir / "events.jsonl", FileKind.EVENTS),
                ):
                    await import_file(pipeline, path, kind)
            finally:
                pipeline.close()
            await identity_service(settings, store).resolve_all()
            return StewardWorld(settings, await _pending(store), await _multi_record(store))

    return asyncio.run(build())
