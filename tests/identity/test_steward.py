"""Steward operations on a real store: approve, reject, split, undo — all audited."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from identity.fast_scorer_adapter import compiled_scorer
from identity.service import IdentityService
from identity.steward import StewardError, StewardService
from tests.identity.conftest import IdentityEnv
from tests.identity.test_resolution import customers_of, message


def widen_review(env: IdentityEnv) -> None:
    """Queue far more pairs for review than the defaults do (thresholds are settings)."""
    config = replace(env.service.config, auto_merge_threshold=0.999999, review_threshold=0.01)
    env.service = IdentityService(env.store, config, compiled_scorer)
    env.steward = StewardService(env.service)


async def _resolved(env: IdentityEnv) -> dict[str, set[str]]:
    await env.service.resolve_all()
    return customers_of(await env.service.assignments())


async def test_queue_shows_evidence_and_both_records(env: IdentityEnv) -> None:
    widen_review(env)
    await env.service.resolve_all()
    [item] = await env.steward.queue(limit=1)
    assert 0.01 <= (item.probability or 0) < 0.999999
    assert item.left["key"] == item.left_key
    assert "first_name" in item.left
    assert {c["comparison"] for c in item.evidence["comparisons"]} >= {"first_name", "last_name"}


async def test_split_and_undo_restore_the_earlier_state(env: IdentityEnv) -> None:
    before = await _resolved(env)
    cid, keys = next((c, sorted(k)) for c, k in before.items() if len(k) >= 3)
    result = await env.steward.split(cid, keys[:1], "steward:ann", "two people")
    after = customers_of(await env.service.assignments())
    assert after[cid] == set(keys[1:])
    [new] = [c for c in result.customers if c != cid]
    assert after[new] == {keys[0]}
    await env.service.resolve_all()  # the split holds against a full run
    assert customers_of(await env.service.assignments())[new] == {keys[0]}

    undo = await env.steward.undo(result.audit_id, "steward:ann", "my mistake")
    assert customers_of(await env.service.assignments())[cid] == set(keys)
    await env.service.resolve_all()  # cannot-links were retracted: the merge is back for good
    assert customers_of(await env.service.assignments())[cid] == set(keys)
    actions = [e["action"] for e in await env.steward.history(cid)]
    assert actions[:2] == ["steward.undo", "customer.split_by_steward"]
    [entry] = [e for e in await env.steward.history(cid) if e["id"] == undo.audit_id]
    assert entry["actor"] == "steward:ann"
    assert json.loads(entry["before"])["assignments"] == {keys[0]: new}


async def test_approve_merges_and_undo_splits_again(env: IdentityEnv) -> None:
    widen_review(env)
    before = await _resolved(env)
    [item] = await env.steward.queue(limit=1)
    left_customer = item.left["customer_id"]
    right_customer = item.right["customer_id"]
    assert left_customer != right_customer
    result = await env.steward.approve(item.left_key, item.right_key, "steward:bo", "same")
    merged = customers_of(await env.service.assignments())
    [survivor] = result.customers
    assert merged[survivor] == before[left_customer] | before[right_customer]
    await env.service.resolve_all()  # an approval holds against a full run
    assert customers_of(await env.service.assignments())[survivor] == merged[survivor]
    await env.steward.undo(result.audit_id, "steward:bo")
    restored = customers_of(await env.service.assignments())
    assert restored[left_customer] == before[left_customer]
    assert restored[right_customer] == before[right_customer]
    history = await env.steward.history(
        f"{min(item.left_key, item.right_key)}|{max(item.left_key, item.right_key)}"
    )
    assert [e["action"] for e in history] == ["steward.undo", "match.approved"]


async def test_an_undone_approval_is_not_redone_by_a_run(env: IdentityEnv) -> None:
    await env.service.resolve_all()
    rows = await env.steward.recent(limit=1)
    assert rows[0]["action"] == "resolution.run"
    customers = customers_of(await env.service.assignments())
    (_, keys_a), (_, keys_b) = [(c, k) for c, k in customers.items() if len(k) == 1][:2]
    await env.steward.approve(next(iter(keys_a)), next(iter(keys_b)), "steward:cy")
    merges = await env.steward.recent("match.approved", limit=1)
    await env.steward.undo(merges[0]["id"], "steward:cy", "wrong")
    await env.service.resolve_all()
    after = await env.service.assignments()
    assert after[next(iter(keys_a))] != after[next(iter(keys_b))]


async def test_bad_requests_name_the_field(env: IdentityEnv) -> None:
    before = await _resolved(env)
    cid, keys = next((c, sorted(k)) for c, k in before.items() if len(k) >= 2)
    with pytest.raises(StewardError, match="record_keys"):
        await env.steward.split(cid, keys, "steward:ann")
    with pytest.raises(StewardError, match="record_keys"):
        await env.steward.split(cid, ["crm:nope"], "steward:ann")
    with pytest.raises(StewardError, match="audit_id"):
        await env.steward.undo("aud_missing", "steward:ann")
    with pytest.raises(StewardError, match="no such record"):
        await env.steward.approve("crm:nope", keys[0], "steward:ann")


async def test_approvals_become_labels_for_the_next_model(env: IdentityEnv) -> None:
    widen_review(env)
    await env.service.resolve_all()
    items = await env.steward.queue(limit=40, min_probability=0.2)
    approved = 0
    for item in items:
        try:
            await env.steward.approve(item.left_key, item.right_key, "steward:lab")
        except StewardError:
            continue  # an earlier approval already tied this pair to a rejected one
        approved += 1
        history = await env.steward.history(f"{item.left_key}|{item.right_key}")
        assert history[0]["action"] == "match.approved"
    assert approved >= 10
    previous = env.service.registry.current()
    report = await env.service.train()
    assert report.labels_used == approved
    assert previous is not None
    assert report.version != previous.version
    assert env.service.registry.current().meta["labels_used"] == approved  # type: ignore[union-attr]


async def test_explain_gives_the_reason_for_every_link_of_a_customer(env: IdentityEnv) -> None:
    customers = await _resolved(env)
    cid, keys = next((c, k) for c, k in customers.items() if len(k) >= 3)
    links = await env.steward.explain(cid)
    joined = {key for link in links for key in (link.left_key, link.right_key)}
    assert joined == keys  # every record is tied in by at least one link
    for link in links:
        assert link.kind in {"identifier", "model", "weak_identifier", "approved"}
        if link.kind == "model":
            assert link.reason.startswith("match probability")
            assert link.evidence is not None
        else:
            assert link.reason.startswith(("shared ", "approved"))


async def test_undoing_an_automatic_merge_sticks(env: IdentityEnv) -> None:
    await env.service.resolve_all()
    env.pipeline.on_records_written = env.service.resolve_if_trained
    people = [
        message("P-1", first_name="Alphonse", last_name="Bravington", crm_id="C-1"),
        message("P-2", first_name="Charlotte", last_name="Deverill", login_id="u-p2"),
    ]
    await env.pipeline.ingest_records(people)
    before = await env.service.assignments()
    assert before["crm:P-1"] != before["crm:P-2"]
    # One record holding both people's personal ids merges their customers automatically.
    await env.pipeline.ingest_records(
        [message("BRIDGE", first_name="Alphonse", crm_id="C-1", login_id="u-p2")]
    )
    merged = await env.service.assignments()
    assert merged["crm:P-1"] == merged["crm:P-2"] == merged["crm:BRIDGE"]
    [entry] = await env.steward.recent("customer.merged", limit=1)
    await env.steward.undo(entry["id"], "steward:dee", "two people")
    await env.service.resolve_all()
    after = await env.service.assignments()
    assert after["crm:P-1"] == before["crm:P-1"]
    assert after["crm:P-2"] == before["crm:P-2"]
