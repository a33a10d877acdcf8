"""Which identifiers of an ingest batch may not be tied to a person, cheaply, batch after batch.

Evaluating a person's effective consent reads its records, identifiers and decisions: done
for every key of every batch, that costs more than applying the batch (measured: ~1-2 s per
5,000 events on the resolved demo graph). So `AnalyticsGate` keeps, per pipeline:
- the **identity** part (which customers an identifier belongs to) for `identity_ttl`
  seconds, except that what the pipeline itself writes (SEEN_WITH pairs, records, so a
  cookie signing in is its person's from the next chunk on) is read again at once
  (`forget`): a resolution run or a steward's merge reaches the gate within that time;
- the **consent** part (the latest analytics decision of each person and of each anonymous
  identifier it has looked at) until consent changes: the pipeline's own decisions update
  it in place (exactly, latest wins), and a change made anywhere else (the API, another
  consumer) is seen on the next batch through the consent clock (`ConsentService.clock`),
  which empties it.
The suppression list is read for every batch (never cached): erasure acts at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable

from privacy.consent import ANALYTICS, Consent, Decision, is_identifier_key, newer
from privacy.consent_store import ConsentChange, ConsentService, GateState

IDENTITY_TTL_SECONDS = 30.0
MAX_CACHED = 500_000  # identifiers; beyond, the cache starts again


class AnalyticsGate:
    """The untied keys of a batch (suppressed, or their person withdrew `purpose`)."""

    def __init__(
        self,
        service: ConsentService,
        purpose: str = ANALYTICS,
        identity_ttl: float = IDENTITY_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.purpose = purpose
        self.identity_ttl = identity_ttl
        self._now = clock
        # key -> (customers, through its own records?, when read)
        self._people: dict[str, tuple[tuple[str, ...], bool, float]] = {}
        self._persons: dict[str, tuple[Consent | None, float]] = {}  # customer -> latest
        self._anonymous: dict[str, Consent | None] = {}  # key without a customer -> latest
        self._version: int | None = None  # the consent clock as last seen
        self._own_changes = 0  # clock moves made through this gate since then

    # ---- the pipeline's own decisions -------------------------------------------------

    async def record(self, decisions: Iterable[Decision], actor: str, reason: str) -> None:
        """Record decisions through the service and fold the applied ones in."""
        changes = await self.service.record(decisions, actor, reason)
        if changes:
            self._own_changes += 1
            await self._fold(changes)

    async def _fold(self, changes: list[ConsentChange]) -> None:
        mine = [c for c in changes if c.purpose == self.purpose]
        if any(not is_identifier_key(c.subject) for c in mine):
            self._persons.clear()  # a customer's own decision: its successor may count it
        mine = [c for c in mine if is_identifier_key(c.subject)]
        if not mine:
            return
        await self._load_people([c.subject for c in mine])
        for change in mine:
            decision = Consent(change.granted, "", change.at, change.subject)
            for customer in self._people[change.subject][0]:
                cached = self._persons.get(customer)
                if cached is not None and newer(decision, cached[0]):
                    self._persons[customer] = (decision, cached[1])
            if change.subject in self._anonymous and newer(
                decision, self._anonymous[change.subject]
            ):
                self._anonymous[change.subject] = decision

    # ---- the batch's verdict ----------------------------------------------------------

    async def state(
        self, keys: Collection[str], suppressed: frozenset[str] | None = None
    ) -> GateState:
        """Suppressed keys (read now, unless the caller just did) and keys whose person
        withdrew (see the module)."""
        if suppressed is None:
            suppressed = frozenset(await self.service.suppression.suppressed(keys))
        if not keys:
            return GateState(suppressed)
        await self._check_clock()
        await self._load_people(keys)
        now = self._now()
        owners = {k: self._people[k][0][:1] for k in keys}
        missing = {
            c
            for owner in owners.values()
            for c in owner
            if c not in self._persons or now - self._persons[c][1] > self.identity_ttl
        }
        if missing:
            found = await self.service.customer_decisions(missing, [self.purpose])
            for customer in missing:
                self._persons[customer] = (_latest(found.get(customer, [])), now)
        anonymous = [k for k, owner in owners.items() if not owner and k not in self._anonymous]
        if anonymous:
            own = await self.service.own_decisions(anonymous, [self.purpose])
            for key in anonymous:
                self._anonymous[key] = _latest(own.get(key, []))
        default = self.service.defaults[self.purpose]
        withdrawn = set()
        for key, owner in owners.items():
            latest = self._persons[owner[0]][0] if owner else self._anonymous[key]
            if not (default if latest is None else latest.granted):
                withdrawn.add(key)
        return GateState(suppressed, frozenset(withdrawn))

    async def _check_clock(self) -> None:
        version = await self.service.clock()
        expected = None if self._version is None else self._version + self._own_changes
        if version != expected:  # someone else changed consent: read it again
            self._persons.clear()
            self._anonymous.clear()
        self._version, self._own_changes = version, 0

    async def _load_people(self, keys: Iterable[str]) -> None:
        now = self._now()
        if len(self._people) > MAX_CACHED:  # bounded memory on a long-running consumer
            self._people.clear()
            self._persons.clear()
            self._anonymous.clear()
        stale = [
            k
            for k in set(keys)
            if (found := self._people.get(k)) is None or now - found[2] > self.identity_ttl
        ]
        if not stale:
            return
        people = await self.service.people(stale)
        for key in stale:
            customers, direct = people.get(key, ((), False))
            old = self._people.get(key)
            if old is not None and old[0] != customers:
                for customer in {*old[0], *customers}:  # their identifiers changed
                    self._persons.pop(customer, None)
            self._people[key] = (customers, direct, now)
            if customers:
                self._anonymous.pop(key, None)

    def forget(self, keys: Iterable[str]) -> None:
        """Identity around these keys is changing (the pipeline is writing records for
        them): read who they belong to again, and those people's decisions."""
        for key in keys:
            found = self._people.get(key)
            if found is None:
                continue
            for customer in found[0]:
                self._persons.pop(customer, None)
            # Stale, not gone: reading it again compares, and drops the decisions of whoever
            # it belongs to now.
            self._people[key] = (found[0], found[1], float("-inf"))
            self._anonymous.pop(key, None)

    def seen_together(self, pairs: Iterable[tuple[str, str]]) -> None:
        """The pipeline is writing these SEEN_WITH pairs. An identifier no record holds
        belongs to the one customer the identifiers seen with it lead to through their
        records; a pair changes that only when its partner's customers (through records, or
        unknown) are not already exactly its own. Those are read again (`forget`)."""
        changed: set[str] = set()
        for a, b in pairs:
            for key, partner in ((a, b), (b, a)):
                mine, theirs = self._people.get(key), self._people.get(partner)
                if mine is not None and mine[1]:
                    continue  # held by a record: a pair changes nothing
                if theirs is not None and not theirs[1]:
                    continue  # the partner is held by no record: it leads nowhere
                if mine is not None and theirs is not None and theirs[0] == mine[0]:
                    continue  # already theirs
                if mine is not None:
                    changed.add(key)
                for customer in theirs[0] if theirs is not None else ():
                    self._persons.pop(customer, None)  # it may join their identifiers
        self.forget(changed)


def _latest(decisions: list[tuple[str, Consent]]) -> Consent | None:
    """The newest of one purpose's decisions (a withdrawal wins a tie), None without any."""
    latest: Consent | None = None
    for _, decision in decisions:
        if newer(decision, latest):
            latest = decision
    return latest
