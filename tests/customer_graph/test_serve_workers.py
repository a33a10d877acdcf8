"""`customer-graph serve --workers 2`: two processes share one embedded store and answer."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEY = "workers-test-key-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def test_two_workers_start_share_the_store_and_stop(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "CG_DATA_DIR": str(tmp_path),
        "CG_API_KEYS": json.dumps({KEY: "admin"}),
        "CG_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "customer_graph", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and _get(f"{base}/readyz")[0] != 200:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            time.sleep(0.3)
        assert _get(f"{base}/readyz")[0] == 200
        query = urllib.parse.quote("{ auditLog(first: 1) { id } }")
        answers = [_get(f"{base}/graphql?query={query}", **{"X-API-Key": KEY}) for _ in range(20)]
        assert {status for status, _ in answers} == {200}
        assert all("errors" not in json.loads(body) for _, body in answers)
    finally:
        server.send_signal(signal.SIGINT)
        output = server.communicate(timeout=60)[0].decode()
    assert server.returncode == 0, output
