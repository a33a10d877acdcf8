"""Catalogue import: items from CSV rows, validated, upserted; bad rows become dead letters."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from graph.model import Item
from graph.port import GraphStore
from ingestion.dead_letters import DeadLetterStore, NewDeadLetter
from ingestion.parsing import explain, payload_bytes
from ingestion.results import BatchResult, ItemResult, ItemStatus, RawMessage


def _item(row: dict[str, object]) -> Item:
    for name, value in row.items():
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError(f"{name}: contains a NUL character")
            if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
                raise ValueError(f"{name}: is not valid Unicode")
    in_stock = str(row.get("in_stock") or "true").strip().lower() in ("true", "1", "yes")
    return Item.model_validate(
        {
            "id": row.get("item_id") or row.get("id"),
            "title": row.get("title"),
            "category": row.get("category"),
            "brand": row.get("brand") or "",
            "price": row.get("price"),
            "currency": row.get("currency") or "GBP",
            "description": row.get("description") or "",
            "in_stock": in_stock,
        }
    )


async def ingest_items(
    store: GraphStore,
    dead_letters: DeadLetterStore,
    messages: Sequence[RawMessage],
    record_rejections: bool = True,
) -> BatchResult:
    """Upsert catalogue items (CSV rows as dicts); invalid rows go to the dead-letter store."""
    results: list[ItemResult] = []
    items: list[Item] = []
    letters: list[NewDeadLetter] = []
    for index, message in enumerate(messages):
        payload = message.payload
        try:
            if not isinstance(payload, dict):
                raise TypeError("payload: catalogue rows must be given as mappings")
            item = _item(payload)
        except ValidationError as error:  # (a ValueError too: keep this clause first)
            why = explain(error)
            field, reason = why.field, why.reason
        except (TypeError, ValueError) as error:
            field, _, reason = str(error).partition(": ")
        else:
            items.append(item)
            results.append(ItemResult(index, ItemStatus.ACCEPTED, item.id))
            continue
        results.append(ItemResult(index, ItemStatus.REJECTED, None, field, reason))
        letters.append(NewDeadLetter("item", message.origin, payload_bytes(payload), field, reason))
    if record_rejections:  # before the write: a failing write must not lose the rejections
        dead_letters.add(letters)
    await store.write_batch("items/upsert_items", [i.row() for i in items])
    return BatchResult(results)
