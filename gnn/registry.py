"""Versioned GraphSAGE recommendation artifacts on disk (numpy and the standard library only).

`GnnRegistry` saves versions, lists and verifies them, promotes one to current and rolls
back. A version's files and checksums: `gnn.model_version`; what its arrays must hold:
`gnn.artifact_contract`; the ``current`` pointer and ``history`` log: `gnn.promotion_log`.
Every file is written atomically (temporary file, fsync, ``os.replace``).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

import numpy as np

from gnn.artifact_contract import FORMAT, artifact_problems, count_layers
from gnn.atomic_files import fsync_dir, write_atomic
from gnn.model_version import (
    ARRAYS_FILE,
    CONFIG_FILE,
    IDS_FILE,
    META_FILE,
    METRICS_FILE,
    SAFE_NAME,
    ModelVersion,
    RegistryError,
    VerificationError,
    checked_name,
    digest,
    expected_digest,
    json_bytes,
)
from gnn.promotion_log import HISTORY, point_current, promotion_stack, read_current, read_history

LOCK = ".lock"
ERASURES_FILE = "erasures"  # a counter: bumped when an erasure rewrites versions (gnn.erasure)
# Keys of the caller's meta that the registry moves elsewhere or computes itself.
_MOVED = ("user_ids", "item_ids")
_COMPUTED = ("version", "created_at", "files", "counts", "dims", "format", "layers", "dim")


def _metrics_summary(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The scalar entries of a metrics mapping (what ``meta.json`` repeats)."""
    return {
        key: value
        for key, value in metrics.items()
        if isinstance(value, int | float | str | bool) or value is None
    }


