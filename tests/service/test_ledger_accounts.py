"""Accounts of the ledger: open, read, change, floor, close and reopen; chart templates."""

import uuid
from typing import Any

import httpx

from tests.support import Tenant, entry, post, set_up_ledger, sign_up

ACCOUNTS = "/api/v1/ledger/accounts"


async def _books(
    client: httpx.AsyncClient, template: str = "household"
) -> tuple[Tenant, dict[str, str]]:
    tenant = await sign_up(client)
    return tenant, await set_up_ledger(client, tenant, template=template)


def _error(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


async def _create(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> httpx.Response:
    return await client.post(ACCOUNTS, json=body, headers=tenant.headers)


async def _get(client: httpx.AsyncClient, tenant: Tenant, account_id: str) -> dict[str, Any]:
    response = await client.get(f"{ACCOUNTS}/{account_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _patch(
    client: httpx.AsyncClient, tenant: Tenant, account_id: str, **body: Any
) -> httpx.Response:
    return await client.patch(f"{ACCOUNTS}/{account_id}", json=body, headers=tenant.headers)


# --- create, read, list --------------------------------------------------------------


async def test_create_account_returns_it_and_get_and_list_agree(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    response = await _create(
        client,
        tenant,
        code="1015",
        name="Joint checking",
        type="asset",
        parent_id=acct["1000"],
        currency="EUR",
        floor="-250.5",
        description="Shared with Sam",
    )
    assert response.status_code == 201, response.text
    created = response.json()
    uuid.UUID(created["id"])
    assert {
        k: created[k]
        for k in (
            "code",
            "name",
            "type",
            "parent_id",
            "currency",
            "floor",
            "is_closed",
            "description",
            "closed_at",
        )
    } == {
        "code": "1015",
        "name": "Joint checking",
        "type": "asset",
        "parent_id": acct["1000"],
        "currency": "EUR",
        "floor": "-250.50",
        "is_closed": False,
        "description": "Shared with Sam",
        "closed_at": None,
    }
    assert await _get(client, tenant, created["id"]) == created
    listed = (await client.get(ACCOUNTS, headers=tenant.headers)).json()["items"]
    codes = [account["code"] for account in listed]
    assert codes == sorted(codes)
    assert codes.index("1015") == codes.index("1010") + 1
    assert [account for account in listed if account["id"] == created["id"]] == [created]


async def test_taken_code_is_409_on_create_and_on_patch(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    response = await _create(
        client,
        tenant,
        code="1010",
        name="Second checking",
        type="asset",
        parent_id=acct["1000"],
        currency="EUR",
    )
    assert response.status_code == 409
    assert _error(response) == "account_code_taken"
    assert response.json()["error"]["details"] == {"code": "1010"}
    listed = (await client.get(ACCOUNTS, headers=tenant.headers)).json()["items"]
    assert [a["name"] for a in listed if a["code"] == "1010"] == ["Checking account"]
    patched = await _patch(client, tenant, acct["1020"], code="1010", name="ignored")
    assert patched.status_code == 409
    assert _error(patched) == "account_code_taken"
    unchanged = await _get(client, tenant, acct["1020"])
    assert (unchanged["code"], unchanged["name"]) == ("1020", "Savings account")
    same = await _patch(client, tenant, acct["1020"], code="1020")
    assert same.status_code == 200
    assert same.json()["code"] == "1020"


async def test_unknown_account_is_404_and_unknown_parent_is_422(client: httpx.AsyncClient) -> None:
    tenant, _ = await _books(client)
    missing = str(uuid.uuid4())
    unknown = await client.get(f"{ACCOUNTS}/{missing}", headers=tenant.headers)
    assert unknown.status_code == 404
    assert _error(unknown) == "account_not_found"
    assert unknown.json()["error"]["details"] == {"account_id": missing}
    response = await _create(
        client, tenant, code="1016", name="x", type="asset", parent_id=missing, currency="EUR"
    )
    assert response.status_code == 422
    assert _error(response) == "invalid_parent"
    codes = [
        a["code"] for a in (await client.get(ACCOUNTS, headers=tenant.headers)).json()["items"]
    ]
    assert "1016" not in codes


async def test_create_account_under_parent_of_other_type_is_422(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    response = await _create(
        client,
        tenant,
        code="5200",
        name="Pets",
        type="expense",
        parent_id=acct["1000"],
        currency="EUR",
    )
    assert response.status_code == 422
    assert _error(response) == "invalid_parent"
    ok = await _create(
        client,
        tenant,
        code="5200",
        name="Pets",
        type="expense",
        parent_id=acct["5000"],
        currency="EUR",
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["parent_id"] == acct["5000"]


async def test_create_account_with_floor_above_zero_balance_is_422(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    response = await _create(
        client,
        tenant,
        code="1016",
        name="Buffer",
        type="asset",
        parent_id=acct["1000"],
        currency="EUR",
        floor="10.00",
    )
    assert response.status_code == 422, response.text
    assert _error(response) == "invalid_floor"


async def test_multi_currency_account_is_created_without_currency_and_refuses_a_floor(
    client: httpx.AsyncClient,
) -> None:
    tenant, _ = await _books(client)
    refused = await _create(client, tenant, code="1900", name="Wallet", type="asset", floor="0")
    assert refused.status_code == 422
    assert _error(refused) == "invalid_floor"
    response = await _create(client, tenant, code="1900", name="Crypto wallet", type="asset")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["parent_id"], body["currency"], body["floor"], body["description"]) == (
        None,
        None,
        None,
        None,
    )


# --- update ----------------------------------------------------------------------------


async def test_patch_renames_recodes_and_describes(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    before = await _get(client, tenant, acct["1020"])
    response = await _patch(
        client,
        tenant,
        acct["1020"],
        name="Rainy-day savings",
        code="1025",
        description="Emergency fund",
    )
    assert response.status_code == 200, response.text
    after = response.json()
    assert (after["name"], after["code"], after["description"]) == (
        "Rainy-day savings",
        "1025",
        "Emergency fund",
    )
    assert (after["type"], after["currency"], after["parent_id"]) == ("asset", "EUR", acct["1000"])
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] > before["updated_at"]
    assert await _get(client, tenant, acct["1020"]) == after
    cleared = await _patch(client, tenant, acct["1020"], description=None)
    assert cleared.json()["description"] is None
    assert cleared.json()["name"] == "Rainy-day savings"


async def test_patch_parent_moves_account_to_same_type_parent(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    moved = await _patch(client, tenant, acct["1030"], parent_id=acct["1010"])
    assert moved.status_code == 200, moved.text
    assert moved.json()["parent_id"] == acct["1010"]
    top = await _patch(client, tenant, acct["1030"], parent_id=None)
    assert top.json()["parent_id"] is None
    wrong_type = await _patch(client, tenant, acct["1030"], parent_id=acct["2000"])
    assert wrong_type.status_code == 422
    assert _error(wrong_type) == "invalid_parent"
    missing = await _patch(client, tenant, acct["1030"], parent_id=str(uuid.uuid4()))
    assert _error(missing) == "invalid_parent"
    assert (await _get(client, tenant, acct["1030"]))["parent_id"] is None


async def test_patch_parent_that_makes_a_cycle_is_422(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    child = (
        await _create(
            client,
            tenant,
            code="1011",
            name="Sub-checking",
            type="asset",
            parent_id=acct["1010"],
            currency="EUR",
        )
    ).json()
    grandchild = (
        await _create(
            client,
            tenant,
            code="1012",
            name="Sub-sub",
            type="asset",
            parent_id=child["id"],
            currency="EUR",
        )
    ).json()
    self_parent = await _patch(client, tenant, acct["1010"], parent_id=acct["1010"])
    assert self_parent.status_code == 422
    assert _error(self_parent) == "invalid_parent"
    to_child = await _patch(client, tenant, acct["1010"], parent_id=child["id"])
    assert _error(to_child) == "invalid_parent"
    to_grandchild = await _patch(client, tenant, acct["1000"], parent_id=grandchild["id"])
    assert to_grandchild.status_code == 422
    assert _error(to_grandchild) == "invalid_parent"
    assert (await _get(client, tenant, acct["1010"]))["parent_id"] == acct["1000"]
    assert (await _get(client, tenant, acct["1000"]))["parent_id"] is None


async def test_floor_on_multi_currency_account_or_with_too_many_decimals_is_422(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    response = await _patch(client, tenant, acct["1100"], floor="0")
    assert response.status_code == 422
    assert _error(response) == "invalid_floor"
    assert (await _get(client, tenant, acct["1100"]))["floor"] is None
    too_fine = await _patch(client, tenant, acct["1010"], floor="-1.005")
    assert too_fine.status_code == 422
    assert _error(too_fine) == "amount_too_many_decimals"
    assert (await _get(client, tenant, acct["1010"]))["floor"] is None


async def test_floor_may_not_be_above_current_balance(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    paid = await post(
        client, tenant, entry("2026-11-02", "Salary", (acct["1010"], "100"), (acct["4010"], "-100"))
    )
    assert paid.status_code == 201, paid.text
    too_high = await _patch(client, tenant, acct["1010"], floor="100.01")
    assert too_high.status_code == 422
    assert _error(too_high) == "invalid_floor"
    assert (await _get(client, tenant, acct["1010"]))["floor"] is None
    equal = await _patch(client, tenant, acct["1010"], floor="100")
    assert equal.status_code == 200, equal.text
    assert equal.json()["floor"] == "100.00"
    breach = await post(
        client,
        tenant,
        entry("2026-11-03", "Snack", (acct["5020"], "0.01"), (acct["1010"], "-0.01")),
    )
    assert _error(breach) == "floor_breach"
    removed = await _patch(client, tenant, acct["1010"], floor=None)
    assert removed.json()["floor"] is None
    allowed = await post(
        client,
        tenant,
        entry("2026-11-03", "Snack", (acct["5020"], "0.01"), (acct["1010"], "-0.01")),
    )
    assert allowed.status_code == 201, allowed.text


# --- close and reopen ------------------------------------------------------------------


async def test_close_account_with_balance_is_422_until_emptied(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    await post(
        client, tenant, entry("2026-11-02", "ATM", (acct["1030"], "50"), (acct["1010"], "-50"))
    )
    refused = await client.post(f"{ACCOUNTS}/{acct['1030']}/close", headers=tenant.headers)
    assert refused.status_code == 422
    assert _error(refused) == "account_balance_not_zero"
    assert refused.json()["error"]["details"] == {"balances_minor": {"EUR": 5000}}
    assert (await _get(client, tenant, acct["1030"]))["is_closed"] is False
    await post(
        client, tenant, entry("2026-11-03", "Deposit", (acct["1010"], "50"), (acct["1030"], "-50"))
    )
    closed = await client.post(f"{ACCOUNTS}/{acct['1030']}/close", headers=tenant.headers)
    assert closed.status_code == 200, closed.text
    assert closed.json()["is_closed"] is True
    assert closed.json()["closed_at"] is not None


async def test_close_multi_currency_account_with_any_nonzero_currency_is_422(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    await post(
        client,
        tenant,
        entry("2026-11-02", "Buy", (acct["1100"], "10"), (acct["3900"], "-10"), currency="USD"),
    )
    await post(
        client, tenant, entry("2026-11-02", "Pay", (acct["3900"], "9.20"), (acct["1010"], "-9.20"))
    )
    refused = await client.post(f"{ACCOUNTS}/{acct['3900']}/close", headers=tenant.headers)
    assert refused.status_code == 422
    assert _error(refused) == "account_balance_not_zero"
    assert refused.json()["error"]["details"] == {"balances_minor": {"EUR": 920, "USD": -1000}}


async def test_close_account_with_open_children_is_422(client: httpx.AsyncClient) -> None:
    tenant, _ = await _books(client)
    parent = (
        await _create(client, tenant, code="1700", name="Brokerage", type="asset", currency="EUR")
    ).json()
    child = (
        await _create(
            client,
            tenant,
            code="1710",
            name="Brokerage cash",
            type="asset",
            parent_id=parent["id"],
            currency="EUR",
        )
    ).json()
    refused = await client.post(f"{ACCOUNTS}/{parent['id']}/close", headers=tenant.headers)
    assert refused.status_code == 422
    assert _error(refused) == "account_has_open_children"
    assert (await _get(client, tenant, parent["id"]))["is_closed"] is False
    child_closed = await client.post(f"{ACCOUNTS}/{child['id']}/close", headers=tenant.headers)
    assert child_closed.json()["is_closed"] is True
    parent_closed = await client.post(f"{ACCOUNTS}/{parent['id']}/close", headers=tenant.headers)
    assert parent_closed.status_code == 200, parent_closed.text
    assert parent_closed.json()["is_closed"] is True


async def test_reopen_account_takes_postings_again(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    await client.post(f"{ACCOUNTS}/{acct['1030']}/close", headers=tenant.headers)
    open_only = (
        await client.get(ACCOUNTS, params={"include_closed": "false"}, headers=tenant.headers)
    ).json()
    assert acct["1030"] not in [a["id"] for a in open_only["items"]]
    everything = (await client.get(ACCOUNTS, headers=tenant.headers)).json()["items"]
    assert [a["is_closed"] for a in everything if a["id"] == acct["1030"]] == [True]
    reopened = await client.post(f"{ACCOUNTS}/{acct['1030']}/reopen", headers=tenant.headers)
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["is_closed"], reopened.json()["closed_at"]) == (False, None)
    posted = await post(
        client, tenant, entry("2026-11-02", "ATM", (acct["1030"], "20"), (acct["1010"], "-20"))
    )
    assert posted.status_code == 201, posted.text
    balance = await client.get(f"{ACCOUNTS}/{acct['1030']}/balance", headers=tenant.headers)
    assert balance.json()["balances"] == [{"currency": "EUR", "amount": "20.00"}]


# --- set-up templates ------------------------------------------------------------------

# code: (parent code, type, multi-currency)
HOUSEHOLD = {
    "1000": (None, "asset", False),
    "1010": ("1000", "asset", False),
    "1020": ("1000", "asset", False),
    "1030": ("1000", "asset", False),
    "1100": ("1000", "asset", True),
    "2000": (None, "liability", False),
    "2010": ("2000", "liability", False),
    "2100": ("2000", "liability", False),
    "3000": (None, "equity", False),
    "3100": ("3000", "equity", False),
    "3900": ("3000", "equity", True),
    "4000": (None, "income", False),
    "4010": ("4000", "income", False),
    "4020": ("4000", "income", False),
    "4090": ("4000", "income", False),
    "5000": (None, "expense", False),
    **dict.fromkeys(
        (
            "5010",
            "5020",
            "5030",
            "5040",
            "5050",
            "5060",
            "5070",
            "5080",
            "5090",
            "5100",
            "5110",
            "5120",
        ),
        ("5000", "expense", False),
    ),
    "5900": ("5000", "expense", False),
}

SMALL_BUSINESS = {
    "1000": (None, "asset", False),
    **dict.fromkeys(
        ("1010", "1020", "1100", "1200", "1300", "1500", "1590"), ("1000", "asset", False)
    ),
    "2000": (None, "liability", False),
    **dict.fromkeys(("2010", "2100", "2200", "2300", "2500"), ("2000", "liability", False)),
    "3000": (None, "equity", False),
    "3100": ("3000", "equity", False),
    "3900": ("3000", "equity", True),
    "3200": ("3000", "equity", False),
    "3300": ("3000", "equity", False),
    "3400": ("3000", "equity", False),
    "4000": (None, "income", False),
    **dict.fromkeys(("4010", "4020", "4900"), ("4000", "income", False)),
    "5000": (None, "expense", False),
    "5010": ("5000", "expense", False),
    "6000": (None, "expense", False),
    **dict.fromkeys(
        ("6010", "6020", "6030", "6040", "6050", "6060", "6070", "6080", "6090", "6900"),
        ("6000", "expense", False),
    ),
}


async def _chart(
    client: httpx.AsyncClient, tenant: Tenant
) -> dict[str, tuple[str | None, str, str | None]]:
    items = (await client.get(ACCOUNTS, headers=tenant.headers)).json()["items"]
    code_of = {a["id"]: a["code"] for a in items}
    assert [a["code"] for a in items] == sorted(code_of.values())
    assert all(not a["is_closed"] and a["floor"] is None for a in items)
    return {a["code"]: (code_of.get(a["parent_id"]), a["type"], a["currency"]) for a in items}


async def test_household_setup_opens_the_household_chart(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    response = await client.post(
        "/api/v1/ledger/setup",
        json={"template": "household", "base_currency": "EUR"},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["settings"] == {
        "base_currency": "EUR",
        "closed_through": None,
        "template": "household",
    }
    assert await _chart(client, tenant) == {
        code: (parent, kind, None if multi else "EUR")
        for code, (parent, kind, multi) in HOUSEHOLD.items()
    }
    settings = await client.get("/api/v1/ledger/settings", headers=tenant.headers)
    assert settings.json() == {
        "base_currency": "EUR",
        "closed_through": None,
        "template": "household",
    }


async def test_small_business_setup_opens_the_business_chart(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant, template="small_business", currency="USD")
    assert set(accounts) == set(SMALL_BUSINESS)
    assert await _chart(client, tenant) == {
        code: (parent, kind, None if multi else "USD")
        for code, (parent, kind, multi) in SMALL_BUSINESS.items()
    }


async def test_setup_twice_is_409(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    again = await client.post(
        "/api/v1/ledger/setup",
        json={"template": "small_business", "base_currency": "USD"},
        headers=tenant.headers,
    )
    assert again.status_code == 409
    assert _error(again) == "ledger_already_set_up"
    settings = (await client.get("/api/v1/ledger/settings", headers=tenant.headers)).json()
    assert (settings["base_currency"], settings["template"]) == ("EUR", "household")
    items = (await client.get(ACCOUNTS, headers=tenant.headers)).json()["items"]
    assert {a["code"]: a["id"] for a in items} == acct


async def test_setup_after_empty_template_or_own_accounts_is_409(client: httpx.AsyncClient) -> None:
    empty = await sign_up(client)
    assert await set_up_ledger(client, empty, template="empty") == {}
    again = await client.post(
        "/api/v1/ledger/setup",
        json={"template": "household", "base_currency": "EUR"},
        headers=empty.headers,
    )
    assert _error(again) == "ledger_already_set_up"
    by_hand = await sign_up(client)
    await _create(client, by_hand, code="1000", name="Bank", type="asset", currency="EUR")
    late = await client.post(
        "/api/v1/ledger/setup",
        json={"template": "household", "base_currency": "EUR"},
        headers=by_hand.headers,
    )
    assert late.status_code == 409
    assert _error(late) == "ledger_already_set_up"
    assert [
        a["code"] for a in (await client.get(ACCOUNTS, headers=by_hand.headers)).json()["items"]
    ] == ["1000"]
