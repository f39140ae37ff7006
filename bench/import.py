"""Statement import through a real `nexus up`: a large CSV and a large OFX, end to end.

For each file: upload it (multipart, streamed), let the server parse it (the import
job reports progress), commit it (reconcile against the account, post through the
ledger's batch endpoint), and read back the account's balance, which must equal the
sum of the file. Peak RSS of the Nexus process is sampled throughout. One JSON line
per file on stdout; progress on stderr.

    .venv/bin/python bench/import.py                      # 1,000,000-line CSV + 100,000 OFX
    .venv/bin/python bench/import.py --csv-lines 100000 --ofx-transactions 20000
    .venv/bin/python bench/import.py --csv-lines 0 --ofx-transactions 20000 --undo
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import common  # bench/common.py: run this file as a script, bench/ is on sys.path
import httpx
from common import emit, log

TARGETS = {
    "csv": {"seconds_max": 60, "peak_rss_mb_max": 500},
    "ofx": {"seconds_max": 15},
}
DAY0 = date(2024, 1, 1)
PAYEES = ("Corner Market", "Isar Fitness", "Stadtwerke", "Coffee Bar", "Bookshop", "Pharmacy")


def write_csv(path: Path, lines: int, rng: random.Random) -> int:
    """Write a bank export of `lines` rows; return their sum in cents."""
    total = 0
    with path.open("w") as out:
        out.write("Date,Description,Amount,Reference\n")
        for n in range(lines):
            cents = rng.randrange(-20_000, 30_000) or 1
            total += cents
            day = DAY0 + timedelta(days=n * 1000 // max(lines, 1))
            sign = "-" if cents < 0 else ""
            amount = f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
            out.write(f"{day.isoformat()},{rng.choice(PAYEES)} {n % 997},{amount},TX{n:08d}\n")
    return total


def write_ofx(path: Path, transactions: int, rng: random.Random) -> int:
    """Write an OFX 1.x bank statement; return the sum of its amounts in cents."""
    total = 0
    rows = []
    for n in range(transactions):
        cents = rng.randrange(-20_000, 30_000) or 1
        total += cents
        day = DAY0 + timedelta(days=n * 700 // max(transactions, 1))
        sign = "-" if cents < 0 else ""
        amount = f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
        rows.append(
            "<STMTTRN><TRNTYPE>OTHER"
            f"<DTPOSTED>{day.strftime('%Y%m%d')}<TRNAMT>{amount}"
            f"<FITID>F{n:09d}<NAME>{rng.choice(PAYEES)}<MEMO>Card {n % 97}</STMTTRN>\n"
        )
    head = (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n"
        "CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
        "<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
        "<DTSERVER>20260101<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>"
        "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>"
        "<STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>1<ACCTID>2<ACCTTYPE>CHECKING</BANKACCTFROM>"
        "<BANKTRANLIST><DTSTART>20240101<DTEND>20260101\n"
    )
    tail = (
        f"</BANKTRANLIST><LEDGERBAL><BALAMT>{total // 100}.{total % 100:02d}"
        "<DTASOF>20260101</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    )
    path.write_text(head + "".join(rows) + tail)
    return total


class PeakRss:
    """Samples the Nexus processes' RSS in the background."""

    def __init__(self, deployment: common.Deployment) -> None:
        self.deployment = deployment
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            rss = sum(server.rss_bytes() for server in self.deployment.servers)
            self.peak = max(self.peak, rss)
            await asyncio.sleep(0.2)

    def __enter__(self) -> PeakRss:
        self._task = asyncio.ensure_future(self._sample())
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()


async def wait_while(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], working: str
) -> dict[str, Any]:
    last = -1.0
    while True:
        batch = (await client.get(url, headers=headers)).json()
        if batch["status"] != working:
            return batch
        percent = batch["progress"]["percent"]
        if percent >= last + 10:
            log(f"  {working}: {percent:.0f} %")
            last = percent
        await asyncio.sleep(0.5)


async def undo_import(
    client: httpx.AsyncClient, tenant: common.Tenant, batch_url: str, account_id: str
) -> dict[str, Any]:
    """Undo the committed import; the account must be back at zero."""
    log("  undoing")
    started = time.perf_counter()
    undone = await client.post(f"{batch_url}/undo", headers=await tenant.fresh_headers(client))
    if undone.status_code not in (200, 202):
        raise RuntimeError(f"undo failed: {undone.status_code} {undone.text[:500]}")
    batch = await wait_while(client, batch_url, tenant.headers, "undoing")
    seconds = time.perf_counter() - started
    base = batch_url.split("/api/v1/")[0]
    balance = (
        await client.get(
            f"{base}/api/v1/ledger/accounts/{account_id}/balance",
            headers=await tenant.fresh_headers(client),
        )
    ).json()["balances"]
    return {
        "status": batch["status"],
        "seconds": round(seconds, 2),
        "balance_back_to_zero": all(Decimal(item["amount"]) == 0 for item in balance),
    }


