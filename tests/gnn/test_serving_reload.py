"""GNN serving: hot reload, promote and rollback, corrupt or half-written versions."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from gnn.model_version import VerificationError
from gnn.registry import GnnRegistry
from gnn.serving import (
    ModelLoadError,
    ModelNotAvailable,
    RecommendationService,
    load_version,
)
from tests.gnn.serving_reference import (
    flip_bytes,
    save_random,
)


def test_promote_and_rollback_switch_what_is_served(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    service = RecommendationService(tmp_path, reload_check_seconds=0)
    with pytest.raises(ModelNotAvailable, match="no version was promoted"):
        service.recommend("u1")
    first, _, _ = save_random(registry, seed=21)
    second, _, _ = save_random(registry, seed=22)
    with pytest.raises(ModelNotAvailable):
        service.recommend("u1")  # saved is not promoted
    registry.promote(first.version)
    from_first = service.recommend("u1", k=5)
    assert from_first.version == first.version
    registry.promote(second.version)
    from_second = service.recommend("u1", k=5)
    assert from_second.version == second.version
    assert from_second.items != from_first.items
    assert registry.rollback().version == first.version
    assert service.recommend("u1", k=5) == from_first


def test_reload_waits_for_the_check_interval(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    first, _, _ = save_random(registry, seed=31)
    second, _, _ = save_random(registry, seed=32)
    registry.promote(first.version)
    service = RecommendationService(tmp_path, reload_check_seconds=3600)
    registry.promote(second.version)
    assert service.recommend("u1").version == first.version
    assert service.refresh() is True
    assert service.recommend("u1").version == second.version


def test_a_corrupt_version_is_refused_and_the_old_model_keeps_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = GnnRegistry(tmp_path)
    good, _, _ = save_random(registry, seed=41)
    bad, _, _ = save_random(registry, seed=42)
    registry.promote(good.version)
    service = RecommendationService(tmp_path, reload_check_seconds=0)
    before = service.recommend("u3", k=5)
    flip_bytes(bad)
    with pytest.raises(VerificationError, match=r"arrays\.npz does not match its checksum"):
        registry.promote(bad.version)
    assert registry.current_name() == good.version
    with pytest.raises(ModelLoadError, match="corrupt"):
        load_version(registry, bad.version)
    # Someone points `current` at it anyway: serving warns and keeps the good model.
    (tmp_path / "current").write_text(bad.version)
    with caplog.at_level(logging.WARNING, logger="gnn.serving.recommendations"):
        assert service.recommend("u3", k=5) == before
        assert service.recommend("u3", k=5) == before
    warnings = [r for r in caplog.records if bad.version in r.getMessage()]
    assert len(warnings) == 1  # not retried on every request
    # A fresh process has nothing else to serve: a clear error, never the corrupt model.
    with pytest.raises(ModelNotAvailable, match=f"{bad.version} failed to load"):
        RecommendationService(tmp_path).recommend("u3")
    # Back to a good version: served again.
    registry.promote(good.version)
    assert service.recommend("u3", k=5) == before


def test_a_half_written_version_is_never_listed_or_served(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    good, _, _ = save_random(registry, seed=51)
    half, _, _ = save_random(registry, seed=52)
    (half.path / "meta.json").unlink()
    assert [v.version for v in registry.versions()] == [good.version]
    registry.promote(good.version)
    service = RecommendationService(tmp_path, reload_check_seconds=0)
    (tmp_path / "current").write_text(half.version)
    assert service.recommend("u1").version == good.version
    with pytest.raises(ModelLoadError, match="incomplete"):
        load_version(registry, half.version)


def test_a_malformed_artifact_is_refused_at_load(tmp_path: Path) -> None:
    """Checksums match but the arrays do not fit the contract (e.g. edited meta.json)."""
    registry = GnnRegistry(tmp_path)
    saved, _, _ = save_random(registry, seed=61)
    meta = json.loads((saved.path / "meta.json").read_text())
    meta["combine"] = "max"
    (saved.path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelLoadError, match="combine"):
        load_version(registry, saved.version)


def test_serving_does_not_import_training_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, gnn.serving, gnn.serving.recommendations;"
        "bad = [m for m in ('torch', 'torch_geometric', 'gnn.model', 'gnn.training')"
        " if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
