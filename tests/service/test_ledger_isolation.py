"""Tenants never see each other's books (404, never 403, never data); roles limit each member."""

from typing import Any

import httpx

from tests.support import Tenant, add_member, entry, post, set_up_ledger, sign_up

LEDGER = "/api/v1/ledger"


async def _books(client: httpx.AsyncClient) -> tuple[Tenant, dict[str, str]]:
    tenant = await sign_up(client)
    return tenant, await set_up_ledger(client, tenant)


def _error(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


async def _posted(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any], *, key: str | None = None
) -> dict[str, Any]:
    response = await post(client, tenant, body, key=key)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _get(client: httpx.AsyncClient, tenant: Tenant, path: str, **params: Any) -> Any:
    response = await client.get(f"{LEDGER}{path}", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_other_orgs_account_is_404_on_every_account_route(client: httpx.AsyncClient) -> None:
    a, _ = await _books(client)
    b, b_acct = await _books(client)
    await _posted(
        client,
        b,
        entry("2026-05-01", "B salary", (b_acct["1010"], "1234.56"), (b_acct["4010"], "-1234.56")),
    )
    target = b_acct["1010"]
    before = await _get(client, b, f"/accounts/{target}")
    attempts = [
        client.get(f"{LEDGER}/accounts/{target}", headers=a.headers),
        client.patch(
            f"{LEDGER}/accounts/{target}",
            json={"name": "Hijacked", "floor": "-1"},
            headers=a.headers,
        ),
        client.post(f"{LEDGER}/accounts/{target}/close", headers=a.headers),
        client.post(f"{LEDGER}/accounts/{b_acct['1030']}/close", headers=a.headers),
        client.post(f"{LEDGER}/accounts/{target}/reopen", headers=a.headers),
        client.get(f"{LEDGER}/accounts/{target}/balance", headers=a.headers),
        client.get(
            f"{LEDGER}/accounts/{target}/balance", params={"as_of": "2026-12-31"}, headers=a.headers
        ),
        client.get(f"{LEDGER}/accounts/{target}/history", headers=a.headers),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 404, (
            response.request.method,
            response.request.url,
            response.text,
        )
        assert _error(response) == "account_not_found"
        assert "1234" not in response.text
        assert "Checking" not in response.text
    assert await _get(client, b, f"/accounts/{target}") == before
    assert (await _get(client, b, f"/accounts/{b_acct['1030']}"))["is_closed"] is False


async def test_other_orgs_entry_is_404_to_read_and_to_reverse(client: httpx.AsyncClient) -> None:
    a, _ = await _books(client)
    b, b_acct = await _books(client)
    b_entry = await _posted(
        client,
        b,
        entry(
            "2026-05-01",
            "B rent",
            (b_acct["5010"], "800"),
            (b_acct["1010"], "-800"),
            payee="B landlord",
        ),
    )
    read = await client.get(f"{LEDGER}/entries/{b_entry['id']}", headers=a.headers)
    assert read.status_code == 404
    assert _error(read) == "entry_not_found"
    assert "landlord" not in read.text
    reverse = await client.post(f"{LEDGER}/entries/{b_entry['id']}/reverse", headers=a.headers)
    assert reverse.status_code == 404
    assert _error(reverse) == "entry_not_found"
    assert (await _get(client, b, f"/entries/{b_entry['id']}"))["reversed_by_entry_id"] is None
    assert (await _get(client, b, f"/accounts/{b_acct['1010']}/balance"))["balances"] == [
        {"currency": "EUR", "amount": "-800.00"}
    ]
    assert (await _get(client, a, "/entries"))["items"] == []


async def test_posting_to_another_orgs_account_is_422_unknown_account(
    client: httpx.AsyncClient,
) -> None:
    a, a_acct = await _books(client)
    b, b_acct = await _books(client)
    response = await post(
        client, a, entry("2026-05-01", "Sneaky", (b_acct["1010"], "100"), (a_acct["4010"], "-100"))
    )
    assert response.status_code == 422
    assert _error(response) == "unknown_account"
    assert response.json()["error"]["details"] == {"line": 0, "account_id": b_acct["1010"]}
    batch = await client.post(
        f"{LEDGER}/entries/batch",
        json={
            "entries": [
                {
                    **entry("2026-05-01", "ok", (a_acct["5020"], "1"), (a_acct["1010"], "-1")),
                    "idempotency_key": "a-1",
                },
                {
                    **entry("2026-05-01", "bad", (a_acct["5020"], "1"), (b_acct["1010"], "-1")),
                    "idempotency_key": "a-2",
                },
            ]
        },
        headers=a.headers,
    )
    assert batch.status_code == 422
    assert _error(batch) == "unknown_account"
    assert batch.json()["error"]["details"]["entry_index"] == 1
    assert (await _get(client, a, "/entries"))["items"] == []
    assert (await _get(client, b, f"/accounts/{b_acct['1010']}/balance"))["balances"] == [
        {"currency": "EUR", "amount": "0.00"}
    ]


async def test_another_orgs_account_cannot_be_a_parent(client: httpx.AsyncClient) -> None:
    a, a_acct = await _books(client)
    b, b_acct = await _books(client)
    created = await client.post(
        f"{LEDGER}/accounts",
        json={
            "code": "1040",
            "name": "x",
            "type": "asset",
            "parent_id": b_acct["1000"],
            "currency": "EUR",
        },
        headers=a.headers,
    )
    assert created.status_code == 422
    assert _error(created) == "invalid_parent"
    moved = await client.patch(
        f"{LEDGER}/accounts/{a_acct['1010']}", json={"parent_id": b_acct["1000"]}, headers=a.headers
    )
    assert moved.status_code == 422
    assert _error(moved) == "invalid_parent"
    assert (await _get(client, a, f"/accounts/{a_acct['1010']}"))["parent_id"] == a_acct["1000"]
    b_sheet = await _get(client, b, "/balances")
    assert {line["account_id"] for line in b_sheet["items"]} == set(b_acct.values())


async def test_lists_show_only_the_callers_own_data(client: httpx.AsyncClient) -> None:
    a, a_acct = await _books(client)
    b, b_acct = await _books(client)
    a_entry = await _posted(
        client,
        a,
        entry("2026-05-02", "A groceries", (a_acct["5020"], "10"), (a_acct["1010"], "-10")),
        key="shared-key",
    )
    b_entry = await _posted(
        client,
        b,
        entry("2026-05-02", "B groceries", (b_acct["5020"], "99"), (b_acct["1010"], "-99")),
        key="shared-key",
    )
    assert a_entry["id"] != b_entry["id"]
    rates = {
        "rates": [
            {
                "base": "USD",
                "quote": "EUR",
                "date": "2026-05-01",
                "rate": "0.91",
                "source": "B bank",
            }
        ]
    }
    assert (
        await client.post(f"{LEDGER}/fx-rates", json=rates, headers=b.headers)
    ).status_code == 201
    asset = await client.post(
        f"{LEDGER}/currencies",
        json={"code": "BPOINTS", "name": "B points", "scale": 0},
        headers=b.headers,
    )
    assert asset.status_code == 201, asset.text
    await client.post(
        f"{LEDGER}/accounts",
        json={"code": "9999", "name": "B only", "type": "asset"},
        headers=b.headers,
    )

    assert [e["id"] for e in (await _get(client, a, "/entries"))["items"]] == [a_entry["id"]]
    assert (await _get(client, a, "/entries", q="groceries"))["items"][0]["id"] == a_entry["id"]
    assert (await _get(client, a, "/entries", account_id=b_acct["1010"]))["items"] == []
    assert (await _get(client, a, "/entries", min_amount="99", max_amount="99"))["items"] == []
    sheet = await _get(client, a, "/balances")
    assert {line["account_id"] for line in sheet["items"]} == set(a_acct.values())
    assert {line["code"]: line["own"] for line in sheet["items"]}["1010"] == [
        {"currency": "EUR", "amount": "-10.00"}
    ]
    accounts = await _get(client, a, "/accounts")
    assert {item["id"] for item in accounts["items"]} == set(a_acct.values())
    assert (await _get(client, a, "/fx-rates"))["items"] == []
    assert (await _get(client, a, "/fx-rates", base="USD", quote="EUR"))["items"] == []
    currencies = [item["code"] for item in (await _get(client, a, "/currencies"))["items"]]
    assert "BPOINTS" not in currencies
    assert "EUR" in currencies
    unknown = await post(
        client,
        a,
        entry(
            "2026-05-03",
            "points",
            (a_acct["1100"], "5"),
            (a_acct["3900"], "-5"),
            currency="BPOINTS",
        ),
    )
    assert _error(unknown) == "unknown_currency"
    assert [e["id"] for e in (await _get(client, b, "/entries"))["items"]] == [b_entry["id"]]


async def test_viewer_reads_but_may_not_write(client: httpx.AsyncClient) -> None:
    owner, acct = await _books(client)
    posted = await _posted(
        client, owner, entry("2026-05-01", "Salary", (acct["1010"], "100"), (acct["4010"], "-100"))
    )
    viewer = await add_member(client, owner, role="viewer")
    assert (await _get(client, viewer, "/entries"))["items"] == (
        await _get(client, owner, "/entries")
    )["items"]
    assert (await _get(client, viewer, f"/accounts/{acct['1010']}/balance"))["balances"] == [
        {"currency": "EUR", "amount": "100.00"}
    ]
    assert (await _get(client, viewer, f"/entries/{posted['id']}"))["id"] == posted["id"]
    assert len((await _get(client, viewer, "/accounts"))["items"]) == len(acct)
    writes = [
        client.post(
            f"{LEDGER}/entries",
            json=entry("2026-05-02", "x", (acct["5020"], "1"), (acct["1010"], "-1")),
            headers=viewer.headers,
        ),
        client.post(
            f"{LEDGER}/entries/batch",
            json={
                "entries": [
                    {
                        **entry("2026-05-02", "x", (acct["5020"], "1"), (acct["1010"], "-1")),
                        "idempotency_key": "v",
                    }
                ]
            },
            headers=viewer.headers,
        ),
        client.post(f"{LEDGER}/entries/{posted['id']}/reverse", headers=viewer.headers),
        client.post(
            f"{LEDGER}/accounts",
            json={"code": "1040", "name": "x", "type": "asset", "currency": "EUR"},
            headers=viewer.headers,
        ),
        client.patch(
            f"{LEDGER}/accounts/{acct['1010']}", json={"name": "x"}, headers=viewer.headers
        ),
        client.post(f"{LEDGER}/accounts/{acct['1030']}/close", headers=viewer.headers),
        client.post(
            f"{LEDGER}/periods/close", json={"through": "2026-04-30"}, headers=viewer.headers
        ),
        client.post(
            f"{LEDGER}/fx-rates",
            json={"rates": [{"base": "USD", "quote": "EUR", "date": "2026-05-01", "rate": "0.9"}]},
            headers=viewer.headers,
        ),
        client.post(
            f"{LEDGER}/currencies",
            json={"code": "PTS", "name": "Points", "scale": 0},
            headers=viewer.headers,
        ),
        client.get(f"{LEDGER}/chain/verify", headers=viewer.headers),
    ]
    for attempt in writes:
        response = await attempt
        assert response.status_code == 403, (
            response.request.method,
            response.request.url,
            response.text,
        )
        assert _error(response) == "forbidden"
    assert [e["id"] for e in (await _get(client, owner, "/entries"))["items"]] == [posted["id"]]
    assert (await _get(client, owner, "/settings"))["closed_through"] is None
    assert (await _get(client, owner, f"/accounts/{acct['1010']}"))["name"] == "Checking account"
    assert (await _get(client, owner, "/fx-rates"))["items"] == []


async def test_auditor_verifies_the_chain_and_accountant_posts_but_cannot(
    client: httpx.AsyncClient,
) -> None:
    owner, acct = await _books(client)
    accountant = await add_member(client, owner, role="accountant")
    auditor = await add_member(client, owner, role="auditor")
    posted = await post(
        client,
        accountant,
        entry("2026-05-01", "By accountant", (acct["5020"], "12"), (acct["1010"], "-12")),
    )
    assert posted.status_code == 201, posted.text
    closed = await client.post(
        f"{LEDGER}/periods/close", json={"through": "2026-04-30"}, headers=accountant.headers
    )
    assert closed.status_code == 200
    assert closed.json()["closed_through"] == "2026-04-30"
    denied = await client.get(f"{LEDGER}/chain/verify", headers=accountant.headers)
    assert denied.status_code == 403
    assert _error(denied) == "forbidden"
    report = await _get(client, auditor, "/chain/verify")
    assert report["ok"] is True
    assert report["first_broken"] is None
    assert report["checked"] + report["unsealed"] == 1
    auditor_post = await post(
        client, auditor, entry("2026-05-02", "x", (acct["5020"], "1"), (acct["1010"], "-1"))
    )
    assert auditor_post.status_code == 403
    assert _error(auditor_post) == "forbidden"
    assert [e["description"] for e in (await _get(client, auditor, "/entries"))["items"]] == [
        "By accountant"
    ]
