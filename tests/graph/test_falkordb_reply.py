"""The compact-reply parser answers what the falkordb client's parser (plus `plain`) did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import falkordb
import pytest
from falkordb.asyncio.query_result import QueryResult

from graph.factory import GraphConfig, open_graph_store
from graph.falkordb_reply import SchemaMiss, rows_of
from graph.falkordb_store import FalkorDBStore
from graph.port import Row
from graph.queries import Cypher
from graph.values import NOT_DRIVER_TYPE, entity, plain

SETUP = """
CREATE (a:Customer:Extra {id: 'c1', n: 3, f: 0.1, t: true, name: 'Zoë "q" \\\\ ✓',
                          xs: [1, 'a', 2.5]})
CREATE (b:Record {key: 'r1', w: 1.0 / 3})
CREATE (a)<-[:BELONGS_TO {since: 5, score: 2.5}]-(b)
"""
QUERY = """
MATCH p = (a:Customer)<-[e:BELONGS_TO]-(b:Record)
RETURN a, b, e, p, [a, b] AS nodes, {k: a.n, m: {deep: [a.f, e.score]}, z: null} AS map,
       a.name AS name, a.n AS n, a.f AS f, a.t AS t, b.w AS w, null AS nothing,
       [] AS empty, [[1, 2], ['x']] AS nested, point({latitude: 1.5, longitude: 2.5}) AS pt
"""


def _hook(value: Any) -> Any:  # the store's conversion of the client's types, before
    if isinstance(value, falkordb.Node):
        return entity(value.properties or {}, _hook, _labels=sorted(value.labels or []))
    if isinstance(value, falkordb.Edge):
        return entity(value.properties or {}, _hook, _type=value.relation)
    if isinstance(value, falkordb.Path):
        return {
            "nodes": [plain(n, _hook) for n in value.nodes()],
            "relationships": [plain(e, _hook) for e in value.edges()],
        }
    return NOT_DRIVER_TYPE


async def _client_rows(store: FalkorDBStore, reply: list[Any]) -> list[Row]:
    result = QueryResult(store._graph)
    await result.parse(reply)
    header = [str(column[1]) for column in result.header]
    return [
        {name: plain(value, _hook) for name, value in zip(header, row, strict=True)}
        for row in result.result_set
    ]


async def test_rows_are_what_the_client_parser_gave(tmp_path: Path) -> None:
    store = await open_graph_store(GraphConfig(url="falkordb-embedded://", data_dir=tmp_path))
    try:
        assert isinstance(store, FalkorDBStore)
        await store.write(Cypher(SETUP))
        reply = await store._query(Cypher(QUERY), None, read_only=True)
        expected = await _client_rows(store, reply)
        got = rows_of(reply, store._graph.schema)
        assert got == expected
        assert [type(v) for v in got[0].values()] == [type(v) for v in expected[0].values()]
        assert got[0]["a"]["_labels"] == ["Customer", "Extra"]
        assert got[0]["e"]["_type"] == "BELONGS_TO"
        assert got[0]["name"] == 'Zoë "q" \\ ✓'
        assert await store.read(Cypher(QUERY)) == expected
        assert await store.read(Cypher("MATCH (x:Nothing) RETURN x")) == []
    finally:
        await store.close()


async def test_labels_and_properties_created_later_refresh_the_schema_cache(
    tmp_path: Path,
) -> None:
    store = await open_graph_store(GraphConfig(url="falkordb-embedded://", data_dir=tmp_path))
    try:
        assert isinstance(store, FalkorDBStore)
        await store.write(Cypher("CREATE (:First {p: 1})"))
        assert await store.read(Cypher("MATCH (n:First) RETURN n")) == [
            {"n": {"p": 1, "_labels": ["First"]}}
        ]
        await store.write(Cypher("CREATE (:Second {q: 2})-[:LINKS {r: 3}]->(:First {p: 4})"))
        reply = await store._query(
            Cypher("MATCH (n:Second)-[l]->() RETURN n, l"), None, read_only=True
        )
        with pytest.raises(SchemaMiss):
            rows_of(reply, store._graph.schema)  # the cache predates Second, q, LINKS, r
        rows = await store.read(Cypher("MATCH (n:Second)-[l]->() RETURN n, l"))
        assert rows == [{"n": {"q": 2, "_labels": ["Second"]}, "l": {"r": 3, "_type": "LINKS"}}]
    finally:
        await store.close()


async def test_write_summaries_and_rows_of_a_write(tmp_path: Path) -> None:
    store = await open_graph_store(GraphConfig(url="falkordb-embedded://", data_dir=tmp_path))
    try:
        result = await store.write(Cypher("CREATE (n:Thing {id: 'a'}) RETURN n.id AS id"))
        assert result.rows == [{"id": "a"}]
        assert result.summary.nodes_created == 1
        assert result.summary.properties_set == 1
        deleted = await store.write(Cypher("MATCH (n:Thing) DELETE n"))
        assert deleted.rows == []
        assert deleted.summary.nodes_deleted == 1
    finally:
        await store.close()
