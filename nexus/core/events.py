"""Events: the envelope, the transactional outbox and an in-process dispatcher.

A service writes its events to its own `outbox` table in the same transaction as the
change, so a committed change always produces its event and a rolled-back one never
does. A dispatcher later reads undelivered rows in id order (UUIDv7: time order) and
hands them to subscribers; a subscriber that fails is retried on the next pass, so
consumers must be idempotent (record the ids of the events they handled).
"""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.db import Database, JSONType, UTCDateTime, UUIDType
from nexus.core.ids import new_id

log = structlog.get_logger(__name__)


class EventEnvelope(BaseModel):
    """What travels between services: a typed, versioned fact about one organisation."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(default_factory=new_id)
    type: str = Field(examples=["ledger.entry_posted"])
    org_id: uuid.UUID
    occurred_at: datetime = Field(default_factory=utc_now)
    version: int = 1
    data: dict[str, Any]


def outbox_table(metadata: MetaData) -> Table:
    """Define the `outbox` table inside one service's metadata."""
    return Table(
        "outbox",
        metadata,
        Column("id", UUIDType, primary_key=True),
        Column("type", String(100), nullable=False),
        Column("org_id", UUIDType, nullable=False),
        Column("occurred_at", UTCDateTime, nullable=False),
        Column("version", Integer, nullable=False),
        Column("data", JSONType, nullable=False),
        Column("dispatched_at", UTCDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
        # The dispatcher reads only undelivered rows; delivered ones leave this index.
        Index(
            "ix_outbox_undelivered",
            "id",
            sqlite_where=text("dispatched_at IS NULL"),
            postgresql_where=text("dispatched_at IS NULL"),
        ),
    )


def outbox_row(envelope: EventEnvelope) -> dict[str, Any]:
    """Return the outbox row of `envelope` (JSON-safe data)."""
    return {
        "id": envelope.id,
        "type": envelope.type,
        "org_id": envelope.org_id,
        "occurred_at": envelope.occurred_at,
        "version": envelope.version,
        "data": envelope.model_dump(mode="json")["data"],
        "attempts": 0,
    }


async def publish(session: AsyncSession, outbox: Table, envelopes: Sequence[EventEnvelope]) -> None:
    """Write `envelopes` to the outbox inside the caller's transaction."""
    if envelopes:
        await session.execute(insert(outbox), [outbox_row(e) for e in envelopes])


Handler = Callable[[EventEnvelope], Awaitable[None]]

# After this many failed deliveries an event is set aside (kept with its last error)
# so one broken subscriber cannot hold back every later event.
DELIVERY_ATTEMPTS_MAX = 10


class Dispatcher:
    """Delivers outbox rows to in-process subscribers, at least once, in order."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._sources: list[tuple[Database, Table]] = []

    def subscribe(self, event_type: str, handler: Handler) -> None:
        """Call `handler` for every event of `event_type` ('*' for all)."""
        self._handlers[event_type].append(handler)

    def add_source(self, database: Database, outbox: Table) -> None:
        """Dispatch the outbox of `database`."""
        self._sources.append((database, outbox))

    async def dispatch_once(self, *, batch_max: int = 500) -> int:
        """Deliver up to `batch_max` pending events of each source; return how many."""
        if not self._handlers:
            return 0  # nobody listens yet: events wait in the outbox for the first subscriber
        delivered = 0
        for database, outbox in self._sources:
            delivered += await self._dispatch_source(database, outbox, batch_max)
        return delivered

    async def _dispatch_source(self, database: Database, outbox: Table, batch_max: int) -> int:
        async with database.reading() as session:
            rows = (
                await session.execute(
                    select(outbox)
                    .where(outbox.c.dispatched_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(batch_max)
                )
            ).all()
        delivered: list[uuid.UUID] = []
        for row in rows:
            envelope = EventEnvelope(
                id=row.id,
                type=row.type,
                org_id=row.org_id,
                occurred_at=row.occurred_at,
                version=row.version,
                data=row.data,
            )
            try:
                for handler in self._handlers.get(envelope.type, []) + self._handlers.get("*", []):
                    await handler(envelope)
            except Exception as exc:  # a failing subscriber must not stop the others
                await self._record_failure(database, outbox, row, exc)
                if row.attempts + 1 < DELIVERY_ATTEMPTS_MAX:
                    break  # keep per-source order: retry this event before later ones
                continue  # dead-lettered: kept with its error, no longer blocking the queue
            delivered.append(row.id)
        if delivered:
            async with database.transaction() as session:
                await session.execute(
                    update(outbox).where(outbox.c.id.in_(delivered)).values(dispatched_at=utc_now())
                )
        return len(delivered)

    async def _record_failure(
        self, database: Database, outbox: Table, row: Any, exc: Exception
    ) -> None:
        attempts = row.attempts + 1
        dead = attempts >= DELIVERY_ATTEMPTS_MAX
        log.warning(
            "event_handler_failed",
            event_id=str(row.id),
            event_type=row.type,
            attempts=attempts,
            dead_lettered=dead,
            error=str(exc),
        )
        values: dict[str, Any] = {"attempts": attempts, "last_error": str(exc)[:2000]}
        if dead:
            values["dispatched_at"] = utc_now()
        async with database.transaction() as session:
            await session.execute(update(outbox).where(outbox.c.id == row.id).values(**values))

    async def run_forever(self, *, interval_ms: int, batch_max: int) -> None:
        """Dispatch until cancelled, pausing `interval_ms` when idle."""
        while True:
            try:
                if await self.dispatch_once(batch_max=batch_max) == 0:
                    await asyncio.sleep(interval_ms / 1000)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatcher_pass_failed")
                await asyncio.sleep(interval_ms / 1000)


def event_row(
    *, event_type: str, org_id: uuid.UUID, data: dict[str, Any], occurred_at: datetime | None = None
) -> dict[str, Any]:
    """Return an outbox row for JSON-ready `data` (the fast path for bulk writes)."""
    return {
        "id": new_id(),
        "type": event_type,
        "org_id": org_id,
        "occurred_at": occurred_at or utc_now(),
        "version": 1,
        "data": data,
        "attempts": 0,
    }
