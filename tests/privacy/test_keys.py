"""Envelope keys: data keys wrapped by a master key, shredding, master-key rotation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from privacy.cipher import FieldCipher, key_id_of
from privacy.keys import DataKeyError, KeyStore, MasterKeyring

HASH_KEY = b"test-hash-key-test-hash-key"


def _keys(path: Path, current: bytes, *previous: bytes) -> KeyStore:
    return KeyStore(path, MasterKeyring(current, previous))


def test_sealed_attributes_open_and_are_bound_to_their_subject(tmp_path: Path) -> None:
    cipher = FieldCipher(_keys(tmp_path / "k.sqlite3", os.urandom(32)), HASH_KEY)
    ann, bob = cipher.seal("record", [("crm:1", {"first_name": "Ann"}), ("crm:2", {"x": "Bob"})])
    assert ann is not None
    assert bob is not None
    assert "Ann" not in ann
    assert "Bob" not in bob
    assert cipher.open([ann, bob]) == [{"first_name": "Ann"}, {"x": "Bob"}]
    assert cipher.seal("record", [("crm:3", {"first_name": None})]) == [None]
    # A token moved to another subject's key id does not decrypt.
    moved = ann.replace(key_id_of(ann), key_id_of(bob))
    with pytest.raises(ValueError, match="does not decrypt"):
        cipher.open([moved])


def test_shredded_key_makes_every_copy_unreadable(tmp_path: Path) -> None:
    cipher = FieldCipher(_keys(tmp_path / "k.sqlite3", os.urandom(32)), HASH_KEY)
    (token,) = cipher.seal("customer", [("C1", {"last_name": "Lee"})])
    assert token is not None
    backup_copy = str(token)  # e.g. in a backup of the graph
    assert cipher.keys.shred([key_id_of(token)]) == 1
    assert cipher.open([backup_copy]) == [{}]
    assert b"Lee" not in (tmp_path / "k.sqlite3").read_bytes()


def test_master_key_rotation_rewraps_every_data_key(tmp_path: Path) -> None:
    old, new = os.urandom(32), os.urandom(32)
    path = tmp_path / "k.sqlite3"
    cipher = FieldCipher(_keys(path, old), HASH_KEY)
    tokens = cipher.seal("record", [(f"crm:{i}", {"first_name": f"N{i}"}) for i in range(50)])
    cipher.keys.close()

    # The new key alone cannot read keys wrapped by the old one.
    with pytest.raises(DataKeyError, match="not configured"):
        FieldCipher(_keys(path, new), HASH_KEY).open([t for t in tokens if t])
    rotating = _keys(path, new, old)
    assert rotating.rotate_master() == 50
    assert rotating.masters_in_use() == {rotating.keyring.current_id: 50}
    assert rotating.rotate_master() == 0  # idempotent
    rotating.close()
    # After the rotation the old master key is no longer needed.
    after = FieldCipher(_keys(path, new), HASH_KEY)
    assert after.open([t for t in tokens if t])[7] == {"first_name": "N7"}


def test_bad_master_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="master_key"):
        MasterKeyring(b"short")


def test_blocking_hash_is_keyed_and_deterministic(tmp_path: Path) -> None:
    keys = _keys(tmp_path / "k.sqlite3", os.urandom(32))
    one, other = FieldCipher(keys, HASH_KEY), FieldCipher(keys, b"another-hash-key-entirely")
    assert one.blocking_hash("dob_key", "1980-01-02") == one.blocking_hash("dob_key", "1980-01-02")
    assert one.blocking_hash("dob_key", "1980-01-02") != other.blocking_hash(
        "dob_key", "1980-01-02"
    )
    assert one.blocking_hash("dob_key", "x") != one.blocking_hash("postcode_key", "x")
