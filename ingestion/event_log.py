"""The append-only event log: deduplicates by event id and numbers events for replay.

SQLite (WAL, `synchronous=FULL`): an event is in the log once its batch's transaction has
committed. Sequence numbers only grow; the graph remembers the last one it has applied (see
pipeline.py), so a crash between the log and the graph is repaired by replaying the tail.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence, Set
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingestion.events import LoggedEvent
from ingestion.sqlite_files import open_private_sqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    identifier_keys TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
_CHUNK = 900  # stays under SQLite's bound-parameter limit on every build


class EventLog:
    """One SQLite file of events; `log_id` names it in the graph's cursor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_private_sqlite(path)
        self._db.executescript(_SCHEMA)
        self._write_lock = threading.Lock()  # one writer connection, shared by threads
        # Readers use their own connection: in WAL mode they see committed events only,
        # even while another thread is appending.
        self._reader = open_private_sqlite(path)
        with self._transaction():
            row = self._db.execute("SELECT value FROM meta WHERE key='log_id'").fetchone()
            if row is None:
                self.log_id = f"events-{uuid.uuid4()}"
                self._db.execute("INSERT INTO meta VALUES ('log_id', ?)", (self.log_id,))
            else:
                self.log_id = str(row[0])

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _known(self, event_ids: Sequence[str]) -> set[str]:
        known: set[str] = set()
        for start in range(0, len(event_ids), _CHUNK):
            chunk = event_ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT event_id FROM events WHERE event_id IN ({marks})"
            known.update(r[0] for r in self._db.execute(query, chunk))
        return known

    def append(self, events: Sequence[LoggedEvent]) -> tuple[list[LoggedEvent], list[str]]:
        """Append the events not seen before; returns them (numbered) and the duplicate ids."""
        now = int(time.time() * 1000)
        with self._write_lock, self._transaction():
            base = self._next_base()
            fresh = self._unique_in_batch(events)
            kept = {id(e) for e in fresh}
            duplicates = [e.event_id for e in events if id(e) not in kept]
            try:  # the usual case: nothing in the batch was logged before
                self._db.execute("SAVEPOINT optimistic")
                self._insert(fresh, base, now)
                self._db.execute("RELEASE optimistic")
            except sqlite3.IntegrityError:
                self._db.execute("ROLLBACK TO optimistic")
                self._db.execute("RELEASE optimistic")
                known = self._known([e.event_id for e in fresh])
                duplicates += [e.event_id for e in fresh if e.event_id in known]
                fresh = [e for e in fresh if e.event_id not in known]
                self._insert(fresh, base, now)
            if duplicates:
                self._db.execute(
                    "INSERT INTO counters VALUES ('duplicates', ?) ON CONFLICT(name)"
                    " DO UPDATE SET value = value + excluded.value",
                    (len(duplicates),),
                )
        return fresh, duplicates

    def _next_base(self) -> int:
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='events'").fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def _unique_in_batch(events: Sequence[LoggedEvent]) -> list[LoggedEvent]:
        seen: set[str] = set()
        unique = []
        for event in events:
            if event.event_id not in seen:
                seen.add(event.event_id)
                unique.append(event)
        return unique

    def _insert(self, fresh: list[LoggedEvent], base: int, now: int) -> None:
        # Inside this write transaction nobody else appends, so the new rows take the next
        # sequence numbers in order (AUTOINCREMENT never reuses them).
        for n, event in enumerate(fresh, start=1):
            event.seq = base + n
        self._db.executemany(
            "INSERT INTO events (seq, event_id, type, occurred_at, received_at,"
            " identifier_keys, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            # A generator: one row tuple alive at a time, not a batch of them.
            (
                (e.seq, e.event_id, e.type, e.occurred_at, now, e.ids.keys, e.to_json())
                for e in fresh
            ),
        )

    def since(self, seq: int, limit: int) -> list[LoggedEvent]:
        """Events after sequence number `seq`, oldest first."""
        rows = self._reader.execute(
            "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        )
        return [LoggedEvent.from_json(body, s) for s, body in rows]

    def last_seq(self) -> int:
        """The highest sequence number in the log (0 when empty)."""
        row = self._reader.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
        return int(row[0])

    def count(self) -> int:
        """Events in the log."""
        return int(self._reader.execute("SELECT count(*) FROM events").fetchone()[0])

    def duplicates_seen(self) -> int:
        """Deliveries skipped because their event id was already logged."""
        row = self._reader.execute("SELECT value FROM counters WHERE name='duplicates'")
        row = row.fetchone()
        return int(row[0]) if row else 0

    def with_identifiers(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """Every logged event carrying one of these identifier keys, as logged (with its
        `seq`), oldest first: for access requests."""
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            test = " OR ".join(["instr(' ' || identifier_keys || ' ', ?) > 0"] * len(chunk))
            rows = self._reader.execute(
                f"SELECT seq, body FROM events WHERE {test}", [f" {k} " for k in chunk]
            )
            found.update((s, {"seq": s, **json.loads(body)}) for s, body in rows)
        return [found[s] for s in sorted(found)]

    def erase_identifiers(self, keys: Sequence[str]) -> int:
        """Delete every event carrying one of these identifier keys (erasure); returns how
        many. Deleted pages are overwritten (`secure_delete`) and the WAL is truncated, so
        nothing of them stays in the file."""
        removed = 0
        with self._write_lock:
            self._db.execute("PRAGMA secure_delete=ON")
            with self._transaction():
                for start in range(0, len(keys), _CHUNK):
                    chunk = keys[start : start + _CHUNK]
                    # identifier_keys is space-separated: match whole keys only.
                    test = " OR ".join(["instr(' ' || identifier_keys || ' ', ?) > 0"] * len(chunk))
                    cursor = self._db.execute(
                        f"DELETE FROM events WHERE {test}", [f" {k} " for k in chunk]
                    )
                    removed += cursor.rowcount
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed

    def carrying(
        self, first_seq: int, last_seq: int, keys: Set[str]
    ) -> list[tuple[int, list[str], str]]:
        """(seq, identifier keys, logged JSON) of the events numbered `first_seq..last_seq`
        that carry one of `keys`, oldest first (for the privacy gate, which parses only
        those it needs: `LoggedEvent.from_json(body, seq)`)."""
        rows = self._reader.execute(
            "SELECT seq, identifier_keys FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq",
            (first_seq, last_seq),
        )
        carried = {seq: found for seq, ids in rows if not keys.isdisjoint(found := ids.split())}
        bodies: list[tuple[int, list[str], str]] = []
        wanted = sorted(carried)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT seq, body FROM events WHERE seq IN ({marks}) ORDER BY seq"
            bodies += [(s, carried[s], body) for s, body in self._reader.execute(query, chunk)]
        return bodies

    def close(self) -> None:
        """Close the database connections."""
        self._reader.close()
        self._db.close()
