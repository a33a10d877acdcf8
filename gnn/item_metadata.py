"""Item metadata files: item id → category, text, brand and price, and the item features
built from them.

A metadata file is CSV/TSV/parquet with an id column and optional ``category`` (multi-valued
with ``|``, e.g. genres), ``text`` (title; ``+`` joins columns, as in
``text=title+description``), ``brand`` and ``price`` columns, named by a column spec
(`gnn.column_specs`, roles ``id``, ``category``, ``text``, ``brand``, ``price``) or detected
from common header names. MovieLens 100K ``u.item`` (pipe-separated, latin-1, genre flags) is
read as such. Features come from `gnn.item_features.ItemFeatureEncoder`; ``item_categories``
is each item's first category. Items without metadata get empty attributes; metadata of items
absent from the interactions is ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gnn.column_specs import ColumnSpec, parse_columns
from gnn.interactions import Interactions
from gnn.item_features import ItemFeatureEncoder
from gnn.table_files import file_error, read_table, require_column

ITEM_ROLES: dict[str, str] = {
    "id": "id",
    "item": "id",
    "category": "category",
    "categories": "category",
    "genre": "category",
    "genres": "category",
    "text": "text",
    "title": "text",
    "brand": "brand",
    "price": "price",
}
ITEM_HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("item_id", "item", "id", "itemid", "movieid", "product_id", "productid", "stockcode"),
    "category": ("category", "categories", "genre", "genres"),
    "text": ("title", "name", "text", "description"),
    "brand": ("brand",),
    "price": ("price",),
}
MOVIELENS_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip


def _split_categories(value: object, separator: str) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return []
    return [part.strip() for part in str(value).split(separator) if part.strip()]


def _cell(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _read_movielens_u_item(path: Path) -> dict[str, dict[str, Any]]:
    frame = pd.read_csv(path, sep="|", header=None, encoding="latin-1", dtype={0: str})
    flags = frame.iloc[:, 5 : 5 + len(MOVIELENS_GENRES)].to_numpy()
    if flags.shape[1] != len(MOVIELENS_GENRES):
        raise file_error(path, None, "not a MovieLens u.item file (expected 19 genre flags)")
    out: dict[str, dict[str, Any]] = {}
    for row, (item_id, title) in enumerate(zip(frame[0], frame[1], strict=True)):
        genres = [g for g, flag in zip(MOVIELENS_GENRES, flags[row], strict=True) if flag == 1]
        out[str(item_id).strip()] = {"category": genres, "text": _cell(title)}
    return out


def read_item_attributes(
    path: str | Path,
    columns: ColumnSpec | None = None,
    sep: str | None = None,
    encoding: str | None = None,
    category_separator: str = "|",
) -> dict[str, dict[str, Any]]:
    """Item id → attribute row (``category`` list, ``text``, ``brand``, ``price``)."""
    file = Path(path)
    if file.name == "u.item":
        return _read_movielens_u_item(file)
    mapping, names = parse_columns(columns, ITEM_ROLES, "item columns")
    if names is not None:
        for name in names:
            role = ITEM_ROLES.get(name.strip().lower())
            if role is not None and role not in mapping:
                mapping[role] = name
        if "id" not in mapping:
            mapping["id"] = names[0]
    frame = read_table(file, sep, names, names is None, [], encoding)
    if names is None:
        lower = {str(c).lower(): str(c) for c in frame.columns}
        for role, candidates in ITEM_HEADER_NAMES.items():
            if role not in mapping:
                found = next((lower[c] for c in candidates if c in lower), None)
                if found is not None:
                    mapping[role] = found
    if "id" not in mapping:
        raise file_error(file, None, "no item id column (name it with item_columns, e.g. id=sku)")
    for role, spec in mapping.items():
        for column in spec.split("+") if role == "text" else [spec]:
            require_column(frame, file, column, f"item {role}")
    ids = frame[mapping["id"]].astype("string").str.strip()
    prices: np.ndarray | None = None
    if "price" in mapping:
        numbers = pd.to_numeric(frame[mapping["price"]], errors="coerce")
        bad = numbers.isna() & frame[mapping["price"]].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            value = frame[mapping["price"]].iloc[row]
            raise file_error(
                file, mapping["price"], f"price must be numeric; row {row} has {value!r}"
            )
        prices = np.asarray(numbers, np.float64)
    texts: list[pd.Series] = []
    if "text" in mapping:
        texts = [frame[c].astype("string").fillna("") for c in mapping["text"].split("+")]
    categories = frame[mapping["category"]] if "category" in mapping else None
    brands = frame[mapping["brand"]] if "brand" in mapping else None
    out: dict[str, dict[str, Any]] = {}
    for row, item_id in enumerate(ids):
        if pd.isna(item_id) or not item_id:
            continue
        attributes: dict[str, Any] = {}
        if categories is not None:
            attributes["category"] = _split_categories(categories.iloc[row], category_separator)
        if brands is not None:
            attributes["brand"] = _cell(brands.iloc[row])
        if prices is not None and math.isfinite(prices[row]):
            attributes["price"] = float(prices[row])
        if texts:
            attributes["text"] = " ".join(str(t.iloc[row]) for t in texts).strip()
        out[str(item_id)] = attributes
    return out


def with_item_attributes(
    data: Interactions,
    attributes: Mapping[str, Mapping[str, Any]],
    encoder: ItemFeatureEncoder | None = None,
) -> Interactions:
    """`data` with item features (a fresh encoder fit on its items unless one is given)
    and each item's first category."""
    rows = [attributes.get(item_id, {}) for item_id in data.item_ids]
    fitted = ItemFeatureEncoder().fit(rows) if encoder is None else encoder
    features = fitted.encode(rows)
    categories: list[str] = []
    for row in rows:
        value = row.get("category")
        if isinstance(value, str):
            categories.append(value.strip())
        elif isinstance(value, Sequence) and value:
            categories.append(str(value[0]).strip())
        else:
            categories.append("")
    return replace(data, item_features=features, item_categories=categories)
