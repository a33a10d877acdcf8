"""The steward page end to end: the world (real embedded store, real identity model, a queue
written by a real resolution run), the real app under uvicorn on a loopback port, and
Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, expect, sync_playwright

from api.app import create_app
from customer_graph.runtime import graph_store
from graph.embedded_server import EmbeddedFalkorDB
from graph.port import Params, Row
from graph.queries import QueryRef
from tests.identity import conftest as identity_fixtures
from tests.steward_page.world import StewardWorld, build_world

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP: ViewportSize = {"width": 1366, "height": 800}
TIMEOUT_MS = 15_000  # a shared 2-core machine: generous, the tests take far less
expect.set_options(timeout=TIMEOUT_MS)
# Screenshots of the queue and the pair view (README, "Steward review page").
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "steward"

# The identity tests' world and trained model, shared when both packages run in one session.
small_world = identity_fixtures.small_world
trained_model_dir = identity_fixtures.trained_model_dir


@pytest.fixture(scope="session")
def steward_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StewardWorld]:
    """The world, its store's server kept up for the session."""
    world: Path = request.getfixturevalue("small_world")
    model: Path = request.getfixturevalue("trained_model_dir")
    data_dir = tmp_path_factory.mktemp("steward-page")
    server = EmbeddedFalkorDB(data_dir / "falkordb")
    server.ensure_running()
    try:
        yield build_world(world, model, data_dir)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def base_url(steward_world: StewardWorld) -> Iterator[str]:
    """The real app (its own store, pipeline and services) served by uvicorn in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(steward_world.settings), log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture(scope="session")
def driver(base_url: str) -> Iterator[Playwright]:
    """Playwright's driver (no browser of its own is ever downloaded). It runs an event loop
    in this thread, so it starts after the world and the server (their set-up uses
    `asyncio.run`), and store reads go through `read` (another thread)."""
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test`, which installs it")
    launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh tab (its own sessionStorage) at laptop size."""
    context = browser.new_context(viewport=LAPTOP, base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def read(world: StewardWorld, query: QueryRef, params: Params | None = None) -> list[Row]:
    """A read on the world's store, from a synchronous test (in a thread of its own: this
    one has Playwright's event loop)."""

    async def run() -> list[Row]:
        async with graph_store(world.settings) as store:
            return await store.read(query, params)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result()


def owners(world: StewardWorld, *keys: str) -> dict[str, Any]:
    """The customer each record belongs to now."""
    rows = read(world, "identity/records_by_keys", {"keys": list(keys)})
    return {str(r["key"]): r["customer_id"] for r in rows}


def pair_status(world: StewardWorld, left: str, right: str) -> str | None:
    """The stored status of a candidate pair."""
    rows = read(world, "matches/get_pair", {"left_key": left, "right_key": right})
    return str(rows[0]["status"]) if rows else None
