"""Logs, request ids and metrics at the edge of every app.

One pure-ASGI middleware gives each request an id (the caller's `X-Request-ID` or a
new one), binds it to every log line, limits the body size, adds security headers,
and records Prometheus request counts and latencies by route template.
"""

import logging
import sys
import time
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexus.core.errors import error_body
from nexus.core.ids import new_id

HTTP_REQUESTS = Counter(
    "nexus_http_requests_total", "HTTP requests handled.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "nexus_http_request_duration_seconds",
    "HTTP request latency.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]

_SECRET_KEYS = {"password", "access_token", "refresh_token", "authorization", "secret", "token"}


def _redact_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in event.keys() & _SECRET_KEYS:
        event[key] = "[redacted]"
    return event


def configure_logging(*, level: str = "INFO", json: bool = True) -> None:
    """Send structured logs (JSON by default) with request ids to stderr."""
    renderer: Any = (
        structlog.processors.JSONRenderer(
            serializer=lambda obj, **_: orjson.dumps(obj, default=str).decode()
        )
        if json
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


class EdgeMiddleware:
    """Request id, body limit, security headers, access log and metrics."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        body_bytes_max: int,
        upload_bytes_max: int | None = None,
        upload_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.body_bytes_max = body_bytes_max
        # Statement uploads may be far larger than any JSON body; their routes stream
        # them to disk and check their own limit.
        self.upload_bytes_max = upload_bytes_max or body_bytes_max
        self.upload_prefixes = upload_prefixes
        self.log = structlog.get_logger("nexus.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = (
            self.upload_bytes_max
            if scope["path"].startswith(self.upload_prefixes) and self.upload_prefixes
            else self.body_bytes_max
        )
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:100] or str(new_id())
        # Restored on exit: an in-process call (the JWKS fetch) must not relabel its caller.
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self._handle(
                scope, receive, send, headers=headers, request_id=request_id, limit=limit
            )

    async def _handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        headers: dict[bytes, bytes],
        request_id: str,
        limit: int,
    ) -> None:
        declared_length = headers.get(b"content-length")
        if (
            declared_length is not None
            and declared_length.isdigit()
            and int(declared_length) > limit
        ):
            await _send_error(
                send,
                request_id,
                413,
                "payload_too_large",
                f"The request body exceeds {limit} bytes.",
            )
            return
        status = 500
        started = time.perf_counter()
        received_bytes = 0
        recorded = False
        response_started = False

        def record() -> None:
            # Counted before the last byte leaves, so a client that reads /metrics next sees it.
            nonlocal recorded
            if recorded:
                return
            recorded = True
            elapsed = time.perf_counter() - started
            route = _route_label(scope)
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], route).observe(elapsed)
            if status >= 500:
                self.log.error(
                    "request",
                    method=scope["method"],
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )

        async def limited_receive() -> Message:
            nonlocal received_bytes
            message = await receive()
            if message["type"] == "http.request":
                received_bytes += len(message.get("body", b""))
                if received_bytes > limit:
                    raise _BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode("latin-1")),
                    *SECURITY_HEADERS,
                ]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record()
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            status = 413
            if not response_started:
                await _send_error(
                    send,
                    request_id,
                    413,
                    "payload_too_large",
                    f"The request body exceeds {limit} bytes.",
                )
        except Exception as error:  # the last line: a bug becomes a 500 with an id, not a trace
            status = 500
            self.log.exception("unhandled_error", error_type=type(error).__name__)
            if not response_started:
                await _send_error(
                    send,
                    request_id,
                    500,
                    "internal_error",
                    "An unexpected error occurred.",
                    {"request_id": request_id},
                )
        finally:
            record()


class _BodyTooLarge(Exception):
    pass


async def _send_error(
    send: Send,
    request_id: str,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"x-request-id", request_id.encode("latin-1")),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send(
        {"type": "http.response.body", "body": orjson.dumps(error_body(code, message, details))}
    )


def _route_label(scope: Scope) -> str:
    """Return the matched route template, e.g. /api/v1/ledger/entries/{entry_id}."""
    template = getattr(scope.get("route"), "path", None)
    if template is None:
        return "unmatched"
    path: str = scope["path"]
    if path.startswith("/api/v1/") and not template.startswith("/api/"):
        # Routers are included under /api/v1/<service>; the route knows only its own part.
        service = path.split("/")[3]
        return f"/api/v1/{service}{template}"
    return str(template)


def metrics_response() -> Response:
    """Render the process's Prometheus metrics."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
