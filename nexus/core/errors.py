"""Errors that carry their meaning, rendered as one JSON shape.

Every error a client can cause is a `NexusError` with a stable machine-readable `code`
and an HTTP `status`. One set of handlers turns them (and FastAPI's own validation
errors) into `{"error": {"code", "message", "details"}}`; anything unexpected becomes a
500 with the request id and no internals.
"""

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException


class NexusError(Exception):
    """Base of every error a client can cause; subclasses set `code` and `status`."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidInput(NexusError):
    code = "invalid_input"
    status = 422


class NotFound(NexusError):
    code = "not_found"
    status = 404


class Conflict(NexusError):
    code = "conflict"
    status = 409


class Unauthenticated(NexusError):
    code = "unauthenticated"
    status = 401


class Forbidden(NexusError):
    code = "forbidden"
    status = 403


class ServiceUnavailable(NexusError):
    code = "service_unavailable"
    status = 503


class PayloadTooLarge(NexusError):
    code = "payload_too_large"
    status = 413


def error_of_response(status: int, body: bytes) -> tuple[str, str, dict[str, Any]]:
    """Read (code, message, details) back from another service's error response."""
    try:
        error = json.loads(body)["error"]
        return (
            str(error.get("code", "http_error")),
            str(error.get("message", "")),
            dict(error.get("details") or {}),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return "http_error", f"HTTP {status}: {body[:500].decode(errors='replace')}", {}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the JSON error body of DESIGN.md section 5."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _json_error(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


async def _handle_nexus_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NexusError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return _json_error(exc.status, exc.code, exc.message, exc.details, headers)


async def _handle_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {
            "location": [str(part) for part in error.get("loc", ())],
            "message": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    return _json_error(422, "validation_error", "The request is not valid.", {"fields": fields})


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


async def _handle_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return _json_error(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _handle_database_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated:
        # The pool does not ping connections; the server went away under this one.
        return _json_error(503, "database_unavailable", "The database connection was lost; retry.")
    raise exc


def install_error_handlers(app: FastAPI) -> None:
    """Render every error of `app` as the standard JSON error body."""
    app.add_exception_handler(NexusError, _handle_nexus_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_error)
    app.add_exception_handler(DBAPIError, _handle_database_error)
    # Anything else is rendered as a 500 with its request id by the edge middleware.
