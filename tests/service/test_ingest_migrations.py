"""The ingest service's migrations carry stored lines forward."""

import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select

from nexus.core.clock import utc_now
from nexus.core.db import Database
from nexus.core.migrations import upgrade
from nexus.ingest.models import bank_lines, import_batches
from tests.conftest import PostgresDatabases, make_settings


async def test_lines_stored_before_positions_get_them_in_file_order(
    backend: str, tmp_path: Path, postgres_databases: PostgresDatabases
) -> None:
    settings = await make_settings(backend, tmp_path, postgres_databases)
    database = Database("ingest", settings.database_url("ingest"))
    try:
        await upgrade(database, revision="0001")
        batch_id, org_id, account_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        now = utc_now()
        # Two lines share line 7 (a one-line OFX); ids in the order they were parsed.
        ids = [uuid.UUID(int=n) for n in (30, 10, 20)]
        async with database.transaction() as session:
            await session.execute(
                insert(import_batches).values(
                    id=batch_id,
                    org_id=org_id,
                    account_id=account_id,
                    currency="EUR",
                    file_sha256="0" * 64,
                    file_bytes=1,
                    status="previewed",
                    lines_total=3,
                    lines_duplicate=0,
                    progress_done=3,
                    progress_total=3,
                    warnings=[],
                    created_at=now,
                    updated_at=now,
                )
            )
            for line_id, line_number in zip(ids, (9, 7, 7), strict=True):
                await session.execute(
                    insert(bank_lines).values(
                        id=line_id,
                        org_id=org_id,
                        account_id=account_id,
                        batch_id=batch_id,
                        line_number=line_number,
                        date=date(2026, 11, 1),
                        amount_minor=-100,
                        currency="EUR",
                        description="x",
                        raw="x",
                        line_key=f"k{line_id.int}",
                        status="new",
                    )
                )
        await upgrade(database)
        async with database.reading() as session:
            rows = (
                await session.execute(
                    select(bank_lines.c.id, bank_lines.c.position).order_by(bank_lines.c.position)
                )
            ).all()
        assert [(row.id, row.position) for row in rows] == [(ids[1], 1), (ids[2], 2), (ids[0], 3)]
    finally:
        await database.dispose()
