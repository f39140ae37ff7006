"""The database's own walls around postings and accounts, hit behind the ledger's back.

PostgreSQL checks each statement's postings (migration 0003): they balance, and their
entry and account belong to their organisation; a few rows are probed one by one, more
as a set, so each refusal is tried with a small and a large statement. SQLite keeps
foreign keys.
"""

import uuid
from datetime import UTC, date, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from nexus.core.db import Database
from tests.support import set_up_ledger, sign_up

_NOT_IN_ORG = "FOREIGN KEY constraint failed|which their organisation has not"
_SIZES = pytest.mark.parametrize("pairs", [1, 12], ids=["probed", "as_a_set"])


def _ledger(app: FastAPI) -> Database:
    database: Database = app.state.databases["ledger"]
    return database


def _key(database: Database, value: uuid.UUID) -> object:
    return value.hex if database.is_sqlite else value


def _when(database: Database) -> object:
    moment = datetime(2026, 4, 1, 12, tzinfo=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if database.is_sqlite else moment


async def _write(
    database: Database,
    *,
    org_id: uuid.UUID,
    entry_org_id: uuid.UUID | None,
    lines: list[tuple[str, int]],
    pairs: int = 1,
) -> None:
    """Insert an entry (unless `entry_org_id` is None) and `pairs` times its postings."""
    lines = lines * pairs
    entry_id = uuid.uuid4()
    day = date(2026, 4, 1).isoformat() if database.is_sqlite else date(2026, 4, 1)
    async with database.transaction() as session:
        if entry_org_id is not None:
            await session.execute(
                text(
                    "INSERT INTO entries (id, org_id, date, description, recorded_at) "
                    "VALUES (:id, :org, :day, 'behind the ledger', :at)"
                ),
                {
                    "id": _key(database, entry_id),
                    "org": _key(database, entry_org_id),
                    "day": day,
                    "at": _when(database),
                },
            )
        # One statement for all the postings: PostgreSQL checks each statement's set.
        values, params = [], {"entry": _key(database, entry_id), "day": day, "at": _when(database)}
        for line, (account, amount) in enumerate(lines):
            values.append(
                f"(:entry, {line}, :org, :account{line}, :amount{line}, 'EUR', :day, :at)"
            )
            params |= {
                f"account{line}": _key(database, uuid.UUID(account)),
                f"amount{line}": amount,
            }
        params["org"] = _key(database, org_id)
        await session.execute(
            text(
                "INSERT INTO postings (entry_id, line_no, org_id, account_id, amount_minor, "
                "currency, date, recorded_at) VALUES " + ", ".join(values)
            ),
            params,
        )


@_SIZES
async def test_balanced_postings_written_in_raw_sql_are_accepted(
    client: httpx.AsyncClient, app: FastAPI, pairs: int
) -> None:
    """The walls let a correct write through (so the failures below are the walls)."""
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    database = _ledger(app)
    await _write(
        database,
        org_id=tenant.org_id,
        entry_org_id=tenant.org_id,
        lines=[(accounts["5030"], 250), (accounts["1010"], -250)],
        pairs=pairs,
    )
    async with database.reading() as session:
        written = await session.scalar(
            text("SELECT count(*) FROM postings WHERE org_id = :org"),
            {"org": _key(database, tenant.org_id)},
        )
    assert written == 2 * pairs


@_SIZES
@pytest.mark.parametrize("missing", ["entry", "account"])
async def test_postings_naming_a_missing_entry_or_account_are_refused(
    client: httpx.AsyncClient, app: FastAPI, pairs: int, missing: str
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    debit = str(uuid.uuid4()) if missing == "account" else accounts["5030"]
    with pytest.raises(DBAPIError, match=_NOT_IN_ORG):
        await _write(
            _ledger(app),
            org_id=tenant.org_id,
            entry_org_id=None if missing == "entry" else tenant.org_id,
            lines=[(debit, 250), (accounts["1010"], -250)],
            pairs=pairs,
        )


@_SIZES
async def test_postings_across_organisations_are_refused_on_postgresql(
    client: httpx.AsyncClient, app: FastAPI, backend: str, pairs: int
) -> None:
    """An entry of org B, or an account of org B, under postings of org A."""
    if backend != "postgres":
        pytest.skip("SQLite's foreign keys check that a row exists, not its organisation")
    tenant, other = await sign_up(client), await sign_up(client)
    accounts, theirs = await set_up_ledger(client, tenant), await set_up_ledger(client, other)
    database = _ledger(app)
    with pytest.raises(DBAPIError, match="postings name account"):
        await _write(
            database,
            org_id=tenant.org_id,
            entry_org_id=tenant.org_id,
            lines=[(theirs["5030"], 250), (accounts["1010"], -250)],
            pairs=pairs,
        )
    with pytest.raises(DBAPIError, match="postings name entry"):
        await _write(
            database,
            org_id=tenant.org_id,
            entry_org_id=other.org_id,
            lines=[(accounts["5030"], 250), (accounts["1010"], -250)],
            pairs=pairs,
        )


async def test_accounts_are_never_deleted(client: httpx.AsyncClient, app: FastAPI) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    database = _ledger(app)
    with pytest.raises(DBAPIError, match="accounts are never deleted"):
        async with database.transaction() as session:
            await session.execute(
                text("DELETE FROM accounts WHERE id = :id"),
                {"id": _key(database, uuid.UUID(accounts["5030"]))},
            )
