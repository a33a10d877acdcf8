"""Request context as pure ASGI middleware: request id, latency metrics, masked 500s, JSON logs.

One middleware, so the order of the concerns is explicit: a request id is assigned first
(echoing the client's `X-Request-ID` when it is a sane short token), the app runs, and
whatever happens the response carries the id, the latency histogram gets one observation
labelled with the *route template* (`/v1/events`, never a raw path with ids in it), a 4xx or
5xx status also counts in `cg_http_errors_total`, and one JSON log line is written. An
exception that escapes the app becomes `500 {"error": "internal error", "request_id": …}`:
no stack trace, no Cypher, no message text reaches the client; the traceback goes to the
log line, with the same request id.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http_metrics import HTTP_ERRORS, HTTP_REQUEST_SECONDS

log = logging.getLogger("api")

REQUEST_ID_HEADER = "x-request-id"
# Letters, digits and a few separators, 1–64 characters: enough for UUIDs, ULIDs and
# trace ids, and nothing that could forge a log line or a header.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$")
UNMATCHED_ROUTE = "<unmatched>"
# Probes and scrapes arrive every few seconds: their log lines are DEBUG, not INFO.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's `X-Request-ID` if it is a sane short token, else a new random one."""
    for name, value in headers:
        if name.lower() == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _SANE_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/v1/events`), or `<unmatched>`."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else UNMATCHED_ROUTE


def log_json(level: int, event: str, **fields: Any) -> None:
    """One structured log line: a JSON object with an `event` name and the given fields."""
    if not log.isEnabledFor(level):  # not even encoded (a line per request)
        return
    log.log(level, json.dumps({"event": event, **fields}, default=str, separators=(",", ":")))


class RequestContextMiddleware:
    """Request id, latency histogram, masked internal errors and a JSON log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = request_id_from(scope.get("headers", []))
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        error: BaseException | None = None
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            error = exc
            if response_started:  # too late to answer cleanly: let the server drop it
                raise
            await _send_masked_error(send_with_id, request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", ""))
            HTTP_REQUEST_SECONDS.labels(method=method, route=route, status=str(status)).observe(
                elapsed
            )
            if status >= 400:
                HTTP_ERRORS.labels(method=method, route=route, status=str(status)).inc()
            fields: dict[str, Any] = {
                "request_id": request_id,
                "method": method,
                "route": route,
                "path": scope.get("path", ""),
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            }
            if error is not None:
                fields["error_type"] = type(error).__name__
                fields["traceback"] = "".join(
                    traceback.format_exception(type(error), error, error.__traceback__)
                )
                log_json(logging.ERROR, "unhandled_error", **fields)
            else:
                level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
                log_json(level, "request", **fields)


async def _send_masked_error(send: Send, request_id: str) -> None:
    body = json.dumps({"error": "internal error", "request_id": request_id}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
