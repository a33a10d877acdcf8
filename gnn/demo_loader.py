"""A generated demo world's interactions with *oracle identity*: users are true persons.

`load_demo_world` documents the rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from gnn.interactions import Interactions, aggregate
from gnn.item_metadata import read_item_attributes, with_item_attributes
from gnn.loaders import DEFAULT_TYPE_WEIGHTS
from gnn.table_files import file_error, require_column
from gnn.timestamps import to_epoch_ms


def _demo_identities(path: Path) -> dict[tuple[str, str], str]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ("type", "value", "person_id"):
        require_column(frame, path, column, "identifier truth")
    owned = frame[frame["person_id"] != ""]
    return {
        (kind, value): person
        for kind, value, person in zip(
            owned["type"], owned["value"], owned["person_id"], strict=True
        )
    }


def load_demo_world(
    demo_dir: str | Path, event_weights: Mapping[str, float] | None = None
) -> Interactions:
    """A generated demo world's interactions with *oracle identity*: users are true persons.

    Every ``product_view`` / ``add_to_cart`` / ``purchase`` event of ``events.jsonl`` weighs
    1 / 3 / 5 (`graph.model.DEFAULT_WEIGHTS`), summed per person x item. An event's person is
    the owner of one of its identifiers that belongs to exactly one person
    (``truth/identifier_person.csv``: not shared, not junk); events with only shared
    identifiers (a family tablet before the profile is picked) take the person of their
    session. Items carry category, brand, price and title (text) from ``items.csv``."""
    root = Path(demo_dir)
    events_path = root / "events.jsonl"
    owners = _demo_identities(root / "truth" / "identifier_person.csv")
    weights_by_type = dict(event_weights) if event_weights is not None else DEFAULT_TYPE_WEIGHTS
    session_person: dict[str, str] = {}
    pending: list[tuple[str | None, str, str, str, str]] = []  # person, session, item, at, type
    if not events_path.exists():
        raise FileNotFoundError(f"{events_path}: no such file")
    with events_path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
                kind = event["type"]
                identifiers = event["identifiers"]
                session = str(event["properties"].get("session_id", ""))
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise file_error(
                    events_path, None, f"line {number}: bad event ({error})"
                ) from error
            person = None
            for key in ("user_id", "anonymous_id", "device_id", "email", "phone"):
                value = identifiers.get(key)
                if value:
                    person = owners.get((key, value))
                    if person is not None:
                        break
            if person is not None and session and session not in session_person:
                session_person[session] = person
            if kind in weights_by_type:
                item = event["properties"].get("item_id")
                if not item:
                    raise file_error(events_path, None, f"line {number}: {kind} without item_id")
                pending.append((person, session, str(item), str(event["occurred_at"]), kind))
    persons = [p if p is not None else session_person.get(s) for p, s, _, _, _ in pending]
    known = np.asarray([p is not None for p in persons], bool)
    if not known.any():
        raise file_error(events_path, None, "no interaction event could be tied to a person")
    kept = [row for row, ok in zip(pending, known, strict=True) if ok]
    times = to_epoch_ms(pd.Series([row[3] for row in kept]), events_path, "occurred_at")
    data = aggregate(
        np.asarray([p for p in persons if p is not None]),
        np.asarray([row[2] for row in kept]),
        np.asarray([weights_by_type[row[4]] for row in kept], np.float64),
        times,
        source=f"demo:{root.name}:oracle-identity",
    )
    attributes = read_item_attributes(
        root / "items.csv", "id=item_id,category=category,brand=brand,price=price,text=title"
    )
    return with_item_attributes(data, attributes)
