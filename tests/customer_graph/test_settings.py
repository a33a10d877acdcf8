"""The settings object: environment variables, validation, and the README table."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from customer_graph.settings import Settings


def test_defaults_are_safe_for_a_laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"CG_{name.upper()}", raising=False)
    settings = Settings()
    assert settings.graph_url == "falkordb-embedded://"
    assert settings.data_dir == Path("data")
    assert settings.falkordb_fsync == "always"
    assert settings.using_dev_hash_key()


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CG_GRAPH_URL", "bolt://db:7687")
    monkeypatch.setenv("CG_WRITE_BATCH_SIZE", "500")
    monkeypatch.setenv("CG_HASH_KEY", "a-real-secret-key-of-some-length")
    settings = Settings()
    assert settings.graph_url == "bolt://db:7687"
    assert settings.write_batch_size == 500
    assert not settings.using_dev_hash_key()


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("CG_GRAPH_URL", "mysql://x", "graph_url"),
        ("CG_WRITE_BATCH_SIZE", "0", "write_batch_size"),
        ("CG_FALKORDB_FSYNC", "never", "falkordb_fsync"),
    ],
)
def test_bad_values_name_the_field(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert field in str(caught.value)


def test_readme_documents_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [
        f"CG_{n.upper()}" for n in Settings.model_fields if f"`CG_{n.upper()}`" not in readme
    ]
    assert missing == []
