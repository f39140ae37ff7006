"""Property tests of the ledger invariants, through the API, on both backends.

Hypothesis generates sequences of valid posts and reversals; after each sequence the
books must keep every entry balanced, every currency summing to zero across all
accounts, and every balance as of a date equal to the sum of postings dated on or
before it.
"""

import asyncio
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import Tenant, sign_up

START = date(2025, 1, 1)
ACCOUNTS = 4

posting = st.tuples(
    st.integers(0, ACCOUNTS - 1), st.integers(1, 10**7), st.sampled_from(["EUR", "JPY"])
)
post_op = st.tuples(st.just("post"), st.integers(0, 90), st.lists(posting, min_size=1, max_size=3))
reverse_op = st.tuples(st.just("reverse"), st.integers(0, 1000), st.just([]))
operations = st.lists(st.one_of(post_op, post_op, reverse_op), min_size=1, max_size=12)


@pytest.fixture(scope="session")
async def loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def _amount(minor: int, currency: str) -> str:
    if currency == "JPY":
        return str(minor)
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


def _balanced_postings(
    lines: list[tuple[int, int, str]], accounts: list[str]
) -> list[dict[str, Any]]:
    """Each generated line becomes a debit and a matching credit on the next account."""
    out = []
    for account, minor, currency in lines:
        out.append(
            {
                "account_id": accounts[account],
                "amount": _amount(minor, currency),
                "currency": currency,
            }
        )
        out.append(
            {
                "account_id": accounts[(account + 1) % ACCOUNTS],
                "amount": _amount(-minor, currency),
                "currency": currency,
            }
        )
    return out


async def _scenario(
    client: httpx.AsyncClient, ops: list[tuple[str, int, list[tuple[int, int, str]]]]
) -> None:
    tenant: Tenant = await sign_up(client)
    headers = tenant.headers
    setup = await client.post(
        "/api/v1/ledger/setup", json={"template": "empty", "base_currency": "EUR"}, headers=headers
    )
    assert setup.status_code == 201, setup.text
    accounts = []
    for number in range(ACCOUNTS):
        created = await client.post(
            "/api/v1/ledger/accounts",
            headers=headers,
            json={"code": f"A{number}", "name": f"Account {number}", "type": "asset"},
        )
        accounts.append(created.json()["id"])
    posted: list[dict[str, Any]] = []
    model: list[tuple[date, str, str, int]] = []  # date, account, currency, signed minor
    for kind, number, lines in ops:
        if kind == "post":
            day = START + timedelta(days=number)
            response = await client.post(
                "/api/v1/ledger/entries",
                headers=headers,
                json={
                    "date": day.isoformat(),
                    "description": "generated",
                    "postings": _balanced_postings(lines, accounts),
                },
            )
            assert response.status_code == 201, response.text
            posted.append(response.json())
        elif posted:
            target = posted[number % len(posted)]
            response = await client.post(
                f"/api/v1/ledger/entries/{target['id']}/reverse", headers=headers
            )
            if target["reversed_by_entry_id"] or target["reverses_entry_id"]:
                assert response.status_code == 409
                continue
            assert response.status_code == 201, response.text
            target["reversed_by_entry_id"] = response.json()["id"]
            posted.append(response.json())
        else:
            continue
        entry = posted[-1]
        for line in entry["postings"]:
            scale = 0 if line["currency"] == "JPY" else 2
            model.append(
                (
                    date.fromisoformat(entry["date"]),
                    line["account_id"],
                    line["currency"],
                    int(line["amount"].replace(".", "")) if scale else int(line["amount"]),
                )
            )

    for entry in posted:
        totals: dict[str, int] = defaultdict(int)
        for line in entry["postings"]:
            totals[line["currency"]] += int(line["amount"].replace(".", ""))
        assert all(total == 0 for total in totals.values()), entry

    days = sorted(
        {day for day, *_ in model} | {START - timedelta(days=1), START + timedelta(days=45)}
    )
    for as_of in [None, *days]:
        params = {"as_of": as_of.isoformat()} if as_of else {}
        sheet = (await client.get("/api/v1/ledger/balances", params=params, headers=headers)).json()
        seen: dict[tuple[str, str], int] = {}
        per_currency: dict[str, int] = defaultdict(int)
        for item in sheet["items"]:
            for amount in item["own"]:
                minor = int(amount["amount"].replace(".", ""))
                seen[(item["account_id"], amount["currency"])] = minor
                per_currency[amount["currency"]] += minor
        assert all(total == 0 for total in per_currency.values()), per_currency
        expected: dict[tuple[str, str], int] = defaultdict(int)
        for day, account, currency, minor in model:
            if as_of is None or day <= as_of:
                expected[(account, currency)] += minor
        assert seen == {key: value for key, value in expected.items() if value != 0}, as_of


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_any_sequence_of_posts_and_reversals_keeps_the_books_balanced(
    app: FastAPI,
    loop: asyncio.AbstractEventLoop,
    ops: list[tuple[str, int, list[tuple[int, int, str]]]],
) -> None:
    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://nexus.test") as client:
            await _scenario(client, ops)

    loop.run_until_complete(run())
