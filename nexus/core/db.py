"""One database per service: engine, sessions and the transaction boundary.

Embedded mode gives each service its own SQLite file in WAL mode with
`synchronous=FULL` (a committed entry survives a power cut). SQLite allows one writer,
so writes go through a dedicated single-connection engine that starts transactions
with `BEGIN IMMEDIATE`: writers queue in the pool instead of failing with "database is
locked", and reads never wait for them. On PostgreSQL both roles share one pool, and
reads run in REPEATABLE READ so each request sees a single snapshot.

The transaction boundary lives here and only here: a request's session commits when
the handler succeeds and rolls back when it raises. Services only flush.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from fastapi import Depends
from sqlalchemy import JSON, DateTime, Dialect, MetaData, TypeDecorator, Uuid, event, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeEngine
from starlette.requests import Request

from nexus.core.errors import ServiceUnavailable

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSON on SQLite, JSONB on PostgreSQL.
JSONType: TypeEngine[Any] = JSON().with_variant(postgresql.JSONB(), "postgresql")
UUIDType = Uuid(as_uuid=True)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on every backend.

    PostgreSQL keeps `timestamptz`; SQLite keeps text without an offset, which would
    compare local clock times as strings. Values are converted to UTC on the way in
    (naive values are a programmer error) and come back aware in UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use nexus.core.clock.utc_now() or an aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_WAL_CHECKPOINT_PAGES = 10_000
SQLITE_WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
POOL_TIMEOUT_SECONDS = 60
POSTGRESQL_POOL_KEPT = 32  # connections a service keeps open per process
POSTGRESQL_POOL_MAX = 40
POOL_RECYCLE_SECONDS = 1800


def new_metadata() -> MetaData:
    """Return the MetaData of one service's own database, with deterministic names."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite(engine: AsyncEngine, *, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # A checkpoint runs inside the commit that fills the WAL past this many pages: at
        # SQLite's default (1000 pages, 4 MB) every other 1000-entry batch paid for one,
        # and pages rewritten by every batch (balances, index roots) were copied back
        # each time. 40 MB between checkpoints halves a batch's commit; the file is
        # trimmed back to 64 MB after one.
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_SIZE_LIMIT_BYTES}")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)


class Database:
    """The engines and session factories of one service's database."""

    def __init__(self, name: str, url: str, *, echo: bool = False) -> None:
        self.name = name
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.write_engine = create_async_engine(
                url, echo=echo, pool_size=1, max_overflow=0, pool_timeout=POOL_TIMEOUT_SECONDS
            )
            _configure_sqlite(self.write_engine, begin="BEGIN IMMEDIATE")
            self.read_engine = create_async_engine(url, echo=echo, pool_size=4, max_overflow=4)
            _configure_sqlite(self.read_engine, begin="BEGIN")
        else:
            # Connections past `pool_size` are closed when returned, and a new asyncpg
            # connection costs the server ~20 ms (type introspection, statements
            # prepared again): at 20 kept, 32 concurrent requests opened ~7 a second.
            self.write_engine = create_async_engine(
                url,
                echo=echo,
                pool_size=POSTGRESQL_POOL_KEPT,
                max_overflow=POSTGRESQL_POOL_MAX - POSTGRESQL_POOL_KEPT,
                pool_timeout=POOL_TIMEOUT_SECONDS,
                pool_recycle=POOL_RECYCLE_SECONDS,
            )
            # A read request sees one snapshot, so a report never mixes two moments
            # (read-only REPEATABLE READ transactions cannot fail to serialize).
            self.read_engine = self.write_engine.execution_options(
                isolation_level="REPEATABLE READ"
            )
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """Return 'sqlite' or 'postgresql'."""
        return "sqlite" if self.is_sqlite else "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Yield a write session that commits on success and rolls back on error."""
        async with self._write_sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """Yield a read-only session (rolled back at the end)."""
        async with self._read_sessions() as session:
            try:
                yield session
            finally:
                await session.rollback()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.write_engine.dispose()
        if self.is_sqlite:
            await self.read_engine.dispose()


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"


# What a driver raises when the server went away under a pooled connection.
_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.InternalClientError,  # e.g. a protocol left mid-operation by a dropped server
)


@asynccontextmanager
async def driver_connection(session: AsyncSession) -> AsyncIterator[Any]:
    """Yield the driver's own connection under `session` (asyncpg or aiosqlite).

    For the few hot paths where SQLAlchemy's per-statement work costs more than the
    database's. On PostgreSQL SQLAlchemy opens its transaction lazily, at its first
    statement: a driver statement issued before that runs (and commits) on its own.
    Pooled connections are not pinged before use (a ping is three round trips on
    asyncpg); a connection found dead here empties the pool and the request gets a
    503 it can retry, never a 500.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    try:
        yield driver
    except _CONNECTION_LOST as error:
        # The server restarted or dropped us: every pooled connection is as dead as this
        # one, so the pool starts afresh and only this request is refused.
        await connection.invalidate(error if isinstance(error, Exception) else None)
        await connection.engine.dispose()
        raise DatabaseUnavailable("The database connection was lost; retry.") from error


async def begin_postgresql_session(session: AsyncSession) -> None:
    """Open a PostgreSQL `session`'s transaction now, so driver statements run inside it.

    SQLAlchemy begins on PostgreSQL at its first statement; a driver call before that
    would run, and commit, on its own (a COPY, or several statements meant as one).
    """
    async with driver_connection(session) as driver:
        in_transaction = driver.is_in_transaction()
    if not in_transaction:
        await session.execute(select(1))


def database_of(request: Request, service: str) -> Database:
    """Return the Database of `service` registered on the running app."""
    databases: dict[str, Database] = request.app.state.databases
    return databases[service]


def write_session(service: str) -> Any:
    """Declare `service`'s write session for one request: commit on success, else roll back.

    Scoped to the endpoint function, so the commit happens before the response is sent:
    a client never sees 201 for a write that then failed to commit.
    """

    async def dependency(request: Request) -> AsyncIterator[AsyncSession]:
        async with database_of(request, service).transaction() as session:
            yield session

    return Depends(dependency, scope="function")


def read_session(service: str) -> Any:
    """Declare `service`'s read-only session for one request."""

    async def dependency(request: Request) -> AsyncIterator[AsyncSession]:
        async with database_of(request, service).reading() as session:
            yield session

    return Depends(dependency, scope="function")
