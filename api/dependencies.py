"""The app's shared objects, as `Annotated` dependency aliases for route signatures.

The lifespan (`api.app`) puts them on `app.state`; routes never reach into `app.state`
themselves, they declare what they need: `async def route(store: StoreDep) -> …`.
Tests inject fakes through `create_app(ingestor=…, store=…)`, not by overriding these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request

from customer_graph.settings import Settings
from graph.port import GraphStore
from ingestion.results import Ingestor

DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ITEMS = 10_000


@dataclass(frozen=True)
class IngestLimits:
    """Bounds of one ingest request: bytes of body and items in it."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_items: int = DEFAULT_MAX_ITEMS

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1 or self.max_items < 1:
            raise ValueError("ingest limits must be positive")


def _state(request: Request, name: str) -> object:
    try:
        return cast(object, getattr(request.app.state, name))
    except AttributeError:
        raise RuntimeError(f"app.state.{name} is not set: did the app's lifespan run?") from None


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return cast(Settings, _state(request, "settings"))


def get_store(request: Request) -> GraphStore:
    """The graph store opened (or injected) at startup."""
    return cast(GraphStore, _state(request, "store"))


def get_ingestor(request: Request) -> Ingestor:
    """The ingestion pipeline built (or injected) at startup."""
    return cast(Ingestor, _state(request, "ingestor"))


def get_ingest_limits(request: Request) -> IngestLimits:
    """Size limits of ingest requests."""
    return cast(IngestLimits, _state(request, "ingest_limits"))


def get_request_id(request: Request) -> str:
    """The id `RequestContextMiddleware` gave this request (echoed in `X-Request-ID`)."""
    return str(getattr(request.state, "request_id", ""))


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
IngestorDep = Annotated[Ingestor, Depends(get_ingestor)]
IngestLimitsDep = Annotated[IngestLimits, Depends(get_ingest_limits)]
RequestIdDep = Annotated[str, Depends(get_request_id)]
