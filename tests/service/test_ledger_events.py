"""Events leave through the outbox with the change, and reach subscribers."""

import asyncio
import uuid

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from nexus.core.db import Database
from nexus.core.events import Dispatcher, EventEnvelope
from nexus.ledger import events
from nexus.ledger.models import outbox
from tests.support import entry, post, set_up_ledger, sign_up


async def _outbox_of(app: FastAPI, org_id: uuid.UUID) -> list[tuple[str, dict[str, object]]]:
    database: Database = app.state.databases["ledger"]
    async with database.reading() as session:
        rows = await session.execute(
            select(outbox.c.type, outbox.c.data)
            .where(outbox.c.org_id == org_id)
            .order_by(outbox.c.id)
        )
        return [(row.type, row.data) for row in rows]


async def test_posting_writes_its_event_in_the_same_transaction(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    created = [kind for kind, _ in await _outbox_of(app, tenant.org_id)]
    assert created == [events.ACCOUNT_CREATED] * len(accounts)
    posted = (
        await post(
            client,
            tenant,
            entry(
                "2026-11-02",
                "Books",
                (accounts["5090"], "30"),
                (accounts["1010"], "-30"),
                payee="Bookshop",
            ),
        )
    ).json()
    refused = await post(
        client,
        tenant,
        entry("2026-11-02", "bad", (accounts["5090"], "30"), (accounts["1010"], "-3")),
    )
    assert refused.status_code == 422
    reversal = (
        await client.post(f"/api/v1/ledger/entries/{posted['id']}/reverse", headers=tenant.headers)
    ).json()
    later = [
        (kind, data)
        for kind, data in await _outbox_of(app, tenant.org_id)
        if kind != events.ACCOUNT_CREATED
    ]
    assert [kind for kind, _ in later] == [
        events.ENTRY_POSTED,
        events.ENTRY_POSTED,
        events.ENTRY_REVERSED,
    ]
    first = events.EntryPosted.model_validate(later[0][1])
    assert (
        first.entry_id,
        first.payee,
        [(line.amount, line.currency) for line in first.postings],
    ) == (uuid.UUID(posted["id"]), "Bookshop", [("30.00", "EUR"), ("-30.00", "EUR")])
    reversed_ = events.EntryReversed.model_validate(later[2][1])
    assert (str(reversed_.entry_id), str(reversed_.reversal_entry_id)) == (
        posted["id"],
        reversal["id"],
    )


async def test_dispatcher_delivers_each_event_once_and_retries_a_failing_subscriber(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    dispatcher: Dispatcher = app.state.dispatcher
    received: list[EventEnvelope] = []
    failures = {"left": 2}

    async def flaky_subscriber(envelope: EventEnvelope) -> None:
        if envelope.org_id != tenant.org_id:
            return
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("subscriber is down")
        received.append(envelope)

    dispatcher.subscribe(events.ENTRY_POSTED, flaky_subscriber)
    posted = (
        await post(
            client,
            tenant,
            entry("2026-11-02", "Tea", (accounts["5020"], "4"), (accounts["1010"], "-4")),
        )
    ).json()
    for _ in range(200):
        if received:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    assert [str(e.data["entry_id"]) for e in received] == [posted["id"]]
    assert failures["left"] == 0