class GnnRegistry:
    """Versions in ``<root>/<version>/``; ``current`` names the served one.

    ``save`` never changes what is served; ``promote`` (after verifying checksums) and
    ``rollback`` do, atomically, and log to ``history``.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # ---- writing -------------------------------------------------------------------------

    def save(
        self,
        arrays: Mapping[str, np.ndarray],
        files: Mapping[str, bytes],
        meta: Mapping[str, Any],
    ) -> ModelVersion:
        """Store a new version (not current). See `gnn.model_version` for the layout.

        `meta` must hold ``user_ids`` and ``item_ids`` (moved to ``ids.json``) and
        ``data_hash``; ``activation`` (default ``"relu"``), ``aggregation`` (``"mean"``),
        ``combine`` (``"mean"``), ``categories`` (code → name, default ``[]``),
        ``metrics`` / ``config`` (written to ``metrics.json`` / ``config.json`` unless given
        in `files`; ``meta.json`` keeps the scalar metrics only) and ``item_features_encoder``
        are optional; other keys are kept as given.
        ``counts``, ``dims``, ``layers``, ``dim``, ``files``, ``version`` and ``created_at``
        are computed. Raises `RegistryError` when the arrays do not fit the contract.
        """
        meta = dict(meta)
        for key in (*_MOVED, "data_hash"):
            if key not in meta:
                raise RegistryError(f"meta needs {key!r}")
        user_ids = [str(u) for u in meta.pop("user_ids")]
        item_ids = [str(i) for i in meta.pop("item_ids")]
        for kind, ids in (("user", user_ids), ("item", item_ids)):
            if len(set(ids)) != len(ids):
                raise RegistryError(f"{kind} ids are not unique")
        for key in _COMPUTED:
            meta.pop(key, None)
        meta.setdefault("activation", "relu")
        meta.setdefault("aggregation", "mean")
        meta.setdefault("combine", "mean")
        meta.setdefault("score", "dot")
        meta["categories"] = [str(c) for c in meta.get("categories", [])]
        arrays = {name: np.asarray(value) for name, value in arrays.items()}
        pickled = [name for name, value in arrays.items() if value.dtype.hasobject]
        if pickled:
            raise RegistryError(f"object arrays cannot be stored: {', '.join(pickled)}")
        problems = artifact_problems(arrays, len(user_ids), len(item_ids), meta["categories"], meta)
        if problems:
            raise RegistryError("artifact does not fit the contract: " + "; ".join(problems))
        if meta["score"] != "dot":
            raise RegistryError(f"meta 'score' is {meta['score']!r}; only 'dot' is served")

        contents: dict[str, bytes] = {}
        for name, data in files.items():
            if checked_name(name) in (META_FILE, ARRAYS_FILE, IDS_FILE):
                raise RegistryError(f"{name} is written by the registry, not given as a file")
            contents[name] = bytes(data)
        buffer = io.BytesIO()
        contiguous: dict[str, Any] = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
        np.savez(buffer, **contiguous)  # uncompressed: loads fast
        contents[ARRAYS_FILE] = buffer.getvalue()
        contents[IDS_FILE] = json_bytes({"user_ids": user_ids, "item_ids": item_ids})
        if CONFIG_FILE not in contents:
            contents[CONFIG_FILE] = json_bytes(meta.get("config", {}))
        if METRICS_FILE not in contents:
            contents[METRICS_FILE] = json_bytes(meta.get("metrics", {}))
        metrics = meta["metrics"] if "metrics" in meta else json.loads(contents[METRICS_FILE])
        meta["metrics"] = _metrics_summary(metrics) if isinstance(metrics, Mapping) else {}

        manifest = {name: digest(data) for name, data in sorted(contents.items())}
        fingerprint = sha256(json_bytes(manifest)).hexdigest()[:8]
        created = datetime.now(UTC)
        path = self._new_dir(f"g{created.strftime('%Y%m%dT%H%M%S')}-{fingerprint}")
        for name, data in contents.items():
            write_atomic(path / name, data)

        layers = count_layers(arrays)
        dim = int(arrays["user_embeddings"].shape[1])
        full_meta: dict[str, Any] = {
            **meta,
            "format": FORMAT,
            "version": path.name,
            "created_at": created.isoformat(timespec="microseconds"),
            "layers": layers,
            "dim": dim,
            "counts": {
                "users": len(user_ids),
                "items": len(item_ids),
                "seen_interactions": len(arrays["seen_indices"]),
                "categories": len(meta["categories"]),
            },
            "dims": {
                "embedding": dim,
                "layers": layers,
                "item_features": int(arrays["item_feature_w"].shape[0]),
            },
            "files": manifest,
        }
        write_atomic(path / META_FILE, json_bytes(full_meta))
        fsync_dir(path)
        return ModelVersion(path.name, path, full_meta)

    def _new_dir(self, base: str) -> Path:
        """A fresh version directory: ``base``, else ``base-2``, ``base-3``... (``mkdir`` is
        atomic, so concurrent saves in the same second never share a directory)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 1000):
            path = self.root / (base if attempt == 1 else f"{base}-{attempt}")
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return path
        raise RegistryError(f"cannot find a free version name for {base}")

    # ---- reading -------------------------------------------------------------------------

    def versions(self) -> list[ModelVersion]:
        """Complete versions (with ``meta.json``), oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            if path.is_dir() and SAFE_NAME.fullmatch(path.name) and (path / META_FILE).is_file():
                with contextlib.suppress(RegistryError):  # unreadable meta: not a version
                    found.append(self._read(path))
        return sorted(found, key=lambda v: (str(v.meta.get("created_at", "")), v.version))

    def _read(self, path: Path) -> ModelVersion:
        try:
            meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as broken:
            raise RegistryError(f"GNN model version {path.name}: unreadable meta.json") from broken
        if not isinstance(meta, dict):
            raise RegistryError(f"GNN model version {path.name}: meta.json is not an object")
        return ModelVersion(path.name, path, meta)

    def get(self, version: str) -> ModelVersion:
        """One complete version by name (`RegistryError` when unknown or incomplete)."""
        path = self.root / checked_name(version)
        if not (path / META_FILE).is_file():
            state = "incomplete (no meta.json)" if path.is_dir() else "not found"
            raise RegistryError(f"GNN model version {version!r} {state} in {self.root}")
        return self._read(path)

    def current_name(self) -> str | None:
        """What the ``current`` pointer names (unchecked), or None when nothing was promoted."""
        return read_current(self.root)

    def erasure_revision(self) -> int:
        """How many erasures have rewritten versions here (0 when none): serving reloads the
        version it serves when this changes."""
        try:
            return int((self.root / ERASURES_FILE).read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def current(self) -> ModelVersion | None:
        """The version in use, or None when nothing was promoted yet."""
        name = self.current_name()
        return None if name is None else self.get(name)

    def history(self) -> list[dict[str, Any]]:
        """The promotion log, oldest first: ``{"at", "action", "version", "previous"}``."""
        return read_history(self.root)

    def verify(self, version: str, *, skip: frozenset[str] = frozenset()) -> ModelVersion:
        """Check every file in the manifest (size and sha256); `VerificationError` lists what
        is missing or changed. `skip` names files the caller checks itself (see
        `read_verified`)."""
        found = self.get(version)
        manifest = found.meta.get("files")
        if not isinstance(manifest, dict) or ARRAYS_FILE not in manifest:
            raise VerificationError(f"{version}: meta.json has no file manifest")
        problems = []
        for name, expected in sorted(manifest.items()):
            if name in skip:
                continue
            try:
                data = found.read_file(name)
            except (FileNotFoundError, RegistryError):
                problems.append(f"{name} is missing")
                continue
            if digest(data) != expected_digest(expected):
                problems.append(f"{name} does not match its checksum")
        if problems:
            listed = "; ".join(problems)
            raise VerificationError(f"GNN model version {version} is corrupt: {listed}")
        return found

    def read_verified(self, found: ModelVersion, name: str) -> bytes:
        """One file's bytes, checked against the manifest (what is checked is what is used)."""
        expected = found.meta.get("files", {}).get(name)
        if expected is None:
            raise VerificationError(f"{found.version}: {name} is not in the manifest")
        try:
            data = found.read_file(name)
        except FileNotFoundError as missing:
            raise VerificationError(f"GNN model version {found.version}: {name} is missing") from (
                missing
            )
        if digest(data) != expected_digest(expected):
            raise VerificationError(
                f"GNN model version {found.version} is corrupt: {name} does not match its checksum"
            )
        return data

    # ---- promoting -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def promote(self, version: str) -> ModelVersion:
        """Make a version current (after `verify`; a corrupt version is refused)."""
        with self._locked():
            found = self.verify(version)
            point_current(self.root, version, "promote", self.current_name())
        return found

    def rollback(self) -> ModelVersion:
        """Make the version that was current before the present one current again.

        Successive rollbacks walk further back (A, B, C promoted: rollback → B, → A).
        `RegistryError` when there is nothing to go back to; `VerificationError` when that
        version no longer verifies (the pointer is then left alone).
        """
        with self._locked():
            stack = promotion_stack(self.history(), self.current_name())
            if len(stack) < 2:
                now = stack[-1] if stack else None
                raise RegistryError(
                    f"cannot roll back: no GNN model version was current before {now!r} "
                    f"(history in {self.root / HISTORY})"
                )
            target = stack[-2]
            try:
                found = self.verify(target)
            except RegistryError as problem:
                raise VerificationError(f"cannot roll back to {target}: {problem}") from problem
            point_current(self.root, target, "rollback", stack[-1])
        return found
