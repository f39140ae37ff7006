"""Listing entries: filters by account, dates, text and amount; order; cursor pagination."""

import base64
from typing import Any

import httpx

from tests.support import Tenant, entry, post, set_up_ledger, sign_up

ENTRIES = "/api/v1/ledger/entries"


async def _books(client: httpx.AsyncClient) -> tuple[Tenant, dict[str, str]]:
    tenant = await sign_up(client)
    return tenant, await set_up_ledger(client, tenant)


def _error(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


async def _posted(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    response = await post(client, tenant, body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _list(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> list[str]:
    """Return the ids of one page of entries (asserting there is no further page)."""
    response = await client.get(ENTRIES, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [item["id"] for item in response.json()["items"]]


async def _all_pages(
    client: httpx.AsyncClient, tenant: Tenant, *, limit: int, **params: Any
) -> tuple[list[str], int]:
    """Follow next_cursor to the end; return every id in order and the number of pages."""
    ids: list[str] = []
    cursor = None
    for pages in range(1, 200):
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(ENTRIES, params=query, headers=tenant.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        ids.extend(item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages
    raise AssertionError("pagination never ended")


async def test_filter_by_account_returns_only_entries_touching_it(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    groceries = await _posted(
        client, tenant, entry("2026-05-01", "Food", (acct["5020"], "20"), (acct["1010"], "-20"))
    )
    cash = await _posted(
        client, tenant, entry("2026-05-02", "ATM", (acct["1030"], "50"), (acct["1010"], "-50"))
    )
    market = await _posted(
        client, tenant, entry("2026-05-03", "Market", (acct["5020"], "9"), (acct["1030"], "-9"))
    )
    assert await _list(client, tenant, account_id=acct["5020"]) == [market, groceries]
    assert await _list(client, tenant, account_id=acct["1030"]) == [market, cash]
    assert await _list(client, tenant, account_id=acct["1010"]) == [cash, groceries]
    assert await _list(client, tenant, account_id=acct["5010"]) == []
    assert await _list(client, tenant) == [market, cash, groceries]


async def test_filter_by_dates_is_inclusive_at_both_ends(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    ids = {}
    for day in ("2026-01-31", "2026-02-01", "2026-02-15", "2026-02-28", "2026-03-01"):
        ids[day] = await _posted(
            client, tenant, entry(day, f"On {day}", (acct["5020"], "1"), (acct["1010"], "-1"))
        )
    february = await _list(client, tenant, **{"from": "2026-02-01", "to": "2026-02-28"})
    assert february == [ids["2026-02-28"], ids["2026-02-15"], ids["2026-02-01"]]
    assert await _list(client, tenant, **{"from": "2026-02-28"}) == [
        ids["2026-03-01"],
        ids["2026-02-28"],
    ]
    assert await _list(client, tenant, to="2026-01-31") == [ids["2026-01-31"]]
    assert await _list(client, tenant, **{"from": "2026-02-16", "to": "2026-02-27"}) == []
    assert (
        await _list(
            client, tenant, **{"from": "2026-02-01", "to": "2026-02-28"}, account_id=acct["5020"]
        )
        == february
    )


async def test_text_search_is_case_insensitive_over_payee_description_and_reference(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    by_payee = await _posted(
        client,
        tenant,
        entry(
            "2026-05-01",
            "Weekly shop",
            (acct["5020"], "20"),
            (acct["1010"], "-20"),
            payee="Corner Market",
        ),
    )
    by_description = await _posted(
        client,
        tenant,
        entry("2026-05-02", "MARKET day snacks", (acct["5020"], "4"), (acct["1010"], "-4")),
    )
    by_reference = await _posted(
        client,
        tenant,
        entry(
            "2026-05-03",
            "Invoice",
            (acct["5040"], "60"),
            (acct["1010"], "-60"),
            reference="inv-MarKet-77",
        ),
    )
    await _posted(
        client,
        tenant,
        entry(
            "2026-05-04",
            "Rent",
            (acct["5010"], "900"),
            (acct["1010"], "-900"),
            payee="Landlord",
            reference="rent-may",
        ),
    )
    assert await _list(client, tenant, q="market") == [by_reference, by_description, by_payee]
    assert await _list(client, tenant, q="CORNER") == [by_payee]
    assert await _list(client, tenant, q="Inv-market-7") == [by_reference]
    assert await _list(client, tenant, q="marketplace") == []
    assert await _list(client, tenant, q="market", account_id=acct["5020"]) == [
        by_description,
        by_payee,
    ]


async def test_text_search_takes_percent_and_underscore_literally(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    percent = await _posted(
        client,
        tenant,
        entry("2026-05-01", "100% refund", (acct["1010"], "5"), (acct["5090"], "-5")),
    )
    hundred = await _posted(
        client,
        tenant,
        entry("2026-05-02", "1000 refund", (acct["1010"], "6"), (acct["5090"], "-6")),
    )
    underscore = await _posted(
        client,
        tenant,
        entry(
            "2026-05-03", "fee", (acct["5120"], "1"), (acct["1010"], "-1"), reference="snake_case"
        ),
    )
    await _posted(
        client,
        tenant,
        entry(
            "2026-05-04", "fee", (acct["5120"], "2"), (acct["1010"], "-2"), reference="snakeXcase"
        ),
    )
    backslash = await _posted(
        client,
        tenant,
        entry("2026-05-05", r"C:\temp fee", (acct["5120"], "3"), (acct["1010"], "-3")),
    )
    assert await _list(client, tenant, q="%") == [percent]
    assert await _list(client, tenant, q="0% r") == [percent]
    assert await _list(client, tenant, q="_") == [underscore]
    assert await _list(client, tenant, q="e_c") == [underscore]
    assert await _list(client, tenant, q="100") == [hundred, percent]
    assert await _list(client, tenant, q="\\") == [backslash]


async def test_amount_filter_is_absolute_and_in_the_accounts_currency(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    small = await _posted(
        client,
        tenant,
        entry("2026-05-01", "Coffee", (acct["5030"], "4.99"), (acct["1010"], "-4.99")),
    )
    fifty = await _posted(
        client, tenant, entry("2026-05-02", "Dinner", (acct["5030"], "50"), (acct["1010"], "-50"))
    )
    income = await _posted(
        client, tenant, entry("2026-05-03", "Salary", (acct["1010"], "500"), (acct["4010"], "-500"))
    )
    large = await _posted(
        client,
        tenant,
        entry("2026-05-04", "Rent", (acct["5010"], "500.01"), (acct["1010"], "-500.01")),
    )
    await _posted(
        client,
        tenant,
        entry(
            "2026-05-05", "Broker", (acct["1100"], "100"), (acct["3900"], "-100"), currency="USD"
        ),
    )
    assert await _list(
        client, tenant, account_id=acct["1010"], min_amount="50", max_amount="500"
    ) == [income, fifty]
    assert await _list(
        client, tenant, account_id=acct["1010"], min_amount="-50", max_amount="-500"
    ) == [income, fifty]
    assert await _list(client, tenant, account_id=acct["1010"], min_amount="500.00") == [
        large,
        income,
    ]
    assert await _list(client, tenant, account_id=acct["1010"], max_amount="4.99") == [small]
    assert await _list(client, tenant, account_id=acct["4010"], min_amount="1") == [income]
    assert await _list(client, tenant, min_amount="100", max_amount="100") == []
    assert await _list(client, tenant, min_amount="100", max_amount="100", currency="USD") == [
        (await _list(client, tenant, account_id=acct["1100"]))[0]
    ]
    too_fine = await client.get(
        ENTRIES, params={"account_id": acct["1010"], "min_amount": "4.999"}, headers=tenant.headers
    )
    assert too_fine.status_code == 422
    assert _error(too_fine) == "amount_too_many_decimals"
    not_a_number = await client.get(ENTRIES, params={"max_amount": "ten"}, headers=tenant.headers)
    assert _error(not_a_number) == "invalid_amount"


async def test_entries_are_listed_newest_date_first_then_newest_id(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    posted: list[tuple[str, str]] = []
    for day in ("2026-04-02", "2026-04-01", "2026-04-03", "2026-04-01", "2026-04-02", "2026-04-01"):
        posted.append(
            (
                day,
                await _posted(
                    client,
                    tenant,
                    entry(day, f"On {day}", (acct["5020"], "1"), (acct["1010"], "-1")),
                ),
            )
        )
    listed = (await client.get(ENTRIES, headers=tenant.headers)).json()["items"]
    assert [(item["date"], item["id"]) for item in listed] == sorted(posted, reverse=True)
    same_day = [entry_id for day, entry_id in posted if day == "2026-04-01"]
    assert [item["id"] for item in listed if item["date"] == "2026-04-01"] == same_day[::-1]


async def test_cursor_pages_cover_every_entry_once_in_order(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    body = {
        "entries": [
            {
                **entry(
                    f"2026-0{1 + i % 3}-{1 + i % 5:02d}",
                    f"Item {i}",
                    (acct["5020"], f"{i + 1}"),
                    (acct["1010"], f"-{i + 1}"),
                ),
                "idempotency_key": f"item-{i}",
            }
            for i in range(23)
        ]
    }
    batch = await client.post(f"{ENTRIES}/batch", json=body, headers=tenant.headers)
    assert batch.status_code == 201, batch.text
    one_page = await _list(client, tenant, limit=500)
    assert sorted(one_page) == sorted(item["id"] for item in batch.json()["items"])
    for limit in (4, 23):
        ids, pages = await _all_pages(client, tenant, limit=limit)
        assert ids == one_page, limit
        assert pages == -(-23 // limit), limit  # a full last page says there is no next one
    filtered = await _list(client, tenant, q="Item 1", limit=500)
    assert len(filtered) == 11  # Item 1 and Item 10..19
    ids, _ = await _all_pages(client, tenant, limit=3, q="Item 1")
    assert ids == filtered


async def test_invalid_cursor_or_limit_out_of_range_is_422(client: httpx.AsyncClient) -> None:
    tenant, _ = await _books(client)
    forged = base64.urlsafe_b64encode(b"2026-13-01|not-a-uuid").decode()
    for cursor in ("garbage", forged, "%%%", base64.urlsafe_b64encode(b"\xff\xfe").decode()):
        response = await client.get(ENTRIES, params={"cursor": cursor}, headers=tenant.headers)
        assert response.status_code == 422, cursor
        assert _error(response) == "invalid_cursor"
    too_big = await client.get(ENTRIES, params={"limit": 501}, headers=tenant.headers)
    assert too_big.status_code == 422
    assert too_big.json()["error"]["details"] == {"max": 500}
    zero = await client.get(ENTRIES, params={"limit": 0}, headers=tenant.headers)
    assert zero.status_code == 422
    assert _error(zero) == "validation_error"
    at_max = await client.get(ENTRIES, params={"limit": 500}, headers=tenant.headers)
    assert at_max.status_code == 200
    assert at_max.json() == {"items": [], "next_cursor": None}
