"""A writer lock held across tasks of one process and across processes (a lock file)."""

from __future__ import annotations

import asyncio
import fcntl
from pathlib import Path
from typing import IO


class ProcessLock:
    """`async with lock:` = an asyncio lock (this process) + `flock` on a file (others)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()
        self._handle: IO[str] | None = None

    async def __aenter__(self) -> None:
        await self._lock.acquire()
        handle: IO[str] | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.path, "a")  # noqa: ASYNC230, SIM115 (held until exit)
            while True:  # non-blocking attempts: a cancelled wait leaves no lock behind
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(0.005)
        except BaseException:
            if handle is not None:
                handle.close()
            self._lock.release()
            raise
        self._handle = handle

    async def __aexit__(self, *exc: object) -> None:
        handle, self._handle = self._handle, None
        try:
            if handle is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
        finally:
            self._lock.release()
