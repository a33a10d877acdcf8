"""FalkorDB's compact replies turned into rows in one synchronous pass.

The falkordb client parses a reply with one coroutine per value (`await parse_scalar(…)`)
and the store then walked the result again to turn driver types into plain values
(`graph.values.plain`); a customer's view is a few hundred values, and that was a third of
the Python time of a read. `rows_of` reads the compact reply (`[type, value]` cells) once
and builds the same rows `FalkorDBStore` returned before: dicts, lists and stdlib values,
nodes as their properties plus `_labels` (sorted), relationships plus `_type`, paths as
`{"nodes": […], "relationships": […]}`. Label, relationship-type and property names come
from the client's schema cache; an id it does not know yet raises `SchemaMiss`, and the
caller refreshes the cache (`refresh_schema`) and parses again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from falkordb.asyncio.graph_schema import GraphSchema

from graph.port import Row

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Value types of the compact format (falkordb.asyncio.query_result.ResultSetScalarTypes).
NULL, STRING, INTEGER, BOOLEAN, DOUBLE, ARRAY, EDGE, NODE, PATH, MAP = range(1, 11)
POINT, VECTORF32, DATETIME, DATE, TIME, DURATION = range(11, 17)


class SchemaMiss(Exception):  # noqa: N818 (not an error: the cache is refreshed)
    """The reply names a label, relationship type or property the cache does not hold."""


def _name(names: Sequence[str], index: int) -> str:
    try:
        return names[index]
    except IndexError:
        raise SchemaMiss(index) from None


def _properties(props: Sequence[Any], schema: GraphSchema) -> dict[str, Any]:
    names = schema.properties
    return {_name(names, p[0]): value_of(p[1], p[2], schema) for p in props}


def _node(value: Sequence[Any], schema: GraphSchema) -> dict[str, Any]:
    labels = [_name(schema.labels, i) for i in value[1]]
    node = _properties(value[2], schema)
    node["_labels"] = sorted(label for label in labels if isinstance(label, str) and label)
    return node


def _edge(value: Sequence[Any], schema: GraphSchema) -> dict[str, Any]:
    edge = _properties(value[4], schema)
    edge["_type"] = _name(schema.relationships, value[1])
    return edge


def _rare(kind: int, value: Any) -> Any:
    """Types the store never writes, converted as the falkordb client does."""
    if kind == POINT:
        return {"latitude": float(value[0]), "longitude": float(value[1])}
    if kind == VECTORF32:
        return [float(v) for v in value]
    if kind == DATETIME:
        return datetime.fromtimestamp(value, tz=UTC)
    if kind == DATE:
        return datetime.fromtimestamp(value, tz=UTC).date()
    if kind == TIME:
        return datetime.fromtimestamp(value, tz=UTC).time()
    if kind == DURATION:
        return relativedelta(datetime.fromtimestamp(value, tz=UTC), _EPOCH)
    return None  # unknown type: the client writes a warning and answers None


def value_of(kind: int, value: Any, schema: GraphSchema) -> Any:
    """One typed value of a compact reply as a plain value."""
    if kind == STRING:
        return value if type(value) is str else _string(value)
    if kind == INTEGER:
        return int(value)
    if kind == DOUBLE:
        return float(value)
    if kind == NULL:
        return None
    if kind == ARRAY:
        return [value_of(k, v, schema) for k, v in value]
    if kind == MAP:
        return {
            _string(value[i]): value_of(value[i + 1][0], value[i + 1][1], schema)
            for i in range(0, len(value), 2)
        }
    if kind == BOOLEAN:
        return (value.decode() if isinstance(value, bytes) else value) == "true"
    if kind == NODE:
        return _node(value, schema)
    if kind == EDGE:
        return _edge(value, schema)
    if kind == PATH:
        return {
            "nodes": value_of(value[0][0], value[0][1], schema),
            "relationships": value_of(value[1][0], value[1][1], schema),
        }
    return _rare(kind, value)


def _string(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return value if isinstance(value, str) else str(value)


def rows_of(response: Sequence[Any], schema: GraphSchema) -> list[Row]:
    """The rows of a compact reply `[header, rows, stats]` (none for `[stats]`), by column
    name; `SchemaMiss` when the schema cache is stale."""
    if len(response) == 1:
        return []
    names = [str(column[1]) for column in response[0]]
    if not names:
        return []
    return [
        {name: value_of(cell[0], cell[1], schema) for name, cell in zip(names, row, strict=True)}
        for row in response[1]
    ]


async def refresh_schema(schema: GraphSchema) -> None:
    """Reload the label, relationship-type and property names (after a `SchemaMiss`)."""
    await schema.refresh_labels()
    await schema.refresh_relations()
    await schema.refresh_properties()
