"""GraphQL steward operations: the review queue by cursor, approve, reject, split, undo."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import CountingStore, GraphQL, error_codes
from tests.api.graphql_world import GraphQLWorld

QUEUE = """query($status: MatchStatus!, $first: Int!, $after: String) {
  mergeCandidates(status: $status, first: $first, after: $after) {
    edges { cursor node { leftKey rightKey probability status evidence left right } }
    pageInfo { hasNextPage endCursor } } }"""
OWNER = "query($id: ID!, $follow: Boolean!) { customer(id: $id, followMerges: $follow) { id status mergedInto records { key } } }"  # noqa: E501
UNDO = "mutation($id: String!) { undoOperation(auditId: $id) { action moved { recordKey } } }"


async def _queue(gql: GraphQL, status: str = "PENDING", **page: Any) -> dict[str, Any]:
    variables = {"status": status, "first": page.get("first", 10), "after": page.get("after")}
    data: dict[str, Any] = (await gql.data(QUEUE, variables, role="steward"))["mergeCandidates"]
    return data


async def test_the_review_queue_pages_by_cursor(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    page = await _queue(gql_client, first=2)
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await _queue(gql_client, first=2, after=page["pageInfo"]["endCursor"])
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][-1]["cursor"]}
    pairs = [(e["node"]["leftKey"], e["node"]["rightKey"]) for e in page["edges"] + rest["edges"]]
    assert sorted(pairs) == sorted(gql_world.pending)
    node = page["edges"][0]["node"]
    assert node["status"] == "PENDING"
    assert node["evidence"]["first_name"]["level"] == 2
    assert node["left"]["key"] == node["leftKey"]
    assert "source" in node["left"]
    bad = await gql_client(QUEUE, {"status": "PENDING", "first": 2, "after": "???"}, "steward")
    assert error_codes(bad) == ["BAD_REQUEST"]


async def test_approve_merges_is_audited_with_the_key_holder_and_undo_restores(
    gql_client: GraphQL, gql_store: CountingStore, gql_world: GraphQLWorld
) -> None:
    left, right = gql_world.pending[0]
    approve = "mutation($l: String!, $r: String!) { approveMatch(leftKey: $l, rightKey: $r, "
    approve += (
        'reason: "same person") { auditId action moved { recordKey customerId } customers } }'
    )
    done = (await gql_client.data(approve, {"l": left, "r": right}))["approveMatch"]
    assert done["action"] == "match.approved"
    assert len(done["customers"]) == 1
    [move] = done["moved"]
    [entry] = await gql_store.read("audit/get_entry", {"id": done["auditId"]})
    assert entry["actor"] == "admin:alice"
    retired = [r["customer_id"] for r in await gql_store.read("identity/assignments")]
    assert move["customerId"] in retired
    undone = await gql_client.data(UNDO, {"id": done["auditId"]}, role="steward")
    assert undone["undoOperation"]["action"] == "steward.undo"
    assert (left, right) in [
        (e["node"]["leftKey"], e["node"]["rightKey"]) for e in (await _queue(gql_client))["edges"]
    ], "the pair is pending again"


async def test_a_retired_id_resolves_to_its_successor(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    left, right = gql_world.pending[1]
    pending = [e["node"] for e in (await _queue(gql_client))["edges"]]
    node = next(n for n in pending if (n["leftKey"], n["rightKey"]) == (left, right))
    owners = {left: node["left"]["customer_id"], right: node["right"]["customer_id"]}
    approve = "mutation($l: String!, $r: String!) { approveMatch(leftKey: $l, rightKey: $r) "
    approve += "{ auditId moved { recordKey customerId } } }"
    done = (await gql_client.data(approve, {"l": left, "r": right}, role="steward"))["approveMatch"]
    try:
        [move] = done["moved"]
        old, survivor = owners[move["recordKey"]], move["customerId"]
        plain = await gql_client.data(OWNER, {"id": old, "follow": False}, role="frontend")
        assert plain["customer"]["status"] == "retired"
        assert plain["customer"]["mergedInto"] == survivor
        followed = await gql_client.data(OWNER, {"id": old, "follow": True}, role="frontend")
        assert followed["customer"]["id"] == survivor
        assert {r["key"] for r in followed["customer"]["records"]} == {left, right}
    finally:
        await gql_client.data(UNDO, {"id": done["auditId"]}, role="steward")


async def test_reject_and_split_are_refused_or_done_and_undone(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    left, right = gql_world.pending[2]
    reject = "mutation($l: String!, $r: String!) { rejectMatch(leftKey: $l, rightKey: $r) "
    reject += "{ auditId action } }"
    done = (await gql_client.data(reject, {"l": left, "r": right}, role="steward"))["rejectMatch"]
    assert done["action"] == "match.rejected"
    rejected = await _queue(gql_client, "REJECTED")
    assert (left, right) in [
        (e["node"]["leftKey"], e["node"]["rightKey"]) for e in rejected["edges"]
    ]
    await gql_client.data(UNDO, {"id": done["auditId"]}, role="steward")

    customer = gql_world.customers[1]
    before = await gql_client.data(OWNER, {"id": customer, "follow": True}, role="steward")
    keys = [r["key"] for r in before["customer"]["records"]]
    split = "mutation($c: ID!, $k: [String!]!) { splitCustomer(customerId: $c, recordKeys: $k) "
    split += "{ auditId action moved { recordKey customerId } customers } }"
    done = await gql_client.data(split, {"c": customer, "k": keys[:1]}, role="steward")
    result = done["splitCustomer"]
    assert result["action"] == "customer.split_by_steward"
    assert [m["recordKey"] for m in result["moved"]] == keys[:1]
    assert result["moved"][0]["customerId"] != customer
    await gql_client.data(UNDO, {"id": result["auditId"]}, role="steward")
    after = await gql_client.data(OWNER, {"id": customer, "follow": True}, role="steward")
    assert [r["key"] for r in after["customer"]["records"]] == keys
    everything = await gql_client(split, {"c": customer, "k": keys}, role="steward")
    assert error_codes(everything) == ["BAD_REQUEST"]
    assert "at least one record" in everything["errors"][0]["message"]
