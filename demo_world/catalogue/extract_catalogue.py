"""Extract the compact item catalogue committed as ``online_retail_items.csv``.

Source: UCI Online Retail II, sheet "Year 2009-2010" (CC BY 4.0; Chen, D. (2019).
Online Retail II. UCI Machine Learning Repository), read from a local parquet copy.

Run once (the output is committed, so fresh clones never need the source file)::

    .venv/bin/python -m demo_world.catalogue.extract_catalogue \
        --source /work/shared/data/online-retail-ii/online_retail_ii_2009_2010.parquet

What is derived, per product (StockCode, upper-cased):

* only real purchase rows count: invoice not starting with ``C`` (cancellation),
  ``Quantity > 0``, ``Price > 0`` and a product-like StockCode (5 digits plus an optional
  1-2 letter variant suffix; postage, fees, manual adjustments, vouchers and test codes
  are dropped);
* ``item_id`` = ``"I-" + StockCode``;
* ``title`` = the most frequent non-empty Description of that code, whitespace collapsed
  and converted to Title Case (see :func:`title_case`);
* ``price`` = median unit price over its purchase rows (GBP, 2 decimals);
* ``popularity`` = number of purchase rows;
* keep the ``--top`` (default 2,000) most purchased products that have a description,
  sorted by popularity (descending) then item_id.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import pandas as pd

DEFAULT_SOURCE = Path("/work/shared/data/online-retail-ii/online_retail_ii_2009_2010.parquet")
DEFAULT_OUTPUT = Path(__file__).with_name("online_retail_items.csv")
PRODUCT_CODE = r"^\d{5}[A-Z]{0,2}$"
SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
)
ACRONYMS = frozenset({"LED", "USB", "UK", "USA", "DVD", "CD", "XL", "S/3", "S/4", "S/6"})


def _cap_word(word: str) -> str:
    """Title-case one word: capitalise after letters-start and hyphens, keep units after digits."""
    if word.upper() in ACRONYMS:
        return word.upper()
    parts = word.lower().split("-")
    out = []
    for part in parts:
        if part[:1].isalpha():
            part = part[0].upper() + part[1:]
        elif part[:1] in "(\"'" and part[1:2].isalpha():
            part = part[0] + part[1].upper() + part[2:]
        out.append(part)
    return "-".join(out)


def title_case(description: str) -> str:
    """Clean a raw Description (collapse whitespace, strip stray marks) into Title Case."""
    text = re.sub(r"\s+", " ", description.replace("*", " ")).strip(" ,.-")
    text = re.sub(r"\s*,\s*", ", ", text)
    words = text.split(" ")
    titled = []
    for index, word in enumerate(words):
        if index > 0 and word.lower() in SMALL_WORDS:
            titled.append(word.lower())
        else:
            titled.append(_cap_word(word))
    return " ".join(titled)


def extract(source: Path, top: int) -> pd.DataFrame:
    """Return the catalogue frame (item_id, title, price, popularity) from the raw parquet."""
    raw = pd.read_parquet(
        source, columns=["Invoice", "StockCode", "Description", "Quantity", "Price"]
    )
    raw["StockCode"] = raw["StockCode"].astype(str).str.strip().str.upper()
    purchases = raw[
        ~raw["Invoice"].astype(str).str.startswith("C")
        & (raw["Quantity"] > 0)
        & (raw["Price"] > 0)
        & raw["StockCode"].str.match(PRODUCT_CODE)
    ]
    described = purchases.dropna(subset=["Description"])
    described = described[described["Description"].str.strip() != ""]
    title_source = (
        described.groupby(["StockCode", "Description"])
        .size()
        .reset_index(name="n")
        # most frequent description wins; ties broken alphabetically for determinism
        .sort_values(["StockCode", "n", "Description"], ascending=[True, False, True])
        .drop_duplicates("StockCode")
        .set_index("StockCode")["Description"]
    )
    stats = purchases.groupby("StockCode").agg(
        price=("Price", "median"), popularity=("Price", "size")
    )
    stats = stats.join(title_source.rename("description"), how="inner")
    stats = (
        stats.reset_index()
        .sort_values(["popularity", "StockCode"], ascending=[False, True])
        .head(top)
    )
    return pd.DataFrame(
        {
            "item_id": "I-" + stats["StockCode"],
            "title": stats["description"].map(title_case),
            "price": stats["price"].round(2),
            "popularity": stats["popularity"].astype(int),
        }
    )


def write(frame: pd.DataFrame, output: Path) -> None:
    """Write the catalogue CSV with a stable layout (LF line ends, 2-decimal prices)."""
    with output.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["item_id", "title", "price", "popularity"])
        for row in frame.itertuples(index=False):
            writer.writerow([row.item_id, row.title, f"{row.price:.2f}", row.popularity])


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE, help="Online Retail II parquet"
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="catalogue CSV to write"
    )
    parser.add_argument(
        "--top", type=int, default=2000, help="number of most purchased products to keep"
    )
    args = parser.parse_args(argv)
    frame = extract(args.source, args.top)
    write(frame, args.output)
    print(f"wrote {len(frame)} items to {args.output}")


if __name__ == "__main__":
    main()
