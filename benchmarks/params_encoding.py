"""FalkorDB parameter encoding: ours (`graph/falkordb_params.py`) vs the falkordb client's.

    python benchmarks/params_encoding.py --rows 5000 --rounds 7

Every batch write sends its rows as a `CYPHER rows=[{…},…]` literal, so encoding is paid
per value of every row. Both encoders get the same batch of interaction rows (the shape
`interactions/add_interactions` writes), interleaved round by round; the last stdout line is
JSON with microseconds per row for each (median over rounds) and their ratio.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from falkordb.helpers import stringify_param_value

from benchmarks.machine import machine_info
from graph.falkordb_params import encode


def _rows(count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        value = f"{rng.getrandbits(64):x}"
        rows.append(
            {
                "id_key": f"cookie:{value}",
                "id_type": "cookie",
                "id_value": value,
                "item_id": f"item{rng.randint(1, 2000)}",
                "type": "page_view",
                "count": rng.randint(1, 5),
                "first_at": 1_700_000_000_000 + i,
                "last_at": 1_700_000_000_000 + i,
                "weight": 1.0,
            }
        )
    return rows


def _per_row(encoder: Callable[[Any], str], rows: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    encoder(rows)
    return (time.perf_counter() - started) / len(rows) * 1e6


def main() -> None:
    """Time both encoders on the same rows and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rows = _rows(args.rows, args.seed)
    # Same text but for booleans (none in these rows): the client writes Python's `True`.
    if encode(rows) != stringify_param_value(rows):
        raise SystemExit("the encoders disagree on these rows")
    ours: list[float] = []
    client: list[float] = []
    for _ in range(args.rounds):
        ours.append(_per_row(encode, rows))
        client.append(_per_row(stringify_param_value, rows))
    result = {
        "rows": args.rows,
        "rounds": args.rounds,
        "ours_us_per_row": round(statistics.median(ours), 2),
        "client_us_per_row": round(statistics.median(client), 2),
        "ours_over_client": round(statistics.median(ours) / statistics.median(client), 3),
        "machine": machine_info(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
