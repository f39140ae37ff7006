"""Balance reads over a large ledger: build it through the batch API, then query it.

Builds `--entries` entries (default 1,000,000; `--three-share` of them with 3 postings,
the rest with 2: about 2.7 M postings) over `--accounts` accounts (default 200) dated
across `--years` years, loading through POST /entries/batch (the load rate is reported).
Waits for the background sealer and outbox dispatcher to drain, runs ANALYZE, then
measures through HTTP, one request at a time:

  - GET /balances?as_of=D (every account) at random dates        target < 100 ms
  - GET /accounts/{id}/balance?as_of=D at random (account, date)  target median < 5 ms
  - both with known_at (just after the load, and in the middle of it), and current
  - the naive SQL reference: sum(postings) grouped by account up to D, straight on the DB

Default backend: PostgreSQL (`--backend sqlite` or `both` for the embedded store).

    .venv/bin/python bench/ledger_read.py                       # 1 M entries on PostgreSQL
    .venv/bin/python bench/ledger_read.py --entries 100000 --backend both
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import common  # bench/common.py: run this file as a script, bench/ is on sys.path
import httpx
import orjson
from common import CpuMeter, Deployment, RawConnection, Tenant, emit, latency_summary, log

TARGETS = {"balances_as_of_ms_max": 100, "account_balance_as_of_median_ms_max": 5}
TYPES = ("asset", "liability", "equity", "income", "expense")
START = date(2023, 1, 1)


def to_minor(text: str) -> int:
    return int(Decimal(text) * 100)


def amount_text(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


async def create_accounts(
    client: httpx.AsyncClient, deployment: Deployment, tenant: Tenant, count: int
) -> list[str]:
    """Open a chart of `count` accounts: one parent per type, the rest leaves; return leaves."""
    url = f"{deployment.ledger_url}/api/v1/ledger"
    response = await client.post(
        f"{url}/setup", json={"template": "empty", "base_currency": "EUR"}, headers=tenant.headers
    )
    response.raise_for_status()
    parents = {}
    for n, kind in enumerate(TYPES):
        response = await client.post(
            f"{url}/accounts",
            headers=tenant.headers,
            json={"code": f"{n + 1}000", "name": kind.title(), "type": kind, "currency": "EUR"},
        )
        response.raise_for_status()
        parents[kind] = response.json()["id"]
    leaves = []
    for n in range(count - len(parents)):
        kind = TYPES[n % len(TYPES)]
        response = await client.post(
            f"{url}/accounts",
            headers=tenant.headers,
            json={
                "code": f"{TYPES.index(kind) + 1}{n:03d}-x",
                "name": f"{kind} {n}",
                "type": kind,
                "parent_id": parents[kind],
                "currency": "EUR",
            },
        )
        response.raise_for_status()
        leaves.append(response.json()["id"])
    return leaves


def make_batch(
    index: int, size: int, accounts: list[str], days: int, three_share: float
) -> tuple[bytes, int]:
    rng = random.Random(index)
    items = []
    postings = 0
    for i in range(size):
        day = (START + timedelta(days=rng.randrange(days))).isoformat()
        minor = rng.randrange(100, 500_000)
        if rng.random() < three_share:
            a, b, c = rng.sample(accounts, 3)
            part = rng.randrange(1, minor)
            lines = [(a, minor), (b, -part), (c, part - minor)]
        else:
            a, b = rng.sample(accounts, 2)
            lines = [(a, minor), (b, -minor)]
        postings += len(lines)
        items.append(
            {
                "date": day,
                "description": f"entry {index}-{i}",
                "payee": "Bench payee",
                "idempotency_key": f"load-{index}-{i}",
                "postings": [
                    {"account_id": acc, "amount": amount_text(v), "currency": "EUR"}
                    for acc, v in lines
                ],
            }
        )
    return orjson.dumps({"entries": items}), postings


async def load(
    deployment: Deployment,
    tenant: Tenant,
    client: httpx.AsyncClient,
    accounts: list[str],
    args: argparse.Namespace,
    direct: Direct,
    analyze_every: int,
) -> dict[str, Any]:
    batches = args.entries // args.batch_size
    days = 365 * args.years
    path = "/api/v1/ledger/entries/batch"
    next_batch = 0
    done_batches = 0
    posted = postings_total = 0
    latencies: list[float] = []
    mid_known_at: list[datetime] = []
    errors: list[str] = []
    analyzed = 0

    async def worker() -> None:
        nonlocal analyzed
        nonlocal next_batch, done_batches, posted, postings_total
        connection = RawConnection(deployment.ledger_url)
        while next_batch < batches and not errors:
            index = next_batch
            next_batch += 1
            body, postings = make_batch(index, args.batch_size, accounts, days, args.three_share)
            headers = await tenant.fresh_headers(client)
            started = time.perf_counter()
            status, payload = await connection.request("POST", path, headers=headers, body=body)
            latencies.append(time.perf_counter() - started)
            if status != 201:
                errors.append(f"{status} {payload[:400].decode(errors='replace')}")
                break
            posted += orjson.loads(payload)["posted"]
            postings_total += postings
            done_batches += 1
            if done_batches >= batches // 2 and not mid_known_at:
                mid_known_at.append(datetime.now(UTC))
            if analyze_every and posted // analyze_every > analyzed:
                analyzed = posted // analyze_every
                await direct.analyze(vacuum=False)
            if done_batches % max(1, batches // 20) == 0:
                log(f"loaded {posted:,} entries ({posted / (time.perf_counter() - t0):,.0f}/s)")
        await connection.close()

    log(
        f"loading {batches * args.batch_size:,} entries in batches of {args.batch_size} "
        f"(concurrency {args.load_concurrency})"
    )
    t0 = time.perf_counter()
    with CpuMeter(deployment) as cpu:
        await asyncio.gather(*(worker() for _ in range(args.load_concurrency)))
    if errors:
        raise RuntimeError(f"load failed: {errors[0]}")
    return {
        "entries": posted,
        "postings": postings_total,
        "seconds": round(cpu.wall, 1),
        "entries_per_s": round(posted / cpu.wall),
        "postings_per_s": round(postings_total / cpu.wall),
        "batch_latency": latency_summary(latencies),
        "cpu": cpu.summary(),
        "analyze_every_entries": analyze_every,
        "analyze_runs": analyzed,
        "mid_known_at": mid_known_at[0] if mid_known_at else datetime.now(UTC),
    }


# --- direct database access (reference queries and background queues) ----------------


class Direct:
    """Reads the ledger database behind Nexus's back: queue sizes and the naive SQL."""

    def __init__(self, deployment: Deployment, org_id: str) -> None:
        self.backend = deployment.backend
        self.org = uuid.UUID(org_id)
        if self.backend == "postgres":
            self.url = common.raw_url(common.ledger_database_name(deployment.env))
        else:
            assert deployment.data_dir is not None
            self.path = Path(deployment.data_dir) / "ledger.db"

    async def fetch(self, sql_pg: str, sql_lite: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.backend == "postgres":
            connection = await asyncpg.connect(self.url)
            try:
                return [tuple(r) for r in await connection.fetch(sql_pg, *params)]
            finally:
                await connection.close()
        lite = [p.hex if isinstance(p, uuid.UUID) else p for p in params]
        lite = [p.isoformat() if isinstance(p, date) else p for p in lite]
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return connection.execute(sql_lite, lite).fetchall()
        finally:
            connection.close()

    async def backlog(self) -> tuple[int, int]:
        [(pending,)] = await self.fetch(
            "SELECT count(*) FROM chain_pending", "SELECT count(*) FROM chain_pending"
        )
        [(undelivered,)] = await self.fetch(
            "SELECT count(*) FROM outbox WHERE dispatched_at IS NULL",
            "SELECT count(*) FROM outbox WHERE dispatched_at IS NULL",
        )
        return pending, undelivered

    async def autovacuum(self) -> str:
        if self.backend != "postgres":
            return "n/a"
        [(setting,)] = await self.fetch("SHOW autovacuum", "")
        return str(setting)

    async def analyze(self, *, vacuum: bool = True) -> None:
        if self.backend == "postgres":
            connection = await asyncpg.connect(self.url)
            try:
                await connection.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
            finally:
                await connection.close()
        else:
            connection = sqlite3.connect(self.path)
            try:
                connection.execute("ANALYZE")
            finally:
                connection.close()

    async def naive(self, as_of: date, account: str | None = None) -> tuple[float, dict[str, int]]:
        started = time.perf_counter()
        if account is None:
            rows = await self.fetch(
                "SELECT account_id, currency, sum(amount_minor) FROM postings "
                "WHERE org_id = $1 AND date <= $2 GROUP BY 1, 2",
                "SELECT account_id, currency, sum(amount_minor) FROM postings "
                "WHERE org_id = ? AND date <= ? GROUP BY 1, 2",
                self.org,
                as_of,
            )
        else:
            rows = await self.fetch(
                "SELECT account_id, currency, sum(amount_minor) FROM postings "
                "WHERE org_id = $1 AND date <= $2 AND account_id = $3 GROUP BY 1, 2",
                "SELECT account_id, currency, sum(amount_minor) FROM postings "
                "WHERE org_id = ? AND date <= ? AND account_id = ? GROUP BY 1, 2",
                self.org,
                as_of,
                uuid.UUID(account),
            )
        elapsed = time.perf_counter() - started
        return elapsed, {str(uuid.UUID(str(a))): int(s) for a, _c, s in rows}


# --- measuring -----------------------------------------------------------------------


async def timed_gets(
    deployment: Deployment, tenant: Tenant, client: httpx.AsyncClient, paths: list[str]
) -> tuple[list[float], list[bytes]]:
    connection = RawConnection(deployment.ledger_url)
    latencies: list[float] = []
    bodies: list[bytes] = []
    try:
        for path in paths:
            headers = await tenant.fresh_headers(client)
            started = time.perf_counter()
            status, payload = await connection.request("GET", path, headers=headers)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status} {payload[:300]!r}")
            bodies.append(payload)
    finally:
        await connection.close()
    return latencies, bodies


