"""A database that drops its connections costs one retryable 503, then Nexus recovers."""

import asyncpg
import httpx
from fastapi import FastAPI

from tests.conftest import POSTGRES_URL
from tests.support import set_up_ledger, sign_up


async def _terminate_ledger_connections(app: FastAPI) -> int:
    name = app.state.databases["ledger"].write_engine.url.database
    server = await asyncpg.connect(POSTGRES_URL)
    try:
        killed = await server.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
    finally:
        await server.close()
    return len(killed)


async def test_posting_after_the_server_dropped_every_connection_is_503_then_recovers(
    app: FastAPI, client: httpx.AsyncClient, backend: str
) -> None:
    if backend != "postgres":
        return  # SQLite has no server to lose
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    body = {
        "date": "2026-11-02",
        "description": "Before and after a restart",
        "postings": [
            {"account_id": accounts["5020"], "amount": "1.00", "currency": "EUR"},
            {"account_id": accounts["1010"], "amount": "-1.00", "currency": "EUR"},
        ],
    }
    first = await client.post("/api/v1/ledger/entries", json=body, headers=tenant.headers)
    assert first.status_code == 201
    assert await _terminate_ledger_connections(app) >= 1

    statuses = []
    for _ in range(3):
        response = await client.post("/api/v1/ledger/entries", json=body, headers=tenant.headers)
        statuses.append(response.status_code)
        if response.status_code == 503:
            assert response.json()["error"]["code"] == "database_unavailable"
    # At most the first request meets a dead connection; the pool then starts afresh.
    assert statuses in ([503, 201, 201], [201, 201, 201]), statuses
    balance = await client.get(
        f"/api/v1/ledger/accounts/{accounts['5020']}/balance", headers=tenant.headers
    )
    posted = 1 + statuses.count(201)
    assert balance.json()["balances"] == [{"currency": "EUR", "amount": f"{posted}.00"}]
