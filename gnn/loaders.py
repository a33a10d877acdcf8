"""Interaction loaders: any user x item log file, the Online Retail II log, the demo world.

`load_interactions(path, ...)` reads CSV, TSV, ``::``-separated ``.dat`` (MovieLens 1M/10M) or
parquet (by extension; optionally gzip/bz2/xz/zip compressed) and returns `Interactions`.

**Columns.** Each file column can play a *role*: ``user``, ``item``, ``rating``, ``time``
(alias ``timestamp``), ``weight`` (alias ``quantity``) or ``type`` (event type). Roles come
from the keyword arguments (``user_col="user"``, ``item_col="item"``, ``rating_col``,
``time_col``, ``weight_col``, ``type_col``) and from ``columns``, in one of two forms (a list,
or one comma-separated string as on a command line):

- ``role=column`` entries for files *with a header* (e.g. MovieLens ``ratings.csv``):
  ``"user=userId,item=movieId,rating=rating,timestamp=timestamp"``; they override the
  keyword arguments.
- bare names for files *without a header*, one per file column in order (e.g. MovieLens
  ``u.data``: ``"user,item,rating,timestamp"``); a name that is a role (or alias) gives that
  column its role, any other name (``-``, ``skip``, …) leaves the column unused. Roles already
  set by a keyword argument keep it. ``header=True`` says the file has a header row anyway
  (it is skipped and replaced by the names).

Without ``columns`` the file has a header and the keyword arguments name its columns.
``sep`` overrides the separator: ``tab``, ``comma``, ``semicolon``, ``pipe``, ``space`` (any
run of whitespace), ``colons`` (``::``) or a literal string; unknown extensions (``u.data``)
are sniffed from the first line.

**Timestamps** become epoch milliseconds: numbers are unix seconds, ms, µs or ns, chosen by
the column's largest magnitude (< 1e11 → s, < 1e14 → ms, < 1e17 → µs, else ns); strings are
ISO-8601 (or any format pandas parses; no zone → UTC); parquet datetimes are used directly.
Without a time column the time of a row is its position in the file (0, 1, 2, … as "ms"),
so the temporal split holds out each user's last rows in file order.

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

**Item metadata** (``items_path``): CSV/TSV/parquet with an id column and optional
``category`` (multi-valued with ``|``, e.g. genres), ``text`` (title; ``+`` joins columns, as
in ``text=title+description``), ``brand`` and ``price`` columns, named by ``item_columns``
(same two forms, roles ``id``, ``category``, ``text``, ``brand``, ``price``) or detected from
common header names. MovieLens 100K ``u.item`` (pipe-separated, latin-1, genre flags) is read
as such. Features come from `gnn.item_features.ItemFeatureEncoder`; ``item_categories`` is
each item's first category. Items without metadata get empty attributes; metadata of items
absent from the interactions is ignored.

`load_online_retail` and `load_demo_world` document their own rules.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gnn.interactions import Interactions, aggregate
from gnn.item_features import ItemFeatureEncoder
from graph.model import DEFAULT_WEIGHTS

ColumnSpec = str | Sequence[str] | Mapping[str, str]

SEPARATORS: dict[str, str] = {
    "tab": "\t",
    "comma": ",",
    "semicolon": ";",
    "pipe": "|",
    "space": r"\s+",
    "colons": "::",
}
EXTENSION_SEPARATORS: dict[str, str] = {
    ".csv": ",",
    ".tsv": "\t",
    ".tab": "\t",
    ".psv": "|",
    ".dat": "::",
}
PARQUET_EXTENSIONS = (".parquet", ".pq")
COMPRESSION_EXTENSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")
ROLES: dict[str, str] = {
    "user": "user",
    "item": "item",
    "rating": "rating",
    "time": "time",
    "timestamp": "time",
    "weight": "weight",
    "quantity": "weight",
    "type": "type",
}
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
DEFAULT_TYPE_WEIGHTS: dict[str, float] = {
    str(kind): weight for kind, weight in DEFAULT_WEIGHTS.items()
}
_FIELD_SEP = "\x1f"
_PRODUCT_CODE = re.compile(r"^\d{5}")


def _fail(path: Path | str, column: str | None, reason: str) -> ValueError:
    where = f"{path}: column {column!r}" if column else f"{path}"
    return ValueError(f"{where}: {reason}")


# --- column specs -------------------------------------------------------------------------


def parse_columns(
    spec: ColumnSpec | None, roles: Mapping[str, str] = ROLES, what: str = "columns"
) -> tuple[dict[str, str], list[str] | None]:
    """Split a column spec into (role → file column) and, for bare names, the names in order."""
    if spec is None:
        return {}, None
    if isinstance(spec, Mapping):
        entries = [f"{k}={v}" for k, v in spec.items()]
    elif isinstance(spec, str):
        entries = [e for e in (p.strip() for p in spec.split(",")) if e]
    else:
        entries = [str(e).strip() for e in spec]
    if not entries:
        raise ValueError(f"{what}: empty column spec")
    with_role = [e for e in entries if "=" in e]
    if with_role and len(with_role) != len(entries):
        raise ValueError(f"{what}: mix of role=column entries and bare names in {entries}")
    if not with_role:
        return {}, entries
    mapping: dict[str, str] = {}
    for entry in entries:
        role_name, _, column = entry.partition("=")
        role = roles.get(role_name.strip().lower())
        if role is None:
            known = ", ".join(sorted(roles))
            raise ValueError(f"{what}: unknown role {role_name.strip()!r} (known: {known})")
        if not column.strip():
            raise ValueError(f"{what}: no column given for role {role_name.strip()!r}")
        mapping[role] = column.strip()
    return mapping, None


def resolve_separator(sep: str | None, path: Path) -> str | None:
    """The separator to use: a named or literal `sep`, else from the extension, else None."""
    if sep is not None:
        return SEPARATORS.get(sep.lower(), sep) if sep else None
    return EXTENSION_SEPARATORS.get(_suffix(path))


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in COMPRESSION_EXTENSIONS:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def _sniff(path: Path) -> str:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.readline()
    line = raw.decode("latin-1")
    counts = {sep: line.count(sep) for sep in ("\t", "::", ",", ";", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else r"\s+"


def _read_table(
    path: Path,
    sep: str | None,
    names: list[str] | None,
    header: bool,
    id_columns: Sequence[str],
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a delimited or parquet file; id columns as strings."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if _suffix(path) in PARQUET_EXTENSIONS:
        frame = pd.read_parquet(path)
        if names is not None:
            if len(names) != frame.shape[1]:
                raise _fail(path, None, f"{len(names)} column names for {frame.shape[1]} columns")
            frame.columns = pd.Index(names)
        return frame
    separator = resolve_separator(sep, path) or _sniff(path)
    source: Path | io.StringIO = path
    if len(separator) > 1 and separator != r"\s+":  # e.g. '::': pandas' C parser wants 1 char
        text = _read_text(path, encoding)
        source, separator = io.StringIO(text.replace(separator, _FIELD_SEP)), _FIELD_SEP
    header_row: int | None = 0 if header else None
    dtypes = {c: str for c in id_columns}
    encodings = [encoding] if encoding else ["utf-8", "latin-1"]
    for n, attempt in enumerate(encodings):
        try:
            if isinstance(source, io.StringIO):
                source.seek(0)
            return pd.read_csv(
                source,
                sep=separator,
                header=header_row,
                names=names,
                dtype=dtypes,
                encoding=attempt,
                skipinitialspace=False,
            )
        except UnicodeDecodeError:
            if n == len(encodings) - 1:
                raise
        except pd.errors.ParserError as error:
            raise _fail(path, None, f"cannot parse ({error})") from error
    raise AssertionError("unreachable")


def _read_text(path: Path, encoding: str | None) -> str:
    if path.suffix.lower() == ".gz":
        with gzip.open(path) as handle:
            raw = handle.read()
    else:
        raw = path.read_bytes()
    if encoding:
        return raw.decode(encoding)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _keys(series: pd.Series) -> pd.Series:
    """Ids as stripped strings; whole floats (ids with gaps read as float) lose their ".0"."""
    if pd.api.types.is_float_dtype(series):
        values = series.dropna()
        if (values == values.round()).all():
            series = series.astype("Int64")
    return series.astype("string").str.strip()


def _require(frame: pd.DataFrame, path: Path, column: str, role: str) -> pd.Series:
    if column not in frame.columns:
        available = ", ".join(str(c) for c in frame.columns)
        raise _fail(path, column, f"missing (needed as {role}; file columns: {available})")
    return frame[column]


def _numeric(series: pd.Series, path: Path, column: str, what: str) -> np.ndarray:
    """The column as float64; any empty or non-numeric cell is a ValueError."""
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise _fail(path, column, f"{what} must be numeric; row {row} has {series.iloc[row]!r}")
    return np.asarray(values, np.float64)


def to_epoch_ms(series: pd.Series, path: Path | str = "", column: str = "time") -> np.ndarray:
    """Times as int64 epoch ms: datetimes, ISO strings, or unix s/ms/µs/ns by magnitude."""
    if pd.api.types.is_datetime64_any_dtype(series):
        stamps = pd.to_datetime(series, utc=True)
    else:
        numeric = pd.api.types.is_numeric_dtype(series)
        if not numeric:  # strings: numeric if a sample is (saves a failing full parse)
            sample = series.dropna().head(100)
            numeric = len(sample) > 0 and bool(pd.to_numeric(sample, errors="coerce").notna().all())
        numbers = pd.to_numeric(series, errors="coerce") if numeric else series
        if numeric and not numbers.isna().any():
            values = np.asarray(numbers, np.float64)
            largest = float(np.abs(values).max()) if len(values) else 0.0
            scale = 1e3 if largest < 1e11 else 1.0 if largest < 1e14 else 1e-3
            if largest >= 1e17:
                scale = 1e-6
            return np.round(values * scale).astype(np.int64)
        try:
            stamps = pd.to_datetime(series, utc=True, format="ISO8601")
        except (ValueError, TypeError):
            try:
                stamps = pd.to_datetime(series, utc=True, format="mixed")
            except (ValueError, TypeError) as error:
                raise _fail(path, column, f"unparsable time ({error})") from error
    missing = stamps.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise _fail(path, column, f"empty or unparsable time in row {row}: {series.iloc[row]!r}")
    nanoseconds = stamps.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ns]")
    return np.asarray(nanoseconds.astype(np.int64) // 1_000_000, np.int64)


# --- generic interaction files ------------------------------------------------------------


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
    frame = _read_table(
        file, sep, names, has_header, (role_columns["user"], role_columns["item"]), encoding
    )
    for role, column in role_columns.items():
        _require(frame, file, column, role)
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
        raise _fail(file, None, f"no interactions left of {rows} rows after filtering")
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


# --- item metadata --------------------------------------------------------------------------


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
        raise _fail(path, None, "not a MovieLens u.item file (expected 19 genre flags)")
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
    frame = _read_table(file, sep, names, names is None, [], encoding)
    if names is None:
        lower = {str(c).lower(): str(c) for c in frame.columns}
        for role, candidates in ITEM_HEADER_NAMES.items():
            if role not in mapping:
                found = next((lower[c] for c in candidates if c in lower), None)
                if found is not None:
                    mapping[role] = found
    if "id" not in mapping:
        raise _fail(file, None, "no item id column (name it with item_columns, e.g. id=sku)")
    for role, spec in mapping.items():
        for column in spec.split("+") if role == "text" else [spec]:
            _require(frame, file, column, f"item {role}")
    ids = frame[mapping["id"]].astype("string").str.strip()
    prices: np.ndarray | None = None
    if "price" in mapping:
        numbers = pd.to_numeric(frame[mapping["price"]], errors="coerce")
        bad = numbers.isna() & frame[mapping["price"]].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            value = frame[mapping["price"]].iloc[row]
            raise _fail(file, mapping["price"], f"price must be numeric; row {row} has {value!r}")
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


# --- pre-aggregated pairs -------------------------------------------------------------------


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


# --- Online Retail II ---------------------------------------------------------------------


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
        raise _fail(file, missing[0], "missing (not an Online Retail II file?)")
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


# --- the demo world -------------------------------------------------------------------------


def _demo_identities(path: Path) -> dict[tuple[str, str], str]:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in ("type", "value", "person_id"):
        _require(frame, path, column, "identifier truth")
    owned = frame[frame["person_id"] != ""]
    return {
        (kind, value): person
        for kind, value, person in zip(
            owned["type"], owned["value"], owned["person_id"], strict=True
        )
    }


def load_demo_world(
    demo_dir: str | Path, event_weights: Mapping[str, float] | None = None
) -> Interactions:
    """A generated demo world's interactions with *oracle identity*: users are true persons.

    Every ``product_view`` / ``add_to_cart`` / ``purchase`` event of ``events.jsonl`` weighs
    1 / 3 / 5 (`graph.model.DEFAULT_WEIGHTS`), summed per person x item. An event's person is
    the owner of one of its identifiers that belongs to exactly one person
    (``truth/identifier_person.csv``: not shared, not junk); events with only shared
    identifiers (a family tablet before the profile is picked) take the person of their
    session. Items carry category, brand, price and title (text) from ``items.csv``."""
    root = Path(demo_dir)
    events_path = root / "events.jsonl"
    owners = _demo_identities(root / "truth" / "identifier_person.csv")
    weights_by_type = dict(event_weights) if event_weights is not None else DEFAULT_TYPE_WEIGHTS
    session_person: dict[str, str] = {}
    pending: list[tuple[str | None, str, str, str, str]] = []  # person, session, item, at, type
    if not events_path.exists():
        raise FileNotFoundError(f"{events_path}: no such file")
    with events_path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
                kind = event["type"]
                identifiers = event["identifiers"]
                session = str(event["properties"].get("session_id", ""))
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise _fail(events_path, None, f"line {number}: bad event ({error})") from error
            person = None
            for key in ("user_id", "anonymous_id", "device_id", "email", "phone"):
                value = identifiers.get(key)
                if value:
                    person = owners.get((key, value))
                    if person is not None:
                        break
            if person is not None and session and session not in session_person:
                session_person[session] = person
            if kind in weights_by_type:
                item = event["properties"].get("item_id")
                if not item:
                    raise _fail(events_path, None, f"line {number}: {kind} without item_id")
                pending.append((person, session, str(item), str(event["occurred_at"]), kind))
    persons = [p if p is not None else session_person.get(s) for p, s, _, _, _ in pending]
    known = np.asarray([p is not None for p in persons], bool)
    if not known.any():
        raise _fail(events_path, None, "no interaction event could be tied to a person")
    kept = [row for row, ok in zip(pending, known, strict=True) if ok]
    times = to_epoch_ms(pd.Series([row[3] for row in kept]), events_path, "occurred_at")
    data = aggregate(
        np.asarray([p for p in persons if p is not None]),
        np.asarray([row[2] for row in kept]),
        np.asarray([weights_by_type[row[4]] for row in kept], np.float64),
        times,
        source=f"demo:{root.name}:oracle-identity",
    )
    attributes = read_item_attributes(
        root / "items.csv", "id=item_id,category=category,brand=brand,price=price,text=title"
    )
    return with_item_attributes(data, attributes)
