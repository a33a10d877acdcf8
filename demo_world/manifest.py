"""The manifest (written last): config, counts and sha256 of every file; freshness checks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from demo_world.config import GENERATOR_VERSION, DemoWorldConfig

MANIFEST_FILE = "manifest.json"


class FileEntry(BaseModel):
    """One generated file: data rows (without header), size and content hash."""

    model_config = ConfigDict(frozen=True)

    rows: int
    bytes: int
    sha256: str


class Manifest(BaseModel):
    """What was generated, with which parameters, and the hash of every file."""

    model_config = ConfigDict(frozen=True)

    generator: str = "demo_world"
    generator_version: str = GENERATOR_VERSION
    config: dict[str, Any]
    files: dict[str, FileEntry]
    counts: dict[str, int]
    libraries: dict[str, str] = {}


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def load_manifest(directory: Path | str) -> Manifest | None:
    """Return the manifest of a generated world, or None when missing or unreadable."""
    path = Path(directory) / MANIFEST_FILE
    try:
        return Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError):
        return None


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` atomically (temp name, then rename)."""
    target = directory / MANIFEST_FILE
    temporary = directory / f".{MANIFEST_FILE}.tmp-{os.getpid()}"
    temporary.write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, target)


def is_up_to_date(directory: Path | str, config: DemoWorldConfig) -> bool:
    """True when the manifest exists, matches ``config`` and every file still has its hash."""
    manifest = load_manifest(directory)
    if manifest is None or manifest.generator_version != GENERATOR_VERSION:
        return False
    if manifest.config != config.world_params():
        return False
    root = Path(directory)
    for name, entry in manifest.files.items():
        path = root / name
        if (
            not path.is_file()
            or path.stat().st_size != entry.bytes
            or sha256_file(path) != entry.sha256
        ):
            return False
    return True
