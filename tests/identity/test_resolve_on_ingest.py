"""Records posted to the HTTP API are resolved as they arrive (the API's composition root)."""

from __future__ import annotations

from api.app import create_app
from tests.api.conftest import INGEST_KEY, keyed, serving
from tests.identity.conftest import IdentityEnv


async def test_a_posted_duplicate_joins_its_customer_at_once(env: IdentityEnv) -> None:
    await env.service.resolve_all()
    assignments = await env.service.assignments()
    crm_key = sorted(k for k in assignments if k.startswith("crm:"))[0]
    [original] = await env.store.read("identity/records_by_keys", {"keys": [crm_key]})
    record = {
        "source": "shop",
        "source_id": "S-1",
        "first_name": original["first_name"],
        "last_name": original["last_name"],
        "date_of_birth": original["date_of_birth"],
        "postcode": original["postcode"],
        "address": original["address"],
        "updated_at": "2026-06-01T00:00:00Z",
    }
    newcomer = {
        **record,
        "source_id": "S-2",
        "first_name": "Hephzibah",
        "last_name": "Quarrington",
        "date_of_birth": "1933-02-02",
        "postcode": None,
        "address": None,
    }
    async with serving(create_app(keyed(env.settings)), INGEST_KEY) as client:
        response = await client.post("/v1/records", json=[record, newcomer])
        assert response.status_code == 200, response.text
    after = await env.service.assignments()
    assert after["shop:S-1"] == assignments[crm_key]
    assert after["shop:S-2"] not in set(assignments.values())
    history = await env.steward.history(after["shop:S-2"])
    assert history == []  # a new customer is not an audited merge or split
