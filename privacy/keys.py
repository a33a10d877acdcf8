"""Envelope encryption keys: data keys per data subject, wrapped by a master key.

Each record and each customer has its own 256-bit data key. Data keys are stored only
wrapped (AES-GCM under the master key, bound to the key id) in a key store kept apart from
the graph, the event log and their backups: destroying a data key (crypto-shredding) makes
every copy of that subject's ciphertext unreadable, backups included. The master key comes
from the settings; previous master keys stay readable during a rotation, which re-wraps every
data key under the current one (`KeyStore.rotate_master`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
_CHUNK = 900  # stays under SQLite's bound-parameter limit
_SCHEMA = """
CREATE TABLE IF NOT EXISTS data_keys (
    key_id TEXT PRIMARY KEY,
    master_id TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS data_keys_master ON data_keys (master_id);
"""


class DataKeyError(Exception):
    """A data key cannot be unwrapped (unknown master key, or tampered key store)."""


def fingerprint(master_key: bytes) -> str:
    """A short public id of a master key (never the key itself)."""
    return hashlib.sha256(b"cg-master-key:" + master_key).hexdigest()[:16]


class MasterKeyring:
    """The current master key (wraps new keys) and previous ones (still unwrap)."""

    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        for key in (current, *previous):
            if len(key) != KEY_BYTES:
                raise ValueError(f"master_key: must be {KEY_BYTES} bytes (base64 of 32 bytes)")
        self.current_id = fingerprint(current)
        self._keys = {fingerprint(k): AESGCM(k) for k in (*previous, current)}

    def wrap(self, key_id: str, data_key: bytes) -> tuple[str, bytes]:
        """(master id, nonce + ciphertext) of a data key, bound to its key id."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current_id].encrypt(nonce, data_key, key_id.encode())
        return self.current_id, nonce + sealed

    def unwrap(self, key_id: str, master_id: str, wrapped: bytes) -> bytes:
        """The data key; DataKeyError when its master key is not configured or it was altered."""
        master = self._keys.get(master_id)
        if master is None:
            raise DataKeyError(f"data key {key_id}: master key {master_id} is not configured")
        try:
            return master.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise DataKeyError(f"data key {key_id}: does not unwrap (altered?)") from None


class KeyStore:
    """Wrapped data keys in one SQLite file, with a bounded cache of unwrapped keys."""

    def __init__(self, path: Path, keyring: MasterKeyring, cache_size: int = 100_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.keyring = keyring
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")  # API workers and consumers share it
        self._db.execute("PRAGMA secure_delete=ON")  # shredded keys are overwritten on disk
        self._db.executescript(_SCHEMA)
        os.chmod(path, 0o600)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, AESGCM] = OrderedDict()
        self._cache_size = cache_size

    def ciphers(self, key_ids: Iterable[str], create: bool = False) -> dict[str, AESGCM]:
        """AES-GCM ciphers of these subjects; missing keys are created when `create`."""
        wanted = list(dict.fromkeys(key_ids))
        with self._lock:
            found = {k: self._cache[k] for k in wanted if k in self._cache}
            missing = [k for k in wanted if k not in found]
            if missing:
                found.update(self._load(missing))
                absent = [k for k in missing if k not in found]
                if absent and create:
                    found.update(self._create(absent))
            for key_id, cipher in found.items():
                self._remember(key_id, cipher)
        return found

    def _remember(self, key_id: str, cipher: AESGCM) -> None:
        self._cache[key_id] = cipher
        self._cache.move_to_end(key_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _load(self, key_ids: Sequence[str]) -> dict[str, AESGCM]:
        loaded: dict[str, AESGCM] = {}
        for start in range(0, len(key_ids), _CHUNK):
            chunk = key_ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key_id, master_id, wrapped FROM data_keys WHERE key_id IN ({marks})",
                chunk,
            )
            for key_id, master_id, wrapped in rows:
                loaded[key_id] = AESGCM(self.keyring.unwrap(key_id, master_id, wrapped))
        return loaded

    def _create(self, key_ids: Sequence[str]) -> dict[str, AESGCM]:
        now = int(time.time() * 1000)
        created: dict[str, AESGCM] = {}
        rows = []
        for key_id in key_ids:
            data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
            master_id, wrapped = self.keyring.wrap(key_id, data_key)
            rows.append((key_id, master_id, wrapped, now))
            created[key_id] = AESGCM(data_key)
        # OR IGNORE: another process may have created the same key meanwhile; use theirs.
        self._db.execute("BEGIN IMMEDIATE")
        cursor = self._db.executemany("INSERT OR IGNORE INTO data_keys VALUES (?, ?, ?, ?)", rows)
        self._db.execute("COMMIT")
        if cursor.rowcount == len(rows):
            return created
        return {**created, **self._load(list(key_ids))}

    def shred(self, key_ids: Iterable[str]) -> int:
        """Destroy data keys (and forget them); returns how many existed."""
        ids = list(dict.fromkeys(key_ids))
        removed = 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                cursor = self._db.execute(f"DELETE FROM data_keys WHERE key_id IN ({marks})", chunk)
                removed += cursor.rowcount
            self._db.execute("COMMIT")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no old page left in the WAL
            for key_id in ids:
                self._cache.pop(key_id, None)
        return removed

    def rotate_master(self, batch: int = 1000) -> int:
        """Re-wrap every data key not under the current master key; returns how many."""
        current = self.keyring.current_id
        rotated = 0
        with self._lock:
            while True:
                rows = self._db.execute(
                    "SELECT key_id, master_id, wrapped FROM data_keys WHERE master_id <> ? LIMIT ?",
                    (current, batch),
                ).fetchall()
                if not rows:
                    break
                updates = []
                for key_id, master_id, wrapped in rows:
                    data_key = self.keyring.unwrap(key_id, master_id, wrapped)
                    updates.append((*self.keyring.wrap(key_id, data_key), key_id))
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "UPDATE data_keys SET master_id = ?, wrapped = ? WHERE key_id = ?", updates
                )
                self._db.execute("COMMIT")
                rotated += len(updates)
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return rotated

    def masters_in_use(self) -> dict[str, int]:
        """Data keys per master key id (after a rotation: only the current one)."""
        rows = self._db.execute("SELECT master_id, count(*) FROM data_keys GROUP BY master_id")
        return {str(m): int(n) for m, n in rows}

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def subject_key_id(hash_key: bytes, kind: str, subject: str, keyed: hmac.HMAC | None = None) -> str:
    """The data-key id of a subject (`record`/`customer` + its key): a keyed hash, so the
    key store alone does not tell whose keys it holds (`keyed`: the same key, prepared)."""
    mac = keyed.copy() if keyed is not None else hmac.new(hash_key, digestmod=hashlib.sha256)
    mac.update(f"data-key:{kind}:{subject}".encode())
    return f"{kind[0]}{mac.hexdigest()[:32]}"
