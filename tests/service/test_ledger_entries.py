"""Posting, idempotency, reversal and the rules an entry must keep, on both backends."""

import uuid

import httpx

from tests.support import Tenant, entry, post, set_up_ledger, sign_up


async def _books(client: httpx.AsyncClient) -> tuple[Tenant, dict[str, str]]:
    tenant = await sign_up(client)
    return tenant, await set_up_ledger(client, tenant)


def _error(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


async def test_post_entry_returns_entry_with_postings(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    response = await post(
        client,
        tenant,
        entry(
            "2026-11-02",
            "Groceries",
            (acct["5020"], "42.10"),
            (acct["1010"], "-42.10"),
            payee="Corner Market",
        ),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["payee"] == "Corner Market"
    assert [(p["account_id"], p["amount"], p["currency"]) for p in body["postings"]] == [
        (acct["5020"], "42.10", "EUR"),
        (acct["1010"], "-42.10", "EUR"),
    ]
    fetched = await client.get(f"/api/v1/ledger/entries/{body['id']}", headers=tenant.headers)
    assert fetched.json() == body


async def test_post_unbalanced_entry_is_422(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    response = await post(
        client, tenant, entry("2026-11-02", "x", (acct["5020"], "42.10"), (acct["1010"], "-42.00"))
    )
    assert response.status_code == 422
    assert _error(response) == "entry_unbalanced"
    assert response.json()["error"]["details"] == {"imbalance_minor": {"EUR": 10}}


async def test_post_to_unknown_account_is_422(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    response = await post(
        client, tenant, entry("2026-11-02", "x", (str(uuid.uuid4()), "1"), (acct["1010"], "-1"))
    )
    assert response.status_code == 422
    assert _error(response) == "unknown_account"


async def test_post_with_bad_currency_is_422(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    unknown = await post(
        client,
        tenant,
        entry("2026-11-02", "x", (acct["5020"], "1"), (acct["1010"], "-1"), currency="XYZ"),
    )
    assert unknown.status_code == 422
    assert _error(unknown) == "unknown_currency"
    mismatch = await post(
        client,
        tenant,
        entry("2026-11-02", "x", (acct["5020"], "1"), (acct["1010"], "-1"), currency="USD"),
    )
    assert mismatch.status_code == 422
    assert _error(mismatch) == "currency_mismatch"


async def test_post_amount_with_too_many_decimals_is_422(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    response = await post(
        client, tenant, entry("2026-11-02", "x", (acct["5020"], "1.001"), (acct["1010"], "-1.001"))
    )
    assert response.status_code == 422
    assert _error(response) == "amount_too_many_decimals"
    huge = await post(
        client,
        tenant,
        entry("2026-11-02", "x", (acct["5020"], "9" * 30), (acct["1010"], "-" + "9" * 30)),
    )
    assert huge.status_code == 422
    assert _error(huge) == "amount_overflow"
    floaty = await post(
        client, tenant, entry("2026-11-02", "x", (acct["5020"], "1e3"), (acct["1010"], "-1e3"))
    )
    assert _error(floaty) == "invalid_amount"


async def test_post_to_closed_account_is_422(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    closed = await client.post(
        f"/api/v1/ledger/accounts/{acct['1030']}/close", headers=tenant.headers
    )
    assert closed.status_code == 200, closed.text
    response = await post(
        client, tenant, entry("2026-11-02", "x", (acct["1030"], "5"), (acct["1010"], "-5"))
    )
    assert response.status_code == 422
    assert _error(response) == "account_closed"


async def test_post_into_closed_period_is_422(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    closing = await client.post(
        "/api/v1/ledger/periods/close", json={"through": "2026-10-31"}, headers=tenant.headers
    )
    assert closing.status_code == 200, closing.text
    response = await post(
        client, tenant, entry("2026-10-31", "x", (acct["5020"], "5"), (acct["1010"], "-5"))
    )
    assert response.status_code == 422
    assert _error(response) == "period_closed"
    ok = await post(
        client, tenant, entry("2026-11-01", "x", (acct["5020"], "5"), (acct["1010"], "-5"))
    )
    assert ok.status_code == 201
    backwards = await client.post(
        "/api/v1/ledger/periods/close", json={"through": "2026-09-30"}, headers=tenant.headers
    )
    assert _error(backwards) == "period_already_closed"


async def test_floor_breach_is_422_and_writes_nothing(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    floor = await client.patch(
        f"/api/v1/ledger/accounts/{acct['1030']}", json={"floor": "0"}, headers=tenant.headers
    )
    assert floor.status_code == 200, floor.text
    assert floor.json()["floor"] == "0.00"
    response = await post(
        client, tenant, entry("2026-11-02", "x", (acct["5020"], "5"), (acct["1030"], "-5"))
    )
    assert response.status_code == 422
    assert _error(response) == "floor_breach"
    listed = await client.get("/api/v1/ledger/entries", headers=tenant.headers)
    assert listed.json()["items"] == []


async def test_same_key_same_body_replays_and_different_body_is_409(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    body = entry("2026-11-02", "Rent", (acct["5010"], "900"), (acct["1010"], "-900"))
    first = await post(client, tenant, body, key="rent-2026-11")
    again = await post(client, tenant, body, key="rent-2026-11")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    changed = await post(
        client, tenant, {**body, "description": "Rent (edited)"}, key="rent-2026-11"
    )
    assert changed.status_code == 409
    assert _error(changed) == "idempotency_key_reused"
    balance = await client.get(
        f"/api/v1/ledger/accounts/{acct['1010']}/balance", headers=tenant.headers
    )
    assert balance.json()["balances"] == [{"currency": "EUR", "amount": "-900.00"}]


async def test_reverse_entry_restores_balances_and_links_both_ways(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    posted = (
        await post(
            client,
            tenant,
            entry("2026-11-02", "Dinner", (acct["5030"], "60"), (acct["1010"], "-60")),
        )
    ).json()
    reversed_ = await client.post(
        f"/api/v1/ledger/entries/{posted['id']}/reverse", headers=tenant.headers
    )
    assert reversed_.status_code == 201, reversed_.text
    reversal = reversed_.json()
    assert reversal["reverses_entry_id"] == posted["id"]
    assert [p["amount"] for p in reversal["postings"]] == ["-60.00", "60.00"]
    original = (
        await client.get(f"/api/v1/ledger/entries/{posted['id']}", headers=tenant.headers)
    ).json()
    assert original["reversed_by_entry_id"] == reversal["id"]
    twice = await client.post(
        f"/api/v1/ledger/entries/{posted['id']}/reverse", headers=tenant.headers
    )
    assert twice.status_code == 409
    assert _error(twice) == "entry_already_reversed"
    balance = await client.get(
        f"/api/v1/ledger/accounts/{acct['5030']}/balance", headers=tenant.headers
    )
    assert balance.json()["balances"] == [{"currency": "EUR", "amount": "0.00"}]


async def test_batch_is_all_or_nothing_and_replays_by_key(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    entries = [
        {
            **entry(
                f"2026-10-{day:02d}",
                f"Coffee {day}",
                (acct["5030"], "3.50"),
                (acct["1010"], "-3.50"),
            ),
            "idempotency_key": f"coffee-{day}",
        }
        for day in range(1, 29)
    ]
    bad = [
        *entries,
        {
            **entry("2026-10-29", "bad", (acct["5030"], "1"), (acct["1010"], "-2")),
            "idempotency_key": "bad",
        },
    ]
    refused = await client.post(
        "/api/v1/ledger/entries/batch", json={"entries": bad}, headers=tenant.headers
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["entry_index"] == 28
    assert (await client.get("/api/v1/ledger/entries", headers=tenant.headers)).json()[
        "items"
    ] == []
    accepted = await client.post(
        "/api/v1/ledger/entries/batch", json={"entries": entries[:10]}, headers=tenant.headers
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["posted"] == 10
    overlapping = await client.post(
        "/api/v1/ledger/entries/batch", json={"entries": entries}, headers=tenant.headers
    )
    assert overlapping.json()["posted"] == 18
    assert overlapping.json()["replayed"] == 10
    balance = await client.get(
        f"/api/v1/ledger/accounts/{acct['1010']}/balance", headers=tenant.headers
    )
    assert balance.json()["balances"] == [{"currency": "EUR", "amount": "-98.00"}]


async def test_batch_with_duplicate_key_inside_is_422(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    one = {
        **entry("2026-10-01", "a", (acct["5030"], "1"), (acct["1010"], "-1")),
        "idempotency_key": "k",
    }
    response = await client.post(
        "/api/v1/ledger/entries/batch", json={"entries": [one, one]}, headers=tenant.headers
    )
    assert response.status_code == 422
    assert _error(response) == "duplicate_idempotency_key"


async def test_large_batch_takes_the_bulk_path_and_reads_back_exactly(
    client: httpx.AsyncClient,
) -> None:
    """300 entries are past the bulk threshold: COPY on PostgreSQL, raw executemany on SQLite."""
    tenant, acct = await _books(client)
    entries = [
        {
            **entry(
                f"2026-0{1 + number % 9}-{1 + number % 28:02d}",
                f"Bulk {number}",
                (acct["5020"], f"{number + 1}.25"),
                (acct["1010"], f"-{number + 1}.25"),
                payee="Market",
                metadata={"line": number, "source": "bulk"},
            ),
            "idempotency_key": f"bulk-{number}",
        }
        for number in range(300)
    ]
    posted = await client.post(
        "/api/v1/ledger/entries/batch", json={"entries": entries}, headers=tenant.headers
    )
    assert posted.status_code == 201, posted.text
    items = posted.json()["items"]
    assert posted.json()["posted"] == 300
    total = sum(number + 1 for number in range(300)) * 100 + 25 * 300  # in cents
    balance = await client.get(
        f"/api/v1/ledger/accounts/{acct['1010']}/balance", headers=tenant.headers
    )
    assert balance.json()["balances"] == [
        {"currency": "EUR", "amount": f"-{total // 100}.{total % 100:02d}"}
    ]
    sample = (
        await client.get(f"/api/v1/ledger/entries/{items[123]['id']}", headers=tenant.headers)
    ).json()
    assert sample["description"] == "Bulk 123"
    assert sample["metadata"] == {"line": 123, "source": "bulk"}
    assert sample["date"] == "2026-07-12"
    assert sample["recorded_at"].endswith("Z")
    assert [p["amount"] for p in sample["postings"]] == ["124.25", "-124.25"]
    as_of = await client.get(
        "/api/v1/ledger/balances", params={"as_of": "2026-01-31"}, headers=tenant.headers
    )
    january = sum(n + 1 for n in range(300) if n % 9 == 0) * 100 + 25 * len(range(0, 300, 9))
    line = next(item for item in as_of.json()["items"] if item["code"] == "5020")
    assert line["own"] == [{"currency": "EUR", "amount": f"{january // 100}.{january % 100:02d}"}]
    replay = await client.post(
        "/api/v1/ledger/entries/batch", json={"entries": entries}, headers=tenant.headers
    )
    assert (replay.json()["posted"], replay.json()["replayed"]) == (0, 300)
    verify = (await client.get("/api/v1/ledger/chain/verify", headers=tenant.headers)).json()
    assert verify["ok"] is True
    assert verify["checked"] + verify["unsealed"] == 300
    found = await client.get(
        "/api/v1/ledger/entries", params={"q": "bulk 29", "limit": 20}, headers=tenant.headers
    )
    assert sorted(item["description"] for item in found.json()["items"]) == [
        "Bulk 29",
        "Bulk 290",
        "Bulk 291",
        "Bulk 292",
        "Bulk 293",
        "Bulk 294",
        "Bulk 295",
        "Bulk 296",
        "Bulk 297",
        "Bulk 298",
        "Bulk 299",
    ]
