"""Reads for callers who may not see personal data: tokens dropped unopened, not decrypted."""

from __future__ import annotations

from typing import Any

import pytest

from graph.port import GraphStore
from privacy.protected_store import (
    PII_ATTRIBUTES,
    PII_PROPERTY,
    ProtectedStore,
    RedactedStore,
    without_personal_data,
)

ATTRS = {"first_name": "Ada", "last_name": "Lovelace", "postcode": "N1 9GU", "city": "London"}


async def _customer(store: GraphStore, customer_id: str) -> dict[str, Any]:
    rows = await store.read("customers/get_customers", {"ids": [customer_id]})
    assert len(rows) == 1
    return dict(rows[0]["customer"])


async def test_redacted_reads_null_the_personal_attributes_without_opening_a_key(
    store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(store, ProtectedStore)
    row = {"id": "cus_ada", "created_at": 1, "updated_at": 1, "attrs": dict(ATTRS)}
    await store.write("customers/upsert_customers", {"rows": [row]})
    opened = await _customer(store, "cus_ada")
    assert opened["last_name"] == "Lovelace"
    assert opened["city"] == "London"

    def refuse(tokens: list[str]) -> list[dict[str, Any]]:
        raise AssertionError("a redacted read must not open tokens")

    monkeypatch.setattr(store.cipher, "open", refuse)
    redacted = without_personal_data(store)
    assert isinstance(redacted, RedactedStore)
    assert redacted is store.redacted()
    assert redacted.redacted() is redacted
    hidden = await _customer(redacted, "cus_ada")
    assert PII_PROPERTY not in hidden
    assert all(hidden[name] is None for name in PII_ATTRIBUTES)
    assert set(hidden) == set(opened), "the same attributes, personal ones null"
    assert {k: v for k, v in hidden.items() if k not in PII_ATTRIBUTES} == {
        k: v for k, v in opened.items() if k not in PII_ATTRIBUTES
    }


async def test_writes_through_the_redacted_view_are_still_sealed(store: GraphStore) -> None:
    assert isinstance(store, ProtectedStore)
    redacted = without_personal_data(store)
    row = {"id": "cus_grace", "created_at": 1, "updated_at": 1, "attrs": dict(ATTRS)}
    await redacted.write("customers/upsert_customers", {"rows": [row]})
    raw = await store.inner.read("customers/get_customers", {"ids": ["cus_grace"]})
    assert str(raw[0]["customer"][PII_PROPERTY]).startswith("pii1.")
    assert "last_name" not in raw[0]["customer"], "nothing personal stored in clear"
    assert (await _customer(store, "cus_grace"))["last_name"] == "Lovelace"


async def test_closing_the_view_leaves_the_store_open(store: GraphStore) -> None:
    await without_personal_data(store).close()
    assert await store.read("customers/get_customers", {"ids": ["nobody"]}) == []


async def test_a_store_without_sealed_attributes_is_used_as_it_is(store: GraphStore) -> None:
    assert isinstance(store, ProtectedStore)
    assert without_personal_data(store.inner) is store.inner
