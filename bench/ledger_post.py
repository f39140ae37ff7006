"""Posting throughput of the ledger through HTTP, beside raw-SQL reference figures.

Scenarios (each prints one JSON line):
  batch   entries of 2 postings, `--batch-size` per POST /entries/batch request, each entry
          with its own idempotency key; PostgreSQL and SQLite.
  single  POST /entries (Idempotency-Key) at `--concurrency` on PostgreSQL, spread over
          the household accounts.
  hot     the same, every entry touching one hot account; then checks that the hot
          account's balance (current and through the dated index) equals the sum posted.
  raw     reference: a plain asyncpg loop (`--raw-connections`) committing one 2-posting
          entry per transaction into simple tables, spread and hot; and raw COPY rows/s.

PostgreSQL runs on `nexus up` (one process) and, with `--deployments`, on
`nexus serve auth` + `nexus serve ledger --workers N` (distributed).

    .venv/bin/python bench/ledger_post.py                 # everything, defaults = targets
    .venv/bin/python bench/ledger_post.py --scenarios batch --backends sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import common  # bench/common.py: run this file as a script, bench/ is on sys.path
import httpx
import orjson
from common import CpuMeter, Deployment, RawConnection, Tenant, emit, latency_summary, log

TARGETS = {
    ("batch", "postgres"): {"entries_per_s_min": 20_000},
    ("batch", "sqlite"): {"entries_per_s_min": 10_000},
    ("single", "postgres"): {"entries_per_s_min": 1_000, "p99_ms_max": 100},
    ("hot", "postgres"): {"entries_per_s_min": 500, "lost_updates": 0},
}
DAY0 = date(2025, 1, 1)


def amount_text(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def to_minor(text: str) -> int:
    return int(Decimal(text) * 100)


def postable(accounts: list[dict[str, Any]]) -> list[str]:
    """EUR accounts that take postings (the household chart's leaves)."""
    parents = {a["parent_id"] for a in accounts if a["parent_id"]}
    return [a["id"] for a in accounts if a["currency"] == "EUR" and a["id"] not in parents]


def make_entry(rng: random.Random, debit: str, credit: str, minor: int, n: int) -> dict[str, Any]:
    return {
        "date": (DAY0 + timedelta(days=rng.randrange(365))).isoformat(),
        "description": f"bench entry {n}",
        "postings": [
            {"account_id": debit, "amount": amount_text(minor), "currency": "EUR"},
            {"account_id": credit, "amount": "-" + amount_text(minor), "currency": "EUR"},
        ],
    }


# --- (a) batches ---------------------------------------------------------------------


async def bench_batch(
    deployment: Deployment,
    tenant: Tenant,
    client: httpx.AsyncClient,
    accounts: list[str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    rng = random.Random(1)
    run = uuid.uuid4().hex[:8]
    expected: dict[str, int] = {}
    bodies: list[bytes] = []
    batches = args.batch_entries // args.batch_size + 1  # the first one warms up
    for b in range(batches):
        items = []
        for i in range(args.batch_size):
            debit, credit = rng.sample(accounts, 2)
            minor = rng.randrange(100, 100_000)
            expected[debit] = expected.get(debit, 0) + minor
            expected[credit] = expected.get(credit, 0) - minor
            item = make_entry(rng, debit, credit, minor, b * args.batch_size + i)
            item["idempotency_key"] = f"{run}-{b}-{i}"
            items.append(item)
        bodies.append(orjson.dumps({"entries": items}))
    log(
        f"batch/{deployment.backend}/{deployment.kind}: {len(bodies) - 1} x {args.batch_size}, "
        f"concurrency {args.batch_concurrency}, {len(bodies[0]) / 1e6:.2f} MB per request"
    )
    path = "/api/v1/ledger/entries/batch"
    headers = await tenant.fresh_headers(client)
    warm = RawConnection(deployment.ledger_url)
    status, payload = await warm.request("POST", path, headers=headers, body=bodies[0])
    await warm.close()
    if status != 201:
        raise RuntimeError(f"warm-up batch failed: {status} {payload[:500]!r}")
    autovacuum = await analyze_if_no_autovacuum(deployment)

    quiet = common.wait_for_quiet(args.quiet_wait)
    queue = list(reversed(bodies[1:]))
    latencies: list[float] = []
    errors: dict[int, int] = {}
    first_error: list[str] = []
    posted = 0

    async def worker() -> None:
        nonlocal posted
        connection = RawConnection(deployment.ledger_url)
        while queue:
            body = queue.pop()
            started = time.perf_counter()
            status, payload = await connection.request("POST", path, headers=headers, body=body)
            latencies.append(time.perf_counter() - started)
            if status == 201:
                posted += orjson.loads(payload)["posted"]
                if autovacuum == "off" and posted % args.analyze_every < args.batch_size:
                    await analyze_if_no_autovacuum(deployment)
            else:
                errors[status] = errors.get(status, 0) + 1
                first_error.append(payload[:300].decode(errors="replace"))
        await connection.close()

    with CpuMeter(deployment) as cpu:
        await asyncio.gather(*(worker() for _ in range(args.batch_concurrency)))
    rate = posted / cpu.wall

    # Correctness: every account's current balance equals what the generated entries sum to.
    response = await client.get(
        f"{deployment.ledger_url}/api/v1/ledger/balances",
        headers=await tenant.fresh_headers(client),
    )
    response.raise_for_status()
    own = {
        item["account_id"]: sum(to_minor(a["amount"]) for a in item["own"])
        for item in response.json()["items"]
    }
    posted_expected = expected if not errors else None
    mismatches = (
        [a for a, v in expected.items() if own.get(a, 0) != v]
        if posted_expected is not None
        else None
    )
    diagnosis = None
    if mismatches:
        # Where does it go wrong: the stored postings, the stored balances, or the read?
        await asyncio.sleep(2)
        again = await client.get(
            f"{deployment.ledger_url}/api/v1/ledger/balances",
            headers=await tenant.fresh_headers(client),
        )
        own_again = {
            item["account_id"]: sum(to_minor(a["amount"]) for a in item["own"])
            for item in again.json()["items"]
        }
        stored_postings, stored_balances = await stored_sums(deployment, tenant.org_id)
        diagnosis = {
            "api_again_after_2s_matches": all(
                own_again.get(a, 0) == v for a, v in expected.items()
            ),
            "db_postings_sum_matches": all(
                stored_postings.get(a, 0) == v for a, v in expected.items()
            ),
            "db_account_balances_match": all(
                stored_balances.get(a, 0) == v for a, v in expected.items()
            ),
            "db_postings_count": stored_postings.get("count"),
        }
    target = TARGETS[("batch", deployment.backend)]
    return {
        "bench": "ledger_post",
        "scenario": "batch",
        "backend": deployment.backend,
        "deployment": deployment.describe(),
        "params": {
            "entries": args.batch_entries,
            "batch_size": args.batch_size,
            "postings_per_entry": 2,
            "concurrency": args.batch_concurrency,
            "request_bytes": len(bodies[1]),
            "server_autovacuum": autovacuum,
            "analyze_every_entries": args.analyze_every if autovacuum == "off" else None,
        },
        "results": {
            "entries_posted": posted,
            "entries_per_s": round(rate),
            "postings_per_s": round(2 * rate),
            "request_latency": latency_summary(latencies),
            "errors": errors,
            "first_error": first_error[:1],
            "balances_match_posted_sums": mismatches == []
            if mismatches is not None
            else "n/a (errors)",
            "mismatch_diagnosis": diagnosis,
            "balance_mismatches": [
                {"account_id": a, "expected_minor": expected[a], "api_minor": own.get(a, 0)}
                for a in (mismatches or [])[:5]
            ],
        },
        "cpu": cpu.summary(),
        "machine": quiet,
        "targets": target,
        "meets_target": rate >= target["entries_per_s_min"] and not errors,
    }


async def stored_sums(deployment: Deployment, org_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """Per account: the sum of stored postings and the stored balance, read from the DB."""
    org = uuid.UUID(org_id)
    postings_sql = (
        "SELECT account_id, sum(amount_minor), count(*) FROM postings WHERE org_id = {} GROUP BY 1"
    )
    balances_sql = "SELECT account_id, balance_minor FROM account_balances WHERE org_id = {}"
    if deployment.backend == "postgres":
        connection = await asyncpg.connect(
            common.raw_url(common.ledger_database_name(deployment.env))
        )
        try:
            posting_rows = await connection.fetch(postings_sql.format("$1"), org)
            balance_rows = await connection.fetch(balances_sql.format("$1"), org)
        finally:
            await connection.close()
    else:
        import sqlite3

        assert deployment.data_dir is not None
        lite = sqlite3.connect(f"file:{deployment.data_dir / 'ledger.db'}?mode=ro", uri=True)
        try:
            posting_rows = lite.execute(postings_sql.format("?"), [org.hex]).fetchall()
            balance_rows = lite.execute(balances_sql.format("?"), [org.hex]).fetchall()
        finally:
            lite.close()
    postings: dict[str, int] = {str(uuid.UUID(str(a))): int(s) for a, s, _ in posting_rows}
    postings["count"] = sum(int(n) for _, _, n in posting_rows)
    balances = {str(uuid.UUID(str(a))): int(b) for a, b in balance_rows}
    return postings, balances


async def analyze_if_no_autovacuum(deployment: Deployment) -> str:
    """PostgreSQL with autovacuum off (as on the benchmark server): ANALYZE once after the
    warm-up, as autovacuum would (see README)."""
    if deployment.backend != "postgres":
        return "n/a"
    connection = await asyncpg.connect(common.raw_url(common.ledger_database_name(deployment.env)))
    try:
        setting = str(await connection.fetchval("SHOW autovacuum"))
        if setting == "off":
            await connection.execute("ANALYZE")
        return setting
    finally:
        await connection.close()


# --- (b), (c) single entries ---------------------------------------------------------


async def account_balance(
    client: httpx.AsyncClient,
    deployment: Deployment,
    tenant: Tenant,
    account_id: str,
    as_of: str | None = None,
) -> int:
    params = {"as_of": as_of} if as_of else {}
    response = await client.get(
        f"{deployment.ledger_url}/api/v1/ledger/accounts/{account_id}/balance",
        params=params,
        headers=await tenant.fresh_headers(client),
    )
    response.raise_for_status()
    return sum(to_minor(b["amount"]) for b in response.json()["balances"] if b["currency"] == "EUR")


async def bench_single(
    deployment: Deployment,
    tenant: Tenant,
    client: httpx.AsyncClient,
    accounts: list[str],
    args: argparse.Namespace,
    *,
    hot: bool,
) -> dict[str, Any]:
    scenario = "hot" if hot else "single"
    rng = random.Random(2 if hot else 3)
    hot_account = accounts[0]
    others = accounts[1:]
    path = "/api/v1/ledger/entries"
    headers = await tenant.fresh_headers(client)
    before = await account_balance(client, deployment, tenant, hot_account) if hot else 0
    hot_sum = 0
    counter = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    first_error: list[str] = []
    measuring = False
    stop_at = 0.0

    async def worker() -> None:
        nonlocal hot_sum, counter
        connection = RawConnection(deployment.ledger_url)
        while time.perf_counter() < stop_at:
            counter += 1
            minor = rng.randrange(100, 100_000)
            if hot:
                debit, credit = hot_account, rng.choice(others)
            else:
                debit, credit = rng.sample(accounts, 2)
            body = orjson.dumps(make_entry(rng, debit, credit, minor, counter))
            request_headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
            started = time.perf_counter()
            status, payload = await connection.request(
                "POST", path, headers=request_headers, body=body
            )
            elapsed = time.perf_counter() - started
            if status == 201:
                if hot:
                    hot_sum += minor
            elif len(first_error) < 3:
                first_error.append(f"{status} {payload[:300].decode(errors='replace')}")
            if measuring:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        await connection.close()

    log(
        f"{scenario}/{deployment.kind}: warm-up {args.warmup_seconds}s, then "
        f"{args.seconds}s at concurrency {args.concurrency}"
    )
    stop_at = time.perf_counter() + args.warmup_seconds
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    quiet = common.wait_for_quiet(args.quiet_wait)
    measuring = True
    with CpuMeter(deployment) as cpu:
        stop_at = time.perf_counter() + args.seconds
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    ok = statuses.get(201, 0)
    rate = ok / cpu.wall
    lat = latency_summary(latencies)
    results: dict[str, Any] = {
        "entries_posted": ok,
        "entries_per_s": round(rate),
        "latency": lat,
        "statuses": statuses,
        "first_errors": first_error,
    }
    target = TARGETS[(scenario, "postgres")]
    meets = rate >= target["entries_per_s_min"] and set(statuses) == {201}
    if "p99_ms_max" in target:
        meets = meets and lat.get("p99_ms", 1e9) < target["p99_ms_max"]
    if hot:
        after = await account_balance(client, deployment, tenant, hot_account)
        as_of = await account_balance(client, deployment, tenant, hot_account, "2030-12-31")
        lost = (before + hot_sum) - after
        if lost or as_of != after:
            # Tell a stale read (the 201 arrives before the commit) from a lost update.
            await asyncio.sleep(2)
            after = await account_balance(client, deployment, tenant, hot_account)
            as_of = await account_balance(client, deployment, tenant, hot_account, "2030-12-31")
            results["stale_read_right_after_run_minor"] = lost
            lost = (before + hot_sum) - after
        results.update(
            {
                "hot_balance_before_minor": before,
                "sum_posted_minor": hot_sum,
                "hot_balance_after_minor": after,
                "hot_balance_as_of_2030_minor": as_of,
                "lost_update_minor": lost,
                "no_lost_update": lost == 0 and as_of == after,
            }
        )
        meets = meets and lost == 0 and as_of == after
    return {
        "bench": "ledger_post",
        "scenario": scenario,
        "backend": deployment.backend,
        "deployment": deployment.describe(),
        "params": {
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "warmup_seconds": args.warmup_seconds,
            "postings_per_entry": 2,
            "accounts": 1 + len(others) if hot else len(accounts),
            "hot_account": hot_account if hot else None,
        },
        "results": results,
        "cpu": cpu.summary(),
        "machine": quiet,
        "targets": target,
        "meets_target": meets,
    }


# --- (d) the raw-SQL reference -------------------------------------------------------

RAW_SCHEMA = """
CREATE TABLE entries (
    id uuid PRIMARY KEY, org_id uuid NOT NULL, date date NOT NULL, description text NOT NULL,
    idempotency_key text, recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, idempotency_key));
CREATE TABLE postings (
    entry_id uuid NOT NULL REFERENCES entries (id), line_no int NOT NULL, org_id uuid NOT NULL,
    account_id uuid NOT NULL, amount_minor bigint NOT NULL, currency text NOT NULL,
    date date NOT NULL, PRIMARY KEY (entry_id, line_no));
CREATE INDEX ON postings (org_id, account_id, date);
CREATE TABLE account_balances (
    org_id uuid NOT NULL, account_id uuid NOT NULL, currency text NOT NULL,
    balance_minor bigint NOT NULL, PRIMARY KEY (org_id, account_id, currency));
CREATE TABLE copy_postings (
    entry_id uuid NOT NULL, line_no int NOT NULL, org_id uuid NOT NULL, account_id uuid NOT NULL,
    amount_minor bigint NOT NULL, currency text NOT NULL, date date NOT NULL,
    PRIMARY KEY (entry_id, line_no));
CREATE INDEX ON copy_postings (org_id, account_id, date);
"""


async def raw_loop(
    url: str,
    org: uuid.UUID,
    accounts: list[uuid.UUID],
    *,
    hot: bool,
    connections: int,
    seconds: float,
) -> dict[str, Any]:
    pool = await asyncpg.create_pool(url, min_size=connections, max_size=connections)
    rng = random.Random(4)
    latencies: list[float] = []
    hot_sum = 0
    stop_at = time.perf_counter() + seconds
    before = await pool.fetchval(
        "SELECT balance_minor FROM account_balances WHERE org_id=$1 AND account_id=$2",
        org,
        accounts[0],
    )

    async def worker() -> None:
        nonlocal hot_sum
        async with pool.acquire() as conn:
            while time.perf_counter() < stop_at:
                debit, credit = (
                    (accounts[0], rng.choice(accounts[1:])) if hot else rng.sample(accounts, 2)
                )
                minor = rng.randrange(100, 100_000)
                day = DAY0 + timedelta(days=rng.randrange(365))
                entry_id = uuid.uuid4()
                started = time.perf_counter()
                async with conn.transaction():
                    await conn.execute(
                        "INSERT INTO entries (id, org_id, date, description, idempotency_key) "
                        "VALUES ($1, $2, $3, $4, $5)",
                        entry_id,
                        org,
                        day,
                        "raw entry",
                        uuid.uuid4().hex,
                    )
                    await conn.execute(
                        "INSERT INTO postings VALUES ($1, 0, $2, $3, $4, 'EUR', $6), "
                        "($1, 1, $2, $5, -$4::bigint, 'EUR', $6)",
                        entry_id,
                        org,
                        debit,
                        minor,
                        credit,
                        day,
                    )
                    for account, delta in sorted(((debit, minor), (credit, -minor))):
                        await conn.execute(
                            "UPDATE account_balances SET balance_minor = balance_minor + $1 "
                            "WHERE org_id = $2 AND account_id = $3 AND currency = 'EUR'",
                            delta,
                            org,
                            account,
                        )
                latencies.append(time.perf_counter() - started)
                if hot:
                    hot_sum += minor

    with CpuMeter(None) as cpu:
        await asyncio.gather(*(worker() for _ in range(connections)))
    after = await pool.fetchval(
        "SELECT balance_minor FROM account_balances WHERE org_id=$1 AND account_id=$2",
        org,
        accounts[0],
    )
    await pool.close()
    result = {
        "entries_per_s": round(len(latencies) / cpu.wall),
        "latency": latency_summary(latencies),
        "cpu": cpu.summary(),
    }
    if hot:
        result["no_lost_update"] = after - before == hot_sum
    return result


async def raw_copy(
    url: str, org: uuid.UUID, accounts: list[uuid.UUID], rows: int
) -> dict[str, Any]:
    rng = random.Random(5)
    records = []
    for _ in range(rows // 2):
        entry_id = uuid.uuid4()
        debit, credit = rng.sample(accounts, 2)
        minor = rng.randrange(100, 100_000)
        day = DAY0 + timedelta(days=rng.randrange(365))
        records.append((entry_id, 0, org, debit, minor, "EUR", day))
        records.append((entry_id, 1, org, credit, -minor, "EUR", day))
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("copy_postings", records=records)
        elapsed = time.perf_counter() - started
    finally:
        await conn.close()
    return {
        "rows": len(records),
        "seconds": round(elapsed, 3),
        "rows_per_s": round(len(records) / elapsed),
        "table": "copy_postings: PK (entry_id, line_no) + index (org_id, account_id, date)",
    }


async def bench_raw(args: argparse.Namespace) -> dict[str, Any]:
    name = await common.create_database("raw")
    url = common.raw_url(name)
    conn = await asyncpg.connect(url)
    org = uuid.uuid4()
    accounts = [uuid.uuid4() for _ in range(200)]
    try:
        await conn.execute(RAW_SCHEMA)
        await conn.executemany(
            "INSERT INTO account_balances VALUES ($1, $2, 'EUR', 0)", [(org, a) for a in accounts]
        )
    finally:
        await conn.close()
    log(
        f"raw: asyncpg loop, {args.raw_connections} connections, {args.raw_seconds}s spread + hot; "
        f"COPY {args.copy_rows} rows"
    )
    quiet = common.wait_for_quiet(args.quiet_wait)
    spread = await raw_loop(
        url, org, accounts, hot=False, connections=args.raw_connections, seconds=args.raw_seconds
    )
    hot = await raw_loop(
        url, org, accounts, hot=True, connections=args.raw_connections, seconds=args.raw_seconds
    )
    copy = await raw_copy(url, org, accounts, args.copy_rows)
    return {
        "bench": "ledger_post",
        "scenario": "raw_sql_reference",
        "backend": "postgres",
        "params": {
            "connections": args.raw_connections,
            "seconds": args.raw_seconds,
            "accounts": len(accounts),
            "copy_rows": args.copy_rows,
            "per_transaction": "INSERT entry; INSERT 2 postings (one statement); "
            "2 x UPDATE account_balances SET balance=balance+x "
            "(ordered); COMMIT",
        },
        "results": {
            "one_entry_per_tx_spread": spread,
            "one_entry_per_tx_hot": hot,
            "copy_postings": copy,
        },
        "machine": quiet,
        "targets": None,
        "meets_target": None,
    }


# --- driving -------------------------------------------------------------------------


async def prepare(deployment: Deployment, client: httpx.AsyncClient) -> tuple[Tenant, list[str]]:
    tenant = await common.sign_up(client, deployment.auth_url)
    accounts = postable(await common.set_up_household(client, deployment.ledger_url, tenant))
    return tenant, accounts


async def run_deployment(deployment: Deployment, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(timeout=600) as client:
        tenant, accounts = await prepare(deployment, client)
        if "batch" in args.scenarios:
            emit(await bench_batch(deployment, tenant, client, accounts, args))
        if deployment.backend == "postgres":
            for scenario in ("single", "hot"):
                if scenario in args.scenarios:
                    # A fresh tenant per scenario keeps the runs independent of each other.
                    tenant, accounts = await prepare(deployment, client)
                    emit(
                        await bench_single(
                            deployment, tenant, client, accounts, args, hot=scenario == "hot"
                        )
                    )


async def main(args: argparse.Namespace) -> None:
    log(f"machine: {common.machine()}")
    if "sqlite" in args.backends and "batch" in args.scenarios:
        data_dir = common.temp_dir("post-sqlite")
        deployment = common.start_embedded(
            data_dir,
            env={},
            log_level=args.server_log_level,
            profile_path=args.profile_dir / "post-sqlite-batch.prof" if args.profile_dir else None,
        )
        try:
            await run_deployment(deployment, args)
        finally:
            deployment.stop()
    if "postgres" in args.backends and set(args.scenarios) & {"batch", "single", "hot"}:
        for kind in args.deployments:
            data_dir = common.temp_dir(f"post-pg-{kind}")
            env = await common.postgres_env()
            if kind == "embedded":
                deployment = common.start_embedded(
                    data_dir,
                    env=env,
                    log_level=args.server_log_level,
                    profile_path=args.profile_dir / f"post-pg-{'-'.join(args.scenarios)}.prof"
                    if args.profile_dir
                    else None,
                )
            else:
                deployment = common.start_distributed(
                    data_dir,
                    env=env,
                    ledger_workers=args.ledger_workers,
                    log_level=args.server_log_level,
                )
            try:
                await run_deployment(deployment, args)
            finally:
                deployment.stop()
    if "raw" in args.scenarios:
        emit(await bench_raw(args))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    csv = lambda text: [part.strip() for part in text.split(",") if part.strip()]  # noqa: E731
    parser.add_argument(
        "--scenarios",
        type=csv,
        default=["batch", "single", "hot", "raw"],
        help="comma-separated: batch,single,hot,raw (default: all)",
    )
    parser.add_argument(
        "--backends",
        type=csv,
        default=["postgres", "sqlite"],
        help="comma-separated: postgres,sqlite (default: both; single/hot are PostgreSQL only)",
    )
    parser.add_argument(
        "--deployments",
        type=csv,
        default=["embedded", "distributed"],
        help="PostgreSQL deployments: embedded (nexus up), distributed (nexus "
        "serve auth + nexus serve ledger --workers N)",
    )
    parser.add_argument("--ledger-workers", type=int, default=2)
    parser.add_argument(
        "--batch-entries",
        type=int,
        default=100_000,
        help="entries posted by batch (default 100,000)",
    )
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--analyze-every",
        type=int,
        default=20_000,
        help="PostgreSQL with autovacuum off: ANALYZE every N batch-posted entries, as "
        "autovacuum would (default 20,000)",
    )
    parser.add_argument(
        "--batch-concurrency",
        type=int,
        default=2,
        help="batch requests in flight at once (default 2)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="clients in flight for single and hot (default 32)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=20.0,
        help="measured seconds of single and hot (default 20)",
    )
    parser.add_argument("--warmup-seconds", type=float, default=3.0)
    parser.add_argument("--raw-connections", type=int, default=8)
    parser.add_argument("--raw-seconds", type=float, default=10.0)
    parser.add_argument("--copy-rows", type=int, default=1_000_000)
    common.add_server_args(parser)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    common.run_main(lambda: main(arguments))
