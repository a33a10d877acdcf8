"""A child process that prepares event batches, so that parsing gets a core of its own.

One Python process cannot use two cores (the GIL): with a worker thread, validating batch
n+1 and sending batch n to the graph take turns. Here the parent sends raw messages down a
pipe; the child validates, pseudonymises, logs (its own connection to the same SQLite
files), dead-letters and aggregates, and sends back per-message results and the chunks to
apply. The parent applies them exactly as it applies chunks it prepared itself.

The child exits when its stdin closes, so it never outlives its parent by more than the
batch in hand (which it finishes: logged events are applied by the next run's recovery).
"""

from __future__ import annotations

import asyncio
import gc
import os
import pickle
import signal
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ingestion.dead_letters import DeadLetterStore
from ingestion.event_log import EventLog
from ingestion.event_prepare import Chunk, EventPreparer
from ingestion.gc_tuning import BATCH_THRESHOLDS
from ingestion.pseudonymise import Pseudonymiser
from ingestion.results import ItemResult, RawMessage

_HEADER = struct.Struct("!Q")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])  # the child imports this same code
BatchOutcome = tuple[list[ItemResult | None], list[Chunk]]


class PrepareWorkerError(RuntimeError):
    """The worker process failed or went away."""


@dataclass(frozen=True)
class WorkerSetup:
    """What the child needs to prepare batches exactly as the parent would."""

    log_path: Path
    dead_letters_path: Path
    pseudonymiser: Pseudonymiser  # sent down the pipe: the key is never on a command line
    max_message_bytes: int
    chunk_size: int


class PrepareWorker:
    """The parent's handle on one worker process; one batch at a time, in order."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._lock = asyncio.Lock()
        self._ready = asyncio.create_task(self._receive())
        self.failed = False
        self.batches = 0  # prepared here so far

    @classmethod
    async def start(cls, setup: WorkerSetup) -> PrepareWorker:
        """Start the child and send it its setup (not waiting for it to be ready)."""
        path = os.pathsep.join(p for p in (_PACKAGE_ROOT, os.environ.get("PYTHONPATH")) if p)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-P",  # not the working directory first: the child imports this very package
            "-m",
            "ingestion.prepare_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )
        worker = cls(process)
        await worker._send(setup)
        return worker

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """The child's exit status once it has exited."""
        return self._process.returncode

    def ready(self) -> bool:
        """Started and set up (until then, callers prepare on a thread instead)."""
        done = self._ready.done() and not self._ready.cancelled()
        return done and self._ready.exception() is None and not self.failed

    async def prepare(
        self, messages: Sequence[RawMessage], record_rejections: bool
    ) -> BatchOutcome:
        """Results and chunks of one batch, prepared in the child."""
        async with self._lock:
            try:
                await self._ready
                payloads = [m.payload for m in messages]
                await self._send((payloads, [m.origin for m in messages], record_rejections))
                reply = await self._receive()
            except (OSError, EOFError, asyncio.IncompleteReadError) as error:
                self.failed = True
                raise PrepareWorkerError(f"the prepare worker went away: {error}") from error
            except asyncio.CancelledError:
                self.failed = True  # a reply may still come: the channel is out of step
                raise
        if reply[0] != "ok":
            raise PrepareWorkerError(f"the prepare worker failed: {reply[1]}")
        self.batches += 1
        results: list[ItemResult | None] = [
            ItemResult(index, *outcome) for index, outcome in enumerate(reply[1])
        ]
        return results, reply[2]

    async def close(self) -> None:
        """Close the child's stdin (it exits), wait for it; kill it if it does not."""
        self._ready.cancel()
        stdin = self._process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(self._process.wait(), 10)
        except TimeoutError:
            self._process.kill()
            await self._process.wait()

    async def _send(self, message: object) -> None:
        assert self._process.stdin is not None
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self._process.stdin.write(_HEADER.pack(len(data)) + data)
        await self._process.stdin.drain()

    async def _receive(self) -> Any:
        assert self._process.stdout is not None
        header = await self._process.stdout.readexactly(_HEADER.size)
        data = await self._process.stdout.readexactly(_HEADER.unpack(header)[0])
        return pickle.loads(data)  # our own child, over its own pipe


def _read(channel: IO[bytes]) -> Any:
    header = channel.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    return pickle.loads(channel.read(_HEADER.unpack(header)[0]))  # from our parent only


def _write(channel: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    channel.write(_HEADER.pack(len(data)) + data)
    channel.flush()


def main() -> None:
    """The child: set up from the first message, then prepare batches until stdin closes."""
    # Signals go to the parent, which finishes its batch and then closes our stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    requests, replies = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    sys.stdout = sys.stderr  # nothing else may write into the reply channel
    setup: WorkerSetup = _read(requests)
    log, dead_letters = EventLog(setup.log_path), DeadLetterStore(setup.dead_letters_path)
    preparer = EventPreparer(
        log, dead_letters, setup.pseudonymiser, setup.max_message_bytes, setup.chunk_size
    )
    # This process makes no reference cycles worth chasing (it exits with its parent).
    gc.freeze()
    gc.set_threshold(*BATCH_THRESHOLDS)
    _write(replies, ("ready",))
    try:
        while (request := _read(requests)) is not None:
            payloads, origins, record_rejections = request
            messages = [RawMessage(p, o) for p, o in zip(payloads, origins, strict=True)]
            try:
                outcomes, chunks = preparer.prepare_compact(messages, record_rejections)
            except Exception as error:
                _write(replies, ("error", f"{type(error).__name__}: {error}"))
                continue
            _write(replies, ("ok", outcomes, chunks))
    except BrokenPipeError:  # the parent went away
        pass
    finally:
        log.close()
        dead_letters.close()


if __name__ == "__main__":
    main()
