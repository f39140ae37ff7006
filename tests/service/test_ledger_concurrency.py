"""Concurrent writers: no lost update, no floor breach, no deadlock (real PostgreSQL too)."""

import asyncio
from decimal import Decimal

import httpx

from tests.support import entry, post, set_up_ledger, sign_up

WRITERS = 32


async def test_32_concurrent_writers_on_one_hot_account_lose_no_update(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    expense_codes = ["5020", "5030", "5040", "5050"]

    async def writer(number: int) -> list[int]:
        statuses = []
        for round_ in range(4):
            body = entry(
                "2026-11-02",
                f"writer {number} round {round_}",
                (accounts[expense_codes[(number + round_) % 4]], "1.25"),
                (accounts["1010"], "-1.25"),
            )
            statuses.append(
                (await post(client, tenant, body, key=f"w{number}-{round_}")).status_code
            )
        return statuses

    results = await asyncio.gather(*(writer(number) for number in range(WRITERS)))
    assert all(status == 201 for statuses in results for status in statuses)
    balance = await client.get(
        f"/api/v1/ledger/accounts/{accounts['1010']}/balance", headers=tenant.headers
    )
    assert balance.json()["balances"] == [{"currency": "EUR", "amount": "-160.00"}]
    sheet = (
        await client.get(
            "/api/v1/ledger/balances", params={"as_of": "2026-11-02"}, headers=tenant.headers
        )
    ).json()
    totals = {item["code"]: item["own"] for item in sheet["items"]}
    assert totals["1010"] == [{"currency": "EUR", "amount": "-160.00"}]
    assert sum(Decimal(totals[code][0]["amount"]) for code in expense_codes) == Decimal("160.00")


async def test_concurrent_withdrawals_never_breach_a_floor(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    await client.patch(
        f"/api/v1/ledger/accounts/{accounts['1030']}", json={"floor": "0"}, headers=tenant.headers
    )
    funded = await post(
        client,
        tenant,
        entry("2026-11-01", "Cash", (accounts["1030"], "100"), (accounts["1010"], "-100")),
    )
    assert funded.status_code == 201

    async def withdraw(number: int) -> httpx.Response:
        return await post(
            client,
            tenant,
            entry(
                "2026-11-02", f"Spend {number}", (accounts["5020"], "10"), (accounts["1030"], "-10")
            ),
        )

    responses = await asyncio.gather(*(withdraw(number) for number in range(WRITERS)))
    accepted = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code == 422]
    assert len(accepted) == 10
    assert len(refused) == WRITERS - 10
    assert {r.json()["error"]["code"] for r in refused} == {"floor_breach"}
    balance = await client.get(
        f"/api/v1/ledger/accounts/{accounts['1030']}/balance", headers=tenant.headers
    )
    assert balance.json()["balances"] == [{"currency": "EUR", "amount": "0.00"}]


async def test_two_identical_bulk_batches_at_once_post_each_entry_once(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    entries = [
        {
            **entry(
                "2026-10-01", f"Bulk {n}", (accounts["5020"], "1.00"), (accounts["1010"], "-1.00")
            ),
            "idempotency_key": f"same-{n}",
        }
        for n in range(250)
    ]

    async def send() -> httpx.Response:
        return await client.post(
            "/api/v1/ledger/entries/batch", json={"entries": entries}, headers=tenant.headers
        )

    first, second = await asyncio.gather(send(), send())
    statuses = sorted([first.status_code, second.status_code])
    assert statuses in ([201, 201], [201, 409]), (first.text[:300], second.text[:300])
    if statuses == [201, 409]:
        loser = first if first.status_code == 409 else second
        assert loser.json()["error"]["code"] == "concurrent_write"
    again = await send()
    assert (again.json()["posted"], again.json()["replayed"]) == (0, 250)
    balance = await client.get(
        f"/api/v1/ledger/accounts/{accounts['1010']}/balance", headers=tenant.headers
    )
    assert balance.json()["balances"] == [{"currency": "EUR", "amount": "-250.00"}]
