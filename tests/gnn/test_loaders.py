"""Interaction loaders: generic files, Online Retail II rules, the demo world."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from demo_world import DemoWorldConfig, generate
from gnn.column_specs import parse_columns
from gnn.demo_loader import load_demo_world
from gnn.interactions import Interactions
from gnn.item_metadata import read_item_attributes
from gnn.loaders import load_interactions
from gnn.retail_loader import default_retail_path, is_product_code, load_online_retail
from gnn.timestamps import to_epoch_ms

RETAIL = default_retail_path()
# MovieLens u.data style: user, item, rating, unix seconds
ROWS = [
    ("196", "242", 3, 881250949),
    ("186", "302", 3, 891717742),
    ("196", "377", 1, 878887116),
    ("244", "51", 2, 880606923),
    ("186", "242", 5, 886397596),
]


def pair(data: Interactions, user: str, item: str) -> int:
    """Row index of a (user, item) pair."""
    u, i = data.user_ids.index(user), data.item_ids.index(item)
    rows = np.flatnonzero((data.users == u) & (data.items == i))
    assert len(rows) == 1
    return int(rows[0])


def test_headerless_tab_file_with_positional_roles(tmp_path: Path) -> None:
    path = tmp_path / "u.data"
    path.write_text("".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in ROWS))
    data = load_interactions(path, columns="user,item,rating,timestamp")
    assert len(data) == 5
    assert data.user_ids == ["186", "196", "244"]
    row = pair(data, "186", "242")
    assert data.weights[row] == 5.0
    assert data.first_at[row] == 886397596 * 1000  # unix seconds detected, stored as ms


def test_header_csv_with_role_mapping_and_min_rating(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    frame = pd.DataFrame(ROWS, columns=["userId", "movieId", "rating", "timestamp"])
    frame.to_csv(path, index=False)
    spec = "user=userId,item=movieId,rating=rating,timestamp=timestamp"
    data = load_interactions(path, columns=spec, min_rating=3)
    assert len(data) == 3  # ratings 1 and 2 dropped
    assert sorted(data.weights.tolist()) == [3.0, 3.0, 5.0]
    same = load_interactions(
        path, user_col="userId", item_col="movieId", rating_col="rating", min_rating=3
    )
    assert same.weights.tolist() == data.weights.tolist()
    assert same.first_at.tolist() != data.first_at.tolist()  # no time column: file order


def test_movielens_dat_double_colon(tmp_path: Path) -> None:
    path = tmp_path / "ratings.dat"
    path.write_text("".join(f"{u}::{i}::{r}::{t}\n" for u, i, r, t in ROWS))
    data = load_interactions(path, columns=["user", "item", "rating", "timestamp"])
    assert len(data) == 5
    assert data.weights[pair(data, "244", "51")] == 2.0


def test_named_separator_and_skipped_columns(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    path.write_text("a;x;ignored\nb;y;ignored\na;y;ignored\na;x;ignored\n")
    data = load_interactions(path, sep="semicolon", columns="user,item,-")
    assert len(data) == 3
    assert data.weights[pair(data, "a", "x")] == 2.0  # no rating or quantity: count of events
    assert data.first_at[pair(data, "a", "x")] == 0
    assert data.last_at[pair(data, "a", "x")] == 3  # row position stands in for time


def test_parquet_iso_times_and_quantities(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    pd.DataFrame(
        {
            "customer": ["c1", "c1", "c2", "c2"],
            "shop": [7.0, 7.0, None, 7.0],
            "sku": ["s1", "s1", "s1", "s2"],
            "qty": [1, 3, 0, 2],
            "at": [
                "2024-01-02T10:00:00Z",
                "2024-01-05T10:00:00+01:00",
                "2024-01-03",
                "2024-01-04 12:30:00",
            ],
        }
    ).to_parquet(path)
    data = load_interactions(path, columns="user=customer,item=sku,quantity=qty,time=at")
    assert len(data) == 2  # the zero-quantity row is dropped
    row = pair(data, "c1", "s1")
    assert data.weights[row] == pytest.approx(math.log1p(1) + math.log1p(3))
    assert data.first_at[row] == int(datetime(2024, 1, 2, 10, tzinfo=UTC).timestamp() * 1000)
    assert data.last_at[row] == int(datetime(2024, 1, 5, 9, tzinfo=UTC).timestamp() * 1000)
    by_shop = load_interactions(path, columns="user=shop,item=sku,quantity=qty,time=at")
    assert by_shop.user_ids == ["7"]  # float ids with a gap: no ".0"; the empty one dropped
    other = pair(data, "c2", "s2")
    assert data.first_at[other] == int(datetime(2024, 1, 4, 12, 30, tzinfo=UTC).timestamp() * 1e3)


def test_event_types_weigh_and_filter(tmp_path: Path) -> None:
    path = tmp_path / "events.csv.gz"
    frame = pd.DataFrame(
        {
            "visitorid": ["v1", "v1", "v1", "v2", "v2"],
            "itemid": ["a", "a", "a", "b", "c"],
            "event": ["view", "addtocart", "transaction", "view", "wishlist"],
            "timestamp": [1433221332117, 1433224214164, 1433221999827, 1433221955914, 1],
        }
    )
    frame.to_csv(path, index=False)
    data = load_interactions(
        path,
        columns="user=visitorid,item=itemid,type=event,time=timestamp",
        type_weights={"view": 1, "addtocart": 3, "transaction": 5},
    )
    assert len(data) == 2  # the unknown event type is dropped
    assert data.weights[pair(data, "v1", "a")] == 9.0
    assert data.first_at[pair(data, "v1", "a")] == 1433221332117  # already milliseconds


def test_timestamp_units_by_magnitude() -> None:
    seconds = pd.Series([1_700_000_000, 1_700_000_001])
    millis = pd.Series([1_700_000_000_000, 1_700_000_001_000])
    micros = pd.Series([1_700_000_000_000_000, 1_700_000_001_000_000])
    expected = [1_700_000_000_000, 1_700_000_001_000]
    for series in (seconds, millis, micros, seconds.astype(str)):
        assert to_epoch_ms(series).tolist() == expected
    stamps = pd.Series(pd.to_datetime(["2023-11-14 22:13:20"]))
    assert to_epoch_ms(stamps).tolist() == [expected[0]]


def test_bad_input_names_file_and_column(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    pd.DataFrame(ROWS, columns=["userId", "movieId", "rating", "timestamp"]).to_csv(
        path, index=False
    )
    with pytest.raises(ValueError, match=r"ratings\.csv: column 'stars': missing"):
        load_interactions(path, columns="user=userId,item=movieId,rating=stars")
    with pytest.raises(ValueError, match="column 'user': missing"):
        load_interactions(path)
    bad = tmp_path / "bad.csv"
    bad.write_text("user,item,rating\na,x,4\nb,y,great\n")
    with pytest.raises(ValueError, match=r"bad\.csv: column 'rating'.*numeric.*'great'"):
        load_interactions(bad, rating_col="rating")
    with pytest.raises(ValueError, match="unknown role 'stars'"):
        parse_columns("user=a,stars=b")
    with pytest.raises(ValueError, match="mix of role=column"):
        parse_columns("user=a,item")
    times = tmp_path / "times.csv"
    times.write_text("user,item,when\na,x,yesterday-ish\n")
    with pytest.raises(ValueError, match="column 'when'"):
        load_interactions(times, time_col="when")


def test_item_metadata_gives_features_and_categories(tmp_path: Path) -> None:
    interactions = tmp_path / "log.csv"
    interactions.write_text("user,item\nu1,m1\nu1,m2\nu2,m3\n")
    items = tmp_path / "movies.csv"
    items.write_text(
        "movieId,title,genres,brand,price\n"
        "m1,Toy Story (1995),Animation|Children's|Comedy,Pixar,9.99\n"
        "m2,Heat (1995),Action|Crime|Thriller,Warner,7.5\n"
        "m9,Unseen,Drama,Warner,3\n"
    )
    data = load_interactions(interactions, items_path=items)
    assert data.item_categories == ["Animation", "Action", ""]  # m3 has no metadata
    assert data.item_features is not None
    matrix = data.item_features.matrix
    assert matrix.shape[0] == 3
    assert matrix[2].nnz == 0
    names = data.item_features.names
    row = {names[j] for j in matrix[0].indices}
    assert {"category=Animation", "category=Children's", "category=Comedy"} <= row
    assert "brand=?" in row  # Pixar has one item: the shared bucket


def test_movielens_u_item(tmp_path: Path) -> None:
    path = tmp_path / "u.item"
    flags = ["0"] * 19
    flags[3] = flags[4] = "1"  # Animation, Children's
    first = "1|Toy Story (1995)|01-Jan-1995||http://imdb|" + "|".join(flags)
    second = "2|Café (1996)|||x|" + "|".join(["0"] * 18 + ["1"])
    path.write_bytes(f"{first}\n{second}\n".encode("latin-1"))
    attributes = read_item_attributes(path)
    assert attributes["1"] == {"category": ["Animation", "Children's"], "text": "Toy Story (1995)"}
    assert attributes["2"]["category"] == ["Western"]
    assert attributes["2"]["text"] == "Café (1996)"


def _retail_frame() -> pd.DataFrame:
    rows = [
        # Invoice, StockCode, Description, Quantity, InvoiceDate, Price, Customer ID
        ("1001", "85123A", "WHITE HANGING HEART", 6, "2010-01-01 10:00:00", 2.5, 1.0),
        ("1002", "85123a", "WHITE HANGING HEART", 4, "2010-01-03 10:00:00", 2.5, 1.0),
        ("C1003", "85123A", "WHITE HANGING HEART", -5, "2010-01-04 10:00:00", 2.5, 1.0),
        ("1001", "22423", "REGENCY CAKESTAND", 2, "2010-01-01 10:00:00", 12.0, 1.0),
        ("C1004", "22423", "REGENCY CAKESTAND", -2, "2010-01-02 10:00:00", 12.0, 1.0),
        ("1005", "22423", "REGENCY CAKESTAND", 1, "2010-01-02 11:00:00", 12.0, 2.0),
        ("1005", "POST", "POSTAGE", 1, "2010-01-02 11:00:00", 18.0, 2.0),
        ("1005", "M", "Manual", 1, "2010-01-02 11:00:00", 1.0, 2.0),
        ("1005", "BANK CHARGES", "Bank Charges", 1, "2010-01-02 11:00:00", 15.0, 2.0),
        ("1005", "gift_0001_20", "voucher", 1, "2010-01-02 11:00:00", 20.0, 2.0),
        ("1006", "21730", "GLASS STAR LANTERN", 3, "2010-01-05 09:00:00", 4.25, None),
    ]
    columns = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price"]
    return pd.DataFrame(rows, columns=[*columns, "Customer ID"])


def test_online_retail_rules(tmp_path: Path) -> None:
    path = tmp_path / "retail.parquet"
    _retail_frame().to_parquet(path)
    data = load_online_retail(path)
    assert data.user_ids == ["1", "2"]  # the guest (no Customer ID) is dropped
    assert data.item_ids == ["22423", "85123A"]  # codes upper-cased; POST, M, … dropped
    assert len(data) == 2  # customer 1's cakestand was fully cancelled
    heart = pair(data, "1", "85123A")
    bought = math.log1p(6) + math.log1p(4)
    assert data.weights[heart] == pytest.approx(bought * (10 - 5) / 10)
    assert data.first_at[heart] == int(datetime(2010, 1, 1, 10, tzinfo=UTC).timestamp() * 1e3)
    assert data.last_at[heart] == int(datetime(2010, 1, 3, 10, tzinfo=UTC).timestamp() * 1e3)
    assert data.weights[pair(data, "2", "22423")] == pytest.approx(math.log1p(1))
    assert data.item_features is not None
    names = data.item_features.names
    heart_words = {names[j] for j in data.item_features.matrix[1].indices}
    assert any(n.startswith("text#") for n in heart_words)
    assert any(n.startswith("price") for n in heart_words)
    assert is_product_code("85123A")
    assert is_product_code("10002")
    assert not any(is_product_code(c) for c in ("POST", "DOT", "C2", "TEST001", "DCGS0058"))


@pytest.mark.skipif(not RETAIL.is_file(), reason=f"real data absent: {RETAIL}")
def test_online_retail_real_file_counts() -> None:
    data = load_online_retail(RETAIL)
    assert 4_000 < data.n_users <= 4_383  # 4,383 customers, a few with only cancellations
    assert 3_500 < data.n_items < 4_632
    assert 200_000 < len(data) < 400_000
    assert all(is_product_code(code) for code in data.item_ids)
    assert (data.weights > 0).all()
    start = datetime(2009, 12, 1, tzinfo=UTC).timestamp() * 1000
    end = datetime(2010, 12, 10, tzinfo=UTC).timestamp() * 1000
    assert start <= data.first_at.min()
    assert data.last_at.max() < end
    assert (data.first_at <= data.last_at).all()
    assert data.item_features is not None
    assert data.item_features.matrix.shape[0] == data.n_items
    assert (np.diff(data.item_features.matrix.indptr) > 0).mean() > 0.99  # nearly all described


def test_demo_world_oracle_identity(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    generate(DemoWorldConfig(people=80, days=40, holdout_days=5, output_dir=root))
    data = load_demo_world(root)
    persons = set(pd.read_csv(root / "truth" / "persons.csv", dtype=str)["person_id"])
    assert set(data.user_ids) <= persons
    assert len(data.user_ids) >= 20
    # weights are sums of 1 / 3 / 5 per event; every pair has at least a view or purchase
    assert np.allclose(data.weights, np.round(data.weights))
    assert data.weights.min() >= 1

    events = pd.read_json(root / "events.jsonl", lines=True)
    kinds = {"product_view": 1.0, "add_to_cart": 3.0, "purchase": 5.0}
    interactions = events[events["type"].isin(list(kinds))]
    # every interaction event is tied to its person (here all directly, via an identifier)
    assert data.weights.sum() == pytest.approx(sum(kinds[k] for k in interactions["type"]))

    # one person's total from the raw events of the sessions they logged in to
    truth = pd.read_csv(root / "truth" / "identifier_person.csv", dtype=str)
    owned = truth[truth["person_id"].notna()]
    person = data.user_ids[int(np.bincount(data.users).argmax())]
    theirs = {
        (kind, value)
        for kind, value, owner in zip(
            owned["type"], owned["value"], owned["person_id"], strict=True
        )
        if owner == person
    }
    mine = [
        kinds[kind]
        for kind, ids in zip(interactions["type"], interactions["identifiers"], strict=True)
        if any((key, value) in theirs for key, value in ids.items() if value)
    ]
    assert data.weights[data.users == data.user_ids.index(person)].sum() == pytest.approx(sum(mine))

    items = pd.read_csv(root / "items.csv", dtype=str).set_index("item_id")
    assert data.item_categories is not None
    assert data.item_features is not None
    category = str(items.loc[data.item_ids[0], "category"])
    assert data.item_categories[0] == category
    names = data.item_features.names
    assert f"category={category}" in {names[j] for j in data.item_features.matrix[0].indices}
