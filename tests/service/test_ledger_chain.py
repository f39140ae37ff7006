"""The tamper-evident chain: sealing, verification, and a real tampering caught."""

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from nexus.core.db import Database
from nexus.ledger import chain
from tests.support import entry, post, set_up_ledger, sign_up


def _ledger(app: FastAPI) -> Database:
    database: Database = app.state.databases["ledger"]
    return database


async def _books_with_entries(
    client: httpx.AsyncClient, count: int
) -> tuple[dict[str, str], list[str], dict[str, str]]:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    ids = []
    for number in range(count):
        response = await post(
            client,
            tenant,
            entry(
                f"2026-03-{number + 1:02d}",
                f"Lunch {number}",
                (accounts["5030"], f"{10 + number}.50"),
                (accounts["1010"], f"-{10 + number}.50"),
            ),
        )
        ids.append(response.json()["id"])
    return tenant.headers, ids, accounts


async def test_sealed_chain_verifies(client: httpx.AsyncClient, app: FastAPI) -> None:
    headers, _, _ = await _books_with_entries(client, 5)
    await chain.seal_all(_ledger(app))
    report = (await client.get("/api/v1/ledger/chain/verify", headers=headers)).json()
    assert report["ok"] is True
    assert report["checked"] == 5
    assert report["unsealed"] == 0
    assert report["first_broken"] is None
    assert len(report["head_hash"]) == 64


