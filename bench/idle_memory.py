"""Resident memory of an idle `nexus up` (SQLite, temporary data directory).

Starts `nexus up`, waits for /readyz, lets it settle `--settle` seconds and reports the
RSS of the process and its children (psutil); then the same after the demo seed
(`nexus up --demo`), plus after a few API calls have warmed the demo org's pages.

    .venv/bin/python bench/idle_memory.py
"""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

import common  # bench/common.py: run this file as a script, bench/ is on sys.path
import httpx
from common import emit, log

TARGET_MB = 300


def sample(deployment: common.Deployment) -> dict[str, Any]:
    [server] = deployment.servers
    processes = server.processes()
    rss = server.rss_bytes()
    uss = 0
    for process in processes:
        try:
            uss += process.memory_full_info().uss
        except Exception:
            uss = 0
            break
    return {
        "rss_mb": round(rss / 2**20, 1),
        "uss_mb": round(uss / 2**20, 1) if uss else None,
        "processes": len(processes),
    }


def run(demo: bool, args: argparse.Namespace) -> None:
    data_dir = common.temp_dir("idle-demo" if demo else "idle")
    started = time.perf_counter()
    variant = "nexus up --demo" if demo else "nexus up"
    try:
        deployment = common.start_embedded(
            data_dir,
            env={},
            log_level=args.server_log_level,
            demo=demo,
            ready_timeout=args.ready_timeout,
        )
    except (RuntimeError, TimeoutError) as error:
        lines = [line for line in str(error).splitlines() if line.strip(" │╭╰─")]
        emit(
            {
                "bench": "idle_memory",
                "variant": variant,
                "error": "server did not start",
                "log_tail": lines[-4:],
                "targets": {"rss_mb_max": TARGET_MB},
                "meets_target": None,
            }
        )
        return
    ready_s = time.perf_counter() - started
    try:
        log(f"{'demo' if demo else 'empty'}: ready after {ready_s:.1f}s; settling {args.settle}s")
        time.sleep(args.settle)
        idle = sample(deployment)
        after_use = None
        seeded = re.search(r"ready with (\d+) entries", (data_dir / "server.log").read_text())
        if demo:
            # A user opening the app: sign-in page data, balance sheet, recent entries.
            with httpx.Client(base_url=deployment.ledger_url, timeout=60) as client:
                tenant_headers = _demo_headers(client, data_dir)
                if tenant_headers:
                    for path in (
                        "/api/v1/ledger/balances",
                        "/api/v1/ledger/entries?limit=200",
                        "/api/v1/ledger/accounts",
                    ):
                        client.get(path, headers=tenant_headers).raise_for_status()
                    time.sleep(2)
                    after_use = sample(deployment)
        emit(
            {
                "bench": "idle_memory",
                "variant": variant,
                "params": {"settle_s": args.settle, "backend": "sqlite"},
                "results": {
                    "ready_s": round(ready_s, 1),
                    "demo_entries": int(seeded.group(1)) if seeded else None,
                    "idle": idle,
                    "after_a_few_reads": after_use,
                },
                "targets": {"rss_mb_max": TARGET_MB},
                "meets_target": idle["rss_mb"] < TARGET_MB
                and (after_use is None or after_use["rss_mb"] < TARGET_MB),
            }
        )
    finally:
        deployment.stop()


def _demo_headers(client: httpx.Client, data_dir: Any) -> dict[str, str] | None:
    """Sign in as the demo user with the password `nexus up --demo` printed in its log."""
    from nexus.gateway import demo

    text = (data_dir / "server.log").read_text(errors="replace")
    match = re.search(r"with password\s+(\S+)", text)
    if not match:
        log("demo password not found in the server log; skipping the reads")
        return None
    response = client.post(
        "/api/v1/auth/token", data={"username": demo.DEMO_EMAIL, "password": match.group(1)}
    )
    if response.status_code != 200:
        log(f"demo sign-in failed: {response.status_code}")
        return None
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def main(args: argparse.Namespace) -> None:
    log(f"machine: {common.machine()}")
    for demo in (False, True):
        if demo and args.no_demo:
            continue
        run(demo, args)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--settle", type=float, default=5.0, help="idle seconds before sampling")
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=600.0,
        help="seconds to wait for readiness (the demo seed comes first)",
    )
    parser.add_argument("--no-demo", action="store_true", help="skip the --demo run")
    common.add_server_args(parser)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    common.run_main(lambda: main(arguments))
