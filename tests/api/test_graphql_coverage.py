"""Every query and mutation of the schema is sent by some test: a new root field without a
test document fails here, naming it."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import build_schema as parse_sdl

from api.graphql.schema import sdl

TESTS = Path(__file__).resolve().parents[1]
# Documents written by hand; the fuzz tests' generated documents do not count here.
GENERATED = {"test_graphql_fuzz.py", "test_graphql_coverage.py"}


def _root_fields() -> dict[str, list[str]]:
    schema = parse_sdl(sdl())
    roots = {"Query": schema.query_type, "Mutation": schema.mutation_type}
    return {kind: sorted(root.fields) for kind, root in roots.items() if root is not None}


def _test_sources() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for path in sorted(TESTS.rglob("test_*.py"))
        if path.name not in GENERATED
    )


def test_every_root_field_is_in_a_test_document() -> None:
    sources = _test_sources()
    missing = [
        f"{kind}.{name}"
        for kind, names in _root_fields().items()
        for name in names
        # Called with arguments or a selection: `name(` or `name {` (not a Python name).
        if not re.search(rf"\b{re.escape(name)}\s*[({{]", sources)
    ]
    assert missing == [], f"root fields no test sends: {missing}"


def test_the_check_sees_both_roots() -> None:
    fields = _root_fields()
    assert "customer" in fields["Query"]
    assert "submitEvents" in fields["Mutation"]
