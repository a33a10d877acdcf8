"""The graph model's indexes and uniqueness rules, declared once for every backend."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NodeIndex:
    """A range index on node properties; `unique` adds a uniqueness constraint."""

    label: str
    properties: tuple[str, ...]
    unique: bool = False

    @property
    def name(self) -> str:
        """A stable name for the index or constraint."""
        kind = "uniq" if self.unique else "idx"
        return f"{kind}_{self.label.lower()}_{'_'.join(self.properties)}"


# Keys: Record.key = "<source>:<source_id>", Identifier.key = "<type>:<value>".
SCHEMA: tuple[NodeIndex, ...] = (
    NodeIndex("Record", ("key",), unique=True),
    NodeIndex("Record", ("source",)),
    # Blocking keys for incremental identity resolution.
    NodeIndex("Record", ("name_key",)),
    NodeIndex("Record", ("dob_key",)),
    NodeIndex("Record", ("postcode_key",)),
    NodeIndex("Record", ("email_local",)),
    NodeIndex("Identifier", ("key",), unique=True),
    NodeIndex("Identifier", ("type",)),
    NodeIndex("Customer", ("id",), unique=True),
    NodeIndex("Item", ("id",), unique=True),
    NodeIndex("Item", ("category",)),
    NodeIndex("Segment", ("id",), unique=True),
    NodeIndex("AuditEntry", ("id",), unique=True),
    NodeIndex("AuditEntry", ("subject_id",)),
    NodeIndex("AuditEntry", ("at",)),
    NodeIndex("IngestCursor", ("id",), unique=True),
    # Consent (one node per purpose and subject) and the suppression list (privacy/).
    NodeIndex("Consent", ("id",), unique=True),
    NodeIndex("Consent", ("subject",)),
    NodeIndex("Suppressed", ("key",), unique=True),
    NodeIndex("Customer", ("merged_into",)),
)
