"""Statement imports through the API: upload, preview, commit, duplicates, undo."""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from nexus.core.clock import utc_now
from nexus.gateway.app import create_app
from nexus.ingest import imports, repository
from nexus.ingest.models import import_batches
from nexus.ledger.client import LedgerClient, LedgerError
from tests.conftest import PostgresDatabases, make_settings
from tests.support import Tenant, entry, post, set_up_ledger, sign_up

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements"

CSV_NOVEMBER = b"""Date,Description,Amount
2026-11-02,Salary ACME GmbH,2500.00
2026-11-03,Corner Market 0412,-42.10
2026-11-05,Isar Fitness,-29.90
2026-11-05,Coffee Bar,-3.20
2026-11-05,Coffee Bar,-3.20
2026-11-09,Stadtwerke Strom,-61.00
"""

# Overlaps the November file by its last two lines, then adds one.
CSV_LATE_NOVEMBER = b"""Date,Description,Amount
2026-11-05,Coffee Bar,-3.20
2026-11-09,Stadtwerke Strom,-61.00
2026-11-12,Bookshop,-18.50
"""


async def upload(
    client: httpx.AsyncClient,
    tenant: Tenant,
    account_id: str,
    content: bytes,
    *,
    filename: str = "statement.csv",
    **form: str,
) -> httpx.Response:
    return await client.post(
        "/api/v1/imports",
        files={"file": (filename, content, "application/octet-stream")},
        data={"account_id": account_id, **form},
        headers=tenant.headers,
    )


async def commit(client: httpx.AsyncClient, tenant: Tenant, import_id: str) -> httpx.Response:
    return await client.post(f"/api/v1/imports/{import_id}/commit", headers=tenant.headers)


