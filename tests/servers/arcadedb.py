"""Run a real ArcadeDB server with its Bolt (Neo4j 5 compatible) plugin as a test subprocess."""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import secrets
import shutil
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import neo4j
from neo4j.exceptions import DriverError, Neo4jError

from tests.servers.process import (
    LOOPBACK,
    ManagedProcess,
    free_ports,
    make_owned_dir,
    sweep_stale_dirs,
)

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
_ROOT_PREFIX = "arcadedb-test-"


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


def _bolt_answers(port: int, timeout: float = 2.0) -> bool:
    """Return True when the loopback *port* answers a Bolt handshake within *timeout*."""
    # magic preamble + proposals 5.0-5.4, 4.4, none, none (4 bytes each)
    hello = b"\x60\x60\xb0\x17" + b"\x00\x04\x04\x05" + b"\x00\x00\x04\x04" + bytes(8)
    try:
        with socket.create_connection((LOOPBACK, port), timeout) as sock:
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


class ArcadeDBServer(ManagedProcess):
    """A throwaway ArcadeDB server process with the Bolt plugin bound to 127.0.0.1."""

    start_error = ArcadeDBStartError
    title = "ArcadeDB server"
    noun = "server"
    program = "java"
    log_prefix = _ROOT_PREFIX
    bind_errors = ("Address already in use", "BindException", "Unable to listen")
    # The JVM can outlive a failed start (non-daemon threads keep running), so the log is scanned.
    fatal_markers = ('Exception in thread "main"', "Error starting plugin")
    probe_errors = (DriverError, Neo4jError, OSError)
    not_listening = "Bolt port never opened"
    poll_interval = 0.1
    failed_start_grace = 2.0  # a half-started JVM is not worth a clean shutdown

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
        super().__init__(stop_grace=stop_grace, log_path=log_path)
        self._heap_max = heap_max
        self._heap_min = heap_min
        self._extra_config = dict(extra_config or {})
        self._root: Path | None = None
        self._bolt_port = 0
        self._http_port = 0

    # ------------------------------------------------------------------ properties
    @property
    def bolt_uri(self) -> str:
        """Return the ``bolt://127.0.0.1:PORT`` URI (valid once started)."""
        self._require_started()
        return f"bolt://{LOOPBACK}:{self._bolt_port}"

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
    def root_dir(self) -> Path | None:
        """Return the temporary server root directory (deleted on stop)."""
        return self._root

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 60.0) -> None:
        """Start the JVM and block until a neo4j driver can run ``RETURN 1`` over Bolt."""
        self._start(timeout)

    def _executable(self) -> Path:
        """Return the bundled java or raise ArcadeDBStartError."""
        java = java_path()
        if java is None or not available():
            raise ArcadeDBStartError(
                f"ArcadeDB is not available: install {_DISTRIBUTION} (bundled JRE not found)"
            )
        return java

    def _before_start(self) -> None:
        """Sweep roots of killed test processes, then create this server's root directory."""
        sweep_stale_dirs(_ROOT_PREFIX)
        self._root = make_owned_dir(_ROOT_PREFIX)

    def _before_attempt(self, attempt: int) -> None:
        """Start a retry over from an empty root directory."""
        assert self._root is not None
        if attempt > 1:
            shutil.rmtree(self._root, ignore_errors=True)
            make_owned_dir(_ROOT_PREFIX, self._root)

    def _assign_ports(self) -> None:
        """Pick free HTTP and Bolt ports."""
        self._http_port, self._bolt_port = free_ports(2)

    def _banner(self) -> str:
        """Log line before each launch."""
        return f"=== arcadedb test server: bolt={self._bolt_port} http={self._http_port} ===\n"

    def _command(self, executable: Path) -> list[str]:
        """Build the java command line."""
        assert self._root is not None
        pkg = executable.parent.parent.parent
        config = {
            "arcadedb.server.rootPath": str(self._root),
            "arcadedb.server.databaseDirectory": str(self._root / "databases"),
            "arcadedb.server.rootPassword": self._password,
            "arcadedb.server.httpIncomingHost": LOOPBACK,
            "arcadedb.server.httpIncomingPort": str(self._http_port),
            "arcadedb.server.plugins": _BOLT_PLUGIN,
            "arcadedb.server.defaultDatabases": f"{DATABASE}[{USER}]",
            "arcadedb.bolt.host": LOOPBACK,
            "arcadedb.bolt.port": str(self._bolt_port),
            "arcadedb.bolt.defaultDatabase": DATABASE,
            # Defence in depth: any other wire listener would default to 0.0.0.0.
            "arcadedb.postgres.host": LOOPBACK,
            "arcadedb.redis.host": LOOPBACK,
            "arcadedb.mongo.host": LOOPBACK,
            "arcadedb.grpc.host": LOOPBACK,
        }
        config.update(self._extra_config)
        return [
            str(executable),
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

    def _popen_options(self) -> dict[str, Any]:
        """Run the JVM from its root directory."""
        assert self._root is not None
        return {"cwd": self._root}

    def _listening(self) -> bool:
        """Return True when the Bolt port answers a handshake."""
        return _bolt_answers(self._bolt_port)

    def _probe(self) -> None:
        """Raise unless a neo4j driver can verify connectivity and run ``RETURN 1``."""
        uri = f"bolt://{LOOPBACK}:{self._bolt_port}"
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

    def _release(self) -> None:
        """Delete the root directory (the JVM is gone)."""
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

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
