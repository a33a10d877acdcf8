"""The segments facade: definitions, population and incremental evaluation, memberships.

Rule segments are `Segment {kind: "rule"}` nodes whose `definition` is the JSON rule; the
ten named RFM segments are `Segment {id: "rfm:<name>", kind: "rfm"}` nodes. Membership is
`(Customer)-[:IN_SEGMENT {since, score}]->(Segment)`: `since` is the evaluation time that
first put the customer in, `score` is 1.0 for rules and the RFM code (R·100 + F·10 + M) for
RFM segments. Evaluation reads the facts of every active customer into memory (one batch
of queries per `batch_size` customers), so RFM quintiles see the whole population.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from graph.port import GraphStore
from segments.evaluate import categories_named, evaluate, longest_window
from segments.facts import CustomerFacts
from segments.membership_writes import Key, write_differences
from segments.reads import active_customer_pages, load_facts
from segments.rfm import RFM_SEGMENTS, RfmModel
from segments.rules import SegmentDefinition, parse_definition

RFM_PREFIX = "rfm:"


@dataclass(frozen=True)
class SegmentInfo:
    """A stored segment and how many customers are in it."""

    id: str
    kind: str
    name: str
    definition: str
    members: int

    @property
    def description(self) -> str:
        """The definition's description ("" when it has none)."""
        return str(json.loads(self.definition or "{}").get("description", ""))


@dataclass(frozen=True)
class Membership:
    """A customer in a segment."""

    customer_id: str
    segment_id: str
    since: int
    score: float
    kind: str = ""
    name: str = ""


@dataclass
class EvaluationReport:
    """What an evaluation did."""

    now: int
    customers: int = 0
    added: int = 0
    removed: int = 0
    members: dict[str, int] = field(default_factory=dict)  # segment id → members after


def rfm_segment_id(name: str) -> str:
    """The segment id of a named RFM segment."""
    return f"{RFM_PREFIX}{name}"


def _now() -> int:
    return int(time.time() * 1000)


def _detail(rules: Sequence[SegmentDefinition], now: int) -> tuple[int, set[str]]:
    """What the rules need to see: aggregates one by one from their longest window back
    from now, and the categories they name."""
    since = now - max((longest_window(rule.rule) for rule in rules), default=0)
    return since, set().union(*(categories_named(rule.rule) for rule in rules))