async def test_unsealed_entries_are_reported_not_broken(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers, _, _ = await _books_with_entries(client, 2)
    # Verified before or after the sealer's next pass, fresh entries are queued, never broken.
    report = (await client.get("/api/v1/ledger/chain/verify", headers=headers)).json()
    assert report["ok"] is True
    assert report["checked"] + report["unsealed"] == 2
    await chain.seal_all(_ledger(app))
    sealed = (await client.get("/api/v1/ledger/chain/verify", headers=headers)).json()
    assert (sealed["checked"], sealed["unsealed"]) == (2, 0)


async def _tamper(database: Database, statement: str, params: dict[str, object]) -> None:
    """Change a posted row behind the ledger's back, as someone with database access could."""
    async with database.transaction() as session:
        if database.is_sqlite:
            await session.execute(text("DROP TRIGGER postings_no_update"))
            await session.execute(text(statement), params)
            await session.execute(
                text(
                    "CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings "
                    "BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END"
                )
            )
        else:
            await session.execute(text("ALTER TABLE postings DISABLE TRIGGER postings_append_only"))
            await session.execute(text(statement), params)
            await session.execute(text("ALTER TABLE postings ENABLE TRIGGER postings_append_only"))


async def test_altered_posting_is_named_as_the_first_broken_link(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers, ids, _ = await _books_with_entries(client, 6)
    database = _ledger(app)
    await chain.seal_all(database)
    victim = uuid.UUID(ids[3])
    await _tamper(
        database,
        "UPDATE postings SET amount_minor = amount_minor + 100 WHERE entry_id = :id",
        {"id": victim.hex if database.is_sqlite else victim},
    )
    report = (await client.get("/api/v1/ledger/chain/verify", headers=headers)).json()
    assert report["ok"] is False
    assert report["checked"] == 3
    assert report["first_broken"] == {
        "seq": 4,
        "entry_id": str(victim),
        "reason": "entry content does not match its seal",
    }


async def test_posted_rows_cannot_be_updated_or_deleted(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    _, ids, _ = await _books_with_entries(client, 1)
    database = _ledger(app)
    victim = uuid.UUID(ids[0])
    key = victim.hex if database.is_sqlite else victim
    for statement in (
        "UPDATE postings SET amount_minor = 1 WHERE entry_id = :id",
        "DELETE FROM postings WHERE entry_id = :id",
        "UPDATE entries SET description = 'edited' WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with database.transaction() as session:
                await session.execute(text(statement), {"id": key})


async def _insert_unbalanced_copy(database: Database, original: uuid.UUID) -> None:
    """Write an unbalanced entry straight into the tables, as a bug or an intruder could."""
    copy = uuid.uuid4()
    key = (lambda value: value.hex) if database.is_sqlite else (lambda value: value)
    async with database.transaction() as session:
        await session.execute(
            text(
                "INSERT INTO entries (id, org_id, date, description, recorded_at) "
                "SELECT :copy, org_id, date, 'bug', recorded_at FROM entries WHERE id = :id"
            ),
            {"copy": key(copy), "id": key(original)},
        )
        await session.execute(
            text(
                "INSERT INTO postings (entry_id, line_no, org_id, account_id, amount_minor, "
                "currency, date, recorded_at) SELECT :copy, line_no, org_id, account_id, "
                "amount_minor + line_no, currency, date, recorded_at FROM postings "
                "WHERE entry_id = :id"
            ),
            {"copy": key(copy), "id": key(original)},
        )


async def test_an_unbalanced_entry_written_behind_the_ledgers_back_is_caught(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """PostgreSQL refuses it at commit; SQLite has no deferred trigger, so verify names it."""
    database = _ledger(app)
    headers, ids, _ = await _books_with_entries(client, 1)
    await chain.seal_all(database)
    if database.is_sqlite:
        await _insert_unbalanced_copy(database, uuid.UUID(ids[0]))
        report = (await client.get("/api/v1/ledger/chain/verify", headers=headers)).json()
        assert report["ok"] is False
        assert report["first_broken"]["reason"] == "entries outside the chain and its queue: 1"
    else:
        with pytest.raises(DBAPIError, match="does not balance"):
            await _insert_unbalanced_copy(database, uuid.UUID(ids[0]))
        report = (await client.get("/api/v1/ledger/chain/verify", headers=headers)).json()
        assert report["ok"] is True


async def test_a_row_altered_before_it_is_sealed_is_caught(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """Entries are hashed when posted, so the sealer cannot seal a row changed meanwhile."""
    database = _ledger(app)
    headers, ids, _ = await _books_with_entries(client, 3)
    victim = uuid.UUID(ids[1])
    await _tamper(
        database,
        "UPDATE postings SET memo = 'edited before sealing' WHERE entry_id = :id",
        {"id": victim.hex if database.is_sqlite else victim},
    )
    await chain.seal_all(database)
    report = (await client.get("/api/v1/ledger/chain/verify", headers=headers)).json()
    assert report["ok"] is False
    assert report["first_broken"]["entry_id"] == str(victim)
    assert report["first_broken"]["reason"] == "entry content does not match its seal"


async def test_sqlite_seals_entries_in_the_transaction_that_posts_them(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    headers, _, _ = await _books_with_entries(client, 3)
    report = (await client.get("/api/v1/ledger/chain/verify", headers=headers)).json()
    if _ledger(app).is_sqlite:
        assert (report["ok"], report["checked"], report["unsealed"]) == (True, 3, 0)
    else:  # PostgreSQL queues them for the sealer
        assert report["checked"] + report["unsealed"] == 3


async def test_entries_queued_before_are_sealed_ahead_of_new_ones(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """A queue left by an earlier version (or a sealer not yet run) keeps commit order."""
    database = _ledger(app)
    headers, ids, accounts = await _books_with_entries(client, 1)
    await chain.seal_all(database)
    first = uuid.UUID(ids[0])
    key = first.hex if database.is_sqlite else first
    async with database.transaction() as session:  # put the sealed entry back in the queue
        await session.execute(
            text(
                "INSERT INTO chain_pending (entry_id, entry_hash, org_id) "
                "SELECT entry_id, entry_hash, org_id FROM chain_links WHERE entry_id = :id"
            ),
            {"id": key},
        )
        await session.execute(text("DELETE FROM chain_links WHERE entry_id = :id"), {"id": key})
    tenant_headers = {"Authorization": headers["Authorization"]}
    later = await client.post(
        "/api/v1/ledger/entries",
        json=entry("2026-03-09", "Later", (accounts["5030"], "1"), (accounts["1010"], "-1")),
        headers=tenant_headers,
    )
    assert later.status_code == 201, later.text
    await chain.seal_all(database)
    report = (await client.get("/api/v1/ledger/chain/verify", headers=headers)).json()
    assert (report["ok"], report["checked"], report["unsealed"]) == (True, 2, 0)
    latest = uuid.UUID(later.json()["id"])
    async with database.reading() as session:
        seqs = dict(
            (
                await session.execute(
                    text("SELECT entry_id, seq FROM chain_links WHERE entry_id IN (:a, :b)"),
                    {"a": key, "b": latest.hex if database.is_sqlite else latest},
                )
            ).all()
        )
    assert sorted(seqs, key=seqs.__getitem__) == [key, latest.hex if database.is_sqlite else latest]
    assert sorted(seqs.values())[1] == sorted(seqs.values())[0] + 1
