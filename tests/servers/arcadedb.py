"""Run a real ArcadeDB server with its Bolt (Neo4j 5 compatible) plugin as a test subprocess."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.metadata
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import neo4j
from neo4j.exceptions import DriverError, Neo4jError

__all__ = [
    "DATABASE",
    "USER",
    "ArcadeDBServer",
    "ArcadeDBStartError",
    "areset",
    "available",
    "java_path",
    "package_dir",
    "reset",
]

DATABASE = "neo4j"
USER = "root"
_DISTRIBUTION = "arcadedb-jvm"
_BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"
_MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"
_LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1
_BIND_ERRORS = ("Address already in use", "BindException", "Unable to listen")
# The JVM can outlive a failed start (non-daemon threads keep running), so the log is scanned.
_FATAL_MARKERS = ('Exception in thread "main"', "Error starting plugin")
_PORT_ATTEMPTS = 3
_LOG_TAIL_LINES = 60


class ArcadeDBStartError(RuntimeError):
    """Raised when the ArcadeDB server cannot be started or does not become ready."""


def _has_java(folder: Path) -> bool:
    """Return True when *folder* looks like the arcadedb package with its bundled JRE and jars."""
    return (folder / "jre" / "bin" / "java").is_file() and (folder / "jars").is_dir()


def package_dir() -> Path | None:
    """Return the installed ``arcadedb`` package folder (from arcadedb-jvm) or None."""
    candidates: list[Path] = []
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        located = importlib.metadata.distribution(_DISTRIBUTION).locate_file("arcadedb")
        candidates.append(Path(str(located)))
    # Fallback; a same-named module (like this file) can shadow it, so check each hit.
    with contextlib.suppress(ImportError, ValueError):
        spec = importlib.util.find_spec("arcadedb")
        if spec is not None and spec.submodule_search_locations:
            candidates.extend(Path(p) for p in spec.submodule_search_locations)
    return next((c for c in candidates if _has_java(c)), None)


def java_path() -> Path | None:
    """Return the bundled ``java`` executable or None when it is not installed."""
    pkg = package_dir()
    return None if pkg is None else pkg / "jre" / "bin" / "java"


def available() -> bool:
    """Return True when the arcadedb package and its bundled java exist."""
    java = java_path()
    return java is not None and os.access(java, os.X_OK)


def _free_ports(count: int) -> list[int]:
    """Return *count* distinct currently-free TCP ports on the loopback interface."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((_LOOPBACK, 0))
            sockets.append(sock)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _bolt_answers(port: int, timeout: float = 2.0) -> bool:
    """Return True when the loopback *port* answers a Bolt handshake within *timeout*."""
    # magic preamble + proposals 5.0-5.4, 4.4, none, none (4 bytes each)
    hello = b"\x60\x60\xb0\x17" + b"\x00\x04\x04\x05" + b"\x00\x00\x04\x04" + bytes(8)
    try:
        with socket.create_connection((_LOOPBACK, port), timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(hello)
            received = b""
            while len(received) < 4:
                chunk = sock.recv(4 - len(received))
                if not chunk:
                    return False
                received += chunk
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


# PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process.
# Forking from one long-lived launcher thread keeps servers started from short-lived
# threads (asyncio.to_thread, fixtures in helper threads) alive until the process exits.
_launcher_lock = threading.Lock()
_launcher: ThreadPoolExecutor | None = None


def _spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start a subprocess from the dedicated launcher thread."""
    global _launcher
    with _launcher_lock:
        if _launcher is None:
            _launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arcadedb-launcher")
        launcher = _launcher

    def popen() -> subprocess.Popen[bytes]:
        """Call Popen (runs on the launcher thread)."""
        return subprocess.Popen(args, **kwargs)

    return launcher.submit(popen).result()


_live: set[ArcadeDBServer] = set()
_live_lock = threading.Lock()


def _stop_all() -> None:
    """Stop every server still running (atexit hook)."""
    with _live_lock:
        servers = list(_live)
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()


atexit.register(_stop_all)


_OWNER_FILE = "owner.pid"
_ROOT_PREFIX = "arcadedb-test-"


def _pid_alive(pid: int) -> bool:
    """Return True when a process with *pid* exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_stale_roots() -> None:
    """Delete root dirs left by test processes that were killed (SIGKILL skips cleanup)."""
    for folder in Path(tempfile.gettempdir()).glob(_ROOT_PREFIX + "*"):
        with contextlib.suppress(OSError, ValueError):
            owner = int((folder / _OWNER_FILE).read_text().strip())
            if owner != os.getpid() and not _pid_alive(owner):
                shutil.rmtree(folder, ignore_errors=True)


def _tail(path: Path | None, lines: int = _LOG_TAIL_LINES) -> str:
    """Return the last *lines* lines of a text file, or an empty string."""
    if path is None:
        return ""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class ArcadeDBServer:
    """A throwaway ArcadeDB server process with the Bolt plugin bound to 127.0.0.1."""

    def __init__(
        self,
        *,
        password: str | None = None,
        heap_max: str = "1g",
        heap_min: str = "256m",
        stop_grace: float = 15.0,
        log_path: str | os.PathLike[str] | None = None,
        extra_config: Mapping[str, str] | None = None,
    ) -> None:
        """Configure the server; nothing is started until start()."""
        self._password = password if password is not None else "pw-" + secrets.token_hex(12)
        if len(self._password) < 8:
            # The server itself exits with "User password too short (<8 characters)".
            raise ValueError("ArcadeDB requires a root password of at least 8 characters")
        self._heap_max = heap_max
        self._heap_min = heap_min
        self._stop_grace = stop_grace
        self._user_log_path = Path(log_path) if log_path is not None else None
        self._extra_config = dict(extra_config or {})
        self._lock = threading.RLock()
        self._process: subprocess.Popen[bytes] | None = None
        self._root: Path | None = None
        self._log_path: Path | None = None
        self._log_file: IO[bytes] | None = None
        self._keep_log = False
        self._log_offset = 0
        self._bolt_port = 0
        self._http_port = 0
        self.startup_seconds: float | None = None

    # ------------------------------------------------------------------ properties
    @property
    def bolt_uri(self) -> str:
        """Return the ``bolt://127.0.0.1:PORT`` URI (valid once started)."""
        self._require_started()
        return f"bolt://{_LOOPBACK}:{self._bolt_port}"

    @property
    def bolt_port(self) -> int:
        """Return the Bolt TCP port (valid once started)."""
        self._require_started()
        return self._bolt_port

    @property
    def http_port(self) -> int:
        """Return the HTTP/Studio TCP port (valid once started)."""
        self._require_started()
        return self._http_port

    @property
    def user(self) -> str:
        """Return the user name to authenticate with."""
        return USER

    @property
    def password(self) -> str:
        """Return the root password."""
        return self._password

    @property
    def auth(self) -> tuple[str, str]:
        """Return ``(user, password)`` for the neo4j driver."""
        return (USER, self._password)

    @property
    def database(self) -> str:
        """Return the database name to pass as ``database_``/``database``."""
        return DATABASE

    @property
    def log_path(self) -> Path | None:
        """Return the file receiving the server's stdout/stderr."""
        return self._log_path

    @property
    def root_dir(self) -> Path | None:
        """Return the temporary server root directory (deleted on stop)."""
        return self._root

    @property
    def pid(self) -> int | None:
        """Return the JVM process id (also its process group id) or None."""
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        """Return True while the JVM process is alive."""
        return self._process is not None and self._process.poll() is None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Self:
        """Start the server (if needed) and return it."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()

    def start(self, timeout: float = 60.0) -> None:
        """Start the JVM and block until a neo4j driver can run ``RETURN 1`` over Bolt."""
        with self._lock:
            if self.running:
                return
            if self._process is not None:
                self.stop()
            java = java_path()
            if java is None or not available():
                raise ArcadeDBStartError(
                    f"ArcadeDB is not available: install {_DISTRIBUTION} (bundled JRE not found)"
                )
            self._keep_log = False
            begin = time.monotonic()
            deadline = begin + timeout
            _sweep_stale_roots()
            self._root = Path(tempfile.mkdtemp(prefix=_ROOT_PREFIX))
            (self._root / _OWNER_FILE).write_text(str(os.getpid()))
            if self._user_log_path is not None:
                self._log_path = self._user_log_path
                self._log_path.parent.mkdir(parents=True, exist_ok=True)
            else:
                fd, name = tempfile.mkstemp(prefix=_ROOT_PREFIX, suffix=".log")
                os.close(fd)
                self._log_path = Path(name)
            with _live_lock:
                _live.add(self)
            try:
                self._start_attempts(java, deadline)
            except BaseException:
                self._keep_log = True
                self._kill_process(grace=2.0)  # a half-started JVM is not worth a clean shutdown
                self.stop()
                raise
            self.startup_seconds = time.monotonic() - begin

    def _start_attempts(self, java: Path, deadline: float) -> None:
        """Launch the JVM, retrying with new ports when a port was taken meanwhile."""
        assert self._root is not None
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            if attempt > 1:  # start over from an empty root directory
                shutil.rmtree(self._root, ignore_errors=True)
                self._root.mkdir()
                (self._root / _OWNER_FILE).write_text(str(os.getpid()))
            self._http_port, self._bolt_port = _free_ports(2)
            self._launch(java)
            error = self._wait_ready(deadline)
            if error is None:
                return
            log = self._attempt_log()
            bind_clash = any(marker in log for marker in _BIND_ERRORS)
            if bind_clash and attempt < _PORT_ATTEMPTS and time.monotonic() < deadline:
                self._kill_process(grace=0)
                continue
            raise ArcadeDBStartError(
                f"ArcadeDB server failed to start: {error}\n"
                f"server log: {self._log_path}\n"
                f"--- last {_LOG_TAIL_LINES} log lines ---\n{_tail(self._log_path)}"
            )

    def _attempt_log(self) -> str:
        """Return what the server logged since the current launch attempt began."""
        if self._log_path is None:
            return ""
        try:
            with open(self._log_path, "rb") as handle:
                handle.seek(self._log_offset)
                return handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _command(self, java: Path) -> list[str]:
        """Build the java command line."""
        assert self._root is not None
        pkg = java.parent.parent.parent
        config = {
            "arcadedb.server.rootPath": str(self._root),
            "arcadedb.server.databaseDirectory": str(self._root / "databases"),
            "arcadedb.server.rootPassword": self._password,
            "arcadedb.server.httpIncomingHost": _LOOPBACK,
            "arcadedb.server.httpIncomingPort": str(self._http_port),
            "arcadedb.server.plugins": _BOLT_PLUGIN,
            "arcadedb.server.defaultDatabases": f"{DATABASE}[{USER}]",
            "arcadedb.bolt.host": _LOOPBACK,
            "arcadedb.bolt.port": str(self._bolt_port),
            "arcadedb.bolt.defaultDatabase": DATABASE,
            # Defence in depth: any other wire listener would default to 0.0.0.0.
            "arcadedb.postgres.host": _LOOPBACK,
            "arcadedb.redis.host": _LOOPBACK,
            "arcadedb.mongo.host": _LOOPBACK,
            "arcadedb.grpc.host": _LOOPBACK,
        }
        config.update(self._extra_config)
        return [
            str(java),
            f"-Xms{self._heap_min}",
            f"-Xmx{self._heap_max}",
            "--add-exports",
            "java.management/sun.management=ALL-UNNAMED",
            "--add-modules",
            "jdk.incubator.vector",
            f"-Djava.io.tmpdir={self._root}",
            *(f"-D{key}={value}" for key, value in config.items()),
            "-cp",
            str(pkg / "jars" / "*"),
            _MAIN_CLASS,
        ]

    def _launch(self, java: Path) -> None:
        """Spawn the JVM in its own process group with output going to the log file."""
        assert self._root is not None
        assert self._log_path is not None
        if self._log_file is None:
            self._log_file = open(self._log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log_offset = self._log_file.tell()
        banner = f"=== arcadedb test server: bolt={self._bolt_port} http={self._http_port} ===\n"
        self._log_file.write(banner.encode())
        self._log_file.flush()
        self._process = _spawn(
            self._command(java),
            cwd=self._root,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_pdeathsig_preexec(),
        )

    def _wait_ready(self, deadline: float) -> str | None:
        """Poll until Bolt answers ``RETURN 1``; return None on success or an error description."""
        last_error = "Bolt port never opened"
        while True:
            process = self._process
            if process is None:
                return "process handle lost"
            code = process.poll()
            if code is not None:
                return f"java exited with code {code} ({last_error})"
            log = self._attempt_log()
            fatal = next((m for m in _FATAL_MARKERS if m in log), None)
            if fatal is not None:
                return f"server log reports a fatal error ({fatal!r})"
            if _bolt_answers(self._bolt_port):
                try:
                    self._probe()
                    return None
                except (DriverError, Neo4jError, OSError) as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                return f"not ready before timeout (last error: {last_error})"
            time.sleep(0.1)

    def _probe(self) -> None:
        """Raise unless a neo4j driver can verify connectivity and run ``RETURN 1``."""
        uri = f"bolt://{_LOOPBACK}:{self._bolt_port}"
        with neo4j.GraphDatabase.driver(
            uri,
            auth=self.auth,
            connection_timeout=5.0,
            connection_acquisition_timeout=10.0,
            max_transaction_retry_time=0.0,
        ) as driver:
            driver.verify_connectivity()
            records, _, _ = driver.execute_query("RETURN 1 AS one", database_=DATABASE)
            if len(records) != 1 or records[0]["one"] != 1:
                raise OSError(f"unexpected RETURN 1 result: {records!r}")

    def _kill_process(self, grace: float | None = None) -> None:
        """Terminate the JVM process group: SIGTERM, then SIGKILL after the grace period."""
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
        """Stop the JVM, delete the root directory and (unless start failed) the default log."""
        with self._lock:
            try:
                self._kill_process()
            finally:
                if self._log_file is not None:
                    self._log_file.close()
                    self._log_file = None
                if self._root is not None:
                    shutil.rmtree(self._root, ignore_errors=True)
                    self._root = None
                if (
                    self._log_path is not None
                    and self._user_log_path is None
                    and not self._keep_log
                ):
                    with contextlib.suppress(OSError):
                        self._log_path.unlink()
                with _live_lock:
                    _live.discard(self)

    def _require_started(self) -> None:
        """Raise unless the ports have been assigned by start()."""
        if self._bolt_port == 0:
            raise RuntimeError("ArcadeDBServer has not been started")

    # ------------------------------------------------------------------ helpers
    def driver(self, **config: Any) -> neo4j.Driver:
        """Return a new synchronous neo4j driver for this server (caller closes it)."""
        return neo4j.GraphDatabase.driver(self.bolt_uri, auth=self.auth, **config)

    def async_driver(self, **config: Any) -> neo4j.AsyncDriver:
        """Return a new async neo4j driver for this server (caller closes it)."""
        return neo4j.AsyncGraphDatabase.driver(self.bolt_uri, auth=self.auth, **config)

    def clear(self) -> None:
        """Delete every node and relationship in the test database."""
        with self.driver() as driver:
            reset(driver, self.database)


def reset(driver: neo4j.Driver, database: str = DATABASE) -> None:
    """Delete every node and relationship through a synchronous driver."""
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=database)


async def areset(driver: neo4j.AsyncDriver, database: str = DATABASE) -> None:
    """Delete every node and relationship through an async driver."""
    await driver.execute_query("MATCH (n) DETACH DELETE n", database_=database)
