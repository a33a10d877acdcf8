"""Batch runs collect young objects less often, and leave the process as they found it."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import Any, cast

import pytest

import ingestion.file_import as file_import
from ingestion.file_import import FileKind, FileReport
from ingestion.gc_tuning import BATCH_THRESHOLDS, batch_gc
from ingestion.pipeline import IngestPipeline


def test_batch_gc_sets_and_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    with batch_gc():
        assert gc.get_threshold() == BATCH_THRESHOLDS
    assert gc.get_threshold() == before


def test_a_file_import_runs_under_the_batch_thresholds(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[tuple[int, int, int]] = []

    async def feed(_pipeline: Any, path: Path, kind: FileKind, *_rest: Any) -> FileReport:
        seen.append(gc.get_threshold())
        return FileReport(path, kind)

    monkeypatch.setattr(file_import, "_feed", feed)
    path = tmp_path / "records.csv"
    path.write_text("source,source_id\ncrm,1\n")
    before = gc.get_threshold()
    pipeline = cast(IngestPipeline, None)  # the feed above never touches it
    report = asyncio.run(file_import.import_file(pipeline, path, FileKind.RECORDS))
    assert report.path == path
    assert seen == [BATCH_THRESHOLDS]
    assert gc.get_threshold() == before
