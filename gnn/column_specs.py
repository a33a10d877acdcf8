"""Column specs: which file column plays which role (user, item, rating, ...).

A spec is a list, a mapping or one comma-separated string (as on a command line), in one of
two forms:

- ``role=column`` entries for files *with a header*, e.g.
  ``"user=userId,item=movieId,rating=rating,timestamp=timestamp"``;
- bare names for files *without a header*, one per file column in order, e.g.
  ``"user,item,rating,timestamp"``; the caller gives the names that are roles (or aliases)
  their role and leaves the others (``-``, ``skip``, …) unused.

`ROLES` are the roles of interaction files (`gnn.loaders`); item metadata files have their
own (`gnn.item_metadata`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

ColumnSpec = str | Sequence[str] | Mapping[str, str]

ROLES: dict[str, str] = {
    "user": "user",
    "item": "item",
    "rating": "rating",
    "time": "time",
    "timestamp": "time",
    "weight": "weight",
    "quantity": "weight",
    "type": "type",
}


def parse_columns(
    spec: ColumnSpec | None, roles: Mapping[str, str] = ROLES, what: str = "columns"
) -> tuple[dict[str, str], list[str] | None]:
    """Split a column spec into (role → file column) and, for bare names, the names in order."""
    if spec is None:
        return {}, None
    if isinstance(spec, Mapping):
        entries = [f"{k}={v}" for k, v in spec.items()]
    elif isinstance(spec, str):
        entries = [e for e in (p.strip() for p in spec.split(",")) if e]
    else:
        entries = [str(e).strip() for e in spec]
    if not entries:
        raise ValueError(f"{what}: empty column spec")
    with_role = [e for e in entries if "=" in e]
    if with_role and len(with_role) != len(entries):
        raise ValueError(f"{what}: mix of role=column entries and bare names in {entries}")
    if not with_role:
        return {}, entries
    mapping: dict[str, str] = {}
    for entry in entries:
        role_name, _, column = entry.partition("=")
        role = roles.get(role_name.strip().lower())
        if role is None:
            known = ", ".join(sorted(roles))
            raise ValueError(f"{what}: unknown role {role_name.strip()!r} (known: {known})")
        if not column.strip():
            raise ValueError(f"{what}: no column given for role {role_name.strip()!r}")
        mapping[role] = column.strip()
    return mapping, None
