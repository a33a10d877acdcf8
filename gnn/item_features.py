"""Item side information as a sparse feature matrix, reproducible from a small JSON vocabulary.

An item is described by an attribute row (a mapping) with any of these keys:

- ``category``: a string or a list of strings (multi-valued, e.g. movie genres);
- ``brand``: a string;
- ``price``: a number (> 0);
- ``text``: free text (title, description).

`ItemFeatureEncoder.fit` learns a vocabulary from the catalogue's rows; `encode` turns rows into
`ItemFeatures`, a CSR float32 matrix with four blocks, each L2-normalised on its own so that no
block dominates (an item lacking an attribute has an all-zero block):

- ``category=<name>``: multi-hot over the categories seen in `fit` (unknown → ``category=?``);
- ``brand=<name>``: one-hot over brands with at least `min_brand_items` items in `fit`; other
  brands share ``brand=?``;
- ``price<k>``: one-hot over `price_buckets` equal-frequency buckets of the fitted prices
  (edges on log price);
- ``text#<h>``: binary hashed text tokens (lowercase alphanumeric words of two or more
  characters, English stopwords dropped, bucket = crc32(word) mod `text_buckets`).

`to_json` / `from_json` carry the vocabulary, so a serving process can encode a new item's
attributes identically with numpy and scipy alone.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from gnn.interactions import ItemFeatures

FORMAT_VERSION = 1
OTHER = "?"
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being below
    between both but by can did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just me more most my
    no nor not now of off on once only or other our ours out over own same she should so some
    such than that the their theirs them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with you your
    yours""".split()  # noqa: SIM905 (a word list reads better as text)
)
_WORD = re.compile(r"[a-z0-9]+")
AttributeRow = Mapping[str, Any]


def tokens(text: str) -> list[str]:
    """The distinct words of `text` the text block uses (lowercase, no stopwords, len ≥ 2)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) >= 2 and word not in STOPWORDS and not word.isdigit():
            seen.setdefault(word, None)
    return list(seen)


def text_bucket(word: str, buckets: int) -> int:
    """The stable hash bucket of a word (crc32, identical across processes and platforms)."""
    return zlib.crc32(word.encode("utf-8")) % buckets


def _categories(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _price(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        price = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return price if math.isfinite(price) and price > 0 else None


def _brand(value: object) -> str | None:
    text = _text(value).strip()
    return text or None


@dataclass
class ItemFeatureEncoder:
    """Learns category, brand, price and text vocabularies; encodes attribute rows to CSR."""

    text_buckets: int = 1024
    price_buckets: int = 8
    min_brand_items: int = 2
    categories: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    price_edges: list[float] = field(default_factory=list)  # log-price bucket boundaries

    def fit(self, rows: Sequence[AttributeRow]) -> ItemFeatureEncoder:
        """Learn the vocabulary from the catalogue's attribute rows; returns self."""
        category_set: set[str] = set()
        brand_counts: Counter[str] = Counter()
        log_prices: list[float] = []
        for row in rows:
            category_set.update(_categories(row.get("category")))
            brand = _brand(row.get("brand"))
            if brand is not None:
                brand_counts[brand] += 1
            price = _price(row.get("price"))
            if price is not None:
                log_prices.append(math.log(price))
        self.categories = sorted(category_set)
        self.brands = sorted(b for b, n in brand_counts.items() if n >= self.min_brand_items)
        if log_prices and self.price_buckets > 1:
            quantiles = np.linspace(0, 1, self.price_buckets + 1)[1:-1]
            edges = np.unique(np.quantile(np.asarray(log_prices), quantiles))
            self.price_edges = [float(e) for e in edges]
        else:
            self.price_edges = []
        return self

    @property
    def names(self) -> list[str]:
        """Column names, block by block."""
        return (
            [f"category={c}" for c in self.categories]
            + [f"category={OTHER}"]
            + [f"brand={b}" for b in self.brands]
            + [f"brand={OTHER}"]
            + [f"price{k}" for k in range(len(self.price_edges) + 1)]
            + [f"text#{h}" for h in range(self.text_buckets)]
        )

    def encode(self, rows: Sequence[AttributeRow]) -> ItemFeatures:
        """Encode attribute rows (one per item, in index order) as block-normalised CSR."""
        category_index = {c: i for i, c in enumerate(self.categories)}
        brand_index = {b: i for i, b in enumerate(self.brands)}
        n_cat = len(self.categories) + 1
        brand_offset = n_cat
        n_brand = len(self.brands) + 1
        price_offset = brand_offset + n_brand
        text_offset = price_offset + len(self.price_edges) + 1
        width = text_offset + self.text_buckets
        edges = np.asarray(self.price_edges, np.float64)
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []

        def block(columns: Iterable[int]) -> None:
            unique = sorted(set(columns))
            if unique:
                value = 1.0 / math.sqrt(len(unique))
                indices.extend(unique)
                data.extend([value] * len(unique))

        for row in rows:
            cats = _categories(row.get("category"))
            block(category_index.get(c, n_cat - 1) for c in cats)
            brand = _brand(row.get("brand"))
            if brand is not None:
                block([brand_offset + brand_index.get(brand, n_brand - 1)])
            price = _price(row.get("price"))
            if price is not None:
                bucket = int(np.searchsorted(edges, math.log(price), side="right"))
                block([price_offset + bucket])
            words = tokens(_text(row.get("text")))
            block(text_offset + text_bucket(w, self.text_buckets) for w in words)
            indptr.append(len(indices))
        matrix = sp.csr_matrix(
            (
                np.asarray(data, np.float32),
                np.asarray(indices, np.int32),
                np.asarray(indptr, np.int64),
            ),
            shape=(len(rows), width),
            dtype=np.float32,
        )
        return ItemFeatures(matrix, self.names)

    def fit_encode(self, rows: Sequence[AttributeRow]) -> ItemFeatures:
        """`fit` then `encode` the same rows."""
        return self.fit(rows).encode(rows)

    def to_json(self) -> str:
        """The vocabulary and settings as JSON text (what `from_json` needs to encode)."""
        return json.dumps(
            {
                "format": "gnn.item_features",
                "version": FORMAT_VERSION,
                "text_buckets": self.text_buckets,
                "price_buckets": self.price_buckets,
                "min_brand_items": self.min_brand_items,
                "categories": self.categories,
                "brands": self.brands,
                "price_edges": self.price_edges,
                "stopwords": sorted(STOPWORDS),
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> ItemFeatureEncoder:
        """Rebuild an encoder saved with `to_json`."""
        saved = json.loads(text)
        if saved.get("format") != "gnn.item_features" or saved.get("version") != FORMAT_VERSION:
            raise ValueError("not an item feature encoder (format gnn.item_features, version 1)")
        if sorted(saved.get("stopwords", [])) != sorted(STOPWORDS):
            raise ValueError("item feature encoder saved with a different stopword list")
        return cls(
            text_buckets=int(saved["text_buckets"]),
            price_buckets=int(saved["price_buckets"]),
            min_brand_items=int(saved["min_brand_items"]),
            categories=[str(c) for c in saved["categories"]],
            brands=[str(b) for b in saved["brands"]],
            price_edges=[float(e) for e in saved["price_edges"]],
        )
