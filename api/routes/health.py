"""`GET /healthz` (the process answers) and `GET /readyz` (the graph store answers too)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.dependencies import StoreDep
from graph.errors import GraphError

log = logging.getLogger("api")
router = APIRouter(tags=["operations"])

PING_TIMEOUT_S = 5.0
_MAX_REASON = 300


@router.get("/healthz", summary="Liveness: the process is up")
async def healthz() -> dict[str, str]:
    """Always `{"status": "ok"}` while the process serves requests; checks no dependency."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the graph store answers",
    responses={503: {"description": "The graph store does not answer; `reason` says why."}},
)
async def readyz(store: StoreDep) -> JSONResponse:
    """`200 {"status": "ready", "backend", "version"}` or `503 {"status": "unavailable", …}`."""
    try:
        info = await asyncio.wait_for(store.ping(), timeout=PING_TIMEOUT_S)
    except TimeoutError:
        reason = f"graph store did not answer within {PING_TIMEOUT_S:g}s"
    except GraphError as exc:
        reason = f"graph store unavailable: {_one_line(str(exc)) or type(exc).__name__}"
    except Exception as exc:  # not the port's error type: say what kind, keep details in the log
        log.exception("readiness check failed")
        reason = f"graph store check failed ({type(exc).__name__})"
    else:
        return JSONResponse({"status": "ready", "backend": info.backend, "version": info.version})
    return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 1] + "…"
