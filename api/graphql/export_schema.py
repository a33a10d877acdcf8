"""Write the GraphQL schema's SDL to `api/graphql/schema.graphql` (`--check`: only compare).

python -m api.graphql.export_schema [--check]
"""

from __future__ import annotations

import sys

from api.graphql.schema import SDL_PATH, sdl


def main(argv: list[str] | None = None) -> int:
    """Write (or with `--check` compare) the SDL file; 1 when the check finds it stale."""
    args = sys.argv[1:] if argv is None else argv
    text = sdl()
    if "--check" in args:
        current = SDL_PATH.read_text(encoding="utf-8") if SDL_PATH.exists() else ""
        if current != text:
            print(f"{SDL_PATH} is out of date: run python -m api.graphql.export_schema")
            return 1
        print(f"{SDL_PATH} is up to date")
        return 0
    SDL_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SDL_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
