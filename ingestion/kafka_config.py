"""Configuration and running totals of the Kafka consumer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class KafkaIngestConfig:
    """Where to consume from and how; topics are routed to events or records by name."""

    bootstrap_servers: str
    group_id: str
    events_topics: tuple[str, ...] = ("cg.events",)
    records_topics: tuple[str, ...] = ("cg.records",)
    dead_letter_topic: str | None = "cg.dead-letter"
    batch_size: int = 5000
    poll_timeout_ms: int = 1000
    batch_linger_ms: int = 100
    session_timeout_ms: int = 6000
    max_message_bytes: int = 64 * 1024
    auto_offset_reset: str = "earliest"
    max_attempts: int = 5
    retry_backoff_ms: int = 500
    client_id: str = "customer-graph"
    prepare_in_process: bool = True  # validate and log in a child process (a second core)

    def __post_init__(self) -> None:
        """Normalise topic lists and refuse configurations that cannot work."""
        for name in ("events_topics", "records_topics"):
            value = getattr(self, name)
            topics = (value,) if isinstance(value, str) else tuple(value)
            object.__setattr__(self, name, tuple(t.strip() for t in topics if t.strip()))
        if not self.events_topics and not self.records_topics:
            raise ValueError("no topics to consume: set events_topics and/or records_topics")
        both = set(self.events_topics) & set(self.records_topics)
        if both:
            raise ValueError(f"topics listed as both events and records: {sorted(both)}")
        if self.dead_letter_topic in self.topics:
            raise ValueError("the dead-letter topic cannot also be consumed")
        if self.batch_size < 1 or self.max_attempts < 1 or self.max_message_bytes < 1:
            raise ValueError("batch_size, max_attempts and max_message_bytes must be positive")

    @property
    def topics(self) -> tuple[str, ...]:
        """Every topic subscribed to."""
        return self.events_topics + self.records_topics


@dataclass
class ConsumeStats:
    """Running totals of one consumer run."""

    batches: int = 0
    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    dead_lettered: int = 0
    commits: int = 0
    commit_failures: int = 0
    failed_attempts: int = 0
    last_commit: dict[tuple[str, int], int] = field(default_factory=dict)


class BatchFailedError(RuntimeError):
    """A batch failed max_attempts times in a row; nothing of it was committed."""
