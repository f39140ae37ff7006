"""Reversing entries in a batch, and retrying a reversal, on both backends."""

import uuid
from typing import Any

import httpx

from tests.support import Tenant, entry, post, set_up_ledger, sign_up

LEDGER = "/api/v1/ledger"


async def _books(client: httpx.AsyncClient) -> tuple[Tenant, dict[str, str]]:
    tenant = await sign_up(client)
    return tenant, await set_up_ledger(client, tenant)


async def _posted(
    client: httpx.AsyncClient, tenant: Tenant, acct: dict[str, str], n: int
) -> list[str]:
    ids = []
    for i in range(n):
        response = await post(
            client,
            tenant,
            entry(
                "2026-11-02", f"Dinner {i}", (acct["5030"], f"{i + 1}"), (acct["1010"], f"-{i + 1}")
            ),
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def _reverse_batch(
    client: httpx.AsyncClient, tenant: Tenant, items: list[dict[str, Any]], **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{LEDGER}/entries/reversals", json={"items": items, **extra}, headers=tenant.headers
    )


async def _balance(client: httpx.AsyncClient, tenant: Tenant, account_id: str) -> str:
    response = await client.get(f"{LEDGER}/accounts/{account_id}/balance", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["balances"][0]["amount"])


async def _entry_count(client: httpx.AsyncClient, tenant: Tenant, account_id: str) -> int:
    response = await client.get(
        f"{LEDGER}/entries", params={"account_id": account_id, "limit": 100}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


async def test_a_batch_reverses_every_entry_and_a_retry_replays_it(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    ids = await _posted(client, tenant, acct, 3)
    assert await _balance(client, tenant, acct["1010"]) == "-6.00"
    items = [{"entry_id": i, "idempotency_key": f"undo:{i}"} for i in ids]

    first = await _reverse_batch(client, tenant, items)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["reversed"], body["replayed"], body["skipped"]) == (3, 0, 0)
    assert [item["entry_id"] for item in body["items"]] == ids
    assert all(item["status"] == "reversed" for item in body["items"])
    assert await _balance(client, tenant, acct["1010"]) == "0.00"
    for item in body["items"]:
        original = (
            await client.get(f"{LEDGER}/entries/{item['entry_id']}", headers=tenant.headers)
        ).json()
        assert original["reversed_by_entry_id"] == item["reversal_entry_id"]
        reversal = (
            await client.get(
                f"{LEDGER}/entries/{item['reversal_entry_id']}", headers=tenant.headers
            )
        ).json()
        assert reversal["reverses_entry_id"] == item["entry_id"]
        assert [p["amount"] for p in reversal["postings"]] == [
            f"-{p['amount']}" if not p["amount"].startswith("-") else p["amount"][1:]
            for p in original["postings"]
        ]

    again = await _reverse_batch(client, tenant, items)
    assert again.status_code == 201, again.text
    replay = again.json()
    assert (replay["reversed"], replay["replayed"], replay["skipped"]) == (0, 3, 0)
    assert [i["reversal_entry_id"] for i in replay["items"]] == [
        i["reversal_entry_id"] for i in body["items"]
    ]
    assert await _balance(client, tenant, acct["1010"]) == "0.00"
    assert await _entry_count(client, tenant, acct["1010"]) == 6


async def test_a_retried_single_reversal_returns_the_first_one(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    [entry_id] = await _posted(client, tenant, acct, 1)
    headers = {**tenant.headers, "Idempotency-Key": "reverse-once"}
    url = f"{LEDGER}/entries/{entry_id}/reverse"
    first = await client.post(url, headers=headers)
    assert first.status_code == 201, first.text
    retry = await client.post(url, headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.json() == first.json()
    changed = await client.post(url, json={"description": "Other text"}, headers=headers)
    assert changed.status_code == 409
    assert _error(changed)["code"] == "idempotency_key_reused"
    other_key = await client.post(url, headers={**tenant.headers, "Idempotency-Key": "another"})
    assert other_key.status_code == 409
    assert _error(other_key)["code"] == "entry_already_reversed"
    # The same key in a batch means the same request: it replays too.
    batch = await _reverse_batch(
        client, tenant, [{"entry_id": entry_id, "idempotency_key": "reverse-once"}]
    )
    assert batch.status_code == 201, batch.text
    assert batch.json()["items"][0]["reversal_entry_id"] == first.json()["id"]
    assert await _balance(client, tenant, acct["1010"]) == "0.00"


async def test_an_empty_or_overlong_key_is_422_not_a_reversal(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    [entry_id] = await _posted(client, tenant, acct, 1)
    for key in ("", "k" * 201):
        response = await client.post(
            f"{LEDGER}/entries/{entry_id}/reverse",
            headers={**tenant.headers, "Idempotency-Key": key},
        )
        assert response.status_code == 422, response.text
        assert _error(response)["code"] == "validation_error"
        batch = await _reverse_batch(
            client, tenant, [{"entry_id": entry_id, "idempotency_key": key}]
        )
        assert batch.status_code == 422, batch.text
    assert await _balance(client, tenant, acct["1010"]) == "-1.00"


async def test_an_entry_reversed_by_hand_fails_the_batch_or_is_skipped(
    client: httpx.AsyncClient,
) -> None:
    tenant, acct = await _books(client)
    ids = await _posted(client, tenant, acct, 3)
    by_hand = await client.post(f"{LEDGER}/entries/{ids[1]}/reverse", headers=tenant.headers)
    assert by_hand.status_code == 201
    items = [{"entry_id": i, "idempotency_key": f"undo:{i}"} for i in ids]

    refused = await _reverse_batch(client, tenant, items)
    assert refused.status_code == 409
    assert _error(refused)["code"] == "entry_already_reversed"
    assert _error(refused)["details"]["entry_index"] == 1
    assert await _balance(client, tenant, acct["1010"]) == "-4.00"  # nothing written

    skipping = await _reverse_batch(client, tenant, items, skip_already_reversed=True)
    assert skipping.status_code == 201, skipping.text
    body = skipping.json()
    assert (body["reversed"], body["replayed"], body["skipped"]) == (2, 0, 1)
    assert body["items"][1] == {
        "entry_id": ids[1],
        "idempotency_key": f"undo:{ids[1]}",
        "reversal_entry_id": None,
        "status": "skipped",
    }
    assert await _balance(client, tenant, acct["1010"]) == "0.00"


async def test_a_bad_item_refuses_the_whole_batch(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    ids = await _posted(client, tenant, acct, 2)
    other = await sign_up(client)
    other_acct = await set_up_ledger(client, other)
    [foreign] = await _posted(client, other, other_acct, 1)

    for bad, status, code in (
        ({"entry_id": str(uuid.uuid4())}, 404, "entry_not_found"),
        ({"entry_id": foreign}, 404, "entry_not_found"),
        ({"entry_id": ids[0], "idempotency_key": "dup"}, 422, "duplicate_entry_in_batch"),
    ):
        response = await _reverse_batch(client, tenant, [{"entry_id": ids[0]}, bad])
        assert response.status_code == status, response.text
        assert _error(response)["code"] == code
        assert _error(response)["details"]["entry_index"] == 1
    assert await _balance(client, tenant, acct["1010"]) == "-3.00"
    assert await _balance(client, other, other_acct["1010"]) == "-1.00"

    reversal = (
        await client.post(f"{LEDGER}/entries/{ids[0]}/reverse", headers=tenant.headers)
    ).json()
    of_reversal = await _reverse_batch(client, tenant, [{"entry_id": reversal["id"]}])
    assert of_reversal.status_code == 409
    assert _error(of_reversal)["code"] == "entry_already_reversed"

    empty = await _reverse_batch(client, tenant, [])
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "validation_error"


async def test_a_viewer_cannot_reverse(client: httpx.AsyncClient) -> None:
    from tests.support import add_member

    tenant, acct = await _books(client)
    [entry_id] = await _posted(client, tenant, acct, 1)
    viewer = await add_member(client, tenant, role="viewer")
    response = await _reverse_batch(client, viewer, [{"entry_id": entry_id}])
    assert response.status_code == 403
    assert await _balance(client, tenant, acct["1010"]) == "-1.00"


async def test_more_reversals_than_a_batch_holds_is_413(client: httpx.AsyncClient) -> None:
    tenant, acct = await _books(client)
    [entry_id] = await _posted(client, tenant, acct, 1)
    items = [{"entry_id": str(uuid.uuid4())} for _ in range(10_000)] + [{"entry_id": entry_id}]
    response = await _reverse_batch(client, tenant, items)
    assert response.status_code == 413, response.text
    assert _error(response)["details"] == {"max": 10_000}
    assert await _balance(client, tenant, acct["1010"]) == "-1.00"
