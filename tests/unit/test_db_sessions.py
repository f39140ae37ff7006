"""The request's session commits before the response leaves, so a failed commit is never a 201."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, status
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.config import Settings
from nexus.core.db import Database, write_session
from nexus.gateway.app import create_app

WriteSession = Annotated[AsyncSession, write_session("probe")]


@pytest.fixture
async def probe(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    app: FastAPI = create_app(Settings(data_dir=tmp_path, web_dir=tmp_path / "no-web"), services=[])
    database = Database("probe", f"sqlite+aiosqlite:///{tmp_path / 'probe.db'}")

    @app.post("/parents/{parent_id}/children", status_code=status.HTTP_201_CREATED)
    async def add_child(parent_id: int, session: WriteSession) -> dict[str, str]:
        # The foreign key is only checked at COMMIT (deferred), after this function returns.
        await session.execute(text("INSERT INTO child (parent_id) VALUES (:p)"), {"p": parent_id})
        return {"status": "created"}

    async with app.router.lifespan_context(app):
        app.state.databases["probe"] = database
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
            await session.execute(
                text(
                    "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) "
                    "DEFERRABLE INITIALLY DEFERRED)"
                )
            )
            await session.execute(text("INSERT INTO parent (id) VALUES (1)"))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe.test") as client:
            yield client, database
    await database.dispose()


async def test_a_write_that_fails_at_commit_is_not_reported_as_created(
    probe: tuple[httpx.AsyncClient, Database],
) -> None:
    client, database = probe
    assert (await client.post("/parents/1/children")).status_code == 201
    failed = await client.post("/parents/2/children")
    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == "internal_error"
    async with database.reading() as session:
        assert (await session.execute(text("SELECT parent_id FROM child"))).scalars().all() == [1]


async def test_sqlite_connections_are_durable_wal_with_rare_checkpoints(tmp_path: Path) -> None:
    database = Database("pragmas", f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}")
    try:
        for open_session in (database.transaction, database.reading):
            async with open_session() as session:
                values = [
                    (await session.execute(text(f"PRAGMA {name}"))).scalar_one()
                    for name in (
                        "journal_mode",
                        "synchronous",
                        "foreign_keys",
                        "wal_autocheckpoint",
                        "journal_size_limit",
                    )
                ]
            # synchronous 2 = FULL: a committed entry survives a power cut.
            assert values == ["wal", 2, 1, 10_000, 64 * 1024 * 1024]
    finally:
        await database.dispose()
