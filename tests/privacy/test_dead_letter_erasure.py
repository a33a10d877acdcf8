"""Erasure reaches the dead-letter store: rejected raw payloads of the person go."""

from __future__ import annotations

import json
from pathlib import Path

from graph.model import IdentifierType
from ingestion.dead_letter_erasure import PayloadMatcher
from ingestion.dead_letters import DeadLetterStore, NewDeadLetter
from ingestion.pseudonymise import Pseudonymiser

PSEUDO = Pseudonymiser(b"test-hash-key-test-hash-key")


def _key(kind: IdentifierType, raw: str) -> str:
    found = PSEUDO.identifier(kind, raw)
    assert found is not None
    return found.key


def test_payloads_holding_the_persons_identifiers_are_erased(tmp_path: Path) -> None:
    store = DeadLetterStore(tmp_path / "dead.sqlite3")
    mine = [
        b'{"email": "Ann.Lee@Example.com", "type": "nope"}',  # normalises to her hash
        b'{"identifiers": {"phone": "07700 900123"}, "bad": ',  # not even JSON
        json.dumps({"identifiers": {"anonymous_id": "c-ann-cookie"}}).encode(),
        b"crm,CRM-77,Ann,Lee,,,,not-a-date",  # her CRM record's source id, a CSV row
    ]
    others = [b'{"email": "bob@example.com"}', b'{"anonymous_id": "c-bob"}', b"\xff\xfe junk"]
    store.add([NewDeadLetter("event", "test", p, "f", "r") for p in mine + others])
    matcher = PayloadMatcher(
        PSEUDO,
        identifier_keys=[
            _key(IdentifierType.EMAIL, "ann.lee@example.com"),
            _key(IdentifierType.PHONE, "+447700900123"),
            "cookie:c-ann-cookie",
        ],
        record_keys=["crm:CRM-77"],
    )
    assert store.erase(matcher) == len(mine)
    left = [letter.payload for letter in store.entries(status=None, limit=100)]
    assert left == others
    store.close()
    data = (tmp_path / "dead.sqlite3").read_bytes()
    assert b"Ann.Lee" not in data
    assert b"c-ann-cookie" not in data