async def balance(client: httpx.AsyncClient, tenant: Tenant, account_id: str) -> Decimal:
    response = await client.get(
        f"/api/v1/ledger/accounts/{account_id}/balance", headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return sum((Decimal(item["amount"]) for item in response.json()["balances"]), Decimal(0))


async def lines_of(
    client: httpx.AsyncClient, tenant: Tenant, import_id: str
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/imports/{import_id}/lines", headers=tenant.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_csv_import_previews_then_commits_every_line_once(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    uploaded = await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)
    assert uploaded.status_code == 201, uploaded.text
    batch = uploaded.json()
    assert (batch["status"], batch["format"], batch["lines_total"], batch["lines_duplicate"]) == (
        "previewed",
        "csv",
        6,
        0,
    )
    preview = await lines_of(client, tenant, batch["id"])
    assert [(line["line_number"], line["amount"], line["status"]) for line in preview][:2] == [
        (2, "2500.00", "new"),
        (3, "-42.10", "new"),
    ]
    assert await balance(client, tenant, accounts["1010"]) == 0  # a preview posts nothing

    committed = await commit(client, tenant, batch["id"])
    assert committed.status_code == 200, committed.text
    result = committed.json()["result"]
    assert (result["posted"], result["matched"], result["duplicates"]) == (6, 0, 0)
    assert result["reconciliation_run_id"] is not None
    assert await balance(client, tenant, accounts["1010"]) == Decimal("2360.60")
    assert await balance(client, tenant, accounts["5900"]) == Decimal("-2360.60")
    posted = await lines_of(client, tenant, batch["id"])
    assert all(line["status"] == "posted" and line["entry_id"] for line in posted)
    assert len({line["entry_id"] for line in posted}) == 6  # the two coffees are two entries


async def test_reimporting_the_same_or_an_overlapping_file_never_duplicates(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    first = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    assert (await commit(client, tenant, first["id"])).status_code == 200

    again = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    assert (again["lines_total"], again["lines_duplicate"]) == (6, 6)
    assert (await commit(client, tenant, again["id"])).json()["result"]["posted"] == 0

    overlap = (await upload(client, tenant, accounts["1010"], CSV_LATE_NOVEMBER)).json()
    # The late file's single coffee is the first coffee of the 5th: already imported.
    assert overlap["lines_duplicate"] == 2
    result = (await commit(client, tenant, overlap["id"])).json()["result"]
    assert result["posted"] == 1
    assert await balance(client, tenant, accounts["1010"]) == Decimal("2342.10")


async def test_undo_reverses_the_batch_and_a_later_import_posts_it_again(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    batch = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    await commit(client, tenant, batch["id"])
    undone = await client.post(f"/api/v1/imports/{batch['id']}/undo", headers=tenant.headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "undone"
    assert await balance(client, tenant, accounts["1010"]) == 0
    assert {line["status"] for line in await lines_of(client, tenant, batch["id"])} == {"undone"}
    twice = await client.post(f"/api/v1/imports/{batch['id']}/undo", headers=tenant.headers)
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "import_state_conflict"

    again = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    assert again["lines_duplicate"] == 0
    assert (await commit(client, tenant, again["id"])).json()["result"]["posted"] == 6
    assert await balance(client, tenant, accounts["1010"]) == Decimal("2360.60")


async def test_undo_leaves_an_entry_a_person_reversed_by_hand_as_it_is(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    batch = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    await commit(client, tenant, batch["id"])
    first = (await lines_of(client, tenant, batch["id"]))[0]
    by_hand = await client.post(
        f"/api/v1/ledger/entries/{first['entry_id']}/reverse", headers=tenant.headers
    )
    assert by_hand.status_code == 201, by_hand.text

    undone = await client.post(f"/api/v1/imports/{batch['id']}/undo", headers=tenant.headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "undone"
    assert await balance(client, tenant, accounts["1010"]) == 0  # not reversed twice
    reversals = await client.get(
        "/api/v1/ledger/entries",
        params={"account_id": accounts["1010"], "q": "Reversal of"},
        headers=tenant.headers,
    )
    assert len(reversals.json()["items"]) == 6


async def test_a_hand_typed_entry_is_matched_on_commit_instead_of_posted_again(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    typed = await post(
        client,
        tenant,
        entry(
            "2026-11-02",
            "Groceries",
            (accounts["5020"], "42.10"),
            (accounts["1010"], "-42.10"),
            payee="Corner Market",
        ),
    )
    assert typed.status_code == 201
    batch = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    result = (await commit(client, tenant, batch["id"])).json()["result"]
    assert (result["matched"], result["posted"]) == (1, 5)
    lines = await lines_of(client, tenant, batch["id"])
    market = next(line for line in lines if line["description"].startswith("Corner Market"))
    assert (market["status"], market["entry_id"]) == ("matched", typed.json()["id"])
    assert await balance(client, tenant, accounts["1010"]) == Decimal("2360.60")


async def test_ofx_statement_balance_is_checked_against_the_ledger(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant, currency="USD")
    content = (FIXTURES / "ofx" / "bank_v1_sgml.ofx").read_bytes()
    batch = (await upload(client, tenant, accounts["1010"], content, filename="x.ofx")).json()
    assert batch["format"] == "ofx", batch
    assert batch["closing_balance"] is not None
    result = (await commit(client, tenant, batch["id"])).json()["result"]
    check = result["statement_check"]
    assert check["statement_balance"] == batch["closing_balance"]["amount"]
    # Nothing was in the ledger before: the difference is what the opening balance was.
    expected_difference = Decimal(check["ledger_balance"]) - Decimal(check["statement_balance"])
    assert Decimal(check["difference"]) == expected_difference
    assert check["matches"] is (expected_difference == 0)


async def test_bad_files_and_accounts_are_refused_clearly_and_leave_nothing(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    bad_date = await upload(
        client, tenant, accounts["1010"], (FIXTURES / "csv" / "bad_date_line5.csv").read_bytes()
    )
    assert bad_date.status_code == 422, bad_date.text
    error = bad_date.json()["error"]
    assert error["code"] == "statement_unreadable"
    assert error["details"]["line"] == 5
    corrupt = await upload(
        client, tenant, accounts["1010"], (FIXTURES / "ofx" / "corrupt.ofx").read_bytes()
    )
    assert corrupt.status_code == 422
    empty = await upload(client, tenant, accounts["1010"], b"")
    assert empty.status_code == 422
    expense = await upload(client, tenant, accounts["5020"], CSV_NOVEMBER)
    assert expense.status_code == 422
    assert expense.json()["error"]["code"] == "import_account_invalid"
    listed = await client.get("/api/v1/imports", headers=tenant.headers)
    assert {item["status"] for item in listed.json()["items"]} <= {"failed"}
    assert await balance(client, tenant, accounts["1010"]) == 0


async def test_another_organisations_import_is_404(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    accounts = await set_up_ledger(client, owner)
    batch = (await upload(client, owner, accounts["1010"], CSV_NOVEMBER)).json()
    stranger = await sign_up(client)
    await set_up_ledger(client, stranger)
    for method, path in (
        ("GET", f"/api/v1/imports/{batch['id']}"),
        ("GET", f"/api/v1/imports/{batch['id']}/lines"),
        ("POST", f"/api/v1/imports/{batch['id']}/commit"),
        ("POST", f"/api/v1/imports/{batch['id']}/undo"),
    ):
        response = await client.request(method, path, headers=stranger.headers)
        assert response.status_code == 404, (path, response.text)
    foreign_account = await upload(client, stranger, accounts["1010"], CSV_NOVEMBER)
    assert foreign_account.status_code == 422
    assert foreign_account.json()["error"]["code"] == "import_account_invalid"


async def _app_with(
    backend: str, tmp_path: Path, databases: PostgresDatabases, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    settings = await make_settings(backend, tmp_path, databases)
    application = create_app(settings.model_copy(update=overrides))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://nexus.test") as http:
            yield http


@pytest.fixture
async def small_chunks(
    backend: str, tmp_path: Path, postgres_databases: PostgresDatabases
) -> AsyncIterator[httpx.AsyncClient]:
    """A Nexus that stores and posts imports two lines at a time."""
    async for http in _app_with(backend, tmp_path, postgres_databases, import_chunk_lines=2):
        yield http


@pytest.fixture
async def tight_limits(
    backend: str, tmp_path: Path, postgres_databases: PostgresDatabases
) -> AsyncIterator[httpx.AsyncClient]:
    """A Nexus taking JSON bodies up to 1 MiB and statements up to 8 MiB."""
    async for http in _app_with(
        backend,
        tmp_path,
        postgres_databases,
        request_body_bytes_max=1024 * 1024,
        import_bytes_max=8 * 1024 * 1024,
    ):
        yield http


async def test_an_undo_interrupted_between_chunks_finishes_without_reversing_twice(
    small_chunks: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = small_chunks
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    batch = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    assert (await commit(client, tenant, batch["id"])).status_code == 200
    real_reverse_batch = LedgerClient.reverse_batch
    calls = 0

    async def fail_on_second_chunk(self: LedgerClient, items: Any, **options: Any) -> Any:
        nonlocal calls
        calls += 1
        assert len(items) <= 2  # one call per chunk of lines
        if calls == 2:
            raise LedgerError(503, "service_unavailable", "The ledger is restarting.", {})
        return await real_reverse_batch(self, items, **options)

    monkeypatch.setattr(LedgerClient, "reverse_batch", fail_on_second_chunk)
    interrupted = await client.post(f"/api/v1/imports/{batch['id']}/undo", headers=tenant.headers)
    assert interrupted.status_code == 503, interrupted.text
    state = (await client.get(f"/api/v1/imports/{batch['id']}", headers=tenant.headers)).json()
    assert state["status"] == "undoing"

    monkeypatch.setattr(LedgerClient, "reverse_batch", real_reverse_batch)
    resumed = await client.post(f"/api/v1/imports/{batch['id']}/undo", headers=tenant.headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "undone"
    assert await balance(client, tenant, accounts["1010"]) == 0
    reversals = await client.get(
        "/api/v1/ledger/entries",
        params={"account_id": accounts["1010"], "q": "Reversal of"},
        headers=tenant.headers,
    )
    assert len(reversals.json()["items"]) == 6  # the first chunk was replayed, not redone


async def test_a_commit_interrupted_between_chunks_resumes_without_posting_twice(
    small_chunks: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = small_chunks
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    batch = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    real_post_batch = LedgerClient.post_batch_rows
    calls = 0

    async def fail_on_second_chunk(self: LedgerClient, entries: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:  # the ledger goes away after the first chunk was posted
            raise LedgerError(503, "service_unavailable", "The ledger is restarting.", {})
        return await real_post_batch(self, entries)

    monkeypatch.setattr(LedgerClient, "post_batch_rows", fail_on_second_chunk)
    interrupted = await commit(client, tenant, batch["id"])
    assert interrupted.status_code == 503, interrupted.text
    assert interrupted.json()["error"]["code"] == "ledger_unavailable"
    state = (await client.get(f"/api/v1/imports/{batch['id']}", headers=tenant.headers)).json()
    assert state["status"] == "committing"
    assert state["error"]["details"]["ledger_code"] == "service_unavailable"
    # Chunk one is in the books; chunk three may be too (it was in flight beside two).
    assert await balance(client, tenant, accounts["1010"]) in (
        Decimal("2457.90"),
        Decimal("2393.70"),
    )

    monkeypatch.setattr(LedgerClient, "post_batch_rows", real_post_batch)
    resumed = await commit(client, tenant, batch["id"])
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "committed"
    assert resumed.json()["result"]["posted"] == 6
    assert await balance(client, tenant, accounts["1010"]) == Decimal("2360.60")
    verify = await client.get(
        "/api/v1/ledger/entries", params={"account_id": accounts["1010"]}, headers=tenant.headers
    )
    assert len(verify.json()["items"]) == 6


def _ofx_on_one_line(transactions: int) -> bytes:
    """An OFX 1.x statement whose body is a single line, as several banks write it."""
    header = b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nCHARSET:1252"
    rows = "".join(
        f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>202401{day:02d}<TRNAMT>-{day}.25"
        f"<FITID>ONE-{day}<NAME>SHOP {day}</STMTTRN>"
        for day in range(1, transactions + 1)
    )
    body = (
        "<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>"
        "<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>1<ACCTID>2<ACCTTYPE>CHECKING</BANKACCTFROM>"
        f"<BANKTRANLIST><DTSTART>20240101<DTEND>20240131{rows}</BANKTRANLIST>"
        "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    return header + b"\n\n" + body.encode()


async def test_lines_sharing_one_line_number_are_all_committed_and_listed(
    small_chunks: httpx.AsyncClient,
) -> None:
    """Chunks and pages follow each line's position, not its line number."""
    client = small_chunks  # two lines per chunk: every chunk boundary falls inside the run
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant, currency="USD")
    content = _ofx_on_one_line(7)
    batch = (await upload(client, tenant, accounts["1010"], content, filename="one.ofx")).json()
    assert batch["status"] == "previewed", batch
    pages: list[dict[str, Any]] = []
    cursor = "0"
    while cursor is not None:
        page = await client.get(
            f"/api/v1/imports/{batch['id']}/lines",
            params={"limit": 3, "cursor": cursor},
            headers=tenant.headers,
        )
        assert page.status_code == 200, page.text
        pages.extend(page.json()["items"])
        cursor = page.json()["next_cursor"]
    assert [line["reference"] for line in pages] == [f"ONE-{day}" for day in range(1, 8)]
    assert len({line["line_number"] for line in pages}) == 1
    committed = await commit(client, tenant, batch["id"])
    assert committed.status_code == 200, committed.text
    assert committed.json()["result"]["posted"] == 7
    expected = -sum(Decimal(f"{day}.25") for day in range(1, 8))
    assert await balance(client, tenant, accounts["1010"]) == expected


async def test_a_parse_or_commit_whose_process_died_is_marked_and_the_commit_resumes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    parsing = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    committing = (await upload(client, tenant, accounts["1010"], CSV_LATE_NOVEMBER)).json()
    database = app.state.databases["ingest"]
    long_ago = utc_now() - timedelta(hours=1)
    # What a killed process leaves behind: a batch half-way, untouched since.
    async with database.transaction() as session:
        for batch_id, status in ((parsing["id"], "parsing"), (committing["id"], "committing")):
            await session.execute(
                update(import_batches)
                .where(import_batches.c.id == uuid.UUID(batch_id))
                .values(status=status, updated_at=long_ago)
            )
    assert await imports.recover_once(database, now=utc_now()) >= 2

    failed = (await client.get(f"/api/v1/imports/{parsing['id']}", headers=tenant.headers)).json()
    assert (failed["status"], failed["error"]["code"]) == ("failed", "import_interrupted")
    assert await lines_of(client, tenant, parsing["id"]) == []
    waiting = (
        await client.get(f"/api/v1/imports/{committing['id']}", headers=tenant.headers)
    ).json()
    assert (waiting["status"], waiting["error"]["code"]) == ("committing", "import_interrupted")
    resumed = await commit(client, tenant, committing["id"])
    assert resumed.json()["status"] == "committed"
    assert resumed.json()["result"]["posted"] == 3


async def test_uploads_have_their_own_size_limit_above_the_json_body_limit(
    tight_limits: httpx.AsyncClient,
) -> None:
    client = tight_limits
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    row = "2026-10-{day:02d},Shop {n} " + "x" * 60 + ",-1.00\n"
    rows = "".join(row.format(day=1 + n % 28, n=n) for n in range(40_000))
    three_mb = ("Date,Description,Amount\n" + rows).encode()
    accepted = await upload(client, tenant, accounts["1010"], three_mb)
    assert accepted.status_code in (201, 202), accepted.text
    too_big = await upload(client, tenant, accounts["1010"], three_mb * 3)
    assert too_big.status_code == 413
    json_body = {"entries": [{"note": "x" * 2_000_000}]}
    refused = await client.post(
        "/api/v1/ledger/entries/batch", json=json_body, headers=tenant.headers
    )
    assert refused.status_code == 413


async def test_a_saved_csv_profile_reads_the_next_file_with_the_same_header(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    export = b"A;B;C\n03.11.26;Corner Market;-42,10\n05.11.26;Isar Fitness;-1.029,90\n"
    unreadable = await upload(client, tenant, accounts["1010"], export)
    assert unreadable.status_code == 422
    assert "CSV profile" in unreadable.json()["error"]["message"]
    mapping = {
        "delimiter": ";",
        "date_column": "A",
        "date_format": "%d.%m.%y",
        "amount_column": "C",
        "decimal_separator": ",",
        "thousands_separator": ".",
        "description_columns": ["B"],
    }
    preview = await client.post(
        "/api/v1/imports/csv-preview",
        files={"file": ("export.csv", export, "text/csv")},
        data={"profile": json.dumps(mapping), "account_id": accounts["1010"]},
        headers=tenant.headers,
    )
    assert preview.status_code == 200, preview.text
    assert [line["amount"] for line in preview.json()["lines"]] == ["-42.10", "-1029.90"]
    saved = await client.post(
        "/api/v1/imports/profiles",
        json={
            "account_id": accounts["1010"],
            "name": "Sparkasse",
            "header": ["A", "B", "C"],
            "profile": mapping,
        },
        headers=tenant.headers,
    )
    assert saved.status_code == 201, saved.text
    suggested = await client.post(
        "/api/v1/imports/csv-preview",
        files={"file": ("export.csv", export, "text/csv")},
        data={"account_id": accounts["1010"]},
        headers=tenant.headers,
    )
    assert suggested.json()["profile"]["date_column"] == "A"  # the saved one, not a guess
    assert suggested.json()["error"] is None
    readable = await upload(client, tenant, accounts["1010"], export)
    assert readable.status_code == 201, readable.text
    assert readable.json()["lines_total"] == 2
    lines = await lines_of(client, tenant, readable.json()["id"])
    assert [(line["date"], line["amount"]) for line in lines] == [
        ("2026-11-03", "-42.10"),
        ("2026-11-05", "-1029.90"),
    ]


async def test_a_file_matched_window_by_window_finds_the_same_matches(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "RECONCILE_LINES_MAX", 2)
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    for day, payee, amount in (
        ("2026-11-02", "Corner Market", "42.10"),
        ("2026-11-09", "Stadtwerke", "61.00"),
    ):
        typed = await post(
            client,
            tenant,
            entry(
                day,
                "Typed",
                (accounts["5020"], amount),
                (accounts["1010"], f"-{amount}"),
                payee=payee,
            ),
        )
        assert typed.status_code == 201
    batch = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    result = (await commit(client, tenant, batch["id"])).json()["result"]
    assert (result["matched"], result["posted"]) == (2, 4)
    run = (
        await client.get(
            f"/api/v1/reconciliation/runs/{result['reconciliation_run_id']}", headers=tenant.headers
        )
    ).json()
    assert len(run["matches"]) == 2  # three windows, one run
    assert await balance(client, tenant, accounts["1010"]) == Decimal("2360.60")


CSV_EVERY_FIELD = (
    "Buchungstag;Valuta;Empfänger;Verwendungszweck;IBAN;Referenz;Betrag\n"
    "02.11.2026;03.11.2026;Bäckerei Müller;Brötchen & Café €;DE02120300000000202051;R-1;-3,20\n"
    '04.11.2026;;"Shop; Inc.";"zwei\nZeilen";;;"1.234,50"\n'
    "05.11.2026;;;Gutschrift;;R-3;12,00\n"
).encode()


async def test_stored_lines_are_the_same_on_every_database(client: httpx.AsyncClient) -> None:
    """PostgreSQL stores lines by COPY, SQLite by executemany: the lines must not differ."""
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    batch = (await upload(client, tenant, accounts["1010"], CSV_EVERY_FIELD)).json()
    assert batch["status"] == "previewed", batch
    stored = [
        {key: line[key] for key in line if key not in ("id", "entry_id", "match_id")}
        for line in await lines_of(client, tenant, batch["id"])
    ]
    assert stored == [
        {
            "line_number": 2,
            "date": "2026-11-02",
            "value_date": "2026-11-03",
            "amount": "-3.20",
            "currency": "EUR",
            "description": "Brötchen & Café €",
            "payee": "Bäckerei Müller",
            "reference": "R-1",
            "counterparty_account": "DE02120300000000202051",
            "raw": "02.11.2026;03.11.2026;Bäckerei Müller;Brötchen & Café €;"
            "DE02120300000000202051;R-1;-3,20",
            "status": "new",
        },
        {
            "line_number": 3,
            "date": "2026-11-04",
            "value_date": None,
            "amount": "1234.50",
            "currency": "EUR",
            "description": "zwei\nZeilen",
            "payee": "Shop; Inc.",
            "reference": None,
            "counterparty_account": None,
            "raw": '04.11.2026;;"Shop; Inc.";"zwei\nZeilen";;;"1.234,50"',
            "status": "new",
        },
        {
            "line_number": 5,
            "date": "2026-11-05",
            "value_date": None,
            "amount": "12.00",
            "currency": "EUR",
            "description": "Gutschrift",
            "payee": None,
            "reference": "R-3",
            "counterparty_account": None,
            "raw": "05.11.2026;;;Gutschrift;;R-3;12,00",
            "status": "new",
        },
    ]
    committed = (await commit(client, tenant, batch["id"])).json()
    assert committed["result"]["posted"] == 3
    posted = await lines_of(client, tenant, batch["id"])
    assert all(line["status"] == "posted" and line["entry_id"] for line in posted)
    assert await balance(client, tenant, accounts["1010"]) == Decimal("1243.30")


async def test_two_previews_of_one_file_post_it_once_whichever_commits_first(
    client: httpx.AsyncClient,
) -> None:
    """Both previews see no duplicate; the keys claimed at commit decide, in the database."""
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    first = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    second = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()
    assert (first["lines_duplicate"], second["lines_duplicate"]) == (0, 0)
    assert (await commit(client, tenant, first["id"])).json()["result"]["posted"] == 6
    result = (await commit(client, tenant, second["id"])).json()["result"]
    assert (result["posted"], result["duplicates"]) == (0, 6)
    assert {line["status"] for line in await lines_of(client, tenant, second["id"])} == {
        "duplicate"
    }
    assert await balance(client, tenant, accounts["1010"]) == Decimal("2360.60")


async def test_a_file_on_an_account_without_entries_is_not_matched_line_by_line(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No open entry in the file's dates: no window is read, the run still counts the lines."""
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    batch = (await upload(client, tenant, accounts["1010"], CSV_NOVEMBER)).json()

    async def no_window(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("an account without entries needs no matching window")

    monkeypatch.setattr(imports, "_reconcile_windows", no_window)
    result = (await commit(client, tenant, batch["id"])).json()["result"]
    assert result["posted"] == 6
    run_id = result["reconciliation_run_id"]
    run = await client.get(f"/api/v1/reconciliation/runs/{run_id}", headers=tenant.headers)
    assert run.status_code == 200, run.text
    assert (run.json()["from"], run.json()["to"]) == ("2026-10-26", "2026-11-16")


class _Refused(Exception):
    """Raised inside a transaction to roll it back."""


async def test_lines_stored_in_bulk_belong_to_their_transaction(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """COPY on PostgreSQL runs in the session's transaction, even as its first statement."""
    tenant = await sign_up(client)
    accounts = await set_up_ledger(client, tenant)
    batch = (await upload(client, tenant, accounts["1010"], CSV_LATE_NOVEMBER)).json()
    batch_id, org_id = uuid.UUID(batch["id"]), tenant.org_id
    database = app.state.databases["ingest"]
    rows = [
        (
            uuid.uuid4(),
            org_id,
            uuid.UUID(accounts["1010"]),
            batch_id,
            100 + number,
            3 + number,  # after the upload's own three lines
            date(2026, 12, number),
            None,
            -number * 100,
            "EUR",
            f"Line {number}",
            "Payee" if number % 2 else None,
            None,
            None,
            f"raw {number}",
            f"test:{uuid.uuid4().hex}",
            "new",
        )
        for number in (1, 2)
    ]

    async def store_then_fail() -> None:
        async with database.transaction() as session:
            await repository.copy_lines(session, rows=rows)
            raise _Refused

    with pytest.raises(_Refused):
        await store_then_fail()
    assert len(await lines_of(client, tenant, batch["id"])) == 3  # the upload's own

    async with database.transaction() as session:
        await repository.copy_lines(session, rows=rows)
    stored = (await lines_of(client, tenant, batch["id"]))[3:]
    assert [
        (line["line_number"], line["date"], line["amount"], line["payee"], line["raw"])
        for line in stored
    ] == [
        (101, "2026-12-01", "-1.00", "Payee", "raw 1"),
        (102, "2026-12-02", "-2.00", None, "raw 2"),
    ]
