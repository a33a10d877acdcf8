"""Redact an erased person's references from older audit entries.

Audit entries name records (`crm:123`), customers and record pairs (`a|b`) in their subject
and before/after snapshots, and a steward's reason may quote a name. After an erasure those
references are replaced by `erased`; the entry keeps what happened and when, and is marked
`redacted`. Record keys and ids are matched whole (`crm:12` does not touch `crm:123`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from graph.port import GraphStore

if TYPE_CHECKING:
    from privacy.erasure import ErasureSubject

ERASED = "erased"
# A key or id is delimited by a JSON quote, a pair's `|`, or the ends of the text.
_BOUNDARY_BEFORE = r'(?:(?<=["|])|^)'
_BOUNDARY_AFTER = r'(?=["|]|$)'


def _pattern(references: list[str]) -> re.Pattern[str] | None:
    if not references:
        return None
    alternatives = "|".join(re.escape(r) for r in sorted(references, key=len, reverse=True))
    return re.compile(f"{_BOUNDARY_BEFORE}(?:{alternatives}){_BOUNDARY_AFTER}")


def _values_pattern(values: list[str]) -> re.Pattern[str] | None:
    if not values:
        return None
    alternatives = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.compile(f"(?:{alternatives})", re.IGNORECASE)


def redact_text(text: Any, ids: re.Pattern[str] | None, values: re.Pattern[str] | None) -> Any:
    """The text with references and values replaced (non-text passes through)."""
    if not isinstance(text, str):
        return text
    if ids is not None:
        text = ids.sub(ERASED, text)
    if values is not None:
        text = values.sub(ERASED, text)
    return text


async def redact_audit(store: GraphStore, subject: ErasureSubject) -> int:
    """Redact every audit entry mentioning the subject; returns how many changed."""
    references = [*subject.record_keys, *subject.customer_ids, *subject.identifier_keys]
    strings = references + list(subject.values)
    if not strings:
        return 0
    rows = await store.read("privacy/audit_mentioning", {"strings": strings})
    ids, values = _pattern(references), _values_pattern(list(subject.values))
    changed = []
    for row in rows:
        redacted = {
            "id": row["id"],
            "subject_id": redact_text(row["subject_id"], ids, None),
            "before": redact_text(row["before"], ids, values),
            "after": redact_text(row["after"], ids, values),
            "reason": redact_text(row["reason"], ids, values),
        }
        if any(redacted[k] != row[k] for k in ("subject_id", "before", "after", "reason")):
            changed.append(redacted)
    if changed:
        await store.write_batch("privacy/redact_audit", changed)
    return len(changed)
