"""Versioned identity models: metadata last, a current pointer, promote and roll back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from identity.model_registry import META_FILE, ModelRegistry
from identity.training import TrainedModel


def _model(prior: float) -> TrainedModel:
    settings = {"probability_two_random_records_match": prior, "comparisons": []}
    return TrainedModel(settings, {"first_name": {"ann": 0.5}}, ["first_name"], 10)


def test_versions_promote_and_roll_back(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    assert registry.current() is None
    first = registry.save(_model(0.1))
    registry.promote(first.version)
    second = registry.save(_model(0.2), {"labels_used": 3})
    assert registry.current().version == first.version  # type: ignore[union-attr]
    registry.promote(second.version)
    assert registry.current().meta["labels_used"] == 3  # type: ignore[union-attr]
    loaded = registry.current().model()  # type: ignore[union-attr]
    assert loaded.settings["probability_two_random_records_match"] == 0.2
    assert loaded.term_frequencies == {"first_name": {"ann": 0.5}}
    registry.promote(first.version)  # roll back
    assert registry.current().version == first.version  # type: ignore[union-attr]


def test_a_version_without_metadata_is_incomplete_and_ignored(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    saved = registry.save(_model(0.1))
    (saved.path / META_FILE).unlink()
    assert registry.versions() == []
    with pytest.raises(KeyError, match="not found"):
        registry.promote(saved.version)
    assert json.loads((saved.path / "model.json").read_text())["comparisons"] == []
