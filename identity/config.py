"""Identity resolution configuration: thresholds, merge protection, survivorship, model home."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Identifier types in the order their links are applied: when a limit is hit, the link of the
# lower-priority type is the one refused.
DEFAULT_TYPE_PRIORITY = ("national_id", "crm_id", "login", "email", "phone", "device", "cookie")
DEFAULT_MAX_RECORDS_PER_VALUE: Mapping[str, int] = {
    "national_id": 4,
    "crm_id": 4,
    "login": 4,
    "email": 4,
    "phone": 4,
    "device": 3,
    "cookie": 3,
}
# None by default: a typo in a national id would otherwise block a true merge. Set e.g.
# {"login": 1} where a customer can never hold two values of a type.
DEFAULT_MAX_VALUES_PER_CUSTOMER: Mapping[str, int] = {}
DEFAULT_BLOCKLIST = (
    "null",
    "none",
    "nil",
    "n/a",
    "na",
    "-",
    "unknown",
    "anonymous",
    "test",
    "test@test.com",
    "test@example.com",
    "noemail@example.com",
    "no@email.com",
    "none@none.com",
    "email@example.com",
    "0000000000",
    "00000000000",
    "1234567890",
    "000-00-0000",
)
DEFAULT_JUNK_DATES = ("1900-01-01", "1901-01-01", "1970-01-01")


@dataclass(frozen=True)
class MergeProtection:
    """What may link records deterministically, and how far one identifier value may reach."""

    blocked_keys: frozenset[str] = frozenset()  # identifier keys (`type:value`) never linked
    max_records_per_value: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_MAX_RECORDS_PER_VALUE)
    )
    max_values_per_customer: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_MAX_VALUES_PER_CUSTOMER)
    )
    type_priority: tuple[str, ...] = DEFAULT_TYPE_PRIORITY
    # Weak identifiers link two records only when the model also scores the pair at least
    # at the review threshold: a shared family tablet alone must not merge a family.
    weak_types: frozenset[str] = frozenset({"device", "cookie"})
    # Identifiers only one person ever holds: the model cannot veto their links (households
    # share emails and phones, never logins or national ids).
    personal_types: frozenset[str] = frozenset({"national_id", "crm_id", "login"})

    def priority(self, identifier_type: str) -> int:
        """Position of a type in the priority order (unknown types last)."""
        try:
            return self.type_priority.index(identifier_type)
        except ValueError:
            return len(self.type_priority)

    def record_limit(self, identifier_type: str) -> int:
        """How many records one value of this type may join before it stops linking."""
        return self.max_records_per_value.get(identifier_type, 4)


@dataclass(frozen=True)
class IdentityConfig:
    """Everything identity resolution needs to know, built by the composition root."""

    model_dir: Path
    auto_merge_threshold: float = 0.95
    review_threshold: float = 0.5
    # A strong shared identifier does not merge a pair the model scores below this
    # (e.g. a household's shared email between two people whose names and births differ).
    veto_threshold: float = 0.01
    protection: MergeProtection = field(default_factory=MergeProtection)
    junk_dates: frozenset[str] = frozenset(DEFAULT_JUNK_DATES)
    source_trust: tuple[str, ...] = ("crm", "app", "web")
    seed: int = 42
    max_candidates: int = 200  # the largest block used; a larger one is over-shared
    # Household guard: a pair that disagrees completely on all of these comparisons is never
    # merged automatically, however much else it shares (address, email, surname, phone).
    conflict_comparisons: tuple[str, ...] = ("first_name", "date_of_birth")
    # Key for the saved term-frequency tables (values as keyed hashes, identity.tf_keys);
    # None saves them in clear.
    tf_hash_key: bytes | None = None

    def __post_init__(self) -> None:
        if not 0.0 < self.review_threshold <= self.auto_merge_threshold < 1.0:
            raise ValueError(
                "identity thresholds: need 0 < review_threshold <= auto_merge_threshold < 1"
            )
