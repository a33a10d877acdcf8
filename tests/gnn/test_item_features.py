"""Item feature encoding: blocks, vocabulary, JSON round trip, new items."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gnn.item_features import ItemFeatureEncoder, text_bucket, tokens

CATALOGUE: list[dict[str, Any]] = [
    {"category": "kitchen", "brand": "Otter Living", "price": 12.75, "text": "Regency Cakestand"},
    {"category": ["kitchen", "gifts"], "brand": "Otter Living", "price": 2.1, "text": "Tea Mug"},
    {"category": "candles", "brand": "Copper Home", "price": 2.95, "text": "Heart T-Light"},
    {"category": "candles", "brand": "Copper Home", "price": 4.5, "text": "Glass Lantern"},
    {"category": "toys", "brand": "Solo Brand", "price": 0.85, "text": "Spaceboy Kit"},
    {"text": "Mystery item of the week"},
]


def feature_names(encoder: ItemFeatureEncoder, row: dict[str, Any]) -> set[str]:
    """Names of the non-zero features of one encoded row."""
    features = encoder.encode([row])
    return {features.names[j] for j in features.matrix.indices}


def test_blocks_are_separately_normalised() -> None:
    encoder = ItemFeatureEncoder(text_buckets=64, price_buckets=4)
    features = encoder.fit_encode(CATALOGUE)
    matrix = features.matrix
    assert matrix.dtype == np.float32
    assert matrix.shape == (6, len(features.names))
    for row in range(matrix.shape[0]):
        blocks: dict[str, float] = {}
        for j, value in zip(matrix[row].indices, matrix[row].data, strict=True):
            block = features.names[j].split("=")[0].split("#")[0].rstrip("0123456789")
            blocks[block] = blocks.get(block, 0.0) + float(value) ** 2
        assert all(total == pytest.approx(1.0) for total in blocks.values())
    assert set(encoder.brands) == {"Otter Living", "Copper Home"}  # Solo Brand: one item
    assert {"category=kitchen", "category=gifts"} <= feature_names(encoder, CATALOGUE[1])
    assert "brand=?" in feature_names(encoder, CATALOGUE[4])
    assert not any(
        n.startswith(("brand", "category", "price")) for n in feature_names(encoder, CATALOGUE[5])
    )


def test_price_buckets_follow_log_price_order() -> None:
    encoder = ItemFeatureEncoder(price_buckets=3).fit(CATALOGUE)
    assert len(encoder.price_edges) == 2
    cheap = feature_names(encoder, {"price": 0.5})
    dear = feature_names(encoder, {"price": 100.0})
    assert cheap == {"price0"}
    assert dear == {"price2"}


def test_text_tokens_drop_stopwords_and_hash_stably() -> None:
    assert tokens("The Set of 3 RED Mugs, with a heart!") == ["set", "red", "mugs", "heart"]
    assert text_bucket("heart", 1024) == 998  # crc32: the same in every process and platform
    encoder = ItemFeatureEncoder(text_buckets=1024).fit(CATALOGUE)
    names = feature_names(encoder, {"text": "heart of glass"})
    assert names == {f"text#{text_bucket('heart', 1024)}", f"text#{text_bucket('glass', 1024)}"}


def test_json_round_trip_encodes_identically_including_new_items() -> None:
    encoder = ItemFeatureEncoder().fit(CATALOGUE)
    restored = ItemFeatureEncoder.from_json(encoder.to_json())
    new_items: list[dict[str, Any]] = [
        {"category": "garden", "brand": "Copper Home", "price": 7.0, "text": "Copper Lantern"},
        {"category": ["candles"], "brand": "Unknown Co", "price": None, "text": ""},
    ]
    for rows in (CATALOGUE, new_items):
        a, b = encoder.encode(rows), restored.encode(rows)
        assert a.names == b.names
        assert (a.matrix != b.matrix).nnz == 0
        assert np.array_equal(a.matrix.indptr, b.matrix.indptr)
    names = feature_names(restored, new_items[0])
    assert {"category=?", "brand=Copper Home"} <= names  # unseen category, known brand
    assert f"text#{text_bucket('lantern', restored.text_buckets)}" in names
    assert feature_names(restored, new_items[1]) == {"category=candles", "brand=?"}


def test_from_json_rejects_other_documents() -> None:
    with pytest.raises(ValueError, match="not an item feature encoder"):
        ItemFeatureEncoder.from_json('{"format": "something else"}')