async def import_file(
    deployment: common.Deployment,
    client: httpx.AsyncClient,
    tenant: common.Tenant,
    account_id: str,
    path: Path,
    *,
    kind: str,
    lines: int,
    expected_cents: int,
    undo_too: bool,
) -> dict[str, Any]:
    base = deployment.ledger_url
    common.wait_for_quiet(30)
    with PeakRss(deployment) as rss, common.CpuMeter(deployment) as cpu:
        started = time.perf_counter()
        with path.open("rb") as handle:
            uploaded = await client.post(
                f"{base}/api/v1/imports",
                files={"file": (path.name, handle, "application/octet-stream")},
                data={"account_id": account_id},
                headers=await tenant.fresh_headers(client),
            )
        if uploaded.status_code not in (201, 202):
            raise RuntimeError(f"upload failed: {uploaded.status_code} {uploaded.text[:500]}")
        batch_url = f"{base}/api/v1/imports/{uploaded.json()['id']}"
        batch = await wait_while(client, batch_url, tenant.headers, "parsing")
        parsed = time.perf_counter()
        if batch["status"] != "previewed":
            raise RuntimeError(f"parse failed: {batch}")
        committed = await client.post(
            f"{batch_url}/commit", headers=await tenant.fresh_headers(client)
        )
        if committed.status_code not in (200, 202):
            raise RuntimeError(f"commit failed: {committed.status_code} {committed.text[:500]}")
        batch = await wait_while(client, batch_url, tenant.headers, "committing")
        finished = time.perf_counter()
    balance = (
        await client.get(
            f"{base}/api/v1/ledger/accounts/{account_id}/balance",
            headers=await tenant.fresh_headers(client),
        )
    ).json()["balances"]
    booked = sum(Decimal(item["amount"]) for item in balance)
    undo = await undo_import(client, tenant, batch_url, account_id) if undo_too else None
    seconds = finished - started
    target = TARGETS[kind]
    peak_mb = rss.peak / 1e6
    meets = seconds < target["seconds_max"] and peak_mb < target.get("peak_rss_mb_max", 1e9)
    return {
        "bench": "import",
        "format": kind,
        "backend": deployment.backend,
        "params": {"lines": lines, "file_bytes": path.stat().st_size},
        "results": {
            "status": batch["status"],
            "posted": (batch.get("result") or {}).get("posted"),
            "parse_seconds": round(parsed - started, 2),
            "commit_seconds": round(finished - parsed, 2),
            "seconds": round(seconds, 2),
            "lines_per_s": round(lines / seconds),
            "peak_rss_mb": round(peak_mb, 1),
            "balance_matches_file": booked == Decimal(expected_cents) / 100,
            "cpu": cpu.summary(),
            "undo": undo,
        },
        "targets": target,
        "meets_target": meets and booked == Decimal(expected_cents) / 100,
    }


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    work = common.temp_dir("import")
    files = []
    if args.csv_lines:
        path = work / "statement.csv"
        log(f"writing a {args.csv_lines:,}-line CSV")
        files.append(("csv", path, args.csv_lines, write_csv(path, args.csv_lines, rng)))
    if args.ofx_transactions:
        path = work / "statement.ofx"
        log(f"writing an OFX of {args.ofx_transactions:,} transactions")
        files.append(
            ("ofx", path, args.ofx_transactions, write_ofx(path, args.ofx_transactions, rng))
        )
    env = await common.postgres_env()
    env["NEXUS_IMPORT_WAIT_SECONDS"] = "1"
    (work / "data").mkdir()
    profile_path = args.profile_dir / "import.prof" if args.profile_dir else None
    deployment = common.start_embedded(
        work / "data", env=env, log_level=args.server_log_level, profile_path=profile_path
    )
    try:
        async with httpx.AsyncClient(timeout=600) as client:
            for kind, path, lines, cents in files:
                tenant = await common.sign_up(client, deployment.auth_url)
                accounts = await common.set_up_household(client, deployment.ledger_url, tenant)
                checking = next(a["id"] for a in accounts if a["code"] == "1010")
                log(f"importing {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
                emit(
                    await import_file(
                        deployment,
                        client,
                        tenant,
                        checking,
                        path,
                        kind=kind,
                        lines=lines,
                        expected_cents=cents,
                        undo_too=args.undo,
                    )
                )
    finally:
        deployment.stop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--csv-lines", type=int, default=1_000_000)
    parser.add_argument("--ofx-transactions", type=int, default=100_000)
    parser.add_argument(
        "--undo", action="store_true", help="then undo each import and time it (outside the total)"
    )
    common.add_server_args(parser)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    common.run_main(lambda: main(arguments))
