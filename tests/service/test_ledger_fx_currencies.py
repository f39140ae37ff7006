"""Exchange rates by date and the organisation's own assets with their own number of decimals."""

from typing import Any

import httpx

from tests.support import Tenant, entry, post, set_up_ledger, sign_up

LEDGER = "/api/v1/ledger"


async def _books(client: httpx.AsyncClient) -> tuple[Tenant, dict[str, str]]:
    tenant = await sign_up(client)
    return tenant, await set_up_ledger(client, tenant)


def _error(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def _rate(base: str, quote: str, day: str, rate: str, source: str | None = None) -> dict[str, Any]:
    return {"base": base, "quote": quote, "date": day, "rate": rate, "source": source}


async def _add_rates(
    client: httpx.AsyncClient, tenant: Tenant, *rates: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"{LEDGER}/fx-rates", json={"rates": list(rates)}, headers=tenant.headers
    )


async def _rates(
    client: httpx.AsyncClient, tenant: Tenant, **params: str
) -> list[tuple[str, str, str, str]]:
    response = await client.get(f"{LEDGER}/fx-rates", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return [(r["base"], r["quote"], r["date"], r["rate"]) for r in response.json()["items"]]


# --- FX rates ----------------------------------------------------------------------------


async def test_fx_rates_are_stored_and_listed_newest_first(client: httpx.AsyncClient) -> None:
    tenant, _ = await _books(client)
    rates = [
        _rate("USD", "EUR", "2026-05-01", "0.9241", "ECB"),
        _rate("GBP", "EUR", "2026-05-02", "1.1702"),
        _rate("USD", "EUR", "2026-05-02", "0.92385"),
        _rate("EUR", "JPY", "2026-05-01", "162.5"),
    ]
    response = await _add_rates(client, tenant, *rates)
    assert response.status_code == 201, response.text
    assert response.json()["items"] == rates
    listed = await client.get(f"{LEDGER}/fx-rates", headers=tenant.headers)
    assert listed.json()["items"] == [rates[1], rates[2], rates[3], rates[0]]


async def test_fx_rate_for_same_pair_and_date_replaces_the_old_one(
    client: httpx.AsyncClient,
) -> None:
    tenant, _ = await _books(client)
    await _add_rates(
        client,
        tenant,
        _rate("USD", "EUR", "2026-05-01", "0.9241", "ECB"),
        _rate("USD", "EUR", "2026-05-02", "0.9250", "ECB"),
    )
    again = await _add_rates(client, tenant, _rate("USD", "EUR", "2026-05-01", "0.93", "Bank"))
    assert again.status_code == 201, again.text
    listed = (await client.get(f"{LEDGER}/fx-rates", headers=tenant.headers)).json()["items"]
    assert listed == [
        _rate("USD", "EUR", "2026-05-02", "0.9250", "ECB"),
        _rate("USD", "EUR", "2026-05-01", "0.93", "Bank"),
    ]
    inverse = await _add_rates(client, tenant, _rate("EUR", "USD", "2026-05-01", "1.0753"))
    assert inverse.status_code == 201
    assert await _rates(client, tenant, **{"from": "2026-05-01", "to": "2026-05-01"}) == [
        ("EUR", "USD", "2026-05-01", "1.0753"),
        ("USD", "EUR", "2026-05-01", "0.93"),
    ]


async def test_fx_rates_filter_by_base_quote_and_dates(client: httpx.AsyncClient) -> None:
    tenant, _ = await _books(client)
    days = ("2026-01-31", "2026-02-01", "2026-02-28", "2026-03-01")
    rates = [
        _rate(base, quote, day, f"1.{index}{offset}5")
        for index, day in enumerate(days)
        for offset, (base, quote) in enumerate((("USD", "EUR"), ("GBP", "EUR"), ("USD", "JPY")))
    ]
    assert (await _add_rates(client, tenant, *rates)).status_code == 201
    assert await _rates(client, tenant, base="USD", quote="EUR") == [
        ("USD", "EUR", "2026-03-01", "1.305"),
        ("USD", "EUR", "2026-02-28", "1.205"),
        ("USD", "EUR", "2026-02-01", "1.105"),
        ("USD", "EUR", "2026-01-31", "1.005"),
    ]
    assert await _rates(
        client, tenant, base="USD", **{"from": "2026-02-01", "to": "2026-02-28"}
    ) == [
        ("USD", "EUR", "2026-02-28", "1.205"),
        ("USD", "JPY", "2026-02-28", "1.225"),
        ("USD", "EUR", "2026-02-01", "1.105"),
        ("USD", "JPY", "2026-02-01", "1.125"),
    ]
    assert await _rates(client, tenant, quote="EUR", to="2026-01-31") == [
        ("GBP", "EUR", "2026-01-31", "1.015"),
        ("USD", "EUR", "2026-01-31", "1.005"),
    ]
    assert await _rates(client, tenant, base="CHF") == []
    assert len(await _rates(client, tenant, limit="5")) == 5
    too_many = await client.get(f"{LEDGER}/fx-rates", params={"limit": 501}, headers=tenant.headers)
    assert too_many.status_code == 422


async def test_invalid_fx_rates_are_422_and_store_nothing(client: httpx.AsyncClient) -> None:
    tenant, _ = await _books(client)
    for bad in ("abc", "-1", "0", "NaN", "Infinity", ""):
        response = await _add_rates(
            client,
            tenant,
            _rate("USD", "EUR", "2026-05-01", "0.92"),
            _rate("GBP", "EUR", "2026-05-01", bad),
        )
        assert response.status_code == 422, bad
        assert _error(response) == "invalid_amount", bad
        assert response.json()["error"]["details"] == {
            "field": "rates[1].rate",
            "entry_index": 1,
        }, bad
    same = await _add_rates(client, tenant, _rate("EUR", "EUR", "2026-05-01", "1"))
    assert same.status_code == 422
    assert _error(same) == "invalid_input"
    assert same.json()["error"]["details"] == {"entry_index": 0}
    unknown = await _add_rates(client, tenant, _rate("USD", "XYZ", "2026-05-01", "2"))
    assert unknown.status_code == 422
    assert _error(unknown) == "unknown_currency"
    assert await _rates(client, tenant) == []


async def test_fx_rate_is_kept_as_plain_decimal_text(client: httpx.AsyncClient) -> None:
    tenant, _ = await _books(client)
    response = await _add_rates(
        client,
        tenant,
        _rate("USD", "JPY", "2026-05-01", "150"),
        _rate("EUR", "HUF", "2026-05-01", "400.5"),
        _rate("VND", "KWD", "2026-05-01", "0.0000001"),
    )
    assert response.status_code == 201, response.text
    assert [r["rate"] for r in response.json()["items"]] == ["150", "400.5", "0.0000001"]
    assert await _rates(client, tenant) == [
        ("EUR", "HUF", "2026-05-01", "400.5"),
        ("USD", "JPY", "2026-05-01", "150"),
        ("VND", "KWD", "2026-05-01", "0.0000001"),
    ]


async def test_same_pair_and_date_twice_in_one_request_keeps_the_last(
    client: httpx.AsyncClient,
) -> None:
    tenant, _ = await _books(client)
    response = await _add_rates(
        client,
        tenant,
        _rate("USD", "EUR", "2026-05-01", "0.90"),
        _rate("USD", "EUR", "2026-05-01", "0.95"),
    )
    assert response.status_code == 201, response.text
    assert await _rates(client, tenant) == [("USD", "EUR", "2026-05-01", "0.95")]


# --- currencies and custom assets ------------------------------------------------------


async def test_custom_asset_takes_amounts_at_its_own_scale(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    created = await client.post(
        f"{LEDGER}/currencies",
        json={"code": "VWRL", "name": "Vanguard All-World", "scale": 4},
        headers=tenant.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "code": "VWRL",
        "name": "Vanguard All-World",
        "scale": 4,
        "custom": True,
    }
    listed = (await client.get(f"{LEDGER}/currencies", headers=tenant.headers)).json()["items"]
    assert listed[0] == created.json()
    assert [item["code"] for item in listed if item["custom"]] == ["VWRL"]
    account = await client.post(
        f"{LEDGER}/accounts",
        json={
            "code": "1110",
            "name": "VWRL shares",
            "type": "asset",
            "parent_id": acct["1100"],
            "currency": "VWRL",
            "floor": "-0.5",
        },
        headers=tenant.headers,
    )
    assert account.status_code == 201, account.text
    assert (account.json()["currency"], account.json()["floor"]) == ("VWRL", "-0.5000")
    shares = account.json()["id"]
    posted = await post(
        client,
        tenant,
        entry(
            "2026-05-01", "Buy", (shares, "12.3456"), (acct["3900"], "-12.3456"), currency="VWRL"
        ),
    )
    assert posted.status_code == 201, posted.text
    assert [p["amount"] for p in posted.json()["postings"]] == ["12.3456", "-12.3456"]
    padded = await post(
        client,
        tenant,
        entry("2026-05-02", "Buy", (shares, "1.5"), (acct["3900"], "-1.50000"), currency="VWRL"),
    )
    assert [p["amount"] for p in padded.json()["postings"]] == ["1.5000", "-1.5000"]
    too_fine = await post(
        client,
        tenant,
        entry(
            "2026-05-03", "Buy", (shares, "0.00001"), (acct["3900"], "-0.00001"), currency="VWRL"
        ),
    )
    assert too_fine.status_code == 422
    assert _error(too_fine) == "amount_too_many_decimals"
    assert too_fine.json()["error"]["details"] == {"field": "postings[0].amount", "scale": 4}
    wrong = await post(
        client, tenant, entry("2026-05-03", "Buy", (shares, "1"), (acct["3900"], "-1"))
    )
    assert _error(wrong) == "currency_mismatch"
    balance = await client.get(f"{LEDGER}/accounts/{shares}/balance", headers=tenant.headers)
    assert balance.json()["balances"] == [{"currency": "VWRL", "amount": "13.8456"}]
    sheet = (await client.get(f"{LEDGER}/balances", headers=tenant.headers)).json()["items"]
    assert {line["code"]: line["total"] for line in sheet}["1100"] == [
        {"currency": "VWRL", "amount": "13.8456"}
    ]
    found = await client.get(
        f"{LEDGER}/entries",
        params={"account_id": shares, "min_amount": "12.3456"},
        headers=tenant.headers,
    )
    assert [item["id"] for item in found.json()["items"]] == [posted.json()["id"]]


async def test_custom_asset_with_no_decimals_refuses_fractions(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    created = await client.post(
        f"{LEDGER}/currencies",
        json={"code": "MILES", "name": "Air miles", "scale": 0},
        headers=tenant.headers,
    )
    assert created.status_code == 201, created.text
    earned = await post(
        client,
        tenant,
        entry(
            "2026-05-01",
            "Flight",
            (acct["1100"], "2500.0"),
            (acct["4090"], "-2500"),
            currency="MILES",
        ),
    )
    assert _error(earned) == "currency_mismatch"  # 4090 holds EUR only
    earned = await post(
        client,
        tenant,
        entry(
            "2026-05-01",
            "Flight",
            (acct["1100"], "2500.0"),
            (acct["3900"], "-2500"),
            currency="MILES",
        ),
    )
    assert earned.status_code == 201, earned.text
    assert [p["amount"] for p in earned.json()["postings"]] == ["2500", "-2500"]
    half = await post(
        client,
        tenant,
        entry(
            "2026-05-02", "Half", (acct["1100"], "0.5"), (acct["3900"], "-0.5"), currency="MILES"
        ),
    )
    assert half.status_code == 422
    assert _error(half) == "amount_too_many_decimals"
    rate = await _add_rates(client, tenant, _rate("MILES", "EUR", "2026-05-01", "0.012"))
    assert rate.status_code == 201
    assert await _rates(client, tenant, base="MILES") == [("MILES", "EUR", "2026-05-01", "0.012")]


async def test_currencies_list_iso_scales_and_refuse_an_iso_code_or_a_duplicate_as_custom(
    client: httpx.AsyncClient,
) -> None:
    tenant, _ = await _books(client)
    items = (await client.get(f"{LEDGER}/currencies", headers=tenant.headers)).json()["items"]
    by_code = {item["code"]: item for item in items}
    assert by_code["EUR"] == {"code": "EUR", "name": "Euro", "scale": 2, "custom": False}
    assert (by_code["JPY"]["scale"], by_code["KWD"]["scale"], by_code["USD"]["scale"]) == (0, 3, 2)
    assert all(not item["custom"] for item in items)
    assert [item["code"] for item in items] == sorted(by_code)
    iso = await client.post(
        f"{LEDGER}/currencies",
        json={"code": "EUR", "name": "My euro", "scale": 4},
        headers=tenant.headers,
    )
    assert iso.status_code == 409
    assert _error(iso) == "asset_exists"
    first = await client.post(
        f"{LEDGER}/currencies",
        json={"code": "PTS", "name": "Points", "scale": 0},
        headers=tenant.headers,
    )
    assert first.status_code == 201
    again = await client.post(
        f"{LEDGER}/currencies",
        json={"code": "PTS", "name": "Other points", "scale": 2},
        headers=tenant.headers,
    )
    assert again.status_code == 409
    assert _error(again) == "asset_exists"
    lower = await client.post(
        f"{LEDGER}/currencies",
        json={"code": "pts2", "name": "x", "scale": 0},
        headers=tenant.headers,
    )
    assert lower.status_code == 422
    assert _error(lower) == "invalid_asset_code"
    too_fine = await client.post(
        f"{LEDGER}/currencies",
        json={"code": "WEI", "name": "x", "scale": 19},
        headers=tenant.headers,
    )
    assert too_fine.status_code == 422
    custom = [
        item
        for item in (await client.get(f"{LEDGER}/currencies", headers=tenant.headers)).json()[
            "items"
        ]
        if item["custom"]
    ]
    assert custom == [{"code": "PTS", "name": "Points", "scale": 0, "custom": True}]


async def test_custom_asset_scale_is_capped_so_large_amounts_still_fit(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    too_fine = await client.post(
        f"{LEDGER}/currencies",
        json={"code": "ETH", "name": "Ether", "scale": 18},
        headers=tenant.headers,
    )
    assert too_fine.status_code == 422
    assert too_fine.json()["error"]["code"] == "validation_error"
    created = await client.post(
        f"{LEDGER}/currencies",
        json={"code": "ETH", "name": "Ether", "scale": 12},
        headers=tenant.headers,
    )
    assert created.status_code == 201, created.text
    posted = await post(
        client,
        tenant,
        entry(
            "2026-05-01", "Buy", (acct["1100"], "100000"), (acct["3900"], "-100000"), currency="ETH"
        ),
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["postings"][0]["amount"] == "100000.000000000000"
