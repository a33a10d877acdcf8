"""Versioned GraphSAGE recommendation artifacts on disk (numpy and the standard library only).

A version lives in ``<root>/<version>/``:

- ``arrays.npz``: every array serving needs (uncompressed, no pickles), see `required_arrays`;
- ``ids.json``: ``{"user_ids": [...], "item_ids": [...]}`` (row order of the arrays);
- ``config.json`` / ``metrics.json``: training configuration and evaluation metrics;
- ``state_dict.pt`` and any other file the caller hands over (report, plots), kept as bytes;
- ``meta.json``, written last: the version's description and the ``files`` manifest
  (name → sha256 and size). A directory without it is incomplete and ignored.

``current`` names the version in use; ``history`` is an append-only JSON-lines log of
promotions and rollbacks, from which `GnnRegistry.rollback` finds the previous version.
Every file is written atomically (temporary file, fsync, ``os.replace``).

The model the arrays describe (bipartite user-item GraphSAGE, fixed contract): layer 0 is
``item x⁰ = E_item[i] + F[i] @ item_feature_w + item_feature_b`` and ``user x⁰ = E_user[u]``;
for ``l < L`` each side takes the unweighted mean of its neighbours' ``x^l`` (zero without
neighbours): ``x^{l+1} = act_l(mean @ Wn.T + bn + x^l @ Ws.T)``, ``act_l`` = ``activation``
for ``l < L-1`` and identity for the last layer; the final embedding is the mean of
``x⁰..x^L`` (``combine: "mean"``) or ``x^L`` (``"last"``); score = inner product.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
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
CURRENT = "current"
HISTORY = "history"
LOCK = ".lock"

FORMAT = "gnn-sage-bipartite/1"
ACTIVATIONS = ("relu", "identity")
AGGREGATIONS = ("mean",)
COMBINES = ("mean", "last")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Keys of the caller's meta that the registry moves elsewhere or computes itself.
_MOVED = ("user_ids", "item_ids")
_COMPUTED = ("version", "created_at", "files", "counts", "dims", "format", "layers", "dim")


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
        return (self.path / _checked_name(name)).read_bytes()

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


def seen_csr(users: np.ndarray, items: np.ndarray, n_users: int) -> tuple[np.ndarray, np.ndarray]:
    """``(seen_indptr, seen_indices)``: each user's distinct training items, sorted (int64)."""
    pairs = np.unique(np.stack([np.asarray(users, np.int64), np.asarray(items, np.int64)]), axis=1)
    indptr = np.zeros(n_users + 1, np.int64)
    np.add.at(indptr, pairs[0] + 1, 1)
    return np.cumsum(indptr), np.ascontiguousarray(pairs[1])


def category_codes(labels: list[str] | None, n_items: int) -> tuple[np.ndarray, list[str]]:
    """``(item_category_codes, categories)`` from one label per item ("" or None: no
    category, code -1); categories sorted by name."""
    if labels is None:
        return np.full(n_items, -1, np.int32), []
    if len(labels) != n_items:
        raise ValueError(f"{len(labels)} category labels for {n_items} items")
    categories = sorted({label for label in labels if label})
    index = {name: code for code, name in enumerate(categories)}
    codes = np.fromiter((index.get(label, -1) if label else -1 for label in labels), np.int32)
    return codes, categories


def required_arrays(layers: int) -> list[str]:
    """Names every artifact must hold for a model with `layers` layers."""
    names = [
        "user_embeddings",
        "item_embeddings",
        "item_popularity",
        "unknown_user_x0",
        "item_feature_w",
        "item_feature_b",
        "unknown_item_x0",
        "seen_indptr",
        "seen_indices",
        "item_category_codes",
    ]
    for layer in range(layers):
        names += [f"user_layer_{layer}", f"item_layer_{layer}"]
        for side in ("user", "item"):
            names += [f"{side}_conv_{layer}_{part}" for part in ("wn", "bn", "ws")]
    return names


def count_layers(arrays: Mapping[str, np.ndarray]) -> int:
    """L, from the ``user_conv_{l}_wn`` arrays present."""
    layers = 0
    while f"user_conv_{layers}_wn" in arrays:
        layers += 1
    return layers


