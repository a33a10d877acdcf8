"""`customer-graph privacy …` in-process: master-key rotation, and refusals naming the field."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from typer.testing import CliRunner

from customer_graph.commands import privacy
from customer_graph.runtime import key_store
from customer_graph.settings import Settings, get_settings
from privacy.cipher import FieldCipher


def _invoke(data_dir: Path, *args: str, **env: str) -> tuple[int, str]:
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            privacy.app, list(args), env={"CG_DATA_DIR": str(data_dir), "COLUMNS": "200", **env}
        )
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_rotate_master_key_rewraps_the_data_keys(tmp_path: Path) -> None:
    old, new = _key(), _key()
    before = Settings(data_dir=tmp_path, master_key=old)  # type: ignore[arg-type]
    keys = key_store(before)
    cipher = FieldCipher(keys, b"hash-key-hash-key-hash-key")
    tokens = [t for t in cipher.seal("record", [("crm:1", {"first_name": "Ann"})]) if t]
    keys.close()

    code, output = _invoke(
        tmp_path,
        "rotate-master-key",
        CG_MASTER_KEY=new,
        CG_PREVIOUS_MASTER_KEYS=json.dumps([old]),
    )
    assert code == 0, output
    assert "re-wrapped 1 data keys" in output
    after = key_store(Settings(data_dir=tmp_path, master_key=new))  # type: ignore[arg-type]
    assert FieldCipher(after, b"hash-key-hash-key-hash-key").open(tokens) == [{"first_name": "Ann"}]
    after.close()


def test_a_bad_master_key_names_the_setting(tmp_path: Path) -> None:
    code, output = _invoke(tmp_path, "rotate-master-key", CG_MASTER_KEY="too-short")
    assert code != 0
    assert "master_key" in output
    assert "32 bytes" in output
