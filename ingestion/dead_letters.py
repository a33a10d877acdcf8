"""The dead-letter store: every rejected message, raw, with where it came from and why."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingestion.sqlite_files import open_private_sqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    origin TEXT NOT NULL,
    payload BLOB NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    replayed_at INTEGER
);
CREATE INDEX IF NOT EXISTS dead_letters_status ON dead_letters (status, id);
"""


def _text(value: str) -> str:
    """Text SQLite can store: undecodable input (surrogates) kept as backslash escapes."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass(frozen=True)
class DeadLetter:
    """One rejected message."""

    id: int
    received_at: int
    kind: str
    origin: str
    payload: bytes
    field: str
    reason: str
    status: str
    replayed_at: int | None = None


@dataclass(frozen=True)
class NewDeadLetter:
    """A rejection about to be stored."""

    kind: str  # "event" or "record"
    origin: str
    payload: bytes
    field: str
    reason: str


class DeadLetterStore:
    """SQLite-backed, durable; entries are kept after replay (status `replayed`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_private_sqlite(path)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()  # one connection, shared by threads

    def add(self, letters: Sequence[NewDeadLetter]) -> None:
        """Store rejections (one transaction)."""
        if not letters:
            return
        now = int(time.time() * 1000)
        rows = [
            (now, _text(d.kind), _text(d.origin), d.payload, _text(d.field), _text(d.reason))
            for d in letters
        ]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO dead_letters (received_at, kind, origin, payload, field, reason)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def entries(
        self, status: str | None = "new", kind: str | None = None, limit: int = 50, after: int = 0
    ) -> list[DeadLetter]:
        """Entries with `id > after`, oldest first, optionally by status and kind."""
        query = "SELECT * FROM dead_letters WHERE id > ?"
        args: list[object] = [after]
        if status:
            query += " AND status = ?"
            args.append(status)
        if kind:
            query += " AND kind = ?"
            args.append(kind)
        query += " ORDER BY id LIMIT ?"
        args.append(limit)
        return [DeadLetter(*row) for row in self._db.execute(query, args)]

    def get(self, ids: Sequence[int]) -> list[DeadLetter]:
        """Entries by id."""
        marks = ",".join("?" * len(ids)) or "NULL"
        query = f"SELECT * FROM dead_letters WHERE id IN ({marks}) ORDER BY id"
        return [DeadLetter(*row) for row in self._db.execute(query, list(ids))]

    def resolve(self, letter_id: int, field: str | None = None, reason: str | None = None) -> None:
        """After a replay: `replayed` when it went through, else the new reason is kept."""
        now = int(time.time() * 1000)
        with self._lock:
            self._resolve(letter_id, field, reason, now)

    def _resolve(self, letter_id: int, field: str | None, reason: str | None, now: int) -> None:
        if field is None:
            self._db.execute(
                "UPDATE dead_letters SET status='replayed', replayed_at=? WHERE id=?",
                (now, letter_id),
            )
        else:
            self._db.execute(
                "UPDATE dead_letters SET field=?, reason=?, replayed_at=? WHERE id=?",
                (field, reason, now, letter_id),
            )

    def count(self, status: str | None = "new") -> int:
        """Number of entries (with that status)."""
        if status is None:
            return int(self._db.execute("SELECT count(*) FROM dead_letters").fetchone()[0])
        row = self._db.execute("SELECT count(*) FROM dead_letters WHERE status=?", (status,))
        return int(row.fetchone()[0])

    def erase(self, matches: Callable[[bytes], bool], page: int = 1000) -> int:
        """Delete every entry whose raw payload `matches` (erasure of a person), with deleted
        pages overwritten and the WAL truncated; returns how many."""
        doomed: list[int] = []
        after = 0
        while True:
            rows = self._db.execute(
                "SELECT id, payload FROM dead_letters WHERE id > ? ORDER BY id LIMIT ?",
                (after, page),
            ).fetchall()
            doomed += [int(i) for i, payload in rows if matches(bytes(payload))]
            if len(rows) < page:
                break
            after = int(rows[-1][0])
        if not doomed:
            return 0
        with self._lock:
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM dead_letters WHERE id = ?", [(i,) for i in doomed])
            self._db.execute("COMMIT")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(doomed)

    def close(self) -> None:
        """Close the database file."""
        self._db.close()
