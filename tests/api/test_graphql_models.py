"""GraphQL model versions: list, promote, roll back; serving follows at once."""

from __future__ import annotations

from tests.api.conftest import GraphQL, error_codes
from tests.api.graphql_world import GraphQLWorld

VERSIONS = "{ modelVersions { version current ndcgAt20 bestBaseline ratioToBestBaseline users "
VERSIONS += "items metrics { name value } } }"
SERVED = '{ visitor(type: COOKIE, value: "x") { recommendations(first: 1) { modelVersion } } }'


async def test_versions_are_listed_with_the_current_flag_and_key_metrics(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    data = await gql_client.data(VERSIONS, role="ml")
    listed = data["modelVersions"]
    assert [v["version"] for v in listed] == gql_world.versions
    assert [v["current"] for v in listed] == [False, True]
    assert listed[1]["ndcgAt20"] == 0.1
    assert listed[1]["bestBaseline"] == "mf"
    assert listed[1]["ratioToBestBaseline"] == 2.5
    assert listed[1]["users"]
    assert listed[1]["items"]
    assert {"name": "mf/ndcg@20", "value": 0.04} in listed[1]["metrics"]


async def test_promote_and_rollback_switch_what_is_served_at_once(
    gql_client: GraphQL, gql_world: GraphQLWorld
) -> None:
    first, second = gql_world.versions
    served = await gql_client.data(SERVED, role="ml")
    assert served["visitor"]["recommendations"]["modelVersion"] == second
    promote = "mutation($v: String!) { promoteModel(version: $v) { version current } }"
    try:
        promoted = await gql_client.data(promote, {"v": first}, role="ml")
        assert promoted["promoteModel"] == {"version": first, "current": True}
        served = await gql_client.data(SERVED, role="ml")
        assert served["visitor"]["recommendations"]["modelVersion"] == first
        rolled = await gql_client.data("mutation { rollbackModel { version current } }", role="ml")
        assert rolled["rollbackModel"] == {"version": second, "current": True}
        served = await gql_client.data(SERVED, role="ml")
        assert served["visitor"]["recommendations"]["modelVersion"] == second
    finally:
        await gql_client(promote, {"v": second}, role="ml")
    unknown = await gql_client(promote, {"v": "g0-nope"}, role="ml")
    assert error_codes(unknown) == ["NOT_FOUND"]
    refused = await gql_client("mutation { rollbackModel { version } }", role="steward")
    assert error_codes(refused) == ["FORBIDDEN"]
