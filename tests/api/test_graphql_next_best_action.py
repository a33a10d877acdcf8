"""`nextBestAction` through the real app on the resolved world: the frontend's query, no extra
graph read, anonymous visitors, the context, exposures logged, and the role check.

In `tests/api/` (not `tests/nba/`) to share this package's session world: a second copy of
the fixtures would build and train the world twice in one `make test` session."""

from __future__ import annotations

import asyncio
from typing import Any

from nba.catalogue import load_catalogue
from nba.exposures import Exposure, ExposureLog
from tests.api.conftest import CountingStore, GraphQL, error_codes
from tests.api.graphql_world import GraphQLWorld

NBA = """nextBestAction(context: $context) {
  id kind channels title score estimate exploration policy exposureId }"""
FRONTEND = f"""query($id: ID!, $context: NbaContext) {{ customer(id: $id) {{
  id profile {{ city country piiRedacted }}
  segments {{ segmentId name }}
  interactionSummary {{ type count }}
  recommendations(first: 10) {{ source items {{ itemId score }} }}
  {NBA} }} }}"""
WITHOUT_NBA = FRONTEND.replace(NBA, "").replace(", $context: NbaContext", "")
VISITOR = f"""query($t: IdentifierType! = COOKIE, $v: String!, $context: NbaContext) {{
  visitor(type: $t, value: $v) {{ key customer {{ id }} {NBA} }} }}"""
CATALOGUE = {a.id: a for a in load_catalogue().actions}


async def _logged(world: GraphQLWorld, exposure_id: str) -> Exposure:
    """The exposure as the API's background writer stored it (waits up to 5 s)."""
    log = ExposureLog(world.settings.nba_exposure_log, background=False)
    try:
        for _ in range(100):
            found = log.get(exposure_id)
            if found is not None:
                return found
            await asyncio.sleep(0.05)
    finally:
        log.shutdown()
    raise AssertionError(f"exposure {exposure_id} was not logged")


async def test_the_frontend_query_gets_an_allowed_action_and_logs_the_exposure(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    customer = gql_world.customers[0]
    context = {"channel": "WEB", "device": "DESKTOP", "page": "HOME", "hour": 19}
    data = await gql_client.data(FRONTEND, {"id": customer, "context": context}, role="frontend")
    action: dict[str, Any] = data["customer"]["nextBestAction"]
    assert action is not None
    chosen = CATALOGUE[action["id"]]
    assert "web" in action["channels"]
    assert action["kind"] == chosen.kind.upper()
    assert action["title"] == chosen.title
    assert action["policy"] == "PERSONALISED"  # consent allows everything until privacy/ lands
    assert chosen.id not in ("winback-email", "cart-free-delivery", "app-download")
    logged = await _logged(gql_world, action["exposureId"])
    assert logged.subject == customer
    assert logged.customer_id == customer
    assert logged.action_id == action["id"]
    assert logged.status == "pending"


async def test_it_adds_no_graph_read_to_the_customer_query(
    gql_client: GraphQL, gql_store: CountingStore, gql_world: GraphQLWorld
) -> None:
    variables = {"id": gql_world.customers[1]}
    await gql_client.data(FRONTEND, variables, role="frontend")  # item categories loaded once
    gql_store.reads.clear()
    await gql_client.data(WITHOUT_NBA, variables, role="frontend")
    without = sorted(gql_store.reads)
    gql_store.reads.clear()
    await gql_client.data(FRONTEND, variables, role="frontend")
    assert set(gql_store.reads) <= set(without), "its interactions come with the customer view"
    assert len(gql_store.reads) <= len(without)


async def test_an_anonymous_visitor_gets_an_action_from_the_context(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    variables = {
        "v": gql_world.anonymous_cookie,
        "context": {"channel": "WEB", "device": "MOBILE", "page": "CART"},
    }
    found = (await gql_client.data(VISITOR, variables, role="frontend"))["visitor"]
    action = found["nextBestAction"]
    assert action["id"] in {"cart-free-delivery", "guide-gifts", "app-download", "welcome-10"}
    logged = await _logged(gql_world, action["exposureId"])
    assert logged.subject == found["key"]
    assert logged.customer_id is None
    # a visitor who is a known customer is decided as that customer
    variables = {"t": "EMAIL", "v": gql_world.email, "context": {"channel": "EMAIL"}}
    known = (await gql_client.data(VISITOR, variables, role="steward"))["visitor"]
    assert known["customer"]["id"] == gql_world.email_customer
    assert known["nextBestAction"]["id"] in {"winback-email", "guide-gifts"}
    logged = await _logged(gql_world, known["nextBestAction"]["exposureId"])
    assert logged.subject == gql_world.email_customer


async def test_bad_context_and_roles(gql_client: GraphQL, gql_world: GraphQLWorld) -> None:
    variables = {"id": gql_world.customers[0], "context": {"hour": 24}}
    answer = await gql_client(FRONTEND, variables, role="frontend")
    assert error_codes(answer) == ["BAD_REQUEST"]
    assert "context.hour" in answer["errors"][0]["message"]
    variables["context"] = {}
    answer = await gql_client(FRONTEND, variables, role="ml")
    assert error_codes(answer) == ["FORBIDDEN"]
    assert answer["data"]["customer"]["nextBestAction"] is None
    assert answer["data"]["customer"]["id"] == gql_world.customers[0]
    answer = await gql_client(VISITOR, {"v": "someone"}, role="ml")
    assert error_codes(answer) == ["FORBIDDEN"]
