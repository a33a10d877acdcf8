"""The Online Retail II log (UCI 502) as customer x product interactions.

`load_online_retail` documents the rules; `default_retail_path` says where the file is found.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gnn.interactions import Interactions, aggregate
from gnn.item_metadata import with_item_attributes
from gnn.table_files import file_error
from gnn.timestamps import to_epoch_ms

_PRODUCT_CODE = re.compile(r"^\d{5}")


def _from_pairs(
    users: np.ndarray,
    items: np.ndarray,
    weights: np.ndarray,
    first_at: np.ndarray,
    last_at: np.ndarray,
    source: str,
) -> Interactions:
    """`aggregate` of one row per pair carrying its weight at its first time and a zero-weight
    row at its last time: the same index and order as `aggregate` on raw events."""
    return aggregate(
        np.concatenate([users, users]),
        np.concatenate([items, items]),
        np.concatenate([weights, np.zeros_like(weights)]),
        np.concatenate([first_at, last_at]),
        source=source,
    )


def is_product_code(code: str) -> bool:
    """Online Retail stock codes of real products start with five digits (POST, M, DOT, C2,
    BANK CHARGES, ADJUST, TEST001, gift_0001_*, DCGS*, … are fees, manual lines, vouchers)."""
    return bool(_PRODUCT_CODE.match(code))


def default_retail_path() -> Path:
    """Online Retail II parquet: ``$CG_RETAIL_PATH``, else ``shared/data`` beside the checkout
    (``../shared/data/online-retail-ii/``), else the development machines' ``/work/shared``."""
    relative = "shared/data/online-retail-ii/online_retail_ii_2009_2010.parquet"
    if "CG_RETAIL_PATH" in os.environ:
        return Path(os.environ["CG_RETAIL_PATH"])
    beside = Path(__file__).resolve().parents[2] / relative
    return beside if beside.is_file() else Path("/work") / relative


def load_online_retail(path: str | Path) -> Interactions:
    """Online Retail II (UCI 502) as customer x product interactions.

    Users are ``Customer ID`` (guest rows without one are dropped), items are upper-cased
    ``StockCode`` of products only (see `is_product_code`), times are ``InvoiceDate`` (UTC).
    Each purchase line (positive quantity, invoice not starting with 'C') weighs
    log1p(quantity), summed per pair like any quantity log; cancellations (invoice 'C…' or
    negative quantity) subtract their quantity: the pair's weight is scaled by
    net quantity / purchased quantity, and pairs with net quantity ≤ 0 are dropped. First and
    last times are those of the pair's purchases. Item features come from the most frequent
    ``Description`` (text) and the median unit ``Price``."""
    file = Path(path)
    wanted = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price"]
    frame = pd.read_parquet(file, columns=[*wanted, "Customer ID"])
    missing = [c for c in (*wanted, "Customer ID") if c not in frame.columns]
    if missing:
        raise file_error(file, missing[0], "missing (not an Online Retail II file?)")
    codes = frame["StockCode"].astype("string[pyarrow]").str.strip().str.upper()
    products = codes.str.match(_PRODUCT_CODE.pattern).fillna(False).to_numpy(dtype=bool)
    frame = frame.assign(StockCode=codes)
    catalogue = frame[products]
    customers = frame["Customer ID"]
    rows = frame[products & customers.notna().to_numpy()]
    customer = rows["Customer ID"].astype(np.int64).astype(str).to_numpy()
    quantity = rows["Quantity"].to_numpy(np.float64)
    invoices = rows["Invoice"].astype("string[pyarrow]").str.upper()
    cancelled = invoices.str.startswith("C").fillna(False).to_numpy(dtype=bool)
    cancelled |= quantity < 0
    times = to_epoch_ms(rows["InvoiceDate"], file, "InvoiceDate")
    table = pd.DataFrame(
        {
            "user": customer,
            "item": rows["StockCode"].to_numpy(dtype=str),
            "bought": np.where(~cancelled & (quantity > 0), quantity, 0.0),
            "returned": np.where(cancelled, np.abs(quantity), 0.0),
            "weight": np.where(~cancelled & (quantity > 0), np.log1p(np.maximum(quantity, 0)), 0),
            "first": np.where(~cancelled, times, np.iinfo(np.int64).max),
            "last": np.where(~cancelled, times, np.iinfo(np.int64).min),
        }
    )
    pairs = table.groupby(["user", "item"], sort=False).agg(
        bought=("bought", "sum"),
        returned=("returned", "sum"),
        weight=("weight", "sum"),
        first=("first", "min"),
        last=("last", "max"),
    )
    net = pairs["bought"] - pairs["returned"]
    pairs = pairs[(pairs["bought"] > 0) & (net > 0)]
    share = ((pairs["bought"] - pairs["returned"]) / pairs["bought"]).to_numpy()
    data = _from_pairs(
        pairs.index.get_level_values("user").to_numpy(dtype=str),
        pairs.index.get_level_values("item").to_numpy(dtype=str),
        pairs["weight"].to_numpy(np.float64) * share,
        pairs["first"].to_numpy(np.int64),
        pairs["last"].to_numpy(np.int64),
        source=f"online-retail:{file.name}",
    )
    described = catalogue.dropna(subset=["Description"])
    counts = (
        described.assign(Description=described["Description"].astype(str).str.strip())
        .groupby(["StockCode", "Description"], observed=True)
        .size()
        .reset_index(name="n")
        .sort_values(["StockCode", "n", "Description"], ascending=[True, False, True])
        .drop_duplicates("StockCode")
    )  # each code's most frequent description (ties: alphabetical)
    text = dict(zip(counts["StockCode"].astype(str), counts["Description"], strict=True))
    priced = catalogue[(catalogue["Price"] > 0) & (catalogue["Quantity"] > 0)]
    price = priced.groupby("StockCode")["Price"].median().to_dict()
    attributes: dict[str, dict[str, Any]] = {}
    for item_id in data.item_ids:
        row: dict[str, Any] = {"text": text.get(item_id, "")}
        if item_id in price:
            row["price"] = float(price[item_id])
        attributes[item_id] = row
    features = with_item_attributes(data, attributes)
    return replace(features, item_categories=None)
