"""A small resolved world for the GraphQL tests: the identity tests' demo world (records,
items, events) in an embedded store that stays up for the session, resolved into customers
with the identity tests' trained model, a few review-queue pairs, and two GraphSAGE
versions trained on the graph (the second one current)."""

from __future__ import annotations

import asyncio
import csv
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from customer_graph.runtime import build_pipeline, graph_store, identity_service
from customer_graph.settings import ApiRole, Settings
from gnn.artifact import artifact_meta, model_arrays, state_dict_bytes
from gnn.config import load_config
from gnn.dataset import export_graph
from gnn.registry import GnnRegistry
from gnn.training import train_graphsage
from graph.port import GraphStore
from graph.queries import Cypher
from ingestion.file_import import FileKind, import_file
from privacy.consent_store import ConsentService

HASH_KEY = SecretStr("test-key-test-key-test-key")
KEYS: dict[ApiRole, str] = {
    "frontend": "frontend-key-0123456789",
    "steward": "steward-key-0123456789",
    "admin": "alice:admin-key-0123456789",
    "ml": "ml-key-0123456789abcdef",
}
FAST_GNN = load_config(preset="demo").with_overrides(dim=8, max_epochs=4, patience=4)


@dataclass
class GraphQLWorld:
    """Settings of the world and the ids tests ask for."""

    settings: Settings
    customers: list[str]  # customers with at least two records, several interactions
    email: str  # a raw email of the first of them
    email_customer: str
    anonymous_cookie: str  # a cookie with interactions and no customer
    pending: list[tuple[str, str]]  # review-queue pairs, records of different customers
    versions: list[str] = field(default_factory=list)  # GNN versions, oldest first


def settings_for(data_dir: Path) -> Settings:
    """The world's settings, with one API key per role."""
    return Settings(
        data_dir=data_dir,
        hash_key=HASH_KEY,
        api_keys={key: role for role, key in KEYS.items()},
        identity_resolve_on_ingest=False,
    )


async def _pick(store: GraphStore, world_dir: Path) -> tuple[list[str], str, str, str]:
    rows = await store.read(
        Cypher(
            "MATCH (c:Customer)<-[:BELONGS_TO]-(r:Record)-[:HAS_ID]->(i:Identifier)"
            "-[:INTERACTED]->(:Item) WITH c, count(DISTINCT r) AS records, count(i) AS n "
            "WHERE records >= 2 RETURN c.id AS id ORDER BY n DESC, id LIMIT 30"
        )
    )
    # Only people who consent to personalisation get personalised recommendations.
    consent, purpose = ConsentService(store), ["personalisation"]
    candidates = [str(r["id"]) for r in rows]
    allowed = await consent.of_customers(candidates, purpose)
    customers = [c for c in candidates if allowed[c].allows(purpose[0])][:3]
    cookies = await store.read(
        Cypher(
            "MATCH (i:Identifier {type: 'cookie'})-[:INTERACTED]->(:Item) "
            "OPTIONAL MATCH (i)<-[:HAS_ID]-(r:Record) OPTIONAL MATCH (i)-[:SEEN_WITH]-(s) "
            "WITH i, count(r) AS held, count(s) AS seen WHERE held = 0 AND seen = 0 "
            "RETURN i.value AS value ORDER BY value LIMIT 30"
        )
    )
    own = await consent.of_identifiers([f"cookie:{r['value']}" for r in cookies], purpose)
    anonymous = [r for r in cookies if own[f"cookie:{r['value']}"].allows(purpose[0])]
    owners = await store.read(
        Cypher("MATCH (r:Record)-[:BELONGS_TO]->(c:Customer) RETURN r.key AS key, c.id AS id")
    )
    customer_of = {str(r["key"]): str(r["id"]) for r in owners}
    with (world_dir / "records.csv").open(encoding="utf-8", newline="") as f:
        email_row = next(
            r for r in csv.DictReader(f)
            if r["email"] and customer_of.get(f"{r['source']}:{r['source_id']}") == customers[0]
        )  # fmt: skip
    return customers, email_row["email"], customers[0], str(anonymous[0]["value"])


async def _queue(store: GraphStore) -> list[tuple[str, str]]:
    """Three pending pairs of single-record customers (sorted keys), like Splink would queue."""
    rows = await store.read(
        Cypher(
            "MATCH (c:Customer)<-[:BELONGS_TO]-(r:Record) WITH c, collect(r.key) AS keys "
            "WHERE size(keys) = 1 RETURN keys[0] AS key ORDER BY key LIMIT 6"
        )
    )
    keys = [str(r["key"]) for r in rows]
    pairs = [tuple(sorted(keys[i : i + 2])) for i in range(0, 6, 2)]
    await store.write_batch(
        "matches/upsert_candidates",
        [
            {
                "left_key": a,
                "right_key": b,
                "probability": 0.6 + 0.1 * n,
                "match_weight": 1.5,
                "evidence": '{"first_name": {"level": 2, "weight": 1.5}}',
                "status": "pending",
                "created_at": 1,
                "decided_by": None,
                "decided_at": None,
            }
            for n, (a, b) in enumerate(pairs)
        ],
    )
    return [(a, b) for a, b in pairs]


async def _gnn_versions(store: GraphStore, settings: Settings) -> list[str]:
    data, _ = await export_graph(store)
    registry = GnnRegistry(settings.gnn_model_dir)
    names = []
    for seed in (1, 2):
        run = train_graphsage(data, FAST_GNN.with_overrides(seed=seed))
        meta = {
            **artifact_meta(data, run.model),
            "metrics": {"graphsage/ndcg@20": 0.05 * seed, "mf/ndcg@20": 0.04},
            "best_baseline": "mf",
            "graphsage_over_best_baseline": 1.25 * seed,
        }
        files = {"state_dict.pt": state_dict_bytes(run.model)}
        version = registry.save(model_arrays(run.model, data), files, meta)
        registry.promote(version.version)
        names.append(version.version)
    return names


def build_world(world_dir: Path, identity_model_dir: Path, data_dir: Path) -> GraphQLWorld:
    """Load, resolve, queue and train (about 10 s); the caller keeps the store's server up."""
    settings = settings_for(data_dir)
    shutil.copytree(identity_model_dir, settings.identity_model_dir)

    async def build() -> GraphQLWorld:
        async with graph_store(settings) as store:
            pipeline = build_pipeline(settings, store)
            try:
                for name, kind in (
                    ("items.csv", FileKind.ITEMS),
                    ("records.csv", FileKind.RECORDS),
                    ("events.jsonl", FileKind.EVENTS),
                ):
                    await import_file(pipeline, world_dir / name, kind)
            finally:
                pipeline.close()
            await identity_service(settings, store).resolve_all()
            customers, email, email_customer, cookie = await _pick(store, world_dir)
            pending = await _queue(store)
            versions = await _gnn_versions(store, settings)
            return GraphQLWorld(
                settings, customers, email, email_customer, cookie, pending, versions
            )

    return asyncio.run(build())
