"""The exposure writer gathers a batch before writing, and never makes closing wait."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from nba.exposures import Exposure, ExposureLog


def _exposure(n: int) -> Exposure:
    return Exposure(
        id=f"x{n:04d}",
        subject=f"cus_{n}",
        customer_id=f"cus_{n}",
        action_id="a",
        policy="personalised",
        exploration=False,
        score=0.5,
        features=np.zeros(3),
        exposed_at=n,
    )


def test_exposures_queued_together_are_written_in_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = ExposureLog(tmp_path / "exposures.sqlite3", linger=0.3)
    batches: list[int] = []
    insert = log._insert

    def counting(exposures: Sequence[Exposure]) -> None:
        batches.append(len(exposures))
        insert(exposures)

    monkeypatch.setattr(log, "_insert", counting)
    try:
        for n in range(20):
            log.append(_exposure(n))
        deadline = time.monotonic() + 10
        while not batches and time.monotonic() < deadline:
            time.sleep(0.01)
        assert batches == [20], "one transaction for what was queued while it lingered"
        assert log.counts() == {"pending": 20}
    finally:
        log.shutdown()


def test_closing_writes_at_once_without_lingering(tmp_path: Path) -> None:
    log = ExposureLog(tmp_path / "exposures.sqlite3", linger=30.0)
    try:
        log.append(_exposure(1))
        started = time.monotonic()
        log.flush()
        assert time.monotonic() - started < 10, "flush does not wait out the linger"
        assert log.get("x0001") is not None
        log.append(_exposure(2))
        log.flush()
        assert log.counts() == {"pending": 2}
    finally:
        started = time.monotonic()
        log.shutdown()
        assert time.monotonic() - started < 10
