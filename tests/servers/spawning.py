"""Low-level pieces of the test-server harnesses: loopback ports, spawning with a
parent-death signal from one long-lived launcher thread, log tails, pid checks, and
scratch folders that record their owner so stale ones can be swept."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
LOG_TAIL_LINES = 60
OWNER_FILE = "owner.pid"
_PR_SET_PDEATHSIG = 1
PORT_ATTEMPTS = 3


def free_ports(count: int) -> list[int]:
    """Return *count* distinct currently-free TCP ports on the loopback interface."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((LOOPBACK, 0))
            sockets.append(sock)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_open(port: int, timeout: float = 1.0) -> bool:
    """Return True when something accepts TCP connections on the loopback *port*."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout):
            return True
    except OSError:
        return False


def pdeathsig_preexec() -> Callable[[], None] | None:
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


def spawn(args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start a subprocess from the dedicated launcher thread."""
    global _launcher
    with _launcher_lock:
        if _launcher is None:
            _launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="server-launcher")
        launcher = _launcher

    def popen() -> subprocess.Popen[bytes]:
        """Call Popen (runs on the launcher thread)."""
        return subprocess.Popen(args, **kwargs)

    return launcher.submit(popen).result()


def tail(path: Path | None, lines: int = LOG_TAIL_LINES) -> str:
    """Return the last *lines* lines of a text file, or an empty string."""
    if path is None:
        return ""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def pid_alive(pid: int) -> bool:
    """Return True when a process with *pid* exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by another user
    return True


def make_owned_dir(prefix: str, path: Path | None = None) -> Path:
    """Create a temporary directory (or *path*) that records this process as its owner."""
    if path is None:
        path = Path(tempfile.mkdtemp(prefix=prefix))
    else:
        path.mkdir()
    (path / OWNER_FILE).write_text(str(os.getpid()))
    return path


def sweep_stale_dirs(prefix: str) -> None:
    """Delete owned dirs left by test processes that were killed (SIGKILL skips cleanup)."""
    for folder in Path(tempfile.gettempdir()).glob(prefix + "*"):
        with contextlib.suppress(OSError, ValueError):
            owner = int((folder / OWNER_FILE).read_text().strip())
            if owner != os.getpid() and not pid_alive(owner):
                shutil.rmtree(folder, ignore_errors=True)
