"""The edge middleware: request ids, body limits, security headers, 500s without internals."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request

from nexus.core.config import Settings
from nexus.gateway.app import create_app


@pytest.fixture
async def edge_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(
        Settings(data_dir=tmp_path, request_body_bytes_max=1000, web_dir=tmp_path / "no-web"),
        services=[],
    )

    @app.get("/api/v1/test/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    @app.post("/api/v1/test/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://edge.test") as client:
            yield client


async def test_unexpected_error_is_a_500_with_the_request_id_and_no_internals(
    edge_client: httpx.AsyncClient,
) -> None:
    response = await edge_client.get("/api/v1/test/boom", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "An unexpected error occurred.",
            "details": {"request_id": "req-123"},
        }
    }
    assert "hunter2" not in response.text
    assert response.headers["x-request-id"] == "req-123"


async def test_request_id_is_made_when_absent_and_security_headers_are_set(
    edge_client: httpx.AsyncClient,
) -> None:
    response = await edge_client.get("/healthz")
    assert len(response.headers["x-request-id"]) == 36
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_bodies_over_the_limit_are_413_declared_or_streamed(
    edge_client: httpx.AsyncClient,
) -> None:
    assert (await edge_client.post("/api/v1/test/echo", content=b"x" * 1000)).json() == {
        "bytes": 1000
    }
    declared = await edge_client.post("/api/v1/test/echo", content=b"x" * 1001)
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"y" * 300

    streamed = await edge_client.post("/api/v1/test/echo", content=chunks())
    assert streamed.status_code == 413


async def test_unknown_route_and_wrong_method_use_the_error_body(
    edge_client: httpx.AsyncClient,
) -> None:
    missing = await edge_client.get("/api/v1/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = await edge_client.delete("/healthz")
    assert wrong.json()["error"]["code"] == "method_not_allowed"
