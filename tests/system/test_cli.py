"""The real `nexus` command, as a user runs it: processes, ports, files on disk."""

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import POSTGRES_URL, require_postgres

pytestmark = pytest.mark.system
NEXUS = [sys.executable, "-m", "nexus.cli"]
PASSWORD = "correct horse battery staple 42"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _nexus(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEXUS, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


class Server:
    def __init__(self, data_dir: Path, *extra: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"server-{self.port}.log"
        self.process = subprocess.Popen(
            [*NEXUS, "up", "--port", str(self.port), "--data-dir", str(data_dir), *extra],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            env={**os.environ, "NEXUS_LOG_LEVEL": "WARNING"},
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"nexus up did not become ready:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _sign_up(http: httpx.Client) -> dict[str, str]:
    email = f"cli-{uuid.uuid4().hex[:8]}@example.com"
    registered = http.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "org_name": "CLI test"}
    )
    assert registered.status_code == 201, registered.text
    token = http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_nexus_up_serves_the_api_docs_health_and_metrics(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        checks = http.get("/readyz").json()["checks"]
        assert checks == {"auth": "ok", "ledger": "ok", "ingest": "ok"}
        assert http.get("/api/v1/openapi.json").json()["info"]["title"] == "Nexus"
        assert http.get("/api/docs").status_code == 200
        headers = _sign_up(http)
        response = http.get(
            "/api/v1/ledger/accounts", headers={**headers, "X-Request-ID": "trace-me-42"}
        )
        assert response.headers["x-request-id"] == "trace-me-42"
        assert response.headers["x-content-type-options"] == "nosniff"
        metrics = http.get("/metrics").text
        assert re.search(
            r'nexus_http_requests_total\{method="GET",route="/api/v1/ledger/accounts",status="200"\}',
            metrics,
        )
        assert "nexus_http_request_duration_seconds_bucket" in metrics
        assert "nexus_ledger_entries_posted_total" in metrics
        unauthenticated = http.get("/api/v1/ledger/accounts")
        assert unauthenticated.status_code == 401
        assert unauthenticated.json()["error"]["code"] == "unauthenticated"


def test_ledger_verify_names_the_row_altered_on_disk(server: Server, tmp_path: Path) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        headers = _sign_up(http)
        accounts = {
            a["code"]: a["id"]
            for a in http.post(
                "/api/v1/ledger/setup",
                json={"template": "household", "base_currency": "EUR"},
                headers=headers,
            ).json()["accounts"]
        }
        ids = [
            http.post(
                "/api/v1/ledger/entries",
                headers=headers,
                json={
                    "date": f"2026-05-{day:02d}",
                    "description": f"Coffee {day}",
                    "postings": [
                        {"account_id": accounts["5030"], "amount": "3.20", "currency": "EUR"},
                        {"account_id": accounts["1010"], "amount": "-3.20", "currency": "EUR"},
                    ],
                },
            ).json()["id"]
            for day in range(1, 5)
        ]
    server.stop()
    data_dir = tmp_path / "data"
    intact = _nexus("ledger", "verify", "--data-dir", str(data_dir))
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "intact" in intact.stdout
    with sqlite3.connect(data_dir / "ledger.db") as db:
        db.execute("DROP TRIGGER entries_no_update")
        db.execute(
            "UPDATE entries SET description = 'Coffee (and a cake)' WHERE id = ?",
            (uuid.UUID(ids[2]).hex,),
        )
    broken = _nexus("ledger", "verify", "--data-dir", str(data_dir))
    assert broken.returncode == 1
    assert "BROKEN at link 3" in broken.stdout.replace("\n", " ")


def test_nexus_up_demo_seeds_two_years_of_books(tmp_path: Path) -> None:
    running = Server(tmp_path / "data", "--demo")
    try:
        running.wait_ready(timeout=300)
        output = running.log.read_text()
        password = re.search(r"with password (\S+)", output)
        assert password, output
        with httpx.Client(base_url=running.url, timeout=30) as http:
            token = http.post(
                "/api/v1/auth/token",
                data={"username": "demo@nexus.local", "password": password.group(1)},
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            entries = http.get(
                "/api/v1/ledger/entries", params={"limit": 500}, headers=headers
            ).json()
            assert len(entries["items"]) == 500
            assert entries["next_cursor"]
            days = sorted(item["date"] for item in entries["items"])
            assert days[-1] >= days[0]
            sheet = http.get("/api/v1/ledger/balances", headers=headers).json()
            totals = {item["code"]: item["total"] for item in sheet["items"]}
            assert totals["4010"][0]["currency"] == "EUR"
            assert totals["4010"][0]["amount"].startswith("-")  # two years of salary credited
            assert totals["1010"][0]["amount"][0] != "-"  # the checking account stays in credit
    finally:
        running.stop()
    again = Server(tmp_path / "data", "--demo")
    try:
        again.wait_ready(timeout=120)
        assert "exists already" in again.log.read_text()
    finally:
        again.stop()


async def test_nexus_migrate_builds_every_service_on_postgresql() -> None:
    await require_postgres()
    admin = await asyncpg.connect(POSTGRES_URL)
    names = {
        service: f"nexus_cli_{uuid.uuid4().hex[:8]}_{service}" for service in ("auth", "ledger")
    }
    try:
        for name in names.values():
            await admin.execute(f'CREATE DATABASE "{name}"')
        base = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        env = {
            f"NEXUS_{service.upper()}_DATABASE_URL": f"{base}/{name}"
            for service, name in names.items()
        }
        result = _nexus("migrate", env=env)
        assert result.returncode == 0, result.stderr
        assert "ledger is at the latest schema" in result.stdout
        ledger = await asyncpg.connect(POSTGRES_URL.rsplit("/", 1)[0] + "/" + names["ledger"])
        try:
            tables = {
                row["tablename"]
                for row in await ledger.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
            assert {
                "entries",
                "postings",
                "account_balances",
                "chain_links",
                "outbox",
                "alembic_version",
            } <= tables
        finally:
            await ledger.close()
    finally:
        for name in names.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
