"""The steward review page, `/steward`: static HTML, CSS and plain-JS ES modules from
`api/steward_page/`, with no build step. Serving it needs no key; the page talks only to
`/graphql`, with the API key the steward signs in with (kept in the tab's sessionStorage),
so everything it shows or changes goes through the GraphQL permission matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

PAGE_DIR = Path(__file__).resolve().parent.parent / "steward_page"
ASSETS_PATH = "/steward/static"
# Only the page's own files run, and it talks only to its own origin: a value shown on the
# page (a record's name) can never become script, and the key cannot be sent elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
ASSET_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}

router = APIRouter()


@router.get("/steward", include_in_schema=False)
async def steward_page() -> FileResponse:
    """The page itself (the views are in its scripts)."""
    return FileResponse(PAGE_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)


class PageAssets(StaticFiles):
    """The page's CSS and scripts, revalidated on every load (so a new version shows at once)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        """Starlette's file response with `ASSET_HEADERS`."""
        response = super().file_response(*args, **kwargs)
        response.headers.update(ASSET_HEADERS)
        return response


def install(app: FastAPI) -> None:
    """Serve the page at `/steward` and its assets under `/steward/static`."""
    app.include_router(router)
    app.mount(ASSETS_PATH, PageAssets(directory=PAGE_DIR / "static"), name="steward-assets")
