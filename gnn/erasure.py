"""Remove erased users from every saved recommendation model version.

A version holds per-user rows: embeddings and layer outputs (``arrays.npz``), already-seen
items (the seen CSR), the id list (``ids.json``) and, when the model learns id embeddings,
rows of the state dict (``state_dict.pt``). Erasure rewrites those files without the users'
rows, updates the checksums in ``meta.json`` (written last), and bumps the registry's
erasure counter so serving processes reload the version they serve.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from gnn.artifact_contract import seen_csr
from gnn.atomic_files import fsync_dir, write_atomic
from gnn.model_version import (
    ARRAYS_FILE,
    IDS_FILE,
    META_FILE,
    STATE_DICT_FILE,
    ModelVersion,
    digest,
    json_bytes,
)
from gnn.registry import ERASURES_FILE, GnnRegistry


def erase_users(root: Path, user_ids: Collection[str]) -> int:
    """Drop these users from every version; returns the rows removed (over all versions)."""
    registry = GnnRegistry(root)
    erased = set(user_ids)
    removed = 0
    with registry._locked():
        for version in registry.versions():
            removed += _erase_in(version, erased)
        if removed:
            revision = registry.erasure_revision() + 1
            write_atomic(root / ERASURES_FILE, str(revision).encode())
    return removed


def _erase_in(version: ModelVersion, erased: set[str]) -> int:
    users, items = version.ids()
    drop = [i for i, user in enumerate(users) if user in erased]
    if not drop:
        return 0
    keep = np.setdiff1d(np.arange(len(users)), np.asarray(drop))
    arrays = version.arrays()
    indptr, indices = arrays["seen_indptr"], arrays["seen_indices"]
    for name, value in list(arrays.items()):
        if name.startswith("user_") and value.ndim >= 1 and value.shape[0] == len(users):
            arrays[name] = value[keep]
    owners = np.repeat(np.arange(len(users)), np.diff(indptr))
    kept_seen = np.isin(owners, keep)
    renumber = np.full(len(users), -1, np.int64)
    renumber[keep] = np.arange(len(keep))
    arrays["seen_indptr"], arrays["seen_indices"] = seen_csr(
        renumber[owners[kept_seen]], indices[kept_seen], len(keep)
    )
    if "seen_weights" in arrays:  # aligned with seen_indices; renumbering keeps the order
        arrays["seen_weights"] = arrays["seen_weights"][kept_seen]
    contents = {ARRAYS_FILE: _npz(arrays)}
    contents[IDS_FILE] = json_bytes({"user_ids": [users[i] for i in keep], "item_ids": items})
    if (version.path / STATE_DICT_FILE).is_file():
        contents[STATE_DICT_FILE] = _state_dict_without(
            version.read_file(STATE_DICT_FILE), keep, len(users)
        )
    for name, data in contents.items():
        write_atomic(version.path / name, data)
    meta: dict[str, Any] = dict(version.meta)
    meta["files"] = {**meta.get("files", {}), **{n: digest(d) for n, d in contents.items()}}
    meta["counts"] = {
        **meta.get("counts", {}),
        "users": len(keep),
        "seen_interactions": len(arrays["seen_indices"]),
    }
    meta["erased_users"] = int(meta.get("erased_users", 0)) + len(drop)
    write_atomic(version.path / META_FILE, json_bytes(meta))
    fsync_dir(version.path)
    return len(drop)


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    contiguous: dict[str, Any] = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    np.savez(buffer, **contiguous)
    return buffer.getvalue()


def _state_dict_without(data: bytes, keep: np.ndarray, n_users: int) -> bytes:
    """The state dict with per-user rows (id embeddings) dropped."""
    import torch  # only here: erasing is rare, and serving never imports torch

    state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    index = torch.from_numpy(keep)
    for name, tensor in list(state.items()):
        if "user" in name and tensor.ndim >= 1 and tensor.shape[0] == n_users:
            state[name] = tensor.index_select(0, index).clone()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()