def artifact_problems(
    arrays: Mapping[str, np.ndarray],
    n_users: int,
    n_items: int,
    categories: list[str],
    contract: Mapping[str, Any],
) -> list[str]:
    """Everything wrong with an artifact's arrays and contract fields (empty when well formed)."""
    problems: list[str] = []
    for key, allowed in (
        ("activation", ACTIVATIONS),
        ("aggregation", AGGREGATIONS),
        ("combine", COMBINES),
    ):
        if contract.get(key) not in allowed:
            problems.append(f"meta {key!r} is {contract.get(key)!r}, expected one of {allowed}")
    layers = count_layers(arrays)
    if layers < 1:
        return [*problems, "no layers: user_conv_0_wn is missing"]
    missing = [name for name in required_arrays(layers) if name not in arrays]
    if missing:
        return [*problems, f"missing arrays: {', '.join(missing)}"]
    dim = int(arrays["user_embeddings"].shape[-1]) if arrays["user_embeddings"].ndim == 2 else -1
    n_features = arrays["item_feature_w"].shape[0] if arrays["item_feature_w"].ndim == 2 else 0
    expected: dict[str, tuple[int, ...]] = {
        "user_embeddings": (n_users, dim),
        "item_embeddings": (n_items, dim),
        "item_popularity": (n_items,),
        "unknown_user_x0": (dim,),
        "item_feature_w": (n_features, dim),
        "item_feature_b": (dim,),
        "unknown_item_x0": (dim,),
        "seen_indptr": (n_users + 1,),
        "item_category_codes": (n_items,),
    }
    for layer in range(layers):
        expected[f"user_layer_{layer}"] = (n_users, dim)
        expected[f"item_layer_{layer}"] = (n_items, dim)
        for side in ("user", "item"):
            expected[f"{side}_conv_{layer}_wn"] = (dim, dim)
            expected[f"{side}_conv_{layer}_bn"] = (dim,)
            expected[f"{side}_conv_{layer}_ws"] = (dim, dim)
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            problems.append(f"{name} has shape {arrays[name].shape}, expected {shape}")
    floats = [name for name in expected if not name.startswith(("seen_", "item_category"))]
    for name in floats:
        if arrays[name].dtype != np.float32:
            problems.append(f"{name} is {arrays[name].dtype}, expected float32")
        elif not np.isfinite(arrays[name]).all():
            problems.append(f"{name} holds NaN or infinite values")
    for name in ("seen_indptr", "seen_indices"):
        if arrays[name].dtype != np.int64:
            problems.append(f"{name} is {arrays[name].dtype}, expected int64")
    if arrays["item_category_codes"].dtype != np.int32:
        problems.append(f"item_category_codes is {arrays['item_category_codes'].dtype}, not int32")
    if problems:
        return problems
    indptr, indices = arrays["seen_indptr"], arrays["seen_indices"]
    if indices.ndim != 1 or indptr[0] != 0 or indptr[-1] != len(indices):
        problems.append("seen_indptr does not span seen_indices (CSR)")
    elif np.any(np.diff(indptr) < 0):
        problems.append("seen_indptr is not non-decreasing")
    if len(indices) and (indices.min() < 0 or indices.max() >= n_items):
        problems.append("seen_indices holds item indices out of range")
    codes = arrays["item_category_codes"]
    if len(codes) and (codes.min() < -1 or codes.max() >= len(categories)):
        problems.append(f"item_category_codes outside -1..{len(categories) - 1} (meta categories)")
    return problems


def _checked_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise RegistryError(f"invalid name {name!r} (letters, digits, '.', '_' and '-' only)")
    return name


def _digest(data: bytes) -> dict[str, Any]:
    return {"sha256": sha256(data).hexdigest(), "size": len(data)}


