"""Which user an identifier's interactions count for when the graph is exported."""

from __future__ import annotations

from gnn.dataset import customer_of, item_attributes
from gnn.serving.model_users import ANONYMOUS_PREFIX


def test_an_identifier_counts_for_its_customer_directly_or_through_a_login() -> None:
    assert customer_of({"id_key": "k1", "direct_ids": ["c2", "c1"], "via_ids": ["c9"]}) == "c1"
    assert customer_of({"id_key": "k2", "direct_ids": [], "via_ids": ["c7"]}) == "c7"


def test_an_anonymous_or_ambiguous_identifier_stays_its_own_user() -> None:
    assert customer_of({"id_key": "k3", "direct_ids": [], "via_ids": []}) == ANONYMOUS_PREFIX + "k3"
    shared_tablet = {"id_key": "k4", "direct_ids": [None], "via_ids": ["c1", "c2"]}
    assert customer_of(shared_tablet) == ANONYMOUS_PREFIX + "k4"


def test_catalogue_rows_become_encoder_attributes() -> None:
    rows = item_attributes(
        [{"id": 7, "title": "Tea light", "description": None, "category": "candles", "price": 2}]
    )
    assert rows == {"7": {"category": "candles", "brand": None, "price": 2, "text": "Tea light"}}
