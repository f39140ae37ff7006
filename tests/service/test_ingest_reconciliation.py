"""Reconciliation through the API: proposals wait for a person, decisions, manual matches."""

from decimal import Decimal
from typing import Any

import httpx

from tests.service.test_ingest_imports import balance, commit, lines_of, upload
from tests.support import Tenant, add_member, entry, post, set_up_ledger, sign_up

# Two hand-typed entries of 50.00 a day apart make the 50.00 bank line ambiguous.
STATEMENT = b"""Date,Description,Amount,Reference
2026-11-03,DM Drogerie Markt,-50.00,
2026-11-10,Rent November,-900.00,RENT-11
2026-11-12,Unknown transfer,-12.34,
"""


async def _typed(client: httpx.AsyncClient, tenant: Tenant, accounts: dict[str, str]) -> list[str]:
    ids = []
    for day, payee, amount, reference in (
        ("2026-11-02", "Pharmacy", "50.00", None),
        ("2026-11-03", "Bakery", "50.00", None),
        ("2026-11-10", "Landlord", "900.00", "RENT-11"),
    ):
        extra: dict[str, Any] = {"payee": payee}
        if reference:
            extra["reference"] = reference
        response = await post(
            client,
            tenant,
            entry(
                day,
                "Typed by hand",
                (accounts["5010"], amount),
                (accounts["1010"], f"-{amount}"),
                **extra,
            ),
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def _run(client: httpx.AsyncClient, tenant: Tenant, run_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/reconciliation/runs/{run_id}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_commit_links_sure_matches_and_leaves_ambiguous_ones_for_a_person(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    pharmacy, bakery, rent = await _typed(client, tenant, accounts)
    batch = (await upload(client, tenant, accounts["1010"], STATEMENT)).json()
    result = (await commit(client, tenant, batch["id"])).json()["result"]
    assert (result["matched"], result["proposed"], result["posted"]) == (1, 1, 1)
    run = await _run(client, tenant, result["reconciliation_run_id"])
    by_status = {match["status"]: match for match in run["matches"]}
    assert by_status["auto_accepted"]["entry_ids"] == [rent]
    assert "reference_equal" in by_status["auto_accepted"]["reasons"]
    proposal = by_status["proposed"]
    assert proposal["entry_ids"][0] in (pharmacy, bakery)
    assert proposal["confidence"] < 0.95
    # Nothing waits silently: the ambiguous line is not in the books twice.
    assert await balance(client, tenant, accounts["1010"]) == Decimal("-1012.34")

    accepted = await client.post(
        f"/api/v1/reconciliation/matches/{proposal['id']}/accept", headers=tenant.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    again = await client.post(
        f"/api/v1/reconciliation/matches/{proposal['id']}/accept", headers=tenant.headers
    )
    assert again.status_code == 409
    lines = {line["description"]: line for line in await lines_of(client, tenant, batch["id"])}
    assert lines["DM Drogerie Markt"]["status"] == "matched"
    assert lines["DM Drogerie Markt"]["entry_id"] == proposal["entry_ids"][0]
    after = await _run(client, tenant, result["reconciliation_run_id"])
    assert after["totals"]["proposed"] == 0
    # One of the two 50.00 entries is still open on the ledger side.
    assert after["totals"]["unmatched_entries"] == 1
    assert after["totals"]["unmatched_entries_amount"] == "-50.00"


async def test_rejected_line_can_be_matched_by_hand_or_posted_as_a_new_entry(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    pharmacy, bakery, _ = await _typed(client, tenant, accounts)
    batch = (await upload(client, tenant, accounts["1010"], STATEMENT)).json()
    run_id = (await commit(client, tenant, batch["id"])).json()["result"]["reconciliation_run_id"]
    proposal = next(
        m for m in (await _run(client, tenant, run_id))["matches"] if m["status"] == "proposed"
    )
    rejected = await client.post(
        f"/api/v1/reconciliation/matches/{proposal['id']}/reject", headers=tenant.headers
    )
    assert rejected.json()["status"] == "rejected"
    line = proposal["bank_line_ids"][0]

    wrong_amount = await client.post(
        f"/api/v1/reconciliation/runs/{run_id}/matches",
        json={"bank_line_ids": [line], "entry_ids": [pharmacy, bakery]},
        headers=tenant.headers,
    )
    assert wrong_amount.status_code == 422
    assert wrong_amount.json()["error"]["code"] == "invalid_manual_match"
    manual = await client.post(
        f"/api/v1/reconciliation/runs/{run_id}/matches",
        json={"bank_line_ids": [line], "entry_ids": [bakery]},
        headers=tenant.headers,
    )
    assert manual.status_code == 201, manual.text
    assert (manual.json()["kind"], manual.json()["status"]) == ("manual", "accepted")
    taken = await client.post(
        f"/api/v1/reconciliation/runs/{run_id}/matches",
        json={"bank_line_ids": [line], "entry_ids": [pharmacy]},
        headers=tenant.headers,
    )
    assert taken.status_code == 422  # the line is matched already

    # A fresh run over the month: nothing open on the bank side is left to match.
    fresh = await client.post(
        "/api/v1/reconciliation/runs",
        json={"account_id": accounts["1010"], "from": "2026-11-01", "to": "2026-11-30"},
        headers=tenant.headers,
    )
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["totals"]["unmatched_lines"] == 0


async def test_unmatched_lines_become_entries_in_one_action(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    await _typed(client, tenant, accounts)
    batch = (await upload(client, tenant, accounts["1010"], STATEMENT)).json()
    run_id = (await commit(client, tenant, batch["id"])).json()["result"]["reconciliation_run_id"]
    proposal = next(
        m for m in (await _run(client, tenant, run_id))["matches"] if m["status"] == "proposed"
    )
    await client.post(
        f"/api/v1/reconciliation/matches/{proposal['id']}/reject", headers=tenant.headers
    )
    open_lines = await client.get(
        "/api/v1/reconciliation/lines",
        params={"account_id": accounts["1010"], "status": "unmatched"},
        headers=tenant.headers,
    )
    ids = [line["id"] for line in open_lines.json()["items"]]
    assert len(ids) == 1
    posted = await client.post(
        "/api/v1/reconciliation/lines/post",
        json={"bank_line_ids": ids, "counter_account_id": accounts["5020"]},
        headers=tenant.headers,
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["posted"] == 1
    assert await balance(client, tenant, accounts["5020"]) == Decimal("50.00")
    twice = await client.post(
        "/api/v1/reconciliation/lines/post", json={"bank_line_ids": ids}, headers=tenant.headers
    )
    assert twice.status_code == 409


async def test_report_as_csv_lists_matches_and_what_is_left_on_each_side(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    await _typed(client, tenant, accounts)
    batch = (await upload(client, tenant, accounts["1010"], STATEMENT)).json()
    run_id = (await commit(client, tenant, batch["id"])).json()["result"]["reconciliation_run_id"]
    report = await client.get(
        f"/api/v1/reconciliation/runs/{run_id}/report",
        params={"format": "csv"},
        headers=tenant.headers,
    )
    assert report.status_code == 200, report.text
    assert report.headers["content-type"].startswith("text/csv")
    rows = [line.split(",") for line in report.text.strip().splitlines()]
    sections = [row[0] for row in rows[1:]]
    assert sections.count("match") == 2
    assert sections.count("unmatched_bank_line") == 1  # the proposal still waits
    assert sections.count("unmatched_entry") == 2  # the two 50.00 entries
    assert rows[-1][0] == "total_unmatched_entries"
    assert rows[-1][4] == "-100.00"
    as_json = await client.get(
        f"/api/v1/reconciliation/runs/{run_id}/report", headers=tenant.headers
    )
    assert as_json.json()["totals"]["unmatched_entries"] == 2


async def test_viewer_reads_runs_but_cannot_decide_and_strangers_get_404(
    client: httpx.AsyncClient,
) -> None:
    owner = await sign_up(client)
    accounts = await set_up_ledger(client, owner)
    await _typed(client, owner, accounts)
    batch = (await upload(client, owner, accounts["1010"], STATEMENT)).json()
    run_id = (await commit(client, owner, batch["id"])).json()["result"]["reconciliation_run_id"]
    proposal = next(
        m for m in (await _run(client, owner, run_id))["matches"] if m["status"] == "proposed"
    )
    viewer = await add_member(client, owner, role="viewer")
    assert (
        await client.get(f"/api/v1/reconciliation/runs/{run_id}", headers=viewer.headers)
    ).status_code == 200
    denied = await client.post(
        f"/api/v1/reconciliation/matches/{proposal['id']}/accept", headers=viewer.headers
    )
    assert denied.status_code == 403
    refused_upload = await upload(client, viewer, accounts["1010"], STATEMENT)
    assert refused_upload.status_code == 403

    stranger = await sign_up(client)
    await set_up_ledger(client, stranger)
    for method, path in (
        ("GET", f"/api/v1/reconciliation/runs/{run_id}"),
        ("GET", f"/api/v1/reconciliation/runs/{run_id}/report"),
        ("POST", f"/api/v1/reconciliation/matches/{proposal['id']}/accept"),
        ("POST", f"/api/v1/reconciliation/matches/{proposal['id']}/reject"),
    ):
        response = await client.request(method, path, headers=stranger.headers)
        assert response.status_code == 404, (path, response.text)
    foreign_run = await client.post(
        "/api/v1/reconciliation/runs",
        json={"account_id": accounts["1010"]},
        headers=stranger.headers,
    )
    assert foreign_run.status_code == 422
