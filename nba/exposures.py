"""The exposure log: which action was shown to whom, with which features, and its outcome.

A SQLite file (WAL, readable by this user only). The API appends from the request path
without waiting for the disk: exposures are queued and written in batches by a background
thread, which lets a batch gather for `LINGER` seconds after the first one (a crash can lose
the last moments' exposures: they are training data, not records of consent). The learner
closes exposures with a reward (`rewarded` when a conversion followed, `unrewarded` when the
window passed without one), each under a growing sequence number, and learns closed
exposures in that order (the state file records how far it got).
"""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS exposures (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL,           -- customer id, else the identifier key
    customer_id TEXT,                -- null for an anonymous visitor
    action_id TEXT NOT NULL,
    policy TEXT NOT NULL,            -- personalised | contextual
    exploration INTEGER NOT NULL,
    score REAL NOT NULL,
    features BLOB NOT NULL,          -- float32, little-endian
    exposed_at INTEGER NOT NULL,     -- epoch ms
    status TEXT NOT NULL DEFAULT 'pending',  -- pending | rewarded | unrewarded
    reward REAL,
    closed_seq INTEGER UNIQUE,
    closed_at INTEGER
);
CREATE INDEX IF NOT EXISTS exposures_by_status ON exposures (status, exposed_at);
"""
COLUMNS = (
    "id, subject, customer_id, action_id, policy, exploration, score, features, exposed_at, "
    "status, reward, closed_seq"
)
_STOP = object()
LINGER = 0.05  # seconds the writer waits after the first queued exposure, to write a batch


@dataclass(frozen=True)
class Exposure:
    """One action shown to one subject."""

    id: str
    subject: str
    customer_id: str | None
    action_id: str
    policy: str
    exploration: bool
    score: float
    features: np.ndarray
    exposed_at: int
    status: str = "pending"
    reward: float | None = None
    closed_seq: int | None = None


def _row(e: Exposure) -> tuple[object, ...]:
    blob = np.asarray(e.features, dtype="<f4").tobytes()
    return (e.id, e.subject, e.customer_id, e.action_id, e.policy, int(e.exploration),
            float(e.score), blob, e.exposed_at)  # fmt: skip


def _exposure(r: tuple[Any, ...]) -> Exposure:
    features = np.frombuffer(bytes(r[7]), dtype="<f4").astype(np.float64)
    return Exposure(
        str(r[0]), str(r[1]), None if r[2] is None else str(r[2]), str(r[3]), str(r[4]),
        bool(r[5]), float(r[6]), features, int(r[8]), str(r[9]),
        None if r[10] is None else float(r[10]), None if r[11] is None else int(r[11]),
    )  # fmt: skip


def open_private_sqlite(path: Path) -> sqlite3.Connection:
    """A connection to a file only this user can read, in WAL mode, autocommit."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


class ExposureLog:
    """Appends exposures (queued, or at once without `background`), closes and lists them."""

    def __init__(self, path: Path, *, background: bool = True, linger: float = LINGER) -> None:
        self.path = path
        self.linger = linger
        self._db = open_private_sqlite(path)
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._writer: threading.Thread | None = None
        if background:
            self._writer = threading.Thread(target=self._drain, name="nba-exposures", daemon=True)
            self._writer.start()

    def append(self, exposure: Exposure) -> None:
        """Log an exposure (queued for the writer thread when there is one)."""
        if self._writer is None:
            self._insert([exposure])
        else:
            self._queue.put(exposure)

    def _insert(self, exposures: Sequence[Exposure]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO exposures (id, subject, customer_id, action_id, policy, "
                "exploration, score, features, exposed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_row(e) for e in exposures],
            )
            self._db.execute("COMMIT")

    def _drain(self) -> None:
        while True:
            batch: list[Exposure] = []
            item = self._queue.get()
            if item is not _STOP and self.linger > 0:
                # Let a batch gather: one transaction (and one wake-up of this thread) per
                # request would cost the request path more than the insert itself.
                self._stopping.wait(self.linger)
            while item is not _STOP:
                batch.append(item)  # type: ignore[arg-type]
                if len(batch) >= 1000 or self._queue.empty():
                    break
                item = self._queue.get()
            if batch:
                with contextlib.suppress(sqlite3.Error):  # never fail the API over training data
                    self._insert(batch)
            if item is _STOP:
                return

    def flush(self) -> None:
        """Wait until everything appended so far is written."""
        if self._writer is not None:
            self.close()
            self._writer = threading.Thread(target=self._drain, name="nba-exposures", daemon=True)
            self._writer.start()

    def close(self) -> None:
        """Write what is queued, stop the writer (the file stays usable for reads)."""
        if self._writer is not None:
            self._stopping.set()  # no lingering: write what is there now
            self._queue.put(_STOP)
            self._writer.join()
            self._writer = None
            self._stopping.clear()

    def pending(self, limit: int = 10_000, after: str = "") -> list[Exposure]:
        """Pending exposures in id order, after id `after` (pages of `limit`)."""
        return self._select("status = 'pending' AND id > ? ORDER BY id LIMIT ?", (after, limit))

    def get(self, exposure_id: str) -> Exposure | None:
        """One exposure by id."""
        found = self._select("id = ?", (exposure_id,))
        return found[0] if found else None

    def closed_since(self, seq: int, limit: int = 10_000) -> list[Exposure]:
        """Closed exposures with a sequence number above `seq`, in sequence order."""
        return self._select("closed_seq > ? ORDER BY closed_seq LIMIT ?", (seq, limit))

    def _select(self, where: str, params: tuple[object, ...]) -> list[Exposure]:
        with self._lock:
            rows = self._db.execute(f"SELECT {COLUMNS} FROM exposures WHERE {where}", params)
            return [_exposure(r) for r in rows.fetchall()]

    def close_with(self, outcomes: Iterable[tuple[str, float]], now_ms: int) -> int:
        """Close pending exposures with their rewards (> 0: rewarded), numbering them in
        order; the number closed (already closed ones are left as they are)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (last,) = self._db.execute(
                    "SELECT COALESCE(MAX(closed_seq), 0) FROM exposures"
                ).fetchone()
                closed = 0
                for exposure_id, reward in outcomes:
                    status = "rewarded" if reward > 0 else "unrewarded"
                    cursor = self._db.execute(
                        "UPDATE exposures SET status = ?, reward = ?, closed_seq = ?, "
                        "closed_at = ? WHERE id = ? AND status = 'pending'",
                        (status, float(reward), last + closed + 1, now_ms, exposure_id),
                    )
                    closed += cursor.rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return closed

    def forget(self, subjects: Iterable[str]) -> int:
        """Delete every exposure of these subjects (customer ids or identifier keys), e.g. on
        erasure; the number deleted. What the bandit already learned holds no subject."""
        self.flush()
        wanted = sorted(set(subjects))
        with self._lock:
            self._db.execute("BEGIN")
            deleted = sum(
                self._db.execute("DELETE FROM exposures WHERE subject = ?", (s,)).rowcount
                for s in wanted
            )
            self._db.execute("COMMIT")
            return deleted

    def counts(self) -> dict[str, int]:
        """Exposures per status."""
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM exposures GROUP BY status")
            return {str(status): int(n) for status, n in rows.fetchall()}

    def shutdown(self) -> None:
        """Flush, stop the writer and close the file."""
        self.close()
        with self._lock:
            self._db.close()
