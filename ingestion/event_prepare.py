"""The CPU-bound half of ingesting events: validate, pseudonymise, log, aggregate.

It runs on a worker thread, or in a child process (prepare_worker.py) so that it gets a core
of its own while the parent applies the previous batch to the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ingestion.aggregates import EventAggregator
from ingestion.consent_events import consent_rows, identifier_keys
from ingestion.dead_letters import DeadLetterStore, NewDeadLetter
from ingestion.event_log import EventLog
from ingestion.events import EventPseudonymiser, LoggedEvent
from ingestion.parsing import Rejected, parse_event, payload_bytes
from ingestion.pseudonymise import Pseudonymiser
from ingestion.results import BatchResult, ItemResult, ItemStatus, RawMessage

# An item's result without its index: (status, id, field, reason).
Outcome = tuple[ItemStatus, str | None, str | None, str | None]
_MISSING: Outcome = (ItemStatus.REJECTED, None, "payload", "not prepared")  # always replaced


@dataclass(frozen=True)
class Chunk:
    """Aggregates of logged events `first_seq..last_seq`: one `ingest/apply_events`."""

    first_seq: int
    last_seq: int
    interactions: list[dict[str, Any]]
    pairs: list[dict[str, Any]]
    consents: list[dict[str, Any]] = field(default_factory=list)  # consent_events.consent_rows
    keys: list[str] = field(default_factory=list)  # every identifier key (the privacy gate)


@dataclass(frozen=True)
class PreparedEvents:
    """A validated, logged batch waiting to be applied to the graph."""

    result: BatchResult
    chunks: list[Chunk]  # what this batch logged, aggregated, in log order


def aggregate(events: Sequence[LoggedEvent], chunk_size: int) -> list[Chunk]:
    """Consecutive logged events as chunks of at most `chunk_size` events."""
    chunks = []
    for start in range(0, len(events), chunk_size):
        part = events[start : start + chunk_size]
        aggregator = EventAggregator()
        for event in part:
            aggregator.add(event)
        rows, pairs = aggregator.interaction_rows(), aggregator.seen_with_rows()
        consents, keys = consent_rows(part), identifier_keys(part)
        chunks.append(Chunk(part[0].seq, part[-1].seq, rows, pairs, consents, keys))
    return chunks


def letters(
    kind: str, messages: Sequence[RawMessage], rejected: list[tuple[int, Rejected]]
) -> list[NewDeadLetter]:
    """The dead letters of rejected messages: raw payload, origin, field and reason."""
    return [
        NewDeadLetter(
            kind, messages[i].origin, payload_bytes(messages[i].payload), why.field, why.reason
        )
        for i, why in rejected
    ]


class EventPreparer:
    """Validate, pseudonymise, append to the log, dead-letter the bad, aggregate the new."""

    def __init__(
        self,
        log: EventLog,
        dead_letters: DeadLetterStore,
        pseudonymiser: Pseudonymiser,
        max_message_bytes: int,
        chunk_size: int,
    ) -> None:
        self.log = log
        self.dead_letters = dead_letters
        self.max_message_bytes = max_message_bytes
        self.chunk_size = chunk_size
        self._pseudonymise = EventPseudonymiser(pseudonymiser)

    def prepare(
        self, messages: Sequence[RawMessage], record_rejections: bool = True
    ) -> tuple[list[ItemResult | None], list[Chunk]]:
        """Per-message results (in order) and the chunks of what was newly logged."""
        outcomes, chunks = self.prepare_compact(messages, record_rejections)
        return [ItemResult(i, *outcome) for i, outcome in enumerate(outcomes)], chunks

    def prepare_compact(
        self, messages: Sequence[RawMessage], record_rejections: bool = True
    ) -> tuple[list[Outcome], list[Chunk]]:
        """`prepare`, with each result as a (status, id, field, reason) tuple: cheaper to
        make and to send between processes."""
        results: list[Outcome] = [_MISSING] * len(messages)
        rejected: list[tuple[int, Rejected]] = []
        valid: list[LoggedEvent] = []
        positions: list[int] = []
        limit, pseudonymise = self.max_message_bytes, self._pseudonymise
        for index, message in enumerate(messages):
            parsed = parse_event(message, limit)
            if isinstance(parsed, Rejected):
                rejected.append((index, parsed))
                continue
            event = pseudonymise(parsed)
            if not event.ids.identifiers:
                rejected.append((index, Rejected("identifiers", "no usable identifier")))
                continue
            valid.append(event)
            positions.append(index)
        fresh, _ = self.log.append(valid)
        logged = {id(e) for e in fresh}  # the log returns the very objects it took
        accepted, duplicate = ItemStatus.ACCEPTED, ItemStatus.DUPLICATE
        for index, event in zip(positions, valid, strict=True):
            status = accepted if id(event) in logged else duplicate
            results[index] = (status, event.event_id, None, None)
        for index, why in rejected:
            results[index] = (ItemStatus.REJECTED, None, why.field, why.reason)
        if record_rejections:
            self.dead_letters.add(letters("event", messages, rejected))
        return results, aggregate(fresh, self.chunk_size)