class SegmentService:
    """Defines segments and keeps memberships up to date in the graph."""

    def __init__(
        self, store: GraphStore, batch_size: int = 500, clock: Callable[[], int] = _now
    ) -> None:
        self.store = store
        self.batch_size = batch_size
        self.clock = clock
        self.rfm_model: RfmModel | None = None  # cut points of the last population fit

    async def define(self, source: SegmentDefinition | str | dict[str, Any]) -> SegmentInfo:
        """Create or replace a rule segment (ValueError naming bad fields); its members
        are updated by the next evaluation."""
        definition = source if isinstance(source, SegmentDefinition) else parse_definition(source)
        row = {"id": definition.id, "kind": "rule", "name": definition.name}
        await self.store.write_batch(
            "segments/upsert_segments", [{**row, "definition": definition.to_json()}]
        )
        [info] = await self.list_segments([definition.id])
        return info

    async def ensure_rfm_segments(self) -> None:
        """Upsert the named RFM segments' nodes (idempotent)."""
        rows = [
            {
                "id": rfm_segment_id(name),
                "kind": "rfm",
                "name": name.replace("_", " ").capitalize(),
                "definition": json.dumps({"rfm": name, "description": text}),
            }
            for name, text in RFM_SEGMENTS.items()
        ]
        await self.store.write_batch("segments/upsert_segments", rows)

    async def list_segments(self, ids: Sequence[str] | None = None) -> list[SegmentInfo]:
        """Segments (all, or those of `ids` that exist) with member counts, in id order."""
        params = {"ids": None if ids is None else list(ids)}
        return [
            SegmentInfo(
                str(r["id"]), str(r["kind"]), str(r["name"]), str(r["definition"] or "{}"),
                int(r["members"]),
            )
            for r in await self.store.read("segments/list_segments", params)
        ]  # fmt: skip

    async def get(self, segment_id: str) -> SegmentInfo | None:
        """One segment, or None."""
        found = await self.list_segments([segment_id])
        return found[0] if found else None

    async def members(self, segment_id: str, first: int = 100, after: str = "") -> list[Membership]:
        """A page of a segment's members in customer id order, after customer id `after`."""
        params = {"segment_id": segment_id, "after": after, "limit": first}
        rows = await self.store.read("segments/members", params)
        return [
            Membership(str(r["customer_id"]), segment_id, int(r["since"]), float(r["score"]))
            for r in rows
        ]

    async def segments_of(self, ids: Sequence[str]) -> dict[str, list[Membership]]:
        """Each customer's segments (one query for the whole batch)."""
        found: dict[str, list[Membership]] = {cid: [] for cid in ids}
        for r in await self.store.read("segments/segments_of_customers", {"ids": list(ids)}):
            found.setdefault(str(r["customer_id"]), []).append(
                Membership(
                    str(r["customer_id"]), str(r["id"]), int(r["since"]), float(r["score"]),
                    str(r["kind"]), str(r["name"]),
                )
            )  # fmt: skip
        return found

    async def rules(self, ids: Sequence[str] | None = None) -> list[SegmentDefinition]:
        """The stored rule definitions (all, or those of `ids`)."""
        params = {"ids": None if ids is None else list(ids)}
        rows = await self.store.read("segments/rule_definitions", params)
        return [parse_definition(str(r["definition"])) for r in rows]

    async def population(
        self, since: int | None = None, categories: Collection[str] | None = None
    ) -> list[CustomerFacts]:
        """Facts of every active customer (aggregates before `since` summed, None: all of
        them; only `categories` kept, None: every one; see `segments.reads`)."""
        found: list[CustomerFacts] = []
        since = self.clock() + 1 if since is None else since
        async for page in active_customer_pages(self.store, self.batch_size):
            found.extend(await load_facts(self.store, page, since, categories))
        return found

    async def evaluate_all(
        self, now: int | None = None, segment_ids: Sequence[str] | None = None
    ) -> EvaluationReport:
        """Re-evaluate every active customer against the rule segments and RFM (or only
        the given segments), refit the RFM cut points, and write the differences."""
        now = self.clock() if now is None else now
        await self.ensure_rfm_segments()
        rules = await self.rules(segment_ids)
        rfm_ids = [rfm_segment_id(n) for n in RFM_SEGMENTS]
        if segment_ids is not None:
            rfm_ids = [s for s in rfm_ids if s in segment_ids]
        facts = await self.population(*_detail(rules, now))
        self.rfm_model = RfmModel.fit(facts, now)
        desired = self._desired(facts, rules, bool(rfm_ids), now)
        targets = [r.id for r in rules] + rfm_ids
        rows = await self.store.read("segments/memberships", {"segment_ids": targets})
        existing = {(str(r["customer_id"]), str(r["segment_id"])): float(r["score"]) for r in rows}
        report = await self._apply(desired, existing, now)
        report.customers = len(facts)
        report.members = {s: 0 for s in targets}
        for _, segment in desired:
            report.members[segment] += 1
        return report

    async def evaluate_customers(
        self, ids: Sequence[str], now: int | None = None
    ) -> EvaluationReport:
        """Re-evaluate only these customers (after their interactions or profile changed)
        against every rule and RFM; RFM scores use the last population fit (fitted now if
        this service has none). Retired or unknown ids lose their memberships."""
        now = self.clock() if now is None else now
        if self.rfm_model is None:
            await self.ensure_rfm_segments()
            self.rfm_model = RfmModel.fit(await self.population(now + 1, ()), now)
        rules = await self.rules()
        since, categories = _detail(rules, now)
        facts = await load_facts(self.store, ids, since, categories, active_only=True)
        desired = self._desired(facts, rules, True, now)
        targets = {r.id for r in rules} | {rfm_segment_id(n) for n in RFM_SEGMENTS}
        existing = {
            (m.customer_id, m.segment_id): m.score
            for ms in (await self.segments_of(ids)).values()
            for m in ms
            if m.segment_id in targets
        }
        report = await self._apply(desired, existing, now)
        report.customers = len(facts)
        return report

    def _desired(
        self, facts: list[CustomerFacts], rules: list[SegmentDefinition], rfm: bool, now: int
    ) -> dict[Key, float]:
        assert self.rfm_model is not None
        desired: dict[Key, float] = {}
        for customer in facts:
            score = self.rfm_model.score(customer, now)
            scored = replace(customer, rfm=None if score is None else score.segment)
            if rfm and score is not None:
                desired[(customer.customer_id, rfm_segment_id(score.segment))] = float(score.code)
            for rule in rules:
                if evaluate(rule.rule, scored, now):
                    desired[(customer.customer_id, rule.id)] = 1.0
        return desired

    async def _apply(
        self, desired: dict[Key, float], existing: dict[Key, float], now: int
    ) -> EvaluationReport:
        added, removed = await write_differences(self.store, desired, existing, now)
        return EvaluationReport(now=now, added=added, removed=removed)
