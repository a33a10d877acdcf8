"""The steward page in real headless Chromium against the real app and store: the page is
served without a key but a frontend key is refused; the queue opens, one pair is approved
(keyboard, in the pair view) and one rejected (keyboard, in the queue); a customer is split
and a merge undone from the customer view. Each effect is checked in the store and in the
audit log; the queue and the pair view are saved as screenshots."""

from __future__ import annotations

import re
from urllib.parse import unquote

import httpx2
from playwright.sync_api import Page, expect

from graph.queries import Cypher
from tests.steward_page.conftest import ARTIFACTS, owners, pair_status, read
from tests.steward_page.world import FRONTEND_KEY, STEWARD_KEY, StewardWorld

QUEUE_DOC = "{ reviewQueue(first: 1) { total } }"


def sign_in(page: Page, key: str) -> None:
    """Open the page and sign in with `key`."""
    page.goto("/steward")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def audit(world: StewardWorld, subject: str) -> list[dict[str, object]]:
    """The subject's audit entries, newest first."""
    return read(world, "audit/list_for_subject", {"subject_id": subject, "limit": 20})


def pair_in_view(page: Page) -> tuple[str, str]:
    """The pair the pair view shows, from the location."""
    found = re.search(r"#/pair/([^/]+)/([^/]+)$", page.url)
    assert found, page.url
    return unquote(found.group(1)), unquote(found.group(2))


def pending_across_customers(world: StewardWorld) -> list[tuple[str, str]]:
    """Pending pairs whose records belong to two different customers now."""
    rows = read(
        world,
        Cypher(
            "MATCH (a:Record)-[m:CANDIDATE_MATCH {status: 'pending'}]->(b:Record) "
            "MATCH (a)-[:BELONGS_TO]->(ca:Customer), (b)-[:BELONGS_TO]->(cb:Customer) "
            "WHERE ca.id <> cb.id RETURN a.key AS l, b.key AS r ORDER BY l, r"
        ),
    )
    return [(str(r["l"]), str(r["r"])) for r in rows]


def test_the_page_is_served_without_a_key_but_a_frontend_key_is_refused(
    page: Page, base_url: str
) -> None:
    with httpx2.Client(base_url=base_url) as http:
        html = http.get("/steward")
        assert html.status_code == 200
        assert html.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in html.headers["content-security-policy"]
        script = http.get("/steward/static/js/app.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        refused = http.post(
            "/graphql", json={"query": QUEUE_DOC}, headers={"X-API-Key": FRONTEND_KEY}
        ).json()
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        anonymous = http.post("/graphql", json={"query": QUEUE_DOC}).json()
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    sign_in(page, FRONTEND_KEY)
    expect(page.get_by_role("alert")).to_contain_text("steward or admin key is needed")
    expect(page.locator("#queue-table")).to_have_count(0)
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0, "a refused key is not kept"


def test_open_the_queue_approve_one_pair_and_reject_another(
    page: Page, steward_world: StewardWorld
) -> None:
    sign_in(page, STEWARD_KEY)
    rows = page.locator("#queue-table tbody tr")
    expect(rows.first).to_be_visible()
    expect(page.locator("#queue-counts")).to_contain_text("Pending")
    assert rows.count() >= 3
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "queue.png", full_page=True)

    # The top band only: every probability shown lies in it.
    total = rows.count()
    band = page.get_by_label("Probability")
    top = band.locator("option").nth(4)  # after "any", "below review" and two bands
    low = float(str(top.get_attribute("value")).split(":")[0])
    in_band = int(str(re.findall(r"\((\d+)\)", str(top.text_content()))[0]))
    assert 0 < in_band < total, "the world's queue spreads over several bands"
    band.select_option(str(top.get_attribute("value")))
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#queue-counts")).to_contain_text(f"— {in_band} match the filters")
    expect(rows).to_have_count(in_band)
    shown = [float(t) for t in page.locator("#queue-table .prob").all_inner_texts()]
    assert all(p >= low for p in shown), (low, shown)
    page.get_by_role("button", name="Clear").click()
    expect(rows).to_have_count(total)

    # Approve: Enter opens the current pair, "a" approves it.
    page.locator("#queue-table tbody tr a.open").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("svg.waterfall")).to_be_visible()
    expect(page.locator("#merge-preview")).to_contain_text("Approving")
    page.screenshot(path=ARTIFACTS / "pair.png", full_page=True)
    left, right = pair_in_view(page)
    before = owners(steward_world, left, right)
    page.keyboard.press("a")
    expect(page.get_by_role("status")).to_contain_text(f"Approved {left} ↔ {right}")
    after = owners(steward_world, left, right)
    assert after[left] == after[right], "the two customers merged"
    assert after[left] in set(before.values())
    assert pair_status(steward_world, left, right) == "approved"
    trail = audit(steward_world, f"{left}|{right}")
    assert [(e["action"], e["actor"]) for e in trail] == [("match.approved", "steward:ann")]

    # Reject: back in the queue, "r" rejects the current pair.
    page.goto("/steward#/queue")
    current = page.locator("#queue-table tbody tr[aria-current=true]")
    expect(current).to_have_count(1)
    rejected_left, rejected_right = str(current.get_attribute("data-pair")).split("|")
    assert {rejected_left, rejected_right} != {left, right}
    page.keyboard.press("r")
    expect(page.get_by_role("status")).to_contain_text(f"Rejected {rejected_left}")
    assert pair_status(steward_world, rejected_left, rejected_right) == "rejected"
    split = owners(steward_world, rejected_left, rejected_right)
    assert split[rejected_left] != split[rejected_right], "never in one customer"
    trail = audit(steward_world, f"{rejected_left}|{rejected_right}")
    assert [e["action"] for e in trail] == ["match.rejected"]
    assert trail[0]["actor"] == "steward:ann"
    gone = page.locator(f'#queue-table tr[data-pair="{rejected_left}|{rejected_right}"]')
    expect(gone).to_have_count(0)


