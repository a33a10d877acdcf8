"""The exported SDL is the schema's, and the export script keeps it so."""

from __future__ import annotations

from api.graphql import export_schema
from api.graphql.schema import SDL_PATH, sdl


def test_the_exported_sdl_is_up_to_date() -> None:
    assert SDL_PATH.read_text(encoding="utf-8") == sdl(), (
        "api/graphql/schema.graphql is stale: run `python -m api.graphql.export_schema`"
    )
    assert export_schema.main(["--check"]) == 0


def test_the_schema_is_merged_from_every_domain() -> None:
    text = sdl()
    for field in ("customer(", "visitor(", "modelVersions", "mergeCandidates", "promoteModel"):
        assert field in text
    for field in ("approveMatch", "rejectMatch", "splitCustomer", "undoOperation"):
        assert field in text
