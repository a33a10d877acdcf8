"""Versioned model artifacts on disk: Splink JSON + term frequencies + metadata, `current`."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

import splink

from identity.training import TrainedModel

MODEL_FILE, TF_FILE, META_FILE, CURRENT = (
    "model.json",
    "term_frequencies.json",
    "meta.json",
    "current",
)


@dataclass(frozen=True)
class ModelVersion:
    """A saved model and its metadata."""

    version: str
    path: Path
    meta: dict[str, Any]

    def model(self) -> TrainedModel:
        """Load the trained model."""
        settings = json.loads((self.path / MODEL_FILE).read_text(encoding="utf-8"))
        frequencies = json.loads((self.path / TF_FILE).read_text(encoding="utf-8"))
        return TrainedModel(
            settings,
            frequencies,
            list(self.meta["columns"]),
            self.meta["records"],
            tf_keys=str(self.meta.get("tf_keys", "plain")),
        )


def untrained_levels(settings: dict[str, Any]) -> list[str]:
    """`comparison: level` for every non-null level without a trained m or u."""
    return [
        f"{comparison['output_column_name']}: {level.get('label_for_charts')}"
        for comparison in settings.get("comparisons", [])
        for level in comparison.get("comparison_levels", [])
        if not level.get("is_null_level")
        and (level.get("m_probability") is None or level.get("u_probability") is None)
    ]


def _write(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


class ModelRegistry:
    """Models live in `<root>/<version>/`; the metadata file is written last, so a version
    without it is incomplete and ignored. `current` names the version in use."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, model: TrainedModel, extra: dict[str, Any] | None = None) -> ModelVersion:
        """Store a trained model as a new version (not yet current)."""
        digest = sha256(json.dumps(model.settings, sort_keys=True).encode()).hexdigest()[:8]
        version = f"v{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{digest}"
        path = self.root / version
        path.mkdir(parents=True, exist_ok=True)
        _write(path / MODEL_FILE, model.settings)
        _write(path / TF_FILE, model.term_frequencies)
        meta = {
            "version": version,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "records": model.records,
            "columns": model.columns,
            "splink_version": splink.__version__,
            "probability_two_random_records_match": model.settings.get(
                "probability_two_random_records_match"
            ),
            # Levels never observed in training use Splink's default m or u.
            "untrained_levels": untrained_levels(model.settings),
            "tf_keys": model.tf_keys,
            **(extra or {}),
        }
        _write(path / META_FILE, meta)
        return ModelVersion(version, path, meta)

    def versions(self) -> list[ModelVersion]:
        """Complete versions, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(p for p in self.root.iterdir() if p.is_dir()):
            meta_path = path / META_FILE
            if meta_path.is_file():
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                found.append(ModelVersion(path.name, path, meta))
        return found

    def get(self, version: str) -> ModelVersion:
        """One complete version by name."""
        for found in self.versions():
            if found.version == version:
                return found
        raise KeyError(f"model version {version!r} not found in {self.root}")

    def promote(self, version: str) -> ModelVersion:
        """Make a version current (atomically)."""
        found = self.get(version)
        tmp = self.root / f".{CURRENT}.tmp-{os.getpid()}"
        tmp.write_text(version, encoding="utf-8")
        os.replace(tmp, self.root / CURRENT)
        return found

    def current(self) -> ModelVersion | None:
        """The version in use, or None when no model was trained yet."""
        pointer = self.root / CURRENT
        if not pointer.is_file():
            return None
        return self.get(pointer.read_text(encoding="utf-8").strip())
