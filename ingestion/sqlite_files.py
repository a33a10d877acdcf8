"""SQLite files of the ingestion layer (event log, dead letters): private, durable, shared."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def open_private_sqlite(path: Path) -> sqlite3.Connection:
    """A connection to a file only this user can read, in WAL mode with full fsync.

    Autocommit mode (callers open their own transactions); usable from several threads,
    one at a time — callers serialise writers with a lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))  # SQLite's -wal/-shm copy this
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection
