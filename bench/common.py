"""Shared helpers of the benchmarks: real servers, throwaway databases, sign-up, statistics.

Every benchmark starts real Nexus processes (`nexus up` or `nexus serve`) on free ports
of 127.0.0.1 and talks to them over HTTP. Whatever a run creates (server processes,
PostgreSQL databases, temporary directories) is registered with `CLEANUP` and removed
in reverse order when the run ends, fails or is interrupted (Ctrl-C, SIGTERM, SIGHUP).
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import psutil

ROOT = Path(__file__).resolve().parents[1]
NEXUS = ROOT / ".venv" / "bin" / "nexus"
PG_ADMIN_URL = os.environ.get(
    "NEXUS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct horse battery staple 42"
TOKEN_MAX_AGE_SECONDS = 600  # access tokens live 15 minutes; sign in again well before


# --- output and statistics -----------------------------------------------------------


def emit(record: dict[str, Any]) -> None:
    """Print one benchmark result as one JSON line on stdout."""
    sys.stdout.write(
        orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS).decode() + "\n"
    )
    sys.stdout.flush()


def log(message: str) -> None:
    """Progress for humans, on stderr (stdout carries only JSON)."""
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def percentile(values: Sequence[float], p: float) -> float:
    """Return the p-th percentile (0-100) with linear interpolation, like numpy's default."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: Sequence[float]) -> dict[str, float | int]:
    """Return count, mean, p50, p95, p99 and max of latencies, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"count": 0}
    return {
        "count": len(ms),
        "mean_ms": round(sum(ms) / len(ms), 3),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(max(ms), 3),
    }


# --- cleanup -------------------------------------------------------------------------


class Cleanup:
    """Callbacks run once, newest first, at the end of the run whatever happens."""

    def __init__(self) -> None:
        self._callbacks: list[tuple[str, Callable[[], None]]] = []

    def add(self, name: str, callback: Callable[[], None]) -> None:
        self._callbacks.append((name, callback))

    def remove(self, callback: Callable[[], None]) -> None:
        self._callbacks = [(n, c) for n, c in self._callbacks if c is not callback]

    def run(self) -> None:
        while self._callbacks:
            name, callback = self._callbacks.pop()
            try:
                callback()
            except BaseException as error:  # keep cleaning up whatever went wrong
                log(f"cleanup of {name} failed: {error!r}")


CLEANUP = Cleanup()
atexit.register(CLEANUP.run)


def _raise_interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run_main(main: Callable[[], Any]) -> None:
    """Run `main` (sync or returning a coroutine) and clean up on success, error or Ctrl-C."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_interrupt)
    code = 0
    try:
        result = main()
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        code = 130
    finally:
        # A second Ctrl-C must not abandon servers or databases half-way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        CLEANUP.run()
    sys.exit(code)


def temp_dir(prefix: str) -> Path:
    """Return a fresh temporary directory removed at the end of the run."""
    path = Path(tempfile.mkdtemp(prefix=f"nexus-bench-{prefix}-"))
    CLEANUP.add(f"rm {path}", lambda: shutil.rmtree(path, ignore_errors=True))
    return path


# --- PostgreSQL databases ------------------------------------------------------------


def _asyncpg_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def sqlalchemy_url(name: str) -> str:
    """Return the SQLAlchemy URL of database `name` on the benchmark server."""
    return _asyncpg_url(name).replace("postgresql://", "postgresql+asyncpg://", 1)


def raw_url(name: str) -> str:
    """Return the asyncpg URL of database `name` on the benchmark server."""
    return _asyncpg_url(name)


async def _admin(statements: Iterable[str]) -> None:
    connection = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _drop_database(name: str) -> None:
    asyncio.run(_admin([f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)']))
    log(f"dropped database {name}")


async def create_database(purpose: str) -> str:
    """Create a fresh database dropped (WITH FORCE) at the end of the run; return its name."""
    name = f"nexus_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}_{purpose}"
    await _admin([f'CREATE DATABASE "{name}"'])
    CLEANUP.add(f"drop database {name}", lambda: _drop_database(name))
    return name


async def postgres_env() -> dict[str, str]:
    """Create fresh databases of every service; return the NEXUS_* variables that use them."""
    return {
        "NEXUS_AUTH_DATABASE_URL": sqlalchemy_url(await create_database("auth")),
        "NEXUS_LEDGER_DATABASE_URL": sqlalchemy_url(await create_database("ledger")),
        "NEXUS_INGEST_DATABASE_URL": sqlalchemy_url(await create_database("ingest")),
    }


def ledger_database_name(env: dict[str, str]) -> str:
    return env["NEXUS_LEDGER_DATABASE_URL"].rsplit("/", 1)[1]


# --- servers -------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One Nexus process (and its uvicorn workers) in its own process group."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        port: int,
        env: dict[str, str],
        log_path: Path,
        profile_path: Path | None = None,
    ) -> None:
        self.name = name
        self.args = [str(NEXUS), *args, "--port", str(port)]
        if profile_path is not None:  # cProfile of the whole process, written when it stops
            self.args = [
                str(NEXUS.parent / "python"),
                "-m",
                "cProfile",
                "-o",
                str(profile_path),
                "-m",
                "nexus.cli",
                *self.args[1:],
            ]
        self.port = port
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
        env.update(self.env)
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                self.args,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.log_path.parent,
                start_new_session=True,
            )  # its own group: our Ctrl-C reaches us, we stop it
        CLEANUP.add(f"stop {self.name}", self.stop)
        return self

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Wait until /readyz answers 200; return the seconds it took."""
        started = time.perf_counter()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def processes(self) -> list[psutil.Process]:
        """The server process and all its descendants (uvicorn workers)."""
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss_bytes(self) -> int:
        total = 0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        total = 0.0
        for process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # SIGINT: uvicorn shuts down gracefully and then re-raises it, which a profiled
        # server survives long enough to write its profile (SIGTERM would kill it first).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        # uvicorn waits for in-flight requests (a batch can take seconds); a second SIGINT
        # makes it exit at once; SIGKILL is the last resort.
        for then in (signal.SIGINT, signal.SIGKILL):
            try:
                self.process.wait(timeout=15)
                break
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, then)
        self.process.wait(timeout=10)
        log(f"stopped {self.name}")


@dataclass
class Deployment:
    """Running Nexus processes and where to reach auth and the ledger."""

    kind: str  # "embedded" or "distributed"
    backend: str  # "sqlite" or "postgres"
    auth_url: str
    ledger_url: str
    servers: list[Server]
    env: dict[str, str] = field(default_factory=dict)
    data_dir: Path | None = None
    ledger_workers: int = 1

    def cpu_seconds(self) -> float:
        return sum(server.cpu_seconds() for server in self.servers)

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()
            CLEANUP.remove(server.stop)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "backend": self.backend,
            "ledger_workers": self.ledger_workers,
            "processes": [" ".join(s.args[1:]) for s in self.servers],
        }


def base_env(log_level: str) -> dict[str, str]:
    return {"NEXUS_LOG_LEVEL": log_level}


def start_embedded(
    data_dir: Path,
    *,
    env: dict[str, str],
    log_level: str = "INFO",
    demo: bool = False,
    ready_timeout: float = 180.0,
    profile_path: Path | None = None,
) -> Deployment:
    """Start `nexus up` (SQLite, or PostgreSQL when `env` names database URLs)."""
    port = free_port()
    args = ["up", "--data-dir", str(data_dir)] + (["--demo"] if demo else [])
    server_env = {**base_env(log_level), "NEXUS_DATA_DIR": str(data_dir), **env}
    server = Server(
        "nexus up",
        args,
        port=port,
        env=server_env,
        log_path=data_dir / "server.log",
        profile_path=profile_path,
    ).start()
    server.wait_ready(ready_timeout)
    backend = "postgres" if "NEXUS_LEDGER_DATABASE_URL" in env else "sqlite"
    return Deployment("embedded", backend, server.url, server.url, [server], env, data_dir)


def start_distributed(
    data_dir: Path, *, env: dict[str, str], ledger_workers: int = 2, log_level: str = "INFO"
) -> Deployment:
    """Start `nexus serve auth` and `nexus serve ledger --workers N` on PostgreSQL."""
    server_env = {**base_env(log_level), "NEXUS_DATA_DIR": str(data_dir), **env}
    # Migrate once up front so the ledger's workers do not race to create the schema.
    subprocess.run(
        [str(NEXUS), "migrate", "--data-dir", str(data_dir)],
        check=True,
        env={**os.environ, **server_env},
        stdout=subprocess.DEVNULL,
        cwd=data_dir,
    )
    auth_port, ledger_port = free_port(), free_port()
    auth = Server(
        "nexus serve auth",
        ["serve", "auth"],
        port=auth_port,
        env=server_env,
        log_path=data_dir / "auth.log",
    ).start()
    auth.wait_ready()
    ledger_env = {**server_env, "NEXUS_JWKS_URL": f"{auth.url}/api/v1/auth/.well-known/jwks.json"}
    ledger = Server(
        f"nexus serve ledger --workers {ledger_workers}",
        ["serve", "ledger", "--workers", str(ledger_workers)],
        port=ledger_port,
        env=ledger_env,
        log_path=data_dir / "ledger.log",
    ).start()
    ledger.wait_ready()
    return Deployment(
        "distributed",
        "postgres",
        auth.url,
        ledger.url,
        [auth, ledger],
        env,
        data_dir,
        ledger_workers,
    )


def add_server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile-dir",
        type=Path,
        default=None,
        help="run each embedded server under cProfile and write "
        "<dir>/<scenario>.prof when it stops (slows it down)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120.0,
        help="before measuring, wait up to this many seconds for foreign CPU "
        "load on the machine to drop below half a core (default 120)",
    )
    parser.add_argument(
        "--server-log-level",
        default="INFO",
        help="NEXUS_LOG_LEVEL of the servers (INFO, the default, writes an "
        "access log line per request to the server log file).",
    )


# --- tenants -------------------------------------------------------------------------


@dataclass
class Tenant:
    """A signed-in owner of a fresh organisation; re-signs in before the token expires."""

    auth_url: str
    email: str
    org_id: str
    access_token: str
    signed_in_at: float

    async def refresh(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            f"{self.auth_url}/api/v1/auth/token",
            data={"username": self.email, "password": PASSWORD},
        )
        response.raise_for_status()
        self.access_token = response.json()["access_token"]
        self.signed_in_at = time.monotonic()

    async def fresh_headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        if time.monotonic() - self.signed_in_at > TOKEN_MAX_AGE_SECONDS:
            await self.refresh(client)
        return self.headers

    @property
    def token_age(self) -> float:
        return time.monotonic() - self.signed_in_at

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def sign_up(client: httpx.AsyncClient, auth_url: str) -> Tenant:
    """Register a user with a new organisation and sign in as its owner."""
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    response = await client.post(
        f"{auth_url}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "org_name": f"Bench {email}"},
    )
    if response.status_code != 201:
        raise RuntimeError(f"register failed: {response.status_code} {response.text}")
    org_id = response.json()["organisation"]["id"]
    tenant = Tenant(auth_url, email, org_id, "", 0.0)
    await tenant.refresh(client)
    return tenant


async def set_up_household(
    client: httpx.AsyncClient, ledger_url: str, tenant: Tenant
) -> list[dict[str, Any]]:
    """Open the household chart in EUR; return the accounts."""
    response = await client.post(
        f"{ledger_url}/api/v1/ledger/setup",
        json={"template": "household", "base_currency": "EUR"},
        headers=tenant.headers,
    )
    if response.status_code != 201:
        raise RuntimeError(f"setup failed: {response.status_code} {response.text}")
    accounts: list[dict[str, Any]] = response.json()["accounts"]
    return accounts


# --- a lean HTTP/1.1 load client -----------------------------------------------------


KEEPALIVE_IDLE_MAX_S = 4.0  # uvicorn closes keep-alive connections idle for 5 s


class RawConnection:
    """One keep-alive HTTP/1.1 connection with pre-encoded requests.

    httpx spends about a millisecond of CPU per request; on a two-core machine shared
    with the server that alone would cap the load. This client costs a few tens of
    microseconds per request, so the measured limit is the server's.
    """

    def __init__(self, url: str) -> None:
        host_port = url.removeprefix("http://")
        host, _, port = host_port.partition(":")
        self.host, self.port = host, int(port or 80)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self.host, self.port, limit=1 << 20
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, bytes]:
        """Send one request; a keep-alive connection the server closed meanwhile is reopened
        and the request sent again once (every POST here carries an idempotency key)."""
        if self._writer is not None and time.monotonic() - self._last_used > KEEPALIVE_IDLE_MAX_S:
            await self.close()
        reused = self._writer is not None
        try:
            return await self._request(method, path, headers, body, content_type)
        except (asyncio.IncompleteReadError, ConnectionError):
            if not reused:
                raise
            return await self._request(method, path, headers, body, content_type)

    async def _request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None,
        body: bytes | None,
        content_type: str,
    ) -> tuple[int, bytes]:
        if self._writer is None:
            await self._connect()
        assert self._reader is not None
        assert self._writer is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if body is not None:
            lines.append(f"Content-Type: {content_type}")
            lines.append(f"Content-Length: {len(body)}")
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        try:
            await self._writer.drain()
            head = await self._reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            raise
        status_line, *header_lines = head[:-4].split(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length: int | None = None
        chunked = close = False
        for line in header_lines:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self._reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
                if size == 0:
                    await self._reader.readuntil(b"\r\n")
                    break
                parts.append(await self._reader.readexactly(size))
                await self._reader.readexactly(2)
            payload = b"".join(parts)
        elif length is not None:
            payload = await self._reader.readexactly(length)
        else:
            payload = await self._reader.read()
            close = True
        self._last_used = time.monotonic()
        if close:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
        self._reader = self._writer = None


def postgres_cpu_by_pid() -> dict[int, float]:
    """CPU seconds of each process of the local PostgreSQL server (read from /proc)."""
    found = {}
    for process in psutil.process_iter(["name", "cpu_times"]):
        if process.info["name"] in ("postgres", "postmaster") and process.info["cpu_times"]:
            found[process.pid] = process.info["cpu_times"].user + process.info["cpu_times"].system
    return found


def postgres_cpu_since(start: dict[int, float]) -> float:
    """PostgreSQL CPU seconds since `start`; backends that exited meanwhile are not counted."""
    return sum(cpu - start.get(pid, 0.0) for pid, cpu in postgres_cpu_by_pid().items())


class CpuMeter:
    """CPU seconds of this client, the Nexus servers, PostgreSQL and the machine over a span.

    `other_cpu_pct_of_core` is what the rest of the machine used meanwhile: on a shared
    machine, a high figure means the run competed with foreign load.
    """

    def __init__(self, deployment: Deployment | None) -> None:
        self.deployment = deployment

    def __enter__(self) -> CpuMeter:
        self._wall = time.perf_counter()
        self._client = time.process_time()
        self._server = self.deployment.cpu_seconds() if self.deployment else 0.0
        self._postgres = postgres_cpu_by_pid()
        self._machine = psutil.cpu_times()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.client = time.process_time() - self._client
        self.server = (self.deployment.cpu_seconds() - self._server) if self.deployment else 0.0
        self.postgres = postgres_cpu_since(self._postgres)
        end = psutil.cpu_times()
        busy = sum(
            getattr(end, f) - getattr(self._machine, f)
            for f in ("user", "nice", "system", "irq", "softirq", "steal")
        )
        total = (
            busy
            + (end.idle - self._machine.idle)
            + (getattr(end, "iowait", 0) - getattr(self._machine, "iowait", 0))
        )
        self.machine_busy = busy / total if total else math.nan
        self.machine_busy_cores = self.machine_busy * (psutil.cpu_count() or 1)

    def summary(self) -> dict[str, float]:
        """Percent of one core for client and Nexus servers; percent of all cores busy."""
        return {
            "wall_s": round(self.wall, 3),
            "client_cpu_pct_of_core": round(100 * self.client / self.wall, 1),
            "nexus_cpu_pct_of_core": round(100 * self.server / self.wall, 1),
            "postgres_cpu_pct_of_core": round(100 * self.postgres / self.wall, 1),
            "other_cpu_pct_of_core": round(
                100
                * (
                    self.machine_busy_cores
                    - (self.client + self.server + self.postgres) / self.wall
                ),
                1,
            ),
            "machine_busy_pct": round(100 * self.machine_busy, 1),
            "cores": psutil.cpu_count() or 0,
        }


def foreign_load(sample_s: float = 1.0) -> float:
    """Cores busy with processes other than ours and PostgreSQL, sampled over `sample_s`."""
    ours = {os.getpid(), *(p.pid for p in psutil.Process().children(recursive=True))}
    start_postgres = postgres_cpu_by_pid()
    start_ours = sum(
        sum(psutil.Process(pid).cpu_times()[:2]) for pid in ours if psutil.pid_exists(pid)
    )
    start = psutil.cpu_times()
    time.sleep(sample_s)
    end = psutil.cpu_times()
    busy = sum(
        getattr(end, f) - getattr(start, f)
        for f in ("user", "nice", "system", "irq", "softirq", "steal")
    )
    with contextlib.suppress(psutil.NoSuchProcess):
        busy -= (
            sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in ours if psutil.pid_exists(pid))
            - start_ours
        )
    busy -= postgres_cpu_since(start_postgres)
    return max(0.0, busy / sample_s)


def wait_for_quiet(max_wait_s: float, threshold_cores: float = 0.5) -> dict[str, float]:
    """Wait (bounded) until foreign load is low; return what was seen, for the record."""
    started = time.monotonic()
    load = foreign_load()
    while load > threshold_cores and time.monotonic() - started < max_wait_s:
        log(f"machine busy with foreign load ({load:.2f} cores); waiting")
        time.sleep(4)
        load = foreign_load()
    return {
        "foreign_load_cores_before": round(load, 2),
        "waited_s": round(time.monotonic() - started, 1),
    }


def machine() -> dict[str, Any]:
    return {
        "cores": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
    }
