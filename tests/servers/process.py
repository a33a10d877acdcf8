"""Shared machinery of the test-server harnesses: run one server process and clean up after it.

`ManagedProcess` owns the lifecycle a harness needs: free loopback ports, a log file, spawning in
a new process group from a long-lived launcher thread (so PR_SET_PDEATHSIG outlives the caller's
thread), waiting until the server answers, retrying on port clashes, stopping with SIGTERM then
SIGKILL, and an atexit hook that stops whatever is still running. Subclasses supply the command
line, the ports and the readiness probe.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar, Self

from tests.servers.spawning import (
    LOG_TAIL_LINES,
    LOOPBACK,
    PORT_ATTEMPTS,
    free_ports,
    make_owned_dir,
    pdeathsig_preexec,
    pid_alive,
    port_open,
    spawn,
    sweep_stale_dirs,
    tail,
)

__all__ = [
    "LOG_TAIL_LINES",
    "LOOPBACK",
    "ManagedProcess",
    "free_ports",
    "make_owned_dir",
    "pdeathsig_preexec",
    "pid_alive",
    "port_open",
    "spawn",
    "sweep_stale_dirs",
    "tail",
]

_live: set[ManagedProcess] = set()
_live_lock = threading.Lock()


def _stop_all() -> None:
    """Stop every managed process still running (atexit hook)."""
    with _live_lock:
        running = list(_live)
    for managed in running:
        with contextlib.suppress(Exception):
            managed.stop()


atexit.register(_stop_all)


class ManagedProcess(ABC):
    """One server process in its own process group, logging to a file, stopped on exit."""

    #: Raised (with the log tail) when the process cannot be started.
    start_error: ClassVar[type[Exception]] = RuntimeError
    #: "Tansu broker" -> "Tansu broker failed to start: ..."
    title: ClassVar[str] = "server"
    #: "broker" -> "broker log: PATH"
    noun: ClassVar[str] = "server"
    #: The executable named in "... exited with code N".
    program: ClassVar[str] = "process"
    #: Prefix of the default temporary log file.
    log_prefix: ClassVar[str] = "test-server-"
    #: Log lines meaning the listener could not bind its port (retried on new ports).
    bind_errors: ClassVar[tuple[str, ...]] = ("Address already in use",)
    #: Log lines meaning the start failed even if the process is still alive.
    fatal_markers: ClassVar[tuple[str, ...]] = ()
    #: Exceptions of probe() that mean "not ready yet".
    probe_errors: ClassVar[tuple[type[Exception], ...]] = (OSError,)
    #: What the readiness error says before the port first answered.
    not_listening: ClassVar[str] = "port never opened"
    #: Seconds between readiness polls.
    poll_interval: ClassVar[float] = 0.05
    #: Grace given to a process whose start failed before it is killed.
    failed_start_grace: ClassVar[float] = 0.0

    def __init__(self, *, stop_grace: float, log_path: str | os.PathLike[str] | None) -> None:
        """Configure the process; nothing is started until start()."""
        self._stop_grace = stop_grace
        self._user_log_path = Path(log_path) if log_path is not None else None
        self._lock = threading.RLock()
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._log_file: IO[bytes] | None = None
        self._keep_log = False
        self._log_offset = 0
        self.startup_seconds: float | None = None

    # ------------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _executable(self) -> Path:
        """Return the program to run, or raise start_error when it is not installed."""

    @abstractmethod
    def _assign_ports(self) -> None:
        """Pick fresh free ports for the next launch attempt."""

    @abstractmethod
    def _command(self, executable: Path) -> list[str]:
        """Build the command line."""

    @abstractmethod
    def _banner(self) -> str:
        """Return the line written to the log before each launch attempt."""

    @abstractmethod
    def _listening(self) -> bool:
        """Return True once the main port answers (cheap check before probe())."""

    @abstractmethod
    def _probe(self) -> None:
        """Raise one of probe_errors unless the server does real work."""

    def _popen_options(self) -> dict[str, Any]:
        """Extra Popen keyword arguments (cwd, env)."""
        return {}

    def _before_start(self) -> None:  # noqa: B027 - optional hook
        """Prepare anything the process needs before its log is opened."""

    def _before_attempt(self, attempt: int) -> None:  # noqa: B027 - optional hook
        """Reset state between launch attempts (attempt counts from 1)."""

    def _release(self) -> None:  # noqa: B027 - optional hook
        """Free what _before_start() created (called by stop(), after the process is gone)."""

    # ------------------------------------------------------------------ properties
    @property
    def log_path(self) -> Path | None:
        """Return the file receiving the process's stdout/stderr."""
        return self._log_path

    @property
    def pid(self) -> int | None:
        """Return the process id (also its process group id) or None."""
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        """Return True while the process is alive."""
        return self._process is not None and self._process.poll() is None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Self:
        """Start the process (if needed) and return it."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the process."""
        self.stop()

    @abstractmethod
    def start(self, timeout: float = 30.0) -> None:
        """Start the process and block until it is ready (subclasses set the default)."""

    def _start(self, timeout: float) -> None:
        """Start the process and block until probe() succeeds or *timeout* runs out."""
        with self._lock:
            if self.running:
                return
            if self._process is not None:
                self.stop()
            executable = self._executable()
            self._keep_log = False
            begin = time.monotonic()
            self._before_start()
            if self._user_log_path is not None:
                self._log_path = self._user_log_path
                self._log_path.parent.mkdir(parents=True, exist_ok=True)
            else:
                fd, name = tempfile.mkstemp(prefix=self.log_prefix, suffix=".log")
                os.close(fd)
                self._log_path = Path(name)
            with _live_lock:
                _live.add(self)
            try:
                self._start_attempts(executable, begin + timeout)
            except BaseException:
                self._keep_log = True
                self._kill_process(grace=self.failed_start_grace)
                self.stop()
                raise
            self.startup_seconds = time.monotonic() - begin

    def _start_attempts(self, executable: Path, deadline: float) -> None:
        """Launch, retrying on new ports when a port was taken meanwhile."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self._before_attempt(attempt)
            self._assign_ports()
            self._launch(executable)
            error = self._wait_ready(deadline)
            if error is None:
                return
            clash = any(marker in self._attempt_log() for marker in self.bind_errors)
            if clash and attempt < PORT_ATTEMPTS and time.monotonic() < deadline:
                self._kill_process(grace=0)
                continue
            raise self.start_error(
                f"{self.title} failed to start: {error}\n"
                f"{self.noun} log: {self._log_path}\n"
                f"--- last {LOG_TAIL_LINES} log lines ---\n{tail(self._log_path)}"
            )

    def _attempt_log(self) -> str:
        """Return what the process logged since the current launch attempt began."""
        if self._log_path is None:
            return ""
        try:
            with open(self._log_path, "rb") as handle:
                handle.seek(self._log_offset)
                return handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _launch(self, executable: Path) -> None:
        """Spawn the process in its own process group with output going to the log file."""
        assert self._log_path is not None
        if self._log_file is None:
            self._log_file = open(self._log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log_offset = self._log_file.tell()
        self._log_file.write(self._banner().encode())
        self._log_file.flush()
        self._process = spawn(
            self._command(executable),
            **self._popen_options(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=pdeathsig_preexec(),
        )

    def _wait_ready(self, deadline: float) -> str | None:
        """Poll until probe() succeeds; return None on success or an error description."""
        last_error = self.not_listening
        while True:
            process = self._process
            if process is None:
                return "process handle lost"
            code = process.poll()
            if code is not None:
                return f"{self.program} exited with code {code} ({last_error})"
            if self.fatal_markers:
                log = self._attempt_log()
                fatal = next((m for m in self.fatal_markers if m in log), None)
                if fatal is not None:
                    return f"{self.noun} log reports a fatal error ({fatal!r})"
            if self._listening():
                try:
                    self._probe()
                    return None
                except self.probe_errors as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                return f"not ready before timeout (last error: {last_error})"
            time.sleep(self.poll_interval)

    def _kill_process(self, grace: float | None = None) -> None:
        """Terminate the process group: SIGTERM, then SIGKILL after the grace period."""
        process = self._process
        self._process = None
        if process is None:
            return
        grace = self._stop_grace if grace is None else grace
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM if grace > 0 else signal.SIGKILL)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        else:
            process.wait()

    def stop(self) -> None:
        """Stop the process, release its resources and (unless start failed) drop the log."""
        with self._lock:
            try:
                self._kill_process()
            finally:
                if self._log_file is not None:
                    self._log_file.close()
                    self._log_file = None
                self._release()
                if (
                    self._log_path is not None
                    and self._user_log_path is None
                    and not self._keep_log
                ):
                    with contextlib.suppress(OSError):
                        self._log_path.unlink()
                with _live_lock:
                    _live.discard(self)
