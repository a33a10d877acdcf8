"""Write the message schemas as JSON Schema files (checked into `ingestion/schemas/`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from ingestion.schemas import EventV1, RecordV1

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMAS: dict[str, Any] = {"event.v1.json": EventV1, "record.v1.json": RecordV1}


def render(schema_type: Any) -> str:
    """The JSON Schema of a message type (model or TypedDict), as stable, pretty JSON."""
    schema = TypeAdapter(schema_type).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def export_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema_type in SCHEMAS.items():
        path = directory / name
        path.write_text(render(schema_type), encoding="utf-8")
        written.append(path)
    return written
