"""Loading query files by name, with per-backend variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import UnknownQueryError
from graph.queries import QueryCatalog


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_shared_file_and_backend_variant(tmp_path: Path) -> None:
    _write(tmp_path, "a/q.cypher", "// Purpose of q.\n// params: x\nMATCH (n) RETURN n;\n")
    _write(tmp_path, "a/q.falkordb.cypher", "MATCH (n:F) RETURN n")
    catalog = QueryCatalog(tmp_path)
    assert catalog.names() == ["a/q"]
    shared = catalog.get("a/q", "neo4j")
    assert shared.text == "MATCH (n) RETURN n"
    assert shared.doc == "Purpose of q. params: x"
    assert catalog.get("a/q", "falkordb").text == "MATCH (n:F) RETURN n"
    assert catalog.has_variant("a/q", "falkordb")
    assert not catalog.has_variant("a/q", "neo4j")


def test_variant_only_query_is_missing_for_other_backends(tmp_path: Path) -> None:
    _write(tmp_path, "s/ddl.neo4j.cypher", "SHOW INDEXES")
    catalog = QueryCatalog(tmp_path)
    assert catalog.get("s/ddl", "neo4j").text == "SHOW INDEXES"
    with pytest.raises(UnknownQueryError, match="s/ddl"):
        catalog.get("s/ddl", "falkordb")


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "a/empty.cypher", "// only a comment\n")
    with pytest.raises(UnknownQueryError, match="no statement"):
        QueryCatalog(tmp_path)


def test_missing_folder_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(UnknownQueryError, match="CG_CYPHER_DIR"):
        QueryCatalog(tmp_path / "nope")


def test_repository_queries_are_documented() -> None:
    catalog = QueryCatalog()
    for name in catalog.names():
        for backend in ("falkordb", "neo4j"):
            assert catalog.get(name, backend).doc, f"{name} has no purpose comment"