def _expected(entry: Any) -> dict[str, Any]:
    """A manifest entry in `_digest`'s form (a malformed entry never matches)."""
    if not isinstance(entry, dict):
        return {}
    return {"sha256": entry.get("sha256"), "size": entry.get("size")}


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        """Store a new version (not current). See the module docstring for the layout.

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
            if _checked_name(name) in (META_FILE, ARRAYS_FILE, IDS_FILE):
                raise RegistryError(f"{name} is written by the registry, not given as a file")
            contents[name] = bytes(data)
        buffer = io.BytesIO()
        contiguous: dict[str, Any] = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
        np.savez(buffer, **contiguous)  # uncompressed: loads fast
        contents[ARRAYS_FILE] = buffer.getvalue()
        contents[IDS_FILE] = _json_bytes({"user_ids": user_ids, "item_ids": item_ids})
        if CONFIG_FILE not in contents:
            contents[CONFIG_FILE] = _json_bytes(meta.get("config", {}))
        if METRICS_FILE not in contents:
            contents[METRICS_FILE] = _json_bytes(meta.get("metrics", {}))
        metrics = meta["metrics"] if "metrics" in meta else json.loads(contents[METRICS_FILE])
        meta["metrics"] = _metrics_summary(metrics) if isinstance(metrics, Mapping) else {}

        manifest = {name: _digest(data) for name, data in sorted(contents.items())}
        fingerprint = sha256(_json_bytes(manifest)).hexdigest()[:8]
        created = datetime.now(UTC)
        path = self._new_dir(f"g{created.strftime('%Y%m%dT%H%M%S')}-{fingerprint}")
        for name, data in contents.items():
            _write_atomic(path / name, data)

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
        _write_atomic(path / META_FILE, _json_bytes(full_meta))
        _fsync_dir(path)
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
            if path.is_dir() and _NAME.fullmatch(path.name) and (path / META_FILE).is_file():
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
        path = self.root / _checked_name(version)
        if not (path / META_FILE).is_file():
            state = "incomplete (no meta.json)" if path.is_dir() else "not found"
            raise RegistryError(f"GNN model version {version!r} {state} in {self.root}")
        return self._read(path)

    def current_name(self) -> str | None:
        """What the ``current`` pointer names (unchecked), or None when nothing was promoted."""
        try:
            return (self.root / CURRENT).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def current(self) -> ModelVersion | None:
        """The version in use, or None when nothing was promoted yet."""
        name = self.current_name()
        return None if name is None else self.get(name)

    def history(self) -> list[dict[str, Any]]:
        """The promotion log, oldest first: ``{"at", "action", "version", "previous"}``."""
        try:
            text = (self.root / HISTORY).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

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
            if _digest(data) != _expected(expected):
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
        if _digest(data) != _expected(expected):
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

    def _point(self, version: str, action: str, previous: str | None) -> None:
        _write_atomic(self.root / CURRENT, version.encode("utf-8"))
        entry = {
            "at": datetime.now(UTC).isoformat(timespec="microseconds"),
            "action": action,
            "version": version,
            "previous": previous,
        }
        with (self.root / HISTORY).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _stack(self) -> list[str]:
        """Versions that were current, most recent last: promotions push, rollbacks pop."""
        stack: list[str] = []
        for entry in self.history():
            if entry.get("action") == "rollback":
                if stack:
                    stack.pop()
                if not stack or stack[-1] != entry["version"]:
                    stack.append(entry["version"])
            elif not stack or stack[-1] != entry["version"]:
                stack.append(entry["version"])
        current = self.current_name()
        if current is not None and (not stack or stack[-1] != current):
            stack.append(current)  # the pointer was set outside `promote`
        return stack

    def promote(self, version: str) -> ModelVersion:
        """Make a version current (after `verify`; a corrupt version is refused)."""
        with self._locked():
            found = self.verify(version)
            self._point(version, "promote", self.current_name())
        return found

    def rollback(self) -> ModelVersion:
        """Make the version that was current before the present one current again.

        Successive rollbacks walk further back (A, B, C promoted: rollback → B, → A).
        `RegistryError` when there is nothing to go back to; `VerificationError` when that
        version no longer verifies (the pointer is then left alone).
        """
        with self._locked():
            stack = self._stack()
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
            self._point(target, "rollback", stack[-1])
        return found
