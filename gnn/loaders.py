"""Interaction loader for any user x item log file.

`load_interactions(path, ...)` reads CSV, TSV, ``::``-separated ``.dat`` (MovieLens 1M/10M) or
parquet (by extension; optionally gzip/bz2/xz/zip compressed; see `gnn.table_files`) and
returns `Interactions`. The Online Retail II log and the demo world have their own loaders
(`gnn.retail_loader`, `gnn.demo_loader`).

**Columns.** Each file column can play a *role*: ``user``, ``item``, ``rating``, ``time``
(alias ``timestamp``), ``weight`` (alias ``quantity``) or ``type`` (event type). Roles come
from the keyword arguments (``user_col="user"``, ``item_col="item"``, ``rating_col``,
``time_col``, ``weight_col``, ``type_col``) and from ``columns``, in one of two forms (a list,
or one comma-separated string as on a command line; see `gnn.column_specs`):

- ``role=column`` entries for files *with a header* (e.g. MovieLens ``ratings.csv``):
  ``"user=userId,item=movieId,rating=rating,timestamp=timestamp"``; they override the
  keyword arguments.
- bare names for files *without a header*, one per file column in order (e.g. MovieLens
  ``u.data``: ``"user,item,rating,timestamp"``); a name that is a role (or alias) gives that
  column its role, any other name (``-``, ``skip``, …) leaves the column unused. Roles already
  set by a keyword argument keep it. ``header=True`` says the file has a header row anyway
  (it is skipped and replaced by the names).

Without ``columns`` the file has a header and the keyword arguments name its columns.
``sep`` overrides the separator (named or literal, see `gnn.table_files`); unknown extensions
(``u.data``) are sniffed from the first line.

**Timestamps** become epoch milliseconds (`gnn.timestamps.to_epoch_ms`). Without a time
column the time of a row is its position in the file (0, 1, 2, … as "ms"), so the temporal
split holds out each user's last rows in file order.

**Weights** (implicit feedback). Each kept row (event) gets an event weight; a pair's weight
is the sum of its events' weights:

- explicit ratings (``rating``): weight = rating; rows with rating < ``min_rating`` (when
  given) and rows with rating ≤ 0 are dropped;
- quantities or counts (``weight``): weight = log1p(quantity); rows with quantity ≤ 0 dropped;
- neither: weight = 1 (a pair's weight is its number of events);
- event types (``type``): the above is multiplied by ``type_weights[type]`` (default: the
  graph's ``product_view`` 1, ``add_to_cart`` 3, ``purchase`` 5); rows of other types dropped.

Rows with an empty user or item are dropped; an empty or non-numeric rating or quantity, or
an unparsable time, is a `ValueError` naming the file, the column and the first bad row.

**Item metadata** (``items_path``, ``item_columns``, ``items_sep``): item features and
categories from a metadata file, see `gnn.item_metadata`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from gnn.column_specs import ROLES, ColumnSpec, parse_columns
from gnn.interactions import Interactions, aggregate
from gnn.item_metadata import read_item_attributes, with_item_attributes
from gnn.table_files import file_error, read_table, require_column
from gnn.timestamps import to_epoch_ms
from graph.model import DEFAULT_WEIGHTS

DEFAULT_TYPE_WEIGHTS: dict[str, float] = {
    str(kind): weight for kind, weight in DEFAULT_WEIGHTS.items()
}


def _keys(series: pd.Series) -> pd.Series:
    """Ids as stripped strings; whole floats (ids with gaps read as float) lose their ".0"."""
    if pd.api.types.is_float_dtype(series):
        values = series.dropna()
        if (values == values.round()).all():
            series = series.astype("Int64")
    return series.astype("string").str.strip()


def _numeric(series: pd.Series, path: Path, column: str, what: str) -> np.ndarray:
    """The column as float64; any empty or non-numeric cell is a ValueError."""
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise file_error(
            path, column, f"{what} must be numeric; row {row} has {series.iloc[row]!r}"
        )
    return np.asarray(values, np.float64)


def load_interactions(
    path: str | Path,
    sep: str | None = None,
    columns: ColumnSpec | None = None,
    *,
    user_col: str = "user",
    item_col: str = "item",
    rating_col: str | None = None,
    time_col: str | None = None,
    weight_col: str | None = None,
    type_col: str | None = None,
    type_weights: Mapping[str, float] | None = None,
    min_rating: float | None = None,
    header: bool | None = None,
    items_path: str | Path | None = None,
    item_columns: ColumnSpec | None = None,
    items_sep: str | None = None,
    encoding: str | None = None,
) -> Interactions:
    """Load any user x item log (CSV/TSV/.dat/parquet) with the weighting rules above."""
    file = Path(path)
    mapping, names = parse_columns(columns)
    role_columns: dict[str, str] = {"user": user_col, "item": item_col}
    for role, given in (
        ("rating", rating_col),
        ("time", time_col),
        ("weight", weight_col),
        ("type", type_col),
    ):
        if given:
            role_columns[role] = given
    if names is not None:
        for name in names:
            named = ROLES.get(name.strip().lower())
            if named is not None and named not in role_columns:
                role_columns[named] = name
    role_columns.update(mapping)
    if "rating" in role_columns and "weight" in role_columns:
        raise ValueError(f"{file}: give a rating column or a weight column, not both")
    if min_rating is not None and "rating" not in role_columns:
        raise ValueError(f"{file}: min_rating needs a rating column")

    has_header = names is None if header is None else header
    frame = read_table(
        file, sep, names, has_header, (role_columns["user"], role_columns["item"]), encoding
    )
    for role, column in role_columns.items():
        require_column(frame, file, column, role)
    rows = len(frame)
    user_keys = _keys(frame[role_columns["user"]])
    item_keys = _keys(frame[role_columns["item"]])
    keep = user_keys.notna() & (user_keys != "") & item_keys.notna() & (item_keys != "")
    keep_mask = keep.to_numpy(dtype=bool)

    weights = np.ones(rows, np.float64)
    if "rating" in role_columns:
        column = role_columns["rating"]
        ratings = _numeric(frame[column], file, column, "rating")
        weights = ratings
        keep_mask &= ratings > 0
        if min_rating is not None:
            keep_mask &= ratings >= min_rating
    if "weight" in role_columns:
        column = role_columns["weight"]
        quantities = _numeric(frame[column], file, column, "quantity")
        keep_mask &= quantities > 0
        weights = np.log1p(np.maximum(quantities, 0.0))
    if "type" in role_columns:
        table = dict(type_weights) if type_weights is not None else DEFAULT_TYPE_WEIGHTS
        kinds = frame[role_columns["type"]].astype("string").str.strip()
        factor = np.asarray(kinds.map(table).astype("float64").fillna(0.0), np.float64)
        keep_mask &= factor > 0
        weights = weights * factor
    if "time" in role_columns:
        column = role_columns["time"]
        times = to_epoch_ms(frame[column], file, column)
    else:
        times = np.arange(rows, dtype=np.int64)
    if not keep_mask.any():
        raise file_error(file, None, f"no interactions left of {rows} rows after filtering")
    data = aggregate(
        user_keys.to_numpy(dtype=str)[keep_mask],
        item_keys.to_numpy(dtype=str)[keep_mask],
        weights[keep_mask],
        times[keep_mask],
        source=f"file:{file.name}",
    )
    if items_path is not None:
        attributes = read_item_attributes(items_path, item_columns, items_sep, encoding)
        data = with_item_attributes(data, attributes)
    return data
