"""The GraphQL fields behind the steward page, over HTTP against the running app and the
world's store: queue order, filters, counts and paging; one pair with its waterfall numbers
and merge preview; a customer's links and audit trail; steward and admin roles only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tests.steward_page.conftest import read
from tests.steward_page.world import ADMIN_KEY, FRONTEND_KEY, STEWARD_KEY, StewardWorld

QUEUE = """query($filter: ReviewFilter, $sort: ReviewSort!, $first: Int!, $after: String) {
  reviewQueue(filter: $filter, sort: $sort, first: $first, after: $after) {
    total statuses { status count } bands { min max count } sources
    pairs { leftKey rightKey probability thresholdDistance customerValue left right }
    pageInfo { hasNextPage endCursor } } }"""
PAIR = """query($l: String!, $r: String!) { reviewPair(leftKey: $l, rightKey: $r) {
  leftKey rightKey status matchWeight priorWeight
  comparisons { comparison matchWeight tfAdjustment }
  left { key identifiers { key } } right { key identifiers { key } }
  leftCustomer { id recordCount } rightCustomer { id recordCount }
  sharedIdentifiers { key } preview { keepCustomerId retireCustomerId recordCount blockedBy } } }"""
NETWORK = """query($id: ID!) { customerNetwork(id: $id) { recordKeys explained
  links { leftKey rightKey kind reason } pairs { leftKey rightKey status } } }"""
AUDIT = """query($s: String!) {
  auditTrail(subjectId: $s) { id action actor subjectId undoable } }"""


class Client:
    """Posts GraphQL documents with an API key."""

    def __init__(self, http: httpx2.Client) -> None:
        self.http = http

    def __call__(self, query: str, key: str = STEWARD_KEY, **variables: Any) -> dict[str, Any]:
        body = {"query": query, "variables": variables}
        answer: dict[str, Any] = self.http.post(
            "/graphql", json=body, headers={"X-API-Key": key}
        ).json()
        return answer

    def data(self, query: str, key: str = STEWARD_KEY, **variables: Any) -> dict[str, Any]:
        answer = self(query, key, **variables)
        assert "errors" not in answer, answer["errors"]
        data: dict[str, Any] = answer["data"]
        return data

    def queue(self, **variables: Any) -> dict[str, Any]:
        variables = {"sort": "THRESHOLD", "first": 100, **variables}
        found: dict[str, Any] = self.data(QUEUE, **variables)["reviewQueue"]
        return found


@pytest.fixture
def gql(base_url: str) -> Iterator[Client]:
    with httpx2.Client(base_url=base_url, timeout=30) as http:
        yield Client(http)


def _code(answer: dict[str, Any]) -> str:
    return str(answer["errors"][0]["extensions"]["code"])


def test_the_queue_sorts_filters_counts_and_pages(gql: Client, steward_world: StewardWorld) -> None:
    settings = gql.data("{ reviewSettings { reviewThreshold autoMergeThreshold } }")
    assert settings["reviewSettings"] == {"reviewThreshold": 0.5, "autoMergeThreshold": 0.95}
    queue = gql.queue()
    pending = read(steward_world, "matches/status_counts")
    assert {"status": "PENDING", "count": queue["total"]} in queue["statuses"]
    assert [r["pairs"] for r in pending if r["status"] == "pending"] == [queue["total"]]
    distances = [p["thresholdDistance"] for p in queue["pairs"]]
    assert distances == sorted(distances)
    assert len(distances) == queue["total"]
    assert sum(b["count"] for b in queue["bands"]) == queue["total"]
    assert set(queue["sources"]) <= {"crm", "web", "app"}
    assert "web" in queue["sources"]
    assert "email_local" not in queue["pairs"][0]["left"], "hashes mean nothing to a steward"

    by_value = gql.queue(sort="VALUE")["pairs"]
    values = [p["customerValue"] for p in by_value]
    assert values == sorted(values, reverse=True)
    assert values[0] > 0

    app = gql.queue(filter={"source": "app"})["pairs"]
    assert app
    assert all("app" in (p["left"]["source"], p["right"]["source"]) for p in app)
    band = next(b for b in queue["bands"] if b["count"])
    banded = gql.queue(filter={"minProbability": band["min"], "maxProbability": band["max"]})
    assert banded["total"] == band["count"]
    assert gql.queue(filter={"queuedFrom": "2999-01-01"})["total"] == 0
    approved = gql.queue(filter={"status": "APPROVED"})
    counted = {s["status"]: s["count"] for s in queue["statuses"]}
    assert approved["total"] == counted.get("APPROVED", 0)
    assert all(p["thresholdDistance"] is None for p in approved["pairs"])

    first = gql.queue(first=3)
    rest = gql.queue(first=100, after=first["pageInfo"]["endCursor"])
    assert first["pageInfo"]["hasNextPage"] is True
    paged = [(p["leftKey"], p["rightKey"]) for p in first["pairs"] + rest["pairs"]]
    assert paged == [(p["leftKey"], p["rightKey"]) for p in queue["pairs"]]
    assert _code(gql(QUEUE, sort="THRESHOLD", first=0)) == "BAD_REQUEST"


def test_a_pair_has_its_waterfall_shared_identifiers_and_merge_preview(
    gql: Client, steward_world: StewardWorld
) -> None:
    left, right = steward_world.pending[0]
    pair = gql.data(PAIR, l=right, r=left)["reviewPair"]  # either order
    assert (pair["leftKey"], pair["rightKey"], pair["status"]) == (left, right, "PENDING")
    steps = sum(c["matchWeight"] + c["tfAdjustment"] for c in pair["comparisons"])
    assert pair["comparisons"]
    assert pair["priorWeight"] < 0
    assert pair["priorWeight"] + steps == pytest.approx(pair["matchWeight"], abs=1e-3)
    assert (pair["left"]["key"], pair["right"]["key"]) == (left, right)
    held = [{i["key"] for i in pair[side]["identifiers"]} for side in ("left", "right")]
    assert {i["key"] for i in pair["sharedIdentifiers"]} == held[0] & held[1]
    customers = {pair["leftCustomer"]["id"], pair["rightCustomer"]["id"]}
    preview = pair["preview"]
    assert {preview["keepCustomerId"], preview["retireCustomerId"]} == customers
    counts = pair["leftCustomer"]["recordCount"] + pair["rightCustomer"]["recordCount"]
    assert preview["recordCount"] == counts
    assert preview["blockedBy"] is None
    missing = gql(PAIR, l="crm:nope", r=left)
    assert _code(missing) == "NOT_FOUND"


def test_a_customers_links_and_audit_trail(gql: Client, steward_world: StewardWorld) -> None:
    customer = steward_world.multi_record[-1]
    network = gql.data(NETWORK, id=customer)["customerNetwork"]
    assert network["explained"] is True
    assert len(network["recordKeys"]) >= 2
    linked = {k for link in network["links"] for k in (link["leftKey"], link["rightKey"])}
    assert linked == set(network["recordKeys"]), "every record is held by a link"
    assert {link["kind"] for link in network["links"]} <= {"identifier", "model", "approved"}

    left, right = steward_world.pending[-1]
    approve = "mutation($l: String!, $r: String!) { approveMatch(leftKey: $l, rightKey: $r) "
    approve += "{ auditId customers } }"
    done = gql.data(approve, key=ADMIN_KEY, l=left, r=right)["approveMatch"]
    try:
        [kept] = done["customers"]
        trail = gql.data(AUDIT, s=kept)["auditTrail"]
        entry = next(e for e in trail if e["id"] == done["auditId"])
        assert entry["action"] == "match.approved"
        assert entry["undoable"] is True
        assert entry["subjectId"] == f"{left}|{right}"
        by_pair = gql.data(AUDIT, s=f"{right}|{left}")["auditTrail"]  # either order
        assert next(e["id"] for e in by_pair) == done["auditId"]
    finally:
        undo = "mutation($id: String!) { undoOperation(auditId: $id) { auditId } }"
        gql.data(undo, key=ADMIN_KEY, id=done["auditId"])
    too_many = gql('{ auditTrail(subjectId: "x", first: 500) { id } }')
    assert _code(too_many) == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("{ reviewSettings { reviewThreshold } }", {}),
        (QUEUE, {"sort": "THRESHOLD", "first": 1}),
        (PAIR, {"l": "a", "r": "b"}),
        (NETWORK, {"id": "x"}),
        (AUDIT, {"s": "x"}),
    ],
)
def test_only_stewards_and_admins_may_use_the_page_fields(
    gql: Client, document: str, variables: dict[str, Any]
) -> None:
    assert _code(gql(document, key=FRONTEND_KEY, **variables)) == "FORBIDDEN"
    answer = gql(document, key=ADMIN_KEY, **variables)
    assert {"FORBIDDEN", "UNAUTHENTICATED"}.isdisjoint(
        str(e["extensions"]["code"]) for e in answer.get("errors") or []
    )
