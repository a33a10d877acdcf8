"""Generation as a whole: determinism, manifest, freshness checks, atomic output."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from demo_world import (
    FILES,
    GENERATOR_VERSION,
    DemoWorldConfig,
    Manifest,
    ensure,
    generate,
    is_up_to_date,
    load_manifest,
)

SMALL = {"people": 200, "days": 30, "holdout_days": 7}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoWorldConfig, Manifest]:
    config = DemoWorldConfig(
        people=SMALL["people"],
        days=SMALL["days"],
        holdout_days=SMALL["holdout_days"],
        output_dir=tmp_path_factory.mktemp("world"),
    )
    return config, generate(config)


def _data_rows(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        lines = sum(1 for _ in handle)
    return lines if path.suffix == ".jsonl" else lines - 1


def test_same_seed_gives_identical_files(
    world: tuple[DemoWorldConfig, Manifest], tmp_path: Path
) -> None:
    config, manifest = world
    again = generate(config.model_copy(update={"output_dir": tmp_path}))
    assert again.files == manifest.files
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (config.output_dir / name).read_bytes()


def test_other_seed_gives_other_world(
    world: tuple[DemoWorldConfig, Manifest], tmp_path: Path
) -> None:
    config, manifest = world
    other = generate(config.model_copy(update={"output_dir": tmp_path, "seed": 7}))
    for name in ("records.csv", "events.jsonl", "truth/persons.csv"):
        assert other.files[name].sha256 != manifest.files[name].sha256


def test_manifest_lists_every_file_with_true_counts(
    world: tuple[DemoWorldConfig, Manifest],
) -> None:
    config, manifest = world
    assert manifest.generator_version == GENERATOR_VERSION
    assert manifest.config == {**SMALL, "seed": 42, "start": "2026-01-01"}
    assert set(manifest.files) == set(FILES)
    for name, entry in manifest.files.items():
        path = config.output_dir / name
        assert path.stat().st_size == entry.bytes
        assert _data_rows(path) == entry.rows, name
    counts = manifest.counts
    assert counts["persons"] == SMALL["people"] == manifest.files["truth/persons.csv"].rows
    assert counts["records"] == manifest.files["records.csv"].rows
    assert counts["records"] == sum(counts[f"records.{s}"] for s in ("crm", "web", "app"))
    assert counts["events"] == manifest.files["events.jsonl"].rows
    assert counts["events"] == sum(v for k, v in counts.items() if k.startswith("events."))
    assert counts["items"] == manifest.files["items.csv"].rows
    assert counts["heldout_interactions"] == manifest.files["truth/heldout_interactions.csv"].rows
    assert counts["identifiers"] == manifest.files["truth/identifier_person.csv"].rows
    assert load_manifest(config.output_dir) == manifest


def test_no_temporary_files_left(world: tuple[DemoWorldConfig, Manifest]) -> None:
    config, _ = world
    names = {p.relative_to(config.output_dir).as_posix() for p in config.output_dir.rglob("*")}
    assert names == {*FILES, "manifest.json", "truth"}


def test_up_to_date_after_generate(world: tuple[DemoWorldConfig, Manifest], tmp_path: Path) -> None:
    config, _ = world
    assert is_up_to_date(config.output_dir, config)
    moved = config.model_copy(update={"output_dir": tmp_path / "elsewhere"})
    assert is_up_to_date(config.output_dir, moved)  # output_dir is not part of the world


@pytest.mark.parametrize(
    "change", [{"seed": 43}, {"people": 201}, {"days": 31}, {"holdout_days": 6}]
)
def test_not_up_to_date_when_config_changes(
    world: tuple[DemoWorldConfig, Manifest], change: dict[str, int]
) -> None:
    config, _ = world
    assert not is_up_to_date(config.output_dir, config.model_copy(update=change))


@pytest.mark.parametrize("name", ["events.jsonl", "truth/persons.csv", "items.csv"])
def test_not_up_to_date_after_tampering(
    world: tuple[DemoWorldConfig, Manifest], tmp_path: Path, name: str
) -> None:
    config, _ = world
    copy = tmp_path / "copy"
    shutil.copytree(config.output_dir, copy)
    assert is_up_to_date(copy, config)
    data = bytearray((copy / name).read_bytes())
    data[-2] = ord("X") if data[-2] != ord("X") else ord("Y")  # same size, other content
    (copy / name).write_bytes(bytes(data))
    assert not is_up_to_date(copy, config)


def test_not_up_to_date_without_manifest_or_file(
    world: tuple[DemoWorldConfig, Manifest], tmp_path: Path
) -> None:
    config, _ = world
    assert load_manifest(tmp_path) is None
    assert not is_up_to_date(tmp_path, config)
    copy = tmp_path / "copy"
    shutil.copytree(config.output_dir, copy)
    (copy / "truth" / "record_person.csv").unlink()
    assert not is_up_to_date(copy, config)
    (copy / "manifest.json").write_text("{not json", encoding="utf-8")
    assert load_manifest(copy) is None


def test_ensure_reuses_fresh_files(world: tuple[DemoWorldConfig, Manifest]) -> None:
    config, manifest = world
    before = {name: (config.output_dir / name).stat().st_mtime_ns for name in FILES}
    stages: list[str] = []
    assert ensure(config, lambda stage, done, total: stages.append(stage)) == manifest
    assert stages == []  # nothing regenerated
    assert before == {name: (config.output_dir / name).stat().st_mtime_ns for name in FILES}


def test_progress_reports_every_stage(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    config = DemoWorldConfig(people=30, days=10, holdout_days=2, output_dir=tmp_path)
    generate(config, lambda stage, done, total: calls.append((stage, done, total)))
    stages = [c[0] for c in calls]
    assert list(dict.fromkeys(stages)) == ["people", "records", "catalogue", "events", "write"]
    assert all(0 <= done <= total for _, done, total in calls)
    assert calls[-1][1] == calls[-1][2]


def test_regenerating_replaces_previous_output(tmp_path: Path) -> None:
    first = DemoWorldConfig(people=20, days=10, holdout_days=2, output_dir=tmp_path)
    generate(first)
    second = first.model_copy(update={"people": 25})
    generate(second)
    assert is_up_to_date(tmp_path, second)
    assert not is_up_to_date(tmp_path, first)
    with (tmp_path / "truth" / "persons.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 25


def test_config_rejects_holdout_longer_than_span() -> None:
    with pytest.raises(ValueError, match="holdout_days"):
        DemoWorldConfig(days=10, holdout_days=10)


def test_default_config_matches_the_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CG_DATA_DIR", "/somewhere")
    config = DemoWorldConfig()
    assert (config.seed, config.people, config.days, config.holdout_days) == (42, 5000, 180, 14)
    assert config.start.isoformat() == "2026-01-01"
    assert config.output_dir == Path("/somewhere/demo")
