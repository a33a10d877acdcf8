"""`make demo` (`customer-graph demo --serve`) prints the steward page's address and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from customer_graph.commands import demo
from customer_graph.settings import Settings


def test_serving_the_demo_prints_the_steward_page_and_its_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    served: list[tuple[str, int]] = []
    monkeypatch.setattr(demo, "run_api", lambda settings, host, port: served.append((host, port)))
    demo.serve_demo(Settings(data_dir=tmp_path), 8000)
    printed = " ".join(capsys.readouterr().out.split())
    assert "http://127.0.0.1:8000/steward" in printed
    assert "steward key demo-steward-key-00001" in printed
    assert served == [("127.0.0.1", 8000)]
