"""Ground truth about identifiers: which person(s) every raw identifier value belongs to."""

from __future__ import annotations

IDENTIFIER_TYPES: tuple[str, ...] = ("email", "phone", "user_id", "anonymous_id", "device_id")


class IdentifierRegistry:
    """Collects every raw identifier value seen in records and events, with its owners."""

    def __init__(self) -> None:
        self._owners: dict[tuple[str, str], set[int]] = {}
        self._junk: set[tuple[str, str]] = set()

    def add(self, kind: str, value: str | None, owner: int, junk: bool = False) -> None:
        """Record that ``owner`` (a person index) used ``value`` as identifier of type ``kind``."""
        if not value:
            return
        key = (kind, value)
        owners = self._owners.get(key)
        if owners is None:
            self._owners[key] = {owner}
        else:
            owners.add(owner)
        if junk:
            self._junk.add(key)

    def __len__(self) -> int:
        return len(self._owners)

    def rows(self, person_ids: list[str]) -> list[list[str]]:
        """Return ``type,value,person_id,shared,junk,person_ids`` rows sorted by type and value."""
        order = {kind: i for i, kind in enumerate(IDENTIFIER_TYPES)}
        result: list[list[str]] = []
        for kind, value in sorted(self._owners, key=lambda key: (order[key[0]], key[1])):
            owners = sorted(self._owners[(kind, value)])
            junk = (kind, value) in self._junk
            shared = len(owners) > 1
            single = person_ids[owners[0]] if not shared and not junk else ""
            result.append(
                [
                    kind,
                    value,
                    single,
                    "true" if shared else "false",
                    "true" if junk else "false",
                    ";".join(person_ids[o] for o in owners),
                ]
            )
        return result