def test_split_a_customer_and_undo_a_merge(page: Page, steward_world: StewardWorld) -> None:
    sign_in(page, STEWARD_KEY)
    expect(page.locator("#queue-table")).to_be_visible()

    # Split: the customer view's form moves one record to a new customer.
    customer = steward_world.multi_record[0]
    page.goto(f"/steward#/customer/{customer}")
    expect(page.locator("svg.network")).to_be_visible()
    expect(page.locator("table.golden")).to_contain_text("From record")
    keys = read(steward_world, "identity/customer_records", {"ids": [customer]})[0]["record_keys"]
    golden_from = set(page.locator("table.golden tbody td:nth-child(3)").all_inner_texts()) - {"–"}
    assert golden_from
    assert golden_from <= set(keys), "lineage names the records"
    record = str(page.locator("#split-form input[name=record]").first.get_attribute("value"))
    page.locator("#split-form input[name=record]").first.check()
    page.get_by_role("button", name="Split customer").click()
    expect(page.get_by_role("status")).to_contain_text(f"Split {customer}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "customer.png", full_page=True)
    moved_to = owners(steward_world, record)[record]
    assert moved_to not in (None, customer)
    [split] = [e for e in audit(steward_world, customer) if str(e["action"]).endswith("by_steward")]
    assert split["actor"] == "steward:ann"
    assert record in str(split["after"])

    # Undo a merge: approve a pair in the pair view, then undo it from the customer's trail.
    untouched = [
        p for p in pending_across_customers(steward_world) if not audit(steward_world, "|".join(p))
    ]
    left, right = untouched[0]
    before = owners(steward_world, left, right)
    page.goto(f"/steward#/pair/{left}/{right}")
    page.get_by_role("button", name=re.compile("^Approve")).click()
    expect(page.get_by_role("status")).to_contain_text(f"Approved {left} ↔ {right}")
    merged = owners(steward_world, left, right)
    assert merged[left] == merged[right]
    page.goto(f"/steward#/customer/{merged[left]}")
    approval = page.locator("#audit-trail tr[data-action='match.approved']").first
    approval.get_by_role("button", name=re.compile("^Undo merge")).click()
    expect(page.get_by_role("status")).to_contain_text("Undid")
    assert owners(steward_world, left, right) == before, "each record back in its customer"
    assert pair_status(steward_world, left, right) == "pending"
    actions = [e["action"] for e in audit(steward_world, f"{left}|{right}")]
    assert actions == ["steward.undo", "match.approved"]


def test_bulk_approval_of_ticked_pairs(page: Page, steward_world: StewardWorld) -> None:
    rejected = read(steward_world, "matches/review_pairs", {"status": "rejected", "limit": 100})
    blocked = {c for r in rejected for c in (r["left_customer"], r["right_customer"])}
    sign_in(page, STEWARD_KEY)
    rows = page.locator("#queue-table tbody tr")
    expect(rows.first).to_be_visible()
    eligible = [  # pairs no rejection stands in the way of: their customers have none
        row
        for row in rows.all()
        if not blocked
        & set(owners(steward_world, *str(row.get_attribute("data-pair")).split("|")).values())
    ][:2]
    assert len(eligible) == 2
    ticked = [str(row.get_attribute("data-pair")) for row in eligible]
    eligible[0].locator("a.open").focus()
    page.keyboard.press("x")  # x ticks the current pair
    eligible[1].get_by_role("checkbox").check()
    expect(page.locator("#bulk-approve")).to_have_text("Approve ticked (2)")
    page.locator("#bulk-approve").click()
    expect(page.get_by_role("status")).to_contain_text("Approved 2 pair(s).")
    for subject in ticked:
        left, right = subject.split("|")
        assert pair_status(steward_world, left, right) == "approved"
        newest = audit(steward_world, subject)[0]
        assert (newest["action"], newest["reason"]) == ("match.approved", "bulk approval")
