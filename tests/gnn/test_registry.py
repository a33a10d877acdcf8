"""The GNN model registry: versions, checksums, promote and rollback, atomic writes."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gnn.artifact_contract import category_codes, seen_csr
from gnn.model_version import (
    ARRAYS_FILE,
    META_FILE,
    ModelVersion,
    RegistryError,
    VerificationError,
)
from gnn.registry import GnnRegistry
from tests.gnn.serving_reference import (
    artifact,
    flip_bytes,
    random_graph,
    random_params,
    save_random,
)


def _artifact(seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    rng = np.random.default_rng(seed)
    graph = random_graph(rng, 12, 20, 4)
    return artifact(random_params(rng, graph, dim=4, layers=2, n_features=3), graph)


def test_save_writes_every_file_and_meta_last(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    arrays, meta = _artifact()
    files = {"state_dict.pt": b"\x00torch\xff", "report.html": b"<html>ok</html>"}
    saved = registry.save(arrays, files, {**meta, "trainer": "graphsage", "epochs": 3})
    assert re.fullmatch(r"g\d{8}T\d{6}-[0-9a-f]{8}", saved.version)
    assert saved.path == tmp_path / saved.version
    on_disk = json.loads((saved.path / META_FILE).read_text())
    assert on_disk == saved.meta
    created = datetime.fromisoformat(on_disk["created_at"])
    assert created.tzinfo is not None
    assert created.utcoffset() == UTC.utcoffset(created)
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60
    assert on_disk["data_hash"] == "0123456789abcdef"
    assert on_disk["counts"] == {
        "users": 12,
        "items": 20,
        "seen_interactions": len(arrays["seen_indices"]),
        "categories": 3,
    }
    assert on_disk["dims"] == {"embedding": 4, "layers": 2, "item_features": 3}
    assert (on_disk["layers"], on_disk["dim"]) == (2, 4)
    contract = {k: on_disk[k] for k in ("activation", "aggregation", "combine", "score")}
    assert contract == {
        "activation": "relu",
        "aggregation": "mean",
        "combine": "mean",
        "score": "dot",
    }
    assert on_disk["metrics"] == {"recall@20": 0.25, "ndcg@20": 0.125}
    assert (on_disk["trainer"], on_disk["epochs"]) == ("graphsage", 3)
    assert "user_ids" not in on_disk
    assert "item_ids" not in on_disk
    expected_files = {"arrays.npz", "ids.json", "config.json", "metrics.json", *files}
    assert set(on_disk["files"]) == expected_files
    for name, entry in on_disk["files"].items():
        data = (saved.path / name).read_bytes()
        assert entry == {"sha256": sha256(data).hexdigest(), "size": len(data)}
    assert sorted(p.name for p in saved.path.iterdir()) == sorted({*expected_files, META_FILE})
    assert saved.read_file("state_dict.pt") == files["state_dict.pt"]
    assert json.loads(saved.read_file("config.json")) == {"dim": 4, "layers": 2}
    assert json.loads(saved.read_file("metrics.json")) == meta["metrics"]
    user_ids, item_ids = saved.ids()
    assert (user_ids, item_ids) == (meta["user_ids"], meta["item_ids"])
    loaded = saved.arrays()
    assert set(loaded) == set(arrays)
    for name, array in arrays.items():
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].dtype == array.dtype
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]
    assert registry.current() is None  # saving never changes what is served


def test_saves_in_the_same_second_get_distinct_versions_oldest_first(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    arrays, meta = _artifact()
    saved: list[ModelVersion] = []
    threads = [
        threading.Thread(target=lambda: saved.append(registry.save(arrays, {}, meta)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved.append(registry.save(arrays, {}, meta))
    names = [v.version for v in saved]
    assert len(set(names)) == 5
    listed = registry.versions()
    assert {v.version for v in listed} == set(names)
    assert listed[-1].version == names[-1]
    created = [v.meta["created_at"] for v in listed]
    assert created == sorted(created)
    other_arrays, other_meta = _artifact(seed=1)
    other = registry.save(other_arrays, {}, other_meta)
    assert other.version.split("-")[1] != names[0].split("-")[1]  # content fingerprint
    assert registry.versions()[-1].version == other.version


def test_incomplete_versions_are_ignored(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    assert registry.versions() == []
    arrays, meta = _artifact()
    saved = registry.save(arrays, {}, meta)
    (tmp_path / "g20990101T000000-deadbeef").mkdir()  # a save that died before meta.json
    (tmp_path / "g20990101T000000-deadbeef" / ARRAYS_FILE).write_bytes(b"partial")
    (tmp_path / ".hidden-tmp").mkdir()
    assert [v.version for v in registry.versions()] == [saved.version]
    with pytest.raises(RegistryError, match=r"incomplete \(no meta.json\)"):
        registry.get("g20990101T000000-deadbeef")
    with pytest.raises(RegistryError, match="incomplete"):
        registry.promote("g20990101T000000-deadbeef")
    with pytest.raises(RegistryError, match="not found"):
        registry.get("g20000101T000000-00000000")
    with pytest.raises(RegistryError, match="invalid name"):
        registry.get("../escape")


def test_promote_and_rollback_walk_back_through_history(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    a, b, c = (save_random(registry, seed)[0].version for seed in (1, 2, 3))
    with pytest.raises(RegistryError, match="cannot roll back: no GNN model version"):
        registry.rollback()
    registry.promote(a)
    with pytest.raises(RegistryError, match=f"before '{a}'"):
        registry.rollback()
    registry.promote(b)
    registry.promote(b)  # again: not a new step back
    registry.promote(c)
    assert registry.current_name() == c
    assert registry.rollback().version == b
    assert registry.current() is not None
    assert registry.current().version == b  # type: ignore[union-attr]
    assert registry.rollback().version == a
    with pytest.raises(RegistryError, match="cannot roll back"):
        registry.rollback()
    assert registry.current_name() == a
    registry.promote(c)
    assert registry.rollback().version == a
    history = registry.history()
    assert [(h["action"], h["version"]) for h in history] == [
        ("promote", a),
        ("promote", b),
        ("promote", b),
        ("promote", c),
        ("rollback", b),
        ("rollback", a),
        ("promote", c),
        ("rollback", a),
    ]
    assert history[3]["previous"] == b
    assert all(datetime.fromisoformat(h["at"]).tzinfo is not None for h in history)
    assert (tmp_path / "current").read_text() == a


def test_verify_catches_changed_and_missing_files(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    good, _, _ = save_random(registry, seed=4)
    assert registry.verify(good.version).version == good.version
    registry.promote(good.version)
    changed, _, _ = save_random(registry, seed=5)
    flip_bytes(changed)
    with pytest.raises(VerificationError, match=r"corrupt: arrays\.npz does not match"):
        registry.verify(changed.version)
    with pytest.raises(VerificationError):
        registry.promote(changed.version)
    missing, _, _ = save_random(registry, seed=6)
    (missing.path / "state_dict.pt").unlink()
    with pytest.raises(VerificationError, match=r"state_dict\.pt is missing"):
        registry.promote(missing.version)
    truncated, _, _ = save_random(registry, seed=7)
    report = truncated.path / "report.html"
    report.write_bytes(report.read_bytes()[:-1])
    with pytest.raises(VerificationError, match=r"report\.html does not match"):
        registry.promote(truncated.version)
    assert registry.current_name() == good.version
    assert [h["version"] for h in registry.history()] == [good.version]
    # A version that went bad after it was promoted is not rolled back to.
    fine, _, _ = save_random(registry, seed=8)
    registry.promote(fine.version)
    flip_bytes(good)
    with pytest.raises(VerificationError, match=f"cannot roll back to {good.version}"):
        registry.rollback()
    assert registry.current_name() == fine.version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a, m: a.pop("item_layer_1"), "missing arrays: item_layer_1"),
        (lambda a, m: a.pop("user_conv_0_wn"), "no layers"),
        (
            lambda a, m: a.__setitem__("item_embeddings", a["item_embeddings"][:-1]),
            r"item_embeddings has shape \(19, 4\), expected \(20, 4\)",
        ),
        (
            lambda a, m: a.__setitem__("user_conv_1_ws", a["user_conv_1_ws"].astype(np.float64)),
            "user_conv_1_ws is float64, expected float32",
        ),
        (
            lambda a, m: a.__setitem__("item_category_codes", a["item_category_codes"] + 5),
            "item_category_codes outside",
        ),
        (
            lambda a, m: a["seen_indices"].__setitem__(0, 99),
            "seen_indices holds item indices out of range",
        ),
        (lambda a, m: a["user_embeddings"].__setitem__((0, 0), np.nan), "NaN"),
        (lambda a, m: a.__setitem__("extra", np.array([{}], object)), "object arrays"),
        (lambda a, m: m.__setitem__("combine", "sum"), "meta 'combine' is 'sum'"),
        (lambda a, m: m.__setitem__("activation", "tanh"), "meta 'activation'"),
        (lambda a, m: m.pop("data_hash"), "meta needs 'data_hash'"),
        (lambda a, m: m.pop("item_ids"), "meta needs 'item_ids'"),
        (lambda a, m: m.__setitem__("user_ids", ["x"] * 12), "user ids are not unique"),
    ],
)
def test_save_refuses_artifacts_that_break_the_contract(
    tmp_path: Path, change: Any, message: str
) -> None:
    arrays, meta = _artifact()
    change(arrays, meta)
    with pytest.raises(RegistryError, match=message):
        GnnRegistry(tmp_path).save(arrays, {}, meta)
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_save_refuses_files_the_registry_writes(tmp_path: Path) -> None:
    arrays, meta = _artifact()
    for name in (META_FILE, ARRAYS_FILE, "ids.json"):
        with pytest.raises(RegistryError, match="written by the registry"):
            GnnRegistry(tmp_path).save(arrays, {name: b"{}"}, meta)
    with pytest.raises(RegistryError, match="invalid name"):
        GnnRegistry(tmp_path).save(arrays, {"../x": b""}, meta)
    given = GnnRegistry(tmp_path).save(
        arrays,
        {"metrics.json": b'{"auc": 0.9, "curve": [1]}'},
        {k: v for k, v in meta.items() if k != "metrics"},
    )
    assert given.meta["metrics"] == {"auc": 0.9}  # scalars only in meta.json


def test_helpers_build_the_seen_csr_and_category_codes() -> None:
    users = np.array([2, 0, 2, 2, 0])
    items = np.array([5, 1, 3, 5, 0])  # (2, 5) twice: a neighbourhood is a set
    indptr, indices = seen_csr(users, items, n_users=4)
    assert indptr.tolist() == [0, 2, 2, 4, 4]
    assert indices.tolist() == [0, 1, 3, 5]
    assert indptr.dtype == np.dtype(np.int64)
    assert indices.dtype == np.dtype(np.int64)
    codes, names = category_codes(["toys", "", "books", "toys"], 4)
    assert names == ["books", "toys"]
    assert codes.tolist() == [1, -1, 0, 1]
    assert codes.dtype == np.dtype(np.int32)
    none, empty = category_codes(None, 3)
    assert (none.tolist(), empty) == ([-1, -1, -1], [])
    with pytest.raises(ValueError, match="2 category labels for 3 items"):
        category_codes(["a", "b"], 3)


def test_an_unreadable_meta_is_not_a_version(tmp_path: Path) -> None:
    registry = GnnRegistry(tmp_path)
    arrays, meta = _artifact()
    saved = registry.save(arrays, {}, meta)
    other_arrays, other_meta = _artifact(seed=2)
    broken = registry.save(other_arrays, {}, other_meta)
    (broken.path / META_FILE).write_text("{not json")
    assert [v.version for v in registry.versions()] == [saved.version]
    with pytest.raises(RegistryError, match=r"unreadable meta\.json"):
        registry.promote(broken.version)
