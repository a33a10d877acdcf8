"""GraphQL segments on the resolved world: define a rule segment, evaluate it, page through
its members, a customer's segments (one read per batch), bad definitions, refusals;
behaviour clusters as segments; lookalike audiences from the served GraphSAGE model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest

from gnn.serving import load_version
from graph.queries import Cypher
from segments.cluster_segments import ClusterSegments
from segments.clusters import ClusterConfig
from segments.rfm import RFM_SEGMENTS
from segments.service import SegmentService
from tests.api.conftest import CountingStore, GraphQL, error_codes
from tests.api.graphql_world import GraphQLWorld

DEFINE = """mutation($d: String!) { defineSegment(definition: $d) {
  id kind name description definition memberCount } }"""
EVALUATE = """mutation($ids: [String!]) { evaluateSegments(segmentIds: $ids) {
  evaluatedAt customers added removed segments { segmentId members } } }"""
MEMBERS = """query($id: ID!, $first: Int!, $after: String) { segment(id: $id) {
  id memberCount members(first: $first, after: $after) {
    edges { cursor since score node { id profile { city } } }
    pageInfo { hasNextPage endCursor } } } }"""
CUSTOMER_SEGMENTS = """query($ids: [ID!]!) { customers(ids: $ids) {
  id segments { segmentId kind name since score } } }"""
LOOKALIKE = """mutation($seed: ID!, $size: Int!) { buildLookalike(seedSegmentId: $seed,
  size: $size) { members seedMembers seedWithoutEmbedding candidates
  candidatesWithoutEmbedding modelVersion added removed
  segment { id kind name description definition memberCount
    members(first: 100) { edges { score node { id } } } } } }"""


@pytest.fixture(autouse=True)
async def no_segments_left(gql_store: CountingStore) -> AsyncIterator[None]:
    """Each test starts and ends without segments (the world is shared by the session)."""
    await gql_store.write(Cypher("MATCH (s:Segment) DETACH DELETE s"))
    yield
    await gql_store.write(Cypher("MATCH (s:Segment) DETACH DELETE s"))


async def _busiest_city(store: CountingStore) -> tuple[str, list[str]]:
    """The city (as one of its customers spells it) with the most active customers, and
    their ids in id order: what a case-insensitive city rule must select."""
    rows = await store.read(
        Cypher(
            "MATCH (c:Customer) WHERE coalesce(c.status, 'active') = 'active' "
            "AND coalesce(c.city, '') <> '' WITH toLower(c.city) AS key, c ORDER BY c.id "
            "WITH key, collect(c.city)[0] AS city, collect(c.id) AS ids "
            "RETURN city, ids ORDER BY size(ids) DESC, key LIMIT 1"
        )
    )
    [row] = rows
    return str(row["city"]), [str(i) for i in row["ids"]]


def _city_segment(city: str) -> dict[str, Any]:
    return {
        "id": "gql-city",
        "name": f"Lives in {city}",
        "description": "customers of one city",
        "rule": {"profile": "city", "equals": city.upper()},
    }


async def test_define_evaluate_and_page_through_the_members(
    gql_client: GraphQL, gql_store: CountingStore, gql_world: GraphQLWorld
) -> None:
    city, expected = await _busiest_city(gql_store)
    assert len(expected) >= 3, "pages of two: more than one page"

    definition = _city_segment(city)
    defined = await gql_client.data(DEFINE, {"d": json.dumps(definition)}, role="steward")
    segment = defined["defineSegment"]
    assert segment["id"] == "gql-city"
    assert (segment["kind"], segment["name"]) == ("rule", f"Lives in {city}")
    assert segment["description"] == "customers of one city"
    assert segment["definition"]["rule"] == definition["rule"]
    assert segment["memberCount"] == 0, "members follow at the next evaluation"

    evaluated = (await gql_client.data(EVALUATE, {"ids": ["gql-city"]}, role="steward"))[
        "evaluateSegments"
    ]
    assert evaluated["customers"] >= len(expected)
    assert evaluated["added"] == len(expected)
    assert evaluated["removed"] == 0
    assert evaluated["segments"] == [{"segmentId": "gql-city", "members": len(expected)}]
    assert evaluated["evaluatedAt"]

    # Pages of two, following endCursor: every member once, in id order, as customers.
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        gql_store.reads.clear()
        variables = {"id": "gql-city", "first": 2, "after": after}
        page = (await gql_client.data(MEMBERS, variables, role="frontend"))["segment"]
        assert page["memberCount"] == len(expected)
        connection = page["members"]
        assert gql_store.count("segments/members") == 1
        assert gql_store.count("customers/get_customers") == 1, "nodes through the loader"
        for edge in connection["edges"]:
            assert edge["score"] == 1.0
            assert edge["since"]
            assert edge["node"]["profile"]["city"].lower() == city.lower()
            seen.append(edge["node"]["id"])
        pages += 1
        assert len(connection["edges"]) <= 2
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]
    assert seen == expected
    assert pages == max(1, (len(expected) + 1) // 2)

    again = await gql_client.data(EVALUATE, {"ids": ["gql-city"]}, role="admin")
    assert (again["evaluateSegments"]["added"], again["evaluateSegments"]["removed"]) == (0, 0)
    listed = await gql_client.data("{ segments { id kind memberCount } }", role="ml")
    assert {"id": "gql-city", "kind": "rule", "memberCount": len(expected)} in listed["segments"]


async def test_a_customers_segments_are_read_once_per_batch(
    gql_client: GraphQL, gql_store: CountingStore, gql_world: GraphQLWorld
) -> None:
    city, members = await _busiest_city(gql_store)
    in_city = set(members)
    await gql_client.data(DEFINE, {"d": json.dumps(_city_segment(city))}, role="admin")
    rfm = [f"rfm:{name}" for name in RFM_SEGMENTS]
    evaluated = await gql_client.data(EVALUATE, {"ids": ["gql-city", *rfm]}, role="admin")
    assert {s["segmentId"] for s in evaluated["evaluateSegments"]["segments"]} == {
        "gql-city",
        *rfm,
    }

    batch = list(dict.fromkeys([*members[:2], *gql_world.customers]))
    assert {c in in_city for c in batch} == {True, False}, "members and others in the batch"
    gql_store.reads.clear()
    data = await gql_client.data(CUSTOMER_SEGMENTS, {"ids": batch}, role="frontend")
    assert gql_store.count("segments/segments_of_customers") == 1, "one read for the batch"
    assert [c["id"] for c in data["customers"]] == batch
    for customer in data["customers"]:
        ids = [s["segmentId"] for s in customer["segments"]]
        assert ids == sorted(ids)
        assert ("gql-city" in ids) is (customer["id"] in in_city)
        for membership in customer["segments"]:
            assert membership["since"]
            if membership["kind"] == "rfm":
                assert membership["segmentId"] in rfm
                assert 111 <= membership["score"] <= 555
            else:
                assert membership == {
                    "segmentId": "gql-city",
                    "kind": "rule",
                    "name": f"Lives in {city}",
                    "since": membership["since"],
                    "score": 1.0,
                }
    # An RFM segment's members are customers too, and they list that segment back.
    for segment_id in rfm:
        page = await gql_client.data(MEMBERS, {"id": segment_id, "first": 1}, role="ml")
        edges = page["segment"]["members"]["edges"]
        if edges:
            member = edges[0]["node"]["id"]
            back = await gql_client.data(CUSTOMER_SEGMENTS, {"ids": [member]}, role="ml")
            assert segment_id in [s["segmentId"] for s in back["customers"][0]["segments"]]
            break
    else:
        pytest.fail("no RFM segment has members in the world")


async def test_a_bad_definition_is_a_bad_request_naming_the_field(gql_client: GraphQL) -> None:
    bad_window = {"id": "gql-bad", "name": "Bad", "rule": {"event": "purchase", "within": "5x"}}
    answer = await gql_client(DEFINE, {"d": json.dumps(bad_window)}, role="steward")
    assert error_codes(answer) == ["BAD_REQUEST"]
    message = answer["errors"][0]["message"]
    assert message.startswith("rule.event.within: window '5x' is not <number><unit>"), message
    assert answer["data"] is None

    two_problems = {"id": "Not A Slug", "name": "", "rule": {"rfm": ["kings"]}}
    answer = await gql_client(DEFINE, {"d": json.dumps(two_problems)}, role="steward")
    message = answer["errors"][0]["message"]
    assert error_codes(answer) == ["BAD_REQUEST"]
    assert message.startswith("id: String should match pattern"), message
    assert "; name: String should have at least 1 character; " in message
    assert "; rule.rfm: unknown RFM segment 'kings'; known: champions" in message

    answer = await gql_client(DEFINE, {"d": "{not json"}, role="steward")
    assert error_codes(answer) == ["BAD_REQUEST"]
    assert answer["errors"][0]["message"].startswith("definition is not JSON")

    nothing = await gql_client.data("{ segments { id } }", role="steward")
    assert nothing["segments"] == [], "nothing was written"


async def test_bad_arguments_and_unknown_ids(gql_client: GraphQL) -> None:
    definition = {"id": "gql-gb", "name": "GB", "rule": {"profile": "country", "equals": "GB"}}
    await gql_client.data(DEFINE, {"d": json.dumps(definition)}, role="steward")
    assert (await gql_client.data('{ segment(id: "nope") { id } }'))["segment"] is None
    for first in (0, 101):
        answer = await gql_client(MEMBERS, {"id": "gql-gb", "first": first})
        assert error_codes(answer) == ["BAD_REQUEST"]
    answer = await gql_client(MEMBERS, {"id": "gql-gb", "first": 1, "after": "bm90LW91cnM="})
    assert error_codes(answer) == ["BAD_REQUEST"]
    assert "after" in answer["errors"][0]["message"]
    answer = await gql_client(EVALUATE, {"ids": ["gql-gb", "nope"]}, role="steward")
    assert error_codes(answer) == ["NOT_FOUND"]
    assert "'nope'" in answer["errors"][0]["message"]
    answer = await gql_client(EVALUATE, {"ids": []}, role="steward")
    assert error_codes(answer) == ["BAD_REQUEST"]
    unevaluated = await gql_client.data('{ segment(id: "gql-gb") { memberCount } }')
    assert unevaluated["segment"]["memberCount"] == 0, "refused evaluations ran nothing"


@pytest.mark.parametrize("role", ["frontend", "ml"])
async def test_only_stewards_and_admins_define_and_evaluate(
    gql_client: GraphQL, gql_world: GraphQLWorld, role: str
) -> None:
    definition = {"id": "gql-gb", "name": "GB", "rule": {"profile": "country", "equals": "GB"}}
    refused = await gql_client(DEFINE, {"d": json.dumps(definition)}, role=role)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert (await gql_client.data("{ segments { id } }", role=role))["segments"] == []
    refused = await gql_client(EVALUATE, {"ids": None}, role=role)
    assert error_codes(refused) == ["FORBIDDEN"]
    # Reading is open to them: the segment a steward defines, and a customer's segments.
    await gql_client.data(DEFINE, {"d": json.dumps(definition)}, role="steward")
    listed = await gql_client.data("{ segments { id } }", role=role)
    assert listed["segments"] == [{"id": "gql-gb"}]
    mine = await gql_client.data(CUSTOMER_SEGMENTS, {"ids": gql_world.customers[:1]}, role=role)
    assert mine["customers"][0]["segments"] == []
    anonymous = await gql_client("{ segments { id } }", role=None)
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_the_deepest_segment_document_fits_the_depth_limit(gql_client: GraphQL) -> None:
    definition = {"id": "gql-all", "name": "All", "rule": {"not": {"rfm": ["champions"]}}}
    await gql_client.data(DEFINE, {"d": json.dumps(definition)}, role="steward")
    await gql_client.data(EVALUATE, {"ids": ["gql-all"]}, role="steward")
    deepest = """{ segment(id: "gql-all") { members(first: 1) { edges { node {
      records { profile { lineage { attribute } } } } } } } }"""
    data = await gql_client.data(deepest, role="steward")
    [edge] = data["segment"]["members"]["edges"]
    assert edge["node"]["records"], "eight levels, and the limit (MAX_DEPTH) let it run"


async def test_behaviour_clusters_are_segments(
    gql_client: GraphQL, gql_store: CountingStore
) -> None:
    report = await ClusterSegments(SegmentService(gql_store), ClusterConfig(2, 4)).recompute()
    listed = (await gql_client.data("{ segments { id kind name description memberCount } }"))[
        "segments"
    ]
    assert [s["id"] for s in listed] == [f"cluster:{n}" for n in range(report.k)]
    assert {s["kind"] for s in listed} == {"cluster"}
    assert sum(s["memberCount"] for s in listed) == report.customers
    assert [s["description"] for s in listed] == [c.description for c in report.clusters]
    [largest] = (await gql_client.data(MEMBERS, {"id": "cluster:0", "first": 1}))["segment"][
        "members"
    ]["edges"]
    assert 0 < largest["score"] <= 1, "closeness to the centroid"
    mine = await gql_client.data(CUSTOMER_SEGMENTS, {"ids": [largest["node"]["id"]]})
    [membership] = mine["customers"][0]["segments"]
    assert (membership["segmentId"], membership["kind"]) == ("cluster:0", "cluster")


async def test_build_lookalike_from_the_served_model(
    gql_client: GraphQL, gql_store: CountingStore, gql_world: GraphQLWorld
) -> None:
    await gql_client.data(EVALUATE, {"ids": None}, role="steward")  # RFM segments, the seeds
    listed = (await gql_client.data("{ segments { id memberCount } }"))["segments"]
    seed = max(listed, key=lambda s: (s["memberCount"], s["id"]))["id"]
    seed_ids = {
        str(r["customer_id"])
        for r in await gql_store.read("segments/memberships", {"segment_ids": [seed]})
    }
    built = (await gql_client.data(LOOKALIKE, {"seed": seed, "size": 5}, role="ml"))[
        "buildLookalike"
    ]
    model = load_version(gql_world.settings.gnn_model_dir)
    assert built["modelVersion"] == model.version == gql_world.versions[-1]
    embedded = {u for u in model.user_ids if not u.startswith("identifier:")}
    assert built["seedMembers"] == len(seed_ids)
    assert built["seedWithoutEmbedding"] == len(seed_ids - embedded)
    segment = built["segment"]
    assert (segment["id"], segment["kind"]) == (f"lookalike:{seed}:5", "lookalike")
    assert built["members"] == segment["memberCount"] == built["added"] == 5
    edges = segment["members"]["edges"]
    chosen = {e["node"]["id"]: e["score"] for e in edges}
    assert not set(chosen) & seed_ids, "nobody from the seed"
    # The same cosines from the artifact itself: the 5 best non-seed customers.
    unit = model.user_embeddings / np.linalg.norm(model.user_embeddings, axis=1, keepdims=True)
    rows = [model.user_index[c] for c in sorted(seed_ids & embedded)]
    centroid = unit[rows].mean(axis=0)
    centroid /= np.linalg.norm(centroid)
    active = {str(r["id"]) for r in await gql_store.read(
        Cypher("MATCH (c:Customer) WHERE coalesce(c.status, 'active') = 'active' RETURN c.id AS id")
    )}  # fmt: skip
    others = sorted((active - seed_ids) & embedded)
    assert built["candidates"] == len(others)
    assert built["candidatesWithoutEmbedding"] == len(active - seed_ids - embedded)
    scored = sorted(
        ((c, float(unit[model.user_index[c]] @ centroid)) for c in others),
        key=lambda cs: (-cs[1], cs[0]),
    )
    assert sorted(chosen) == sorted(c for c, _ in scored[:5])
    for customer, score in scored[:5]:
        assert chosen[customer] == pytest.approx(score, abs=1e-5)
    again = (await gql_client.data(LOOKALIKE, {"seed": seed, "size": 5}, role="steward"))[
        "buildLookalike"
    ]
    assert (again["added"], again["removed"], again["members"]) == (0, 0, 5)


async def test_lookalike_arguments_are_checked(gql_client: GraphQL) -> None:
    unknown = await gql_client(LOOKALIKE, {"seed": "nope", "size": 5}, role="admin")
    assert error_codes(unknown) == ["NOT_FOUND"]
    assert "seedSegmentId" in unknown["errors"][0]["message"]
    definition = {"id": "gql-gb", "name": "GB", "rule": {"profile": "country", "equals": "GB"}}
    await gql_client.data(DEFINE, {"d": json.dumps(definition)}, role="steward")
    for size, field in ((0, "size"), (5, "seedSegmentId")):  # an empty seed: nobody to match
        answer = await gql_client(LOOKALIKE, {"seed": "gql-gb", "size": size}, role="admin")
        assert error_codes(answer) == ["BAD_REQUEST"]
        assert answer["errors"][0]["message"].startswith(f"{field}:")
    refused = await gql_client(LOOKALIKE, {"seed": "gql-gb", "size": 5}, role="frontend")
    assert error_codes(refused) == ["FORBIDDEN"]
