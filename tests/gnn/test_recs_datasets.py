"""The recommendation benchmark's dataset options."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from benchmarks.recs_datasets import add_dataset_arguments, load_dataset


def parser() -> argparse.ArgumentParser:
    """A parser with only the dataset options."""
    parse = argparse.ArgumentParser()
    add_dataset_arguments(parse)
    return parse


def test_interactions_file_options(tmp_path: Path) -> None:
    path = tmp_path / "u.data"
    path.write_text("1\t10\t5\t881250949\n1\t11\t2\t881250950\n2\t10\t4\t881250951\n")
    args = parser().parse_args(
        [
            "--interactions",
            str(path),
            "--sep",
            "tab",
            "--columns",
            "user,item,rating,timestamp",
            "--min-rating",
            "3",
        ]
    )
    data = load_dataset(args)
    assert (len(data), data.n_users, data.n_items) == (2, 2, 1)


def test_demo_world_is_generated_once_into_the_cache(tmp_path: Path) -> None:
    args = parser().parse_args(
        ["--dataset", "demo", "--people", "60", "--cache-dir", str(tmp_path)]
    )
    first = load_dataset(args)
    world = tmp_path / "demo-seed42-people60"
    stamp = (world / "events.jsonl").stat().st_mtime_ns
    second = load_dataset(args)
    assert (world / "events.jsonl").stat().st_mtime_ns == stamp  # reused, not regenerated
    assert first.content_hash() == second.content_hash()
    assert first.source.endswith("oracle-identity")


def test_dataset_or_interactions_is_required() -> None:
    with pytest.raises(SystemExit):
        parser().parse_args([])
