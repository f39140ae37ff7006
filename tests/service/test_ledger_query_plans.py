"""Plans of the hot statements stay index lookups whatever the table statistics say."""

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from nexus.core.db import Database, driver_connection
from nexus.ledger import repository
from tests.support import set_up_ledger, sign_up

ENTRY_INDEXES = (
    "uq_entries_idempotency_key_org_id",
    "ix_entries_org_date_id",
    "uq_entries_reverses_entry_id",
    "pk_entries",
)


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found.extend(_nodes(child))
    return found


async def test_the_idempotency_key_lookup_probes_the_key_index(
    client: httpx.AsyncClient, app: FastAPI, backend: str
) -> None:
    """Without statistics (autovacuum off, a new org's first big import) a lookup of a
    batch's keys by `= ANY(...)` was planned as a scan of all the org's entries."""
    if backend != "postgres":
        pytest.skip("SQLite's posting context is read by other statements")
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    entries = [
        {
            "idempotency_key": f"plan-{n}",
            "date": "2026-05-04",
            "description": f"Coffee {n}",
            "postings": [
                {"account_id": accounts["5030"], "amount": "2.50", "currency": "EUR"},
                {"account_id": accounts["1010"], "amount": "-2.50", "currency": "EUR"},
            ],
        }
        for n in range(3000)
    ]
    posted = await client.post(
        "/api/v1/ledger/entries/batch", json={"entries": entries}, headers=tenant.headers
    )
    assert posted.status_code == 201, posted.text
    database: Database = app.state.databases["ledger"]
    keys = [f"new-{n}" for n in range(1000)] + ["plan-7"]
    async with database.reading() as session, driver_connection(session) as driver:
        explained = await driver.fetchval(
            "EXPLAIN (FORMAT JSON) " + repository._POSTGRESQL_CONTEXT,
            tenant.org_id,
            [uuid.UUID(accounts["1010"]), uuid.UUID(accounts["5030"])],
            keys,
        )
    # The pool's connections decode json themselves (SQLAlchemy's codec).
    plan = (explained if isinstance(explained, list) else json.loads(explained))[0]["Plan"]
    scans = [node for node in _nodes(plan) if node.get("Relation Name") == "entries"]
    indexes = {
        node["Index Name"]
        for node in _nodes(plan)
        if str(node.get("Index Name", "")).endswith(tuple(ENTRY_INDEXES))
    }
    assert scans, _outline(plan)
    # A probe per key (an index scan, or a bitmap scan of one key's rows), only ever in
    # the index led by the key: never a scan of the org's entries, nor of the table.
    assert {node["Node Type"] for node in scans} <= {"Index Scan", "Bitmap Heap Scan"}, _outline(
        plan
    )
    assert indexes == {"uq_entries_idempotency_key_org_id"}, _outline(plan)


def _outline(plan: dict[str, Any], depth: int = 0) -> str:
    """The plan's tree, one node a line, for a failure message."""
    line = "  " * depth + " ".join(
        str(plan.get(field, "")) for field in ("Node Type", "Relation Name", "Index Name")
    )
    return "\n".join([line, *(_outline(child, depth + 1) for child in plan.get("Plans", []))])
