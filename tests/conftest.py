"""Shared fixtures: a real Nexus app on SQLite and on the real PostgreSQL server.

Service and HTTP tests take `client` (an httpx client on the whole app) and run once
per backend. Tests isolate themselves by tenant: each registers its own user and
organisation, which is also how real tenants are kept apart.
"""

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from nexus.core.config import Settings
from nexus.gateway.app import create_app

POSTGRES_URL = os.environ.get(
    "NEXUS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SERVICES = ("auth", "ledger", "ingest")
PASSWORD = "correct horse battery staple 42"


async def _postgres_available() -> bool:
    try:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


class PostgresDatabases:
    """Throwaway databases on the real server, one per service, dropped at the end."""

    def __init__(self) -> None:
        self.names: list[str] = []

    async def create(self, prefix: str) -> dict[str, str]:
        connection = await asyncpg.connect(POSTGRES_URL)
        urls = {}
        try:
            for service in SERVICES:
                name = f"nexus_test_{prefix}_{service}"
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await connection.execute(f'CREATE DATABASE "{name}"')
                self.names.append(name)
                base = POSTGRES_URL.rsplit("/", 1)[0].replace(
                    "postgresql://", "postgresql+asyncpg://"
                )
                urls[service] = f"{base}/{name}"
        finally:
            await connection.close()
        return urls

    async def drop_all(self) -> None:
        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            for name in self.names:
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


async def require_postgres() -> None:
    """Skip (loudly) outside CI, fail under CI, when PostgreSQL is unreachable."""
    if await _postgres_available():
        return
    message = f"PostgreSQL is not reachable at {POSTGRES_URL}"
    if IN_CI:
        pytest.fail(f"{message}; under CI a skipped PostgreSQL test is a failure")
    print(f"\n*** SKIPPING PostgreSQL tests: {message} ***\n")  # noqa: T201
    pytest.skip(message)


async def make_settings(backend: str, data_dir: Path, databases: PostgresDatabases) -> Settings:
    """Return settings for a fresh Nexus on `backend` with its data under `data_dir`."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "log_json": True,
        "log_level": "WARNING",
        "sealer_interval_ms": 50,
        "outbox_interval_ms": 50,
    }
    if backend == "postgres":
        await require_postgres()
        urls = await databases.create(f"{os.getpid()}_{uuid.uuid4().hex[:8]}")
        values.update({f"{service}_database_url": url for service, url in urls.items()})
    return Settings(**values)


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
async def postgres_databases() -> AsyncIterator[PostgresDatabases]:
    databases = PostgresDatabases()
    yield databases
    if databases.names:
        await databases.drop_all()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def app(
    backend: str, tmp_path_factory: pytest.TempPathFactory, postgres_databases: PostgresDatabases
) -> AsyncIterator[FastAPI]:
    settings = await make_settings(
        backend, tmp_path_factory.mktemp(f"nexus-{backend}"), postgres_databases
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://nexus.test") as http:
        yield http
