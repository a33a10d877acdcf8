"""One saved version of the GNN registry (`gnn.registry`): its files, how they are encoded
and checksummed, and the registry's errors.

A version lives in ``<root>/<version>/``:

- ``arrays.npz``: every array serving needs (uncompressed, no pickles), see
  `gnn.artifact_contract.required_arrays`;
- ``ids.json``: ``{"user_ids": [...], "item_ids": [...]}`` (row order of the arrays);
- ``config.json`` / ``metrics.json``: training configuration and evaluation metrics;
- ``state_dict.pt`` and any other file the caller hands over (report, plots), kept as bytes;
- ``meta.json``, written last: the version's description and the ``files`` manifest
  (name → sha256 and size). A directory without it is incomplete and ignored.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

import numpy as np

ARRAYS_FILE = "arrays.npz"
IDS_FILE = "ids.json"
STATE_DICT_FILE = "state_dict.pt"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
META_FILE = "meta.json"

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class RegistryError(Exception):
    """A registry operation cannot be done (unknown version, nothing to roll back to...)."""


class VerificationError(RegistryError):
    """A version's files do not match the checksums in its metadata."""


@dataclass(frozen=True)
class ModelVersion:
    """A complete saved version: its name, directory and ``meta.json``."""

    version: str
    path: Path
    meta: dict[str, Any]

    def read_file(self, name: str) -> bytes:
        """The bytes of one file of the version (unverified; see `GnnRegistry.read_verified`)."""
        return (self.path / checked_name(name)).read_bytes()

    def arrays(self) -> dict[str, np.ndarray]:
        """All arrays of ``arrays.npz`` (unverified)."""
        return load_arrays(self.read_file(ARRAYS_FILE))

    def ids(self) -> tuple[list[str], list[str]]:
        """``(user_ids, item_ids)`` in array row order (unverified)."""
        return parse_ids(self.read_file(IDS_FILE))


def load_arrays(data: bytes) -> dict[str, np.ndarray]:
    """Arrays from the bytes of an ``.npz`` file (pickles refused)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def parse_ids(data: bytes) -> tuple[list[str], list[str]]:
    """``(user_ids, item_ids)`` from the bytes of ``ids.json``."""
    ids = json.loads(data)
    return [str(u) for u in ids["user_ids"]], [str(i) for i in ids["item_ids"]]


def checked_name(name: str) -> str:
    """`name` when it is safe as a file or version name, else a `RegistryError`."""
    if not SAFE_NAME.fullmatch(name):
        raise RegistryError(f"invalid name {name!r} (letters, digits, '.', '_' and '-' only)")
    return name


def digest(data: bytes) -> dict[str, Any]:
    """A file's manifest entry: ``{"sha256": ..., "size": ...}``."""
    return {"sha256": sha256(data).hexdigest(), "size": len(data)}


def expected_digest(entry: Any) -> dict[str, Any]:
    """A manifest entry in `digest`'s form (a malformed entry never matches)."""
    if not isinstance(entry, dict):
        return {}
    return {"sha256": entry.get("sha256"), "size": entry.get("size")}


def json_bytes(data: Any) -> bytes:
    """How the registry writes JSON: indented, sorted keys, UTF-8."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")
