"""Every GraphStore port method behaves the same on every backend."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from graph.errors import (
    ConstraintViolationError,
    GraphUnavailableError,
    QueryError,
    UnknownQueryError,
)
from graph.factory import GraphConfig, open_graph_store
from graph.port import GraphStore, WriteSummary
from graph.queries import Cypher

ITEM = {
    "title": "Lantern",
    "category": "home",
    "brand": "Acme",
    "price": 4.5,
    "currency": "GBP",
    "description": "",
    "in_stock": True,
}


def _items(n: int) -> list[dict[str, Any]]:
    return [{**ITEM, "id": f"I{i}"} for i in range(n)]


async def _count(store: GraphStore, label: str) -> int:
    counts = {r["label"]: r["count"] for r in await store.read("stats/node_counts")}
    return int(counts.get(label, 0))


async def test_ping_names_backend(store: GraphStore) -> None:
    info = await store.ping()
    assert info.backend == store.backend
    assert info.version


async def test_write_batch_splits_and_sums(store: GraphStore) -> None:
    summary = await store.write_batch("items/upsert_items", _items(5), batch_size=2)
    assert summary.nodes_created == 5
    assert await _count(store, "Item") == 5
    again = await store.write_batch("items/upsert_items", _items(5), batch_size=2)
    assert again.nodes_created == 0
    assert await _count(store, "Item") == 5


async def test_write_returns_rows_and_summary(store: GraphStore) -> None:
    result = await store.write(
        Cypher("CREATE (c:Customer {id: $id, created_at: 1}) RETURN c.id AS id"), {"id": "C1"}
    )
    assert result.rows == [{"id": "C1"}]
    assert result.summary.nodes_created == 1


async def test_rows_are_plain_python(store: GraphStore) -> None:
    await store.write(
        Cypher(
            "CREATE (a:Customer {id: 'A', tags: ['x', 'y'], score: 1.5, ok: true})"
            "-[:IN_SEGMENT {since: 7}]->(s:Segment {id: 'S'})"
        )
    )
    rows = await store.read(
        Cypher("MATCH (a:Customer)-[m:IN_SEGMENT]->(s:Segment) RETURN a, m, s.id AS sid")
    )
    assert rows == [
        {
            "a": {"id": "A", "tags": ["x", "y"], "score": 1.5, "ok": True, "_labels": ["Customer"]},
            "m": {"since": 7, "_type": "IN_SEGMENT"},
            "sid": "S",
        }
    ]


@pytest.mark.parametrize(
    "text",
    ["quote \" and ' apostrophe", "back\\slash", "new\nline\ttab", "ünïcødé ✓ 中文", "", "$x {y}"],
)
async def test_strings_round_trip_exactly(store: GraphStore, text: str) -> None:
    await store.write(Cypher("CREATE (:Item {id: $id, title: $t})"), {"id": "I", "t": text})
    rows = await store.read(Cypher("MATCH (i:Item {id: 'I'}) RETURN i.title AS t"))
    assert rows == [{"t": text}]


@pytest.mark.parametrize(
    "hostile",
    [
        "x'}) DETACH DELETE n //",
        'x"}) MATCH (n) DETACH DELETE n //',
        'x\\"}) MATCH (n) DETACH DELETE n //',
        "x` DETACH DELETE n //",
    ],
)
async def test_parameters_cannot_inject_cypher(store: GraphStore, hostile: str) -> None:
    await store.write_batch("items/upsert_items", [{**ITEM, "id": "keep"}])
    await store.write_batch("items/upsert_items", [{**ITEM, "id": hostile, "title": hostile}])
    assert await _count(store, "Item") == 2
    [got] = await store.read("items/get_items", {"ids": [hostile]})
    assert got["title"] == hostile


async def test_transaction_commits_all_statements(store: GraphStore) -> None:
    async with store.transaction() as tx:
        tx.write_batch("items/upsert_items", _items(3))
        tx.write(Cypher("CREATE (:Customer {id: 'C', created_at: 1})"))
    assert tx.summary == WriteSummary(nodes_created=4, properties_set=tx.summary.properties_set)
    assert await _count(store, "Item") == 3
    assert await _count(store, "Customer") == 1


async def test_transaction_discarded_on_error(store: GraphStore) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            tx.write_batch("items/upsert_items", _items(3))
            raise RuntimeError("caller failed half way")
    assert await _count(store, "Item") == 0


async def test_transaction_with_bad_statement_applies_nothing(store: GraphStore) -> None:
    with pytest.raises(QueryError):
        async with store.transaction() as tx:
            tx.write_batch("items/upsert_items", _items(2))
            tx.write(Cypher("MATCH (n RETURN n"))
    assert await _count(store, "Item") == 0


async def test_ensure_schema_is_idempotent(store: GraphStore) -> None:
    await store.ensure_schema()
    await store.ensure_schema()
    await store.write_batch("items/upsert_items", _items(1))
    assert await _count(store, "Item") == 1


async def test_uniqueness_is_enforced(store: GraphStore) -> None:
    await store.write(Cypher("CREATE (:Customer {id: 'dup', created_at: 1})"))
    with pytest.raises(ConstraintViolationError):
        await store.write(Cypher("CREATE (:Customer {id: 'dup', created_at: 2})"))
    assert await _count(store, "Customer") == 1


async def test_syntax_error_is_a_query_error_naming_the_query(store: GraphStore) -> None:
    with pytest.raises(QueryError) as caught:
        await store.read(Cypher("MATCH (n RETURN n", name="broken/example"))
    assert "broken/example" in str(caught.value)


async def test_unknown_query_name(store: GraphStore) -> None:
    with pytest.raises(UnknownQueryError):
        await store.read("nowhere/nothing")


async def test_datetime_free_times_are_integers(store: GraphStore) -> None:
    now = int(dt.datetime(2026, 1, 2, tzinfo=dt.UTC).timestamp() * 1000)
    await store.write_batch(
        "customers/upsert_customers",
        [{"id": "C", "created_at": now, "updated_at": now, "attrs": {}}],
    )
    rows = await store.read("customers/get_customer", {"id": "C"})
    assert rows[0]["customer"]["created_at"] == now


@pytest.mark.parametrize("url", ["bolt://127.0.0.1:1", "redis://127.0.0.1:1"])
async def test_unreachable_backend_raises_our_error(url: str) -> None:
    with pytest.raises(GraphUnavailableError):
        await open_graph_store(GraphConfig(url=url, data_dir=Path("."), password="x"))
