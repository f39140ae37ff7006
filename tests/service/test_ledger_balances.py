"""Balances: now, as of a date, as known at a time, rolled up; one account's balance and history."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx

from tests.support import Tenant, entry, post, set_up_ledger, sign_up

LEDGER = "/api/v1/ledger"


async def _books(client: httpx.AsyncClient) -> tuple[Tenant, dict[str, str]]:
    tenant = await sign_up(client)
    return tenant, await set_up_ledger(client, tenant)


def _error(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


async def _posted(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any]
) -> dict[str, Any]:
    response = await post(client, tenant, body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _sheet(
    client: httpx.AsyncClient, tenant: Tenant, **params: str
) -> dict[str, dict[str, Any]]:
    """Return the balance sheet by account code: {code: {"own": {...}, "total": {...}}}."""
    response = await client.get(f"{LEDGER}/balances", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return {
        line["code"]: {
            "own": {a["currency"]: a["amount"] for a in line["own"]},
            "total": {a["currency"]: a["amount"] for a in line["total"]},
        }
        for line in response.json()["items"]
    }


async def _balance(
    client: httpx.AsyncClient, tenant: Tenant, account_id: str, **params: str
) -> list[Any]:
    response = await client.get(
        f"{LEDGER}/accounts/{account_id}/balance", params=params, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    balances: list[Any] = response.json()["balances"]
    return balances


async def _history(
    client: httpx.AsyncClient,
    tenant: Tenant,
    account_id: str,
    *,
    limit: int = 3,
    since: str | None = None,
    until: str | None = None,
) -> list[dict[str, Any]]:
    """Follow next_cursor through every page of an account's history (from `since` to `until`)."""
    lines: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query: dict[str, Any] = {"limit": limit}
        if since:
            query["from"] = since
        if until:
            query["to"] = until
        if cursor:
            query["cursor"] = cursor
        response = await client.get(
            f"{LEDGER}/accounts/{account_id}/history", params=query, headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        lines.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return lines
    raise AssertionError("history pagination never ended")


def _aware(text: str) -> datetime:
    """Parse a timestamp of the API as an aware UTC time (SQLite renders it without offset)."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- the balance sheet -----------------------------------------------------------------


async def test_balance_sheet_rolls_children_up_into_parents(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    sub = await client.post(
        f"{LEDGER}/accounts",
        json={
            "code": "1011",
            "name": "Bills pot",
            "type": "asset",
            "parent_id": acct["1010"],
            "currency": "EUR",
        },
        headers=tenant.headers,
    )
    assert sub.status_code == 201, sub.text
    await _posted(
        client,
        tenant,
        entry("2026-11-01", "Salary", (acct["1010"], "3000"), (acct["4010"], "-3000")),
    )
    await _posted(
        client,
        tenant,
        entry("2026-11-02", "Groceries", (acct["5020"], "42.10"), (acct["1010"], "-42.10")),
    )
    await _posted(
        client,
        tenant,
        entry("2026-11-03", "To savings", (acct["1020"], "500"), (acct["1010"], "-500")),
    )
    await _posted(
        client,
        tenant,
        entry(
            "2026-11-03", "To bills pot", (sub.json()["id"], "200.05"), (acct["1010"], "-200.05")
        ),
    )
    await _posted(
        client,
        tenant,
        entry("2026-11-04", "Card dinner", (acct["5030"], "80"), (acct["2010"], "-80")),
    )
    sheet = await _sheet(client, tenant)
    assert sheet["1011"] == {"own": {"EUR": "200.05"}, "total": {"EUR": "200.05"}}
    assert sheet["1010"] == {"own": {"EUR": "2257.85"}, "total": {"EUR": "2457.90"}}
    assert sheet["1020"] == {"own": {"EUR": "500.00"}, "total": {"EUR": "500.00"}}
    assert sheet["1000"] == {"own": {}, "total": {"EUR": "2957.90"}}
    assert sheet["2000"] == {"own": {}, "total": {"EUR": "-80.00"}}
    assert sheet["4000"] == {"own": {}, "total": {"EUR": "-3000.00"}}
    assert sheet["5000"] == {"own": {}, "total": {"EUR": "122.10"}}
    assert sheet["5010"] == sheet["3000"] == sheet["1100"] == {"own": {}, "total": {}}
    response = (await client.get(f"{LEDGER}/balances", headers=tenant.headers)).json()
    assert (response["as_of"], response["known_at"]) == (None, None)
    codes = [line["code"] for line in response["items"]]
    assert codes == sorted(codes)
    assert len(codes) == len(acct) + 1
    assert {line["code"]: line["parent_id"] for line in response["items"]}["1011"] == acct["1010"]


async def test_moving_an_account_moves_its_balance_in_the_roll_up(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    await _posted(
        client, tenant, entry("2026-11-01", "Cash", (acct["1030"], "70"), (acct["3100"], "-70"))
    )
    moved = await client.patch(
        f"{LEDGER}/accounts/{acct['1030']}",
        json={"parent_id": acct["1010"]},
        headers=tenant.headers,
    )
    assert moved.status_code == 200, moved.text
    sheet = await _sheet(client, tenant)
    assert sheet["1010"] == {"own": {}, "total": {"EUR": "70.00"}}
    assert sheet["1000"]["total"] == {"EUR": "70.00"}
    assert sheet["3000"]["total"] == {"EUR": "-70.00"}


async def test_multi_currency_account_shows_every_currency(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    await _posted(
        client,
        tenant,
        entry(
            "2026-11-02", "Buy ETF", (acct["1100"], "1000"), (acct["3900"], "-1000"), currency="USD"
        ),
    )
    await _posted(
        client,
        tenant,
        entry("2026-11-02", "Pay for ETF", (acct["3900"], "920"), (acct["1010"], "-920")),
    )
    await _posted(
        client,
        tenant,
        entry(
            "2026-11-03",
            "Buy JP fund",
            (acct["1100"], "15000"),
            (acct["3900"], "-15000"),
            currency="JPY",
        ),
    )
    await _posted(
        client,
        tenant,
        entry("2026-11-03", "Pay for fund", (acct["3900"], "91.37"), (acct["1010"], "-91.37")),
    )
    assert await _balance(client, tenant, acct["1100"]) == [
        {"currency": "JPY", "amount": "15000"},
        {"currency": "USD", "amount": "1000.00"},
    ]
    assert await _balance(client, tenant, acct["3900"]) == [
        {"currency": "EUR", "amount": "1011.37"},
        {"currency": "JPY", "amount": "-15000"},
        {"currency": "USD", "amount": "-1000.00"},
    ]
    sheet = await _sheet(client, tenant)
    assert sheet["1100"]["own"] == {"JPY": "15000", "USD": "1000.00"}
    assert sheet["1000"]["total"] == {"EUR": "-1011.37", "JPY": "15000", "USD": "1000.00"}
    assert sheet["3000"] == {
        "own": {},
        "total": {"EUR": "1011.37", "JPY": "-15000", "USD": "-1000.00"},
    }
    assert await _balance(client, tenant, acct["1100"], as_of="2026-11-02") == [
        {"currency": "USD", "amount": "1000.00"}
    ]
    history = await _history(client, tenant, acct["3900"], limit=2)
    assert [(line["currency"], line["amount"], line["balance"]) for line in history] == [
        ("USD", "-1000.00", "-1000.00"),
        ("EUR", "920.00", "920.00"),
        ("JPY", "-15000", "-15000"),
        ("EUR", "91.37", "1011.37"),
    ]


async def test_account_without_postings_has_zero_or_no_balance(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    single = (
        await client.get(f"{LEDGER}/accounts/{acct['1020']}/balance", headers=tenant.headers)
    ).json()
    assert single == {
        "account_id": acct["1020"],
        "as_of": None,
        "known_at": None,
        "balances": [{"currency": "EUR", "amount": "0.00"}],
    }
    assert await _balance(client, tenant, acct["1100"]) == []
    assert await _balance(client, tenant, acct["1100"], as_of="2026-01-31") == []


# --- as of a date --------------------------------------------------------------------

# (date, amount to checking), posted in this (non-chronological) order
DATED = [
    ("2026-02-01", "10.00"),
    ("2026-01-15", "100.00"),
    ("2026-03-01", "-7.25"),
    ("2025-12-31", "1000.00"),
    ("2026-01-31", "-40.50"),
    ("2026-02-28", "3.33"),
    ("2026-03-15", "500.00"),
    ("2026-02-01", "-1.01"),
    ("2024-02-29", "0.99"),
]
AS_OF_DAYS = [
    "2024-02-28",
    "2024-02-29",
    "2025-12-30",
    "2025-12-31",
    "2026-01-01",
    "2026-01-15",
    "2026-01-31",
    "2026-02-01",
    "2026-02-27",
    "2026-02-28",
    "2026-03-01",
    "2026-03-31",
]


def _sum_through(day: str) -> Decimal:
    return sum((Decimal(amount) for when, amount in DATED if when <= day), Decimal(0))


async def test_balance_as_of_a_day_is_the_sum_of_postings_dated_on_or_before_it(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    for when, amount in DATED:
        await _posted(
            client,
            tenant,
            entry(
                when, f"Move {when}", (acct["1010"], amount), (acct["3100"], str(-Decimal(amount)))
            ),
        )
    for day in AS_OF_DAYS:
        expected = _sum_through(day)
        assert await _balance(client, tenant, acct["1010"], as_of=day) == [
            {"currency": "EUR", "amount": f"{expected:.2f}"}
        ], day
        sheet = await _sheet(client, tenant, as_of=day)
        if expected:
            assert sheet["1010"]["own"] == sheet["1000"]["total"] == {"EUR": f"{expected:.2f}"}, day
            assert sheet["3100"]["own"] == {"EUR": f"{-expected:.2f}"}, day
        else:
            assert sheet["1010"]["own"] == sheet["1000"]["total"] == sheet["3100"]["own"] == {}, day
    assert await _balance(client, tenant, acct["1010"]) == [
        {"currency": "EUR", "amount": "1565.56"}
    ]
    echoed = (
        await client.get(
            f"{LEDGER}/balances", params={"as_of": "2026-02-28"}, headers=tenant.headers
        )
    ).json()
    assert (echoed["as_of"], echoed["known_at"]) == ("2026-02-28", None)


async def test_balance_as_of_a_day_before_any_entry_is_empty(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    await _posted(
        client, tenant, entry("2026-05-01", "Start", (acct["1010"], "5"), (acct["3100"], "-5"))
    )
    sheet = await _sheet(client, tenant, as_of="2026-04-30")
    assert all(line == {"own": {}, "total": {}} for line in sheet.values())
    assert await _balance(client, tenant, acct["1010"], as_of="2026-04-30") == [
        {"currency": "EUR", "amount": "0.00"}
    ]
    assert await _balance(client, tenant, acct["1010"], as_of="2026-05-01") == [
        {"currency": "EUR", "amount": "5.00"}
    ]


# --- as known at a time ----------------------------------------------------------------


async def test_known_at_leaves_out_back_dated_entries_recorded_later(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    first = await _posted(
        client, tenant, entry("2026-03-10", "Rent", (acct["5010"], "900"), (acct["1010"], "-900"))
    )
    known_at = _aware(first["recorded_at"]).isoformat()
    late = await _posted(
        client,
        tenant,
        entry("2026-03-01", "Forgotten fee", (acct["5120"], "4.50"), (acct["1010"], "-4.50")),
    )
    assert _aware(late["recorded_at"]) > _aware(first["recorded_at"])
    await _posted(
        client,
        tenant,
        entry("2026-04-02", "April rent", (acct["5010"], "900"), (acct["1010"], "-900")),
    )

    then = await _sheet(client, tenant, as_of="2026-03-31", known_at=known_at)
    assert then["1010"]["own"] == {"EUR": "-900.00"}
    assert then["5000"]["total"] == {"EUR": "900.00"}
    assert "EUR" not in then["5120"]["own"]
    now = await _sheet(client, tenant, as_of="2026-03-31")
    assert now["1010"]["own"] == {"EUR": "-904.50"}
    assert now["5120"]["own"] == {"EUR": "4.50"}
    assert await _balance(client, tenant, acct["1010"], as_of="2026-03-31", known_at=known_at) == [
        {"currency": "EUR", "amount": "-900.00"}
    ]
    assert await _balance(client, tenant, acct["1010"], as_of="2026-03-05", known_at=known_at) == [
        {"currency": "EUR", "amount": "0.00"}
    ]
    assert await _balance(client, tenant, acct["1010"], as_of="2026-03-05") == [
        {"currency": "EUR", "amount": "-4.50"}
    ]
    current_then = await _sheet(client, tenant, known_at=known_at)
    assert current_then["1010"]["own"] == {"EUR": "-900.00"}
    before_everything = (_aware(first["recorded_at"]) - timedelta(seconds=1)).isoformat()
    assert await _balance(client, tenant, acct["1010"], known_at=before_everything) == [
        {"currency": "EUR", "amount": "0.00"}
    ]
    echoed = (
        await client.get(
            f"{LEDGER}/balances",
            params={"as_of": "2026-03-31", "known_at": known_at},
            headers=tenant.headers,
        )
    ).json()
    assert (echoed["as_of"], _aware(echoed["known_at"])) == (
        "2026-03-31",
        _aware(first["recorded_at"]),
    )


async def test_known_at_with_a_non_utc_offset_means_the_same_instant(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    first = await _posted(
        client, tenant, entry("2026-03-10", "Rent", (acct["5010"], "900"), (acct["1010"], "-900"))
    )
    await _posted(
        client,
        tenant,
        entry("2026-03-01", "Late fee", (acct["5120"], "4.50"), (acct["1010"], "-4.50")),
    )
    instant = _aware(first["recorded_at"])
    for offset in (timedelta(hours=2), timedelta(hours=-5)):
        known_at = instant.astimezone(timezone(offset)).isoformat()
        assert await _balance(
            client, tenant, acct["1010"], as_of="2026-03-31", known_at=known_at
        ) == [{"currency": "EUR", "amount": "-900.00"}], known_at


async def test_recorded_at_of_an_entry_can_be_passed_back_as_known_at(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    first = await _posted(
        client, tenant, entry("2026-03-10", "Rent", (acct["5010"], "900"), (acct["1010"], "-900"))
    )
    await _posted(
        client,
        tenant,
        entry("2026-03-01", "Late fee", (acct["5120"], "4.50"), (acct["1010"], "-4.50")),
    )
    assert datetime.fromisoformat(first["recorded_at"]).utcoffset() == timedelta(0)
    response = await client.get(
        f"{LEDGER}/accounts/{acct['1010']}/balance",
        params={"known_at": first["recorded_at"]},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["balances"] == [{"currency": "EUR", "amount": "-900.00"}]


async def test_known_at_without_timezone_or_a_bad_history_cursor_is_422(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    for url in (f"{LEDGER}/balances", f"{LEDGER}/accounts/{acct['1010']}/balance"):
        response = await client.get(
            url, params={"known_at": "2026-11-01T00:00:00"}, headers=tenant.headers
        )
        assert response.status_code == 422, url
        assert _error(response) == "known_at_needs_timezone"
    ok = await client.get(
        f"{LEDGER}/balances", params={"known_at": "2026-11-01T00:00:00Z"}, headers=tenant.headers
    )
    assert ok.status_code == 200
    cursor = await client.get(
        f"{LEDGER}/accounts/{acct['1010']}/history",
        params={"cursor": "garbage"},
        headers=tenant.headers,
    )
    assert cursor.status_code == 422
    assert _error(cursor) == "invalid_cursor"


# --- one account's history -------------------------------------------------------------


async def test_history_running_balance_is_right_across_pages(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    moves = [
        ("2026-01-20", "100"),
        ("2026-01-05", "-12.30"),
        ("2026-02-01", "7"),
        ("2026-01-20", "-0.70"),
        ("2026-01-31", "55.55"),
        ("2026-01-20", "-20"),
        ("2026-02-01", "-100"),
        ("2026-03-03", "1.45"),
        ("2026-01-20", "3"),
    ]
    ids = []
    for when, amount in moves:
        posted = await _posted(
            client,
            tenant,
            entry(
                when,
                f"Move {amount}",
                (acct["1010"], amount),
                (acct["3100"], str(-Decimal(amount))),
            ),
        )
        ids.append(posted["id"])
    lines = await _history(client, tenant, acct["1010"], limit=3)
    ordered = sorted(zip(ids, moves, strict=True), key=lambda item: (item[1][0], item[0]))
    running = Decimal(0)
    expected = []
    for entry_id, (when, amount) in ordered:
        running += Decimal(amount)
        expected.append(
            {
                "entry_id": entry_id,
                "date": when,
                "description": f"Move {amount}",
                "payee": None,
                "currency": "EUR",
                "amount": f"{Decimal(amount):.2f}",
                "balance": f"{running:.2f}",
            }
        )
    assert lines == expected
    assert lines[-1]["balance"] == "34.00"
    for limit in (1, 500):
        assert await _history(client, tenant, acct["1010"], limit=limit) == expected, limit


async def test_history_from_and_to_keep_the_true_running_balance(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    for when, amount in [
        ("2026-01-10", "100"),
        ("2026-01-31", "-30"),
        ("2026-02-01", "5"),
        ("2026-02-15", "-1"),
        ("2026-03-01", "50"),
        ("2026-03-02", "-2"),
    ]:
        await _posted(
            client,
            tenant,
            entry(
                when, f"Move {when}", (acct["1010"], amount), (acct["3100"], str(-Decimal(amount)))
            ),
        )
    window = await _history(
        client, tenant, acct["1010"], limit=1, since="2026-01-31", until="2026-03-01"
    )
    assert [(line["date"], line["amount"], line["balance"]) for line in window] == [
        ("2026-01-31", "-30.00", "70.00"),
        ("2026-02-01", "5.00", "75.00"),
        ("2026-02-15", "-1.00", "74.00"),
        ("2026-03-01", "50.00", "124.00"),
    ]
    tail = await _history(client, tenant, acct["1010"], since="2026-03-02")
    assert [(line["date"], line["balance"]) for line in tail] == [("2026-03-02", "122.00")]
    assert await _history(client, tenant, acct["1010"], since="2026-04-01") == []
    head = await _history(client, tenant, acct["1010"], until="2026-01-09")
    assert head == []


async def test_history_shows_a_reversal_and_returns_to_zero(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    original = await _posted(
        client,
        tenant,
        entry(
            "2026-06-01",
            "Double charge",
            (acct["5090"], "19.99"),
            (acct["2010"], "-19.99"),
            payee="Shop",
        ),
    )
    reversed_ = await client.post(
        f"{LEDGER}/entries/{original['id']}/reverse",
        json={"date": "2026-06-03"},
        headers=tenant.headers,
    )
    assert reversed_.status_code == 201, reversed_.text
    lines = await _history(client, tenant, acct["2010"])
    assert [
        (
            line["entry_id"],
            line["date"],
            line["description"],
            line["payee"],
            line["amount"],
            line["balance"],
        )
        for line in lines
    ] == [
        (original["id"], "2026-06-01", "Double charge", "Shop", "-19.99", "-19.99"),
        (
            reversed_.json()["id"],
            "2026-06-03",
            "Reversal of: Double charge",
            "Shop",
            "19.99",
            "0.00",
        ),
    ]
    assert await _balance(client, tenant, acct["2010"], as_of="2026-06-02") == [
        {"currency": "EUR", "amount": "-19.99"}
    ]
    assert await _balance(client, tenant, acct["2010"]) == [{"currency": "EUR", "amount": "0.00"}]


async def test_history_keeps_every_posting_of_an_entry_that_touches_the_account_twice(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    await _posted(
        client, tenant, entry("2026-03-10", "Before", (acct["5020"], "5"), (acct["1010"], "-5"))
    )
    split = await _posted(
        client,
        tenant,
        entry(
            "2026-03-11",
            "Split bill",
            (acct["5020"], "15"),
            (acct["1010"], "-10"),
            (acct["1010"], "-5"),
        ),
    )
    lines = await _history(client, tenant, acct["1010"], limit=2)
    assert [(line["entry_id"], line["amount"], line["balance"]) for line in lines][1:] == [
        (split["id"], "-10.00", "-15.00"),
        (split["id"], "-5.00", "-20.00"),
    ]