def sheet_own(payload: bytes) -> dict[str, int]:
    return {
        item["account_id"]: sum(to_minor(a["amount"]) for a in item["own"])
        for item in orjson.loads(payload)["items"]
        if item["own"]
    }


async def measure(
    deployment: Deployment,
    tenant: Tenant,
    client: httpx.AsyncClient,
    accounts: list[str],
    known_at_mid: datetime,
    args: argparse.Namespace,
) -> dict[str, Any]:
    rng = random.Random(7)
    days = 365 * args.years
    base = "/api/v1/ledger"

    def some_dates(n: int) -> list[date]:
        return [START + timedelta(days=rng.randrange(days)) for _ in range(n)]

    known_now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    known_mid = known_at_mid.isoformat().replace("+00:00", "Z")
    results: dict[str, Any] = {}
    sheet_dates = some_dates(args.queries)
    pairs = [(rng.choice(accounts), d) for d in some_dates(args.account_queries)]
    few = max(5, args.queries // 5)
    few_pairs = pairs[: max(20, args.account_queries // 5)]
    plans: dict[str, list[str]] = {
        "balances_as_of": [f"{base}/balances?as_of={d}" for d in sheet_dates],
        "balances_current": [f"{base}/balances"] * few,
        "balances_as_of_known_at_now": [
            f"{base}/balances?as_of={d}&known_at={known_now}" for d in sheet_dates[:few]
        ],
        "balances_as_of_known_at_mid_load": [
            f"{base}/balances?as_of={d}&known_at={known_mid}" for d in sheet_dates[:few]
        ],
        "account_balance_as_of": [f"{base}/accounts/{a}/balance?as_of={d}" for a, d in pairs],
        "account_balance_current": [f"{base}/accounts/{a}/balance" for a, _ in few_pairs],
        "account_balance_as_of_known_at_now": [
            f"{base}/accounts/{a}/balance?as_of={d}&known_at={known_now}" for a, d in few_pairs
        ],
        "account_balance_as_of_known_at_mid_load": [
            f"{base}/accounts/{a}/balance?as_of={d}&known_at={known_mid}" for a, d in few_pairs
        ],
    }
    # Warm up connections, caches and prepared statements, as a running server would be.
    await timed_gets(
        deployment,
        tenant,
        client,
        plans["balances_as_of"][:3] + plans["account_balance_as_of"][:20],
    )
    quiet = common.wait_for_quiet(args.quiet_wait)
    sheets: list[bytes] = []
    with CpuMeter(deployment) as cpu:
        for name, paths in plans.items():
            log(f"measuring {name} ({len(paths)} requests)")
            latencies, bodies = await timed_gets(deployment, tenant, client, paths)
            results[name] = latency_summary(latencies)
            if name == "balances_as_of":
                sheets = bodies
    direct = Direct(deployment, tenant.org_id)
    naive_times = []
    mismatched_dates = []
    for d, sheet in list(zip(sheet_dates, sheets, strict=True))[: args.naive_queries]:
        elapsed, sums = await direct.naive(d)
        naive_times.append(elapsed)
        api = sheet_own(sheet)
        if {a: v for a, v in sums.items() if v} != api:
            mismatched_dates.append(d.isoformat())
    naive_account = [(await direct.naive(d, a))[0] for a, d in pairs[: args.naive_queries]]
    results["naive_sql_all_accounts_as_of"] = latency_summary(naive_times)
    results["naive_sql_one_account_as_of"] = latency_summary(naive_account)
    results["api_matches_naive_sql"] = not mismatched_dates
    results["mismatched_dates"] = mismatched_dates[:5]
    results["cpu"] = cpu.summary()
    results["machine"] = quiet
    results["known_at_mid_load"] = known_mid
    return results


async def run_backend(backend: str, args: argparse.Namespace) -> None:
    data_dir = common.temp_dir(f"read-{backend}")
    env = await common.postgres_env() if backend == "postgres" else {}
    profile = args.profile_dir / f"read-{backend}.prof" if args.profile_dir else None
    deployment = common.start_embedded(
        data_dir, env=env, log_level=args.server_log_level, profile_path=profile
    )
    try:
        async with httpx.AsyncClient(timeout=600) as client:
            tenant = await common.sign_up(client, deployment.auth_url)
            accounts = await create_accounts(client, deployment, tenant, args.accounts)
            direct = Direct(deployment, tenant.org_id)
            autovacuum = await direct.autovacuum()
            analyze_every = args.analyze_every if autovacuum == "off" else 0
            if analyze_every:
                log(
                    f"autovacuum is off on this server: running ANALYZE every {analyze_every:,} "
                    "entries during the load, as autovacuum would"
                )
            loaded = await load(deployment, tenant, client, accounts, args, direct, analyze_every)
            loaded["server_autovacuum"] = autovacuum
            known_at_mid = loaded.pop("mid_known_at")
            log(f"loaded: {loaded['entries_per_s']:,} entries/s; waiting for the sealer to drain")
            started = time.perf_counter()
            pending, undelivered = await direct.backlog()
            backlog_after_load = {"chain_pending": pending, "outbox_undelivered": undelivered}
            # Events stay in the outbox while no service subscribes to them (by design), so
            # only the sealer's queue has to drain before reads are measured.
            while pending and time.perf_counter() - started < args.drain_wait:
                await asyncio.sleep(5)
                pending, undelivered = await direct.backlog()
                log(f"backlog: {pending:,} entries to seal, {undelivered:,} events to dispatch")
            drain = {
                "after_load": backlog_after_load,
                "seconds": round(time.perf_counter() - started),
                "left": {"chain_pending": pending, "outbox_undelivered": undelivered},
            }
            await direct.analyze()
            await tenant.refresh(client)
            results = await measure(deployment, tenant, client, accounts, known_at_mid, args)
            sheet = results["balances_as_of"]
            account = results["account_balance_as_of"]
            emit(
                {
                    "bench": "ledger_read",
                    "backend": backend,
                    "deployment": deployment.describe(),
                    "params": {
                        "entries": args.entries,
                        "accounts": args.accounts,
                        "three_posting_share": args.three_share,
                        "years": args.years,
                        "batch_size": args.batch_size,
                        "load_concurrency": args.load_concurrency,
                        "queries": args.queries,
                        "account_queries": args.account_queries,
                    },
                    "load": loaded,
                    "background_drain": drain,
                    "results": results,
                    "targets": TARGETS,
                    "meets_target": {
                        "balances_as_of": sheet["p95_ms"] < TARGETS["balances_as_of_ms_max"],
                        "account_balance_as_of_median": account["p50_ms"]
                        < TARGETS["account_balance_as_of_median_ms_max"],
                    },
                }
            )
    finally:
        deployment.stop()


async def main(args: argparse.Namespace) -> None:
    log(f"machine: {common.machine()}")
    backends = ["postgres", "sqlite"] if args.backend == "both" else [args.backend]
    for backend in backends:
        await run_backend(backend, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="postgres")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument(
        "--three-share",
        type=float,
        default=0.7,
        help="share of 3-posting entries (default 0.7: ~2.7 postings/entry)",
    )
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--load-concurrency", type=int, default=2)
    parser.add_argument("--queries", type=int, default=50, help="balance sheets as of a date")
    parser.add_argument(
        "--account-queries", type=int, default=500, help="single-account balances as of a date"
    )
    parser.add_argument("--naive-queries", type=int, default=10)
    parser.add_argument(
        "--analyze-every",
        type=int,
        default=100_000,
        help="PostgreSQL with autovacuum off: ANALYZE every N loaded entries, "
        "as autovacuum would (0: never; shows the plan degradation)",
    )
    parser.add_argument(
        "--drain-wait",
        type=float,
        default=900,
        help="seconds to wait for the sealer/outbox backlog (default 900)",
    )
    common.add_server_args(parser)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    common.run_main(lambda: main(arguments))
