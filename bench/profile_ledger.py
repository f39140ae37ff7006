"""Where a ledger write spends its time: an in-process profile of the posting path.

Runs the real app (all services, background workers on) inside this process and calls
it through ASGI directly (no HTTP client in the profile), then reports per request:
CPU milliseconds, SQL statements executed (by kind) and the top functions grouped by
package, for single-entry POST /entries and for POST /entries/batch.

    .venv/bin/python bench/profile_ledger.py --backend postgres
    .venv/bin/python bench/profile_ledger.py --backend sqlite --top 40
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import gc
import pstats
import random
import re
import time
import uuid
from pathlib import Path
from typing import Any

import common  # bench/common.py: run this file as a script, bench/ is on sys.path
import orjson
from common import emit, log
from sqlalchemy import event

PACKAGES = (
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "structlog",
    "jwt",
    "cryptography",
    "orjson",
    "nexus/ledger",
    "nexus/core",
    "nexus/auth",
    "asyncio",
    "greenlet",
)


async def call(
    app: Any,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> tuple[int, bytes]:
    """Call an ASGI app once; return status and body."""
    raw_path, _, query = path.partition("?")
    header_list = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if body:
        header_list += [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": header_list,
        "client": ("127.0.0.1", 12345),
        "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


class _GcPauses:
    """Time spent in the cyclic garbage collector while it is installed."""

    def __init__(self) -> None:
        self.total = 0.0
        self.counts: collections.Counter[int] = collections.Counter()
        self._start = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start
            self.counts[info["generation"]] += 1

    def stop(self, requests: int) -> dict[str, Any]:
        gc.callbacks.remove(self._on_gc)
        return {
            "ms": round(1000 * self.total / requests, 2),
            "collections_by_generation": dict(sorted(self.counts.items())),
        }


def by_package(stats: pstats.Stats, total: float) -> dict[str, float]:
    shares: dict[str, float] = collections.defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        package = next(
            (p for p in PACKAGES if f"/{p}/" in filename or f"/{p}." in filename),
            "python/builtins" if filename == "~" else "other",
        )
        shares[package] += tottime
    return {k: round(100 * v / total, 1) for k, v in sorted(shares.items(), key=lambda i: -i[1])}


def top_functions(stats: pstats.Stats, n: int) -> list[str]:
    rows = sorted(stats.stats.items(), key=lambda i: -i[1][2])[:n]  # type: ignore[attr-defined]
    out = []
    for (filename, line, name), (_cc, ncalls, tottime, _ct, _callers) in rows:
        short = re.sub(r".*/(site-packages|lib/python3\.\d+|main)/", "", filename)
        out.append(f"{tottime * 1000:9.1f} ms {ncalls:8d}  {short}:{line}({name})")
    return out


class StatementCounter:
    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        kind = " ".join(words[:3]) if words else "?"
        if words and words[0] in ("INSERT", "UPDATE", "DELETE"):
            kind = " ".join(words[:3])
        elif words and words[0] == "SELECT":
            match = re.search(r"\bFROM (\w+)", statement)
            kind = f"SELECT FROM {match.group(1) if match else '?'}"
        self.counts[kind] += 1


async def profile(args: argparse.Namespace) -> None:
    from nexus.core.config import Settings
    from nexus.gateway.app import create_app

    data_dir = common.temp_dir(f"profile-{args.backend}")
    env = await common.postgres_env() if args.backend == "postgres" else {}
    settings = Settings(
        data_dir=data_dir,
        log_level=args.server_log_level,
        auth_database_url=env.get("NEXUS_AUTH_DATABASE_URL"),
        ledger_database_url=env.get("NEXUS_LEDGER_DATABASE_URL"),
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        email = f"profile-{uuid.uuid4().hex[:8]}@example.com"
        status, _ = await call(
            app,
            "POST",
            "/api/v1/auth/register",
            body=orjson.dumps({"email": email, "password": common.PASSWORD, "org_name": "Profile"}),
        )
        assert status == 201, status
        status, payload = await call(
            app,
            "POST",
            "/api/v1/auth/token",
            body=f"username={email}&password={common.PASSWORD.replace(' ', '+')}".encode(),
            content_type="application/x-www-form-urlencoded",
        )
        assert status == 200, payload
        headers = {"authorization": f"Bearer {orjson.loads(payload)['access_token']}"}
        status, payload = await call(
            app,
            "POST",
            "/api/v1/ledger/setup",
            headers=headers,
            body=orjson.dumps({"template": "household", "base_currency": "EUR"}),
        )
        assert status == 201, payload
        import ledger_post

        accounts = ledger_post.postable(orjson.loads(payload)["accounts"])
        counter = StatementCounter()
        ledger_db = app.state.databases["ledger"]
        for engine in {ledger_db.write_engine, ledger_db.read_engine}:
            event.listen(engine.sync_engine, "before_cursor_execute", counter)
        rng = random.Random(1)

        def single_body(n: int) -> bytes:
            debit, credit = rng.sample(accounts, 2)
            return orjson.dumps(ledger_post.make_entry(rng, debit, credit, 1234, n))

        async def singles(count: int, concurrency: int) -> list[int]:
            statuses: list[int] = []
            todo = iter(range(count))

            async def worker() -> None:
                for n in todo:
                    status, _ = await call(
                        app,
                        "POST",
                        "/api/v1/ledger/entries",
                        body=single_body(n),
                        headers={**headers, "idempotency-key": uuid.uuid4().hex},
                    )
                    statuses.append(status)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return statuses

        def batch_body(b: int) -> bytes:
            items = []
            for i in range(args.batch_size):
                item = orjson.loads(single_body(i))
                item["idempotency_key"] = f"p{b}-{i}"
                items.append(item)
            return orjson.dumps({"entries": items})

        await singles(50, 8)  # warm-up: caches, prepared statements, pools
        await call(
            app, "POST", "/api/v1/ledger/entries/batch", body=batch_body(-1), headers=headers
        )
        await asyncio.sleep(1.5)  # let the sealer and dispatcher catch up

        runs: dict[str, Any] = {}
        batch_bodies = [batch_body(b) for b in range(args.batches)]
        for name in ("single", "batch"):
            counter.counts.clear()
            # CPU-time timer: on a shared machine a wall-clock profile blames whatever
            # line was running when the process got descheduled.
            profiler = cProfile.Profile(time.process_time)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            profiler.enable()
            if name == "single":
                statuses = await singles(args.singles, args.concurrency)
                requests = args.singles
            else:
                statuses = []
                for body in batch_bodies:
                    status, _ = await call(
                        app, "POST", "/api/v1/ledger/entries/batch", body=body, headers=headers
                    )
                    statuses.append(status)
                requests = args.batches
            profiler.disable()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            stats = pstats.Stats(profiler)
            total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
            if args.profile_dir:
                stats.dump_stats(str(Path(args.profile_dir) / f"inproc-{args.backend}-{name}.prof"))
            runs[name] = {
                "requests": requests,
                "statuses": dict(collections.Counter(statuses)),
                "cpu_ms_per_request_profiled": round(1000 * cpu / requests, 2),
                "wall_s": round(wall, 2),
                "sql_statements_per_request": round(sum(counter.counts.values()) / requests, 1),
                "sql_by_kind_per_request": {
                    k: round(v / requests, 2) for k, v in counter.counts.most_common(25)
                },
                "cpu_share_by_package_pct": by_package(stats, total),
                "top_functions_tottime": top_functions(stats, args.top),
            }
            log(
                f"{name}: {runs[name]['cpu_ms_per_request_profiled']} ms CPU per request "
                f"(profiled), {runs[name]['sql_statements_per_request']} SQL statements"
            )
        # The same again unprofiled: the honest CPU cost per request.
        cpu0 = time.process_time()
        await singles(args.singles, args.concurrency)
        runs["single"]["cpu_ms_per_request_unprofiled"] = round(
            1000 * (time.process_time() - cpu0) / args.singles, 2
        )
        unprofiled_bodies = [batch_body(1000 + b) for b in range(args.batches)]
        gc_pauses = _GcPauses()
        cpu0 = time.process_time()
        for body in unprofiled_bodies:  # made beforehand: building them is the client's CPU
            await call(app, "POST", "/api/v1/ledger/entries/batch", body=body, headers=headers)
        runs["batch"]["cpu_ms_per_request_unprofiled"] = round(
            1000 * (time.process_time() - cpu0) / args.batches, 2
        )
        runs["batch"]["cpu_ms_per_entry_unprofiled"] = round(
            runs["batch"]["cpu_ms_per_request_unprofiled"] / args.batch_size, 3
        )
        runs["batch"]["gc_ms_per_request_unprofiled"] = gc_pauses.stop(args.batches)
    emit(
        {
            "bench": "profile_ledger",
            "backend": args.backend,
            "params": {
                "singles": args.singles,
                "concurrency": args.concurrency,
                "batches": args.batches,
                "batch_size": args.batch_size,
                "log_level": args.server_log_level,
            },
            "note": "in-process: app, sealer and dispatcher share this process; CPU includes "
            "the background workers' share",
            "results": runs,
        }
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--singles", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--profile-dir", type=Path, default=None, help="also write the raw cProfile files there"
    )
    parser.add_argument("--server-log-level", default="INFO")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    common.run_main(lambda: profile(arguments))
