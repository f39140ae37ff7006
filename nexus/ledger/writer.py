"""Writing posted entries (one statement on PostgreSQL, one transaction on SQLite) and seals.

A `PostingPlan` holds everything a post writes, column by column: entries, postings,
their place in the sealer's queue, outbox events, and the deltas to add to current
balances and to the per-day and per-month balance index. The plan is complete before
the first byte is written, so the write itself is short.

On PostgreSQL a small plan is one `INSERT ... SELECT FROM unnest(...)` statement with
a data-modifying CTE per table. One statement is one round trip and is atomic on its
own: outside a transaction it commits by itself, inside one it joins it. A batch of
`COPY_ENTRIES_MIN` entries or more is streamed with binary `COPY` instead (entries,
postings, the sealer's queue and the outbox, in that order, inside one transaction)
and only its balance deltas go through the upsert statement: for thousands of rows
COPY costs the server less than an INSERT, and the driver encodes its rows in C where
array parameters are checked element by element in Python. Balance rows
are upserted (`balance = balance + delta`), so concurrent writers on a hot account
never lose an update, and the floor is enforced by the table's CHECK constraint on the
value the row really ends with. Sub-statements of one WITH run in no set order, so
each locking step waits for the one before it through a `(SELECT count(*) FROM ...)`
filter: entries first (a racing idempotency key waits there, holding nothing), then
balance rows, daily rows and monthly rows, each in sorted order. Every writer takes
its locks in that one order, so two writers cannot deadlock.

On SQLite (one writer at a time, `BEGIN IMMEDIATE`) each table is one `executemany`
on the driver, with values stored exactly as SQLAlchemy would store them.
"""

import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import repeat
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.db import begin_postgresql_session, driver_connection
from nexus.core.errors import Conflict
from nexus.ledger import domain
from nexus.ledger.repository import dialect_of

SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy writes
COPY_ENTRIES_MIN = 64  # from this many entries a PostgreSQL write streams with COPY


@dataclass(slots=True)
class PostingPlan:
    """Every row one post writes, as columns; balance deltas sorted by lock order."""

    org_id: uuid.UUID
    recorded_at: datetime
    created_by: uuid.UUID | None
    entry_ids: list[uuid.UUID] = field(default_factory=list)
    entry_dates: list[date] = field(default_factory=list)
    descriptions: list[str] = field(default_factory=list)
    payees: list[str | None] = field(default_factory=list)
    references: list[str | None] = field(default_factory=list)
    metadata_json: list[str | None] = field(default_factory=list)
    reverses: list[uuid.UUID | None] = field(default_factory=list)
    idempotency_keys: list[str | None] = field(default_factory=list)
    request_hashes: list[str | None] = field(default_factory=list)
    entry_hashes: list[str] = field(default_factory=list)
    posting_entry_ids: list[uuid.UUID] = field(default_factory=list)
    posting_lines: list[int] = field(default_factory=list)
    posting_accounts: list[uuid.UUID] = field(default_factory=list)
    posting_amounts: list[int] = field(default_factory=list)
    posting_currencies: list[str] = field(default_factory=list)
    posting_memos: list[str | None] = field(default_factory=list)
    posting_dates: list[date] = field(default_factory=list)
    event_ids: list[uuid.UUID] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    event_data_json: list[str] = field(default_factory=list)
    # (account_id, currency, delta_minor, floor_minor)
    balance_deltas: list[tuple[uuid.UUID, str, int, int | None]] = field(default_factory=list)
    # (account_id, currency, day or first of month, delta_minor)
    daily_deltas: list[tuple[uuid.UUID, str, date, int]] = field(default_factory=list)
    monthly_deltas: list[tuple[uuid.UUID, str, date, int]] = field(default_factory=list)


class ConcurrentWrite(Conflict):
    """Another request committed the same idempotency key or reversal meanwhile."""

    code = "concurrent_write"


def _floor_breach() -> domain.FloorBreach:
    return domain.FloorBreach(
        "An account may not go below its floor; a concurrent entry got there first.",
    )


def _overflow() -> domain.BalanceOverflow:
    return domain.BalanceOverflow("These postings would overflow an account's balance.")


def _concurrent() -> ConcurrentWrite:
    return ConcurrentWrite("A concurrent request wrote the same entry; retry to get its result.")


def seals_in_place(session: AsyncSession) -> bool:
    """Tell whether entries are sealed in the transaction that writes them (SQLite).

    SQLite lets one writer in at a time, so a writer already holds the chain's head:
    linking its entries there costs less than queueing them for a sealer, whose own
    transaction would wait its turn behind the writers and hold them up in turn. On
    PostgreSQL writers run side by side and the queue keeps them from waiting on one
    chain head.
    """
    return dialect_of(session) != "postgresql"


async def write_plan(session: AsyncSession, plan: PostingPlan) -> None:
    """Write `plan` all-or-nothing; a floor, overflow or key race is a clear error.

    On PostgreSQL the entries join the sealer's queue; on SQLite (`seals_in_place`)
    the caller seals them in the same transaction.
    """
    postgresql = dialect_of(session) == "postgresql"
    if postgresql and len(plan.entry_ids) >= COPY_ENTRIES_MIN:
        await begin_postgresql_session(session)  # COPY is several statements: one transaction
    async with driver_connection(session) as driver:
        if postgresql:
            await _write_postgresql(driver, plan)
        else:
            await _write_sqlite(driver, plan)


# --- PostgreSQL --------------------------------------------------------------------------


def _balance_upserts(*, first: int, after: str | None) -> str:
    """SQL adding the balance, daily and monthly deltas, in lock order.

    Its parameters are numbered from `first` (the org is always `$1`); `after` names a
    CTE of the same statement whose rows must be written first (entries, whose
    idempotency keys are where racing writers wait, holding nothing).
    """
    p = [f"${first + n}" for n in range(12)]
    wait = f"WHERE (SELECT count(*) FROM {after}) >= 0" if after else ""
    return f"""balances AS (
    INSERT INTO account_balances AS b (org_id, account_id, currency, balance_minor, floor_minor)
    SELECT $1, d.account_id, d.currency, d.delta, d.floor
    FROM unnest({p[0]}::uuid[], {p[1]}::text[], {p[2]}::bigint[], {p[3]}::bigint[])
         WITH ORDINALITY AS d(account_id, currency, delta, floor, n)
    {wait}
    ORDER BY d.n
    ON CONFLICT (org_id, account_id, currency)
    DO UPDATE SET balance_minor = b.balance_minor + excluded.balance_minor
    RETURNING 1
), days AS (
    INSERT INTO daily_balances AS t (org_id, account_id, currency, day, delta_minor)
    SELECT $1, d.account_id, d.currency, d.day, d.delta
    FROM unnest({p[4]}::uuid[], {p[5]}::text[], {p[6]}::date[], {p[7]}::bigint[])
         WITH ORDINALITY AS d(account_id, currency, day, delta, n)
    WHERE (SELECT count(*) FROM balances) >= 0
    ORDER BY d.n
    ON CONFLICT (org_id, account_id, currency, day)
    DO UPDATE SET delta_minor = t.delta_minor + excluded.delta_minor
    RETURNING 1
)
INSERT INTO monthly_balances AS t (org_id, account_id, currency, month, delta_minor)
SELECT $1, d.account_id, d.currency, d.month, d.delta
FROM unnest({p[8]}::uuid[], {p[9]}::text[], {p[10]}::date[], {p[11]}::bigint[])
     WITH ORDINALITY AS d(account_id, currency, month, delta, n)
WHERE (SELECT count(*) FROM days) >= 0
ORDER BY d.n
ON CONFLICT (org_id, account_id, currency, month)
DO UPDATE SET delta_minor = t.delta_minor + excluded.delta_minor
"""


_POSTGRESQL_WRITE = """
WITH new_entries AS (
    INSERT INTO entries (id, org_id, date, description, payee, reference, metadata,
                         recorded_at, reverses_entry_id, idempotency_key, request_hash,
                         created_by)
    SELECT e.id, $1, e.date, e.description, e.payee, e.reference, e.metadata::jsonb,
           $2, e.reverses, e.key, e.request_hash, $3
    FROM unnest($4::uuid[], $5::date[], $6::text[], $7::text[], $8::text[], $9::text[],
                $10::uuid[], $11::text[], $12::text[])
         AS e(id, date, description, payee, reference, metadata, reverses, key, request_hash)
    RETURNING 1
), new_postings AS (
    INSERT INTO postings (entry_id, line_no, org_id, account_id, amount_minor, currency,
                          memo, date, recorded_at)
    SELECT p.entry_id, p.line_no, $1, p.account_id, p.amount, p.currency, p.memo, p.date, $2
    FROM unnest($13::uuid[], $14::int[], $15::uuid[], $16::bigint[], $17::text[],
                $18::text[], $19::date[])
         AS p(entry_id, line_no, account_id, amount, currency, memo, date)
), queued AS (
    INSERT INTO chain_pending (entry_id, entry_hash, org_id)
    SELECT q.entry_id, q.entry_hash, $1
    FROM unnest($4::uuid[], $20::text[]) AS q(entry_id, entry_hash)
), events AS (
    INSERT INTO outbox (id, type, org_id, occurred_at, version, data, attempts)
    SELECT v.id, v.type, $1, $2, 1, v.data::jsonb, 0
    FROM unnest($21::uuid[], $22::text[], $23::text[]) AS v(id, type, data)
), """ + _balance_upserts(first=24, after="new_entries")
# The same balance upserts alone, after a COPY has written the rows they add up.
_POSTGRESQL_BALANCES = "WITH " + _balance_upserts(first=2, after=None)

_ENTRY_COLUMNS = (
    "id",
    "org_id",
    "date",
    "description",
    "payee",
    "reference",
    "metadata",
    "recorded_at",
    "reverses_entry_id",
    "idempotency_key",
    "request_hash",
    "created_by",
)
_POSTING_COLUMNS = (
    "entry_id",
    "line_no",
    "org_id",
    "account_id",
    "amount_minor",
    "currency",
    "memo",
    "date",
    "recorded_at",
)


def _columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


async def _write_postgresql(driver: Any, plan: PostingPlan) -> None:
    try:
        if len(plan.entry_ids) >= COPY_ENTRIES_MIN:
            await _copy_postgresql(driver, plan)
        else:
            await _insert_postgresql(driver, plan)
    except asyncpg.CheckViolationError as error:
        if error.constraint_name == "ck_account_balances_floor":
            raise _floor_breach() from error
        if error.constraint_name == "ck_account_balances_range":
            raise _overflow() from error
        raise
    except asyncpg.NumericValueOutOfRangeError as error:
        raise _overflow() from error
    except (asyncpg.UniqueViolationError, asyncpg.DeadlockDetectedError) as error:
        raise _concurrent() from error


def _balance_columns(plan: PostingPlan) -> list[list[Any]]:
    return [
        *_columns(plan.balance_deltas, 4),
        *_columns(plan.daily_deltas, 4),
        *_columns(plan.monthly_deltas, 4),
    ]


async def _insert_postgresql(driver: Any, plan: PostingPlan) -> None:
    await driver.execute(
        _POSTGRESQL_WRITE,
        plan.org_id,
        plan.recorded_at,
        plan.created_by,
        plan.entry_ids,
        plan.entry_dates,
        plan.descriptions,
        plan.payees,
        plan.references,
        plan.metadata_json,
        plan.reverses,
        plan.idempotency_keys,
        plan.request_hashes,
        plan.posting_entry_ids,
        plan.posting_lines,
        plan.posting_accounts,
        plan.posting_amounts,
        plan.posting_currencies,
        plan.posting_memos,
        plan.posting_dates,
        plan.entry_hashes,
        plan.event_ids,
        plan.event_types,
        plan.event_data_json,
        *_balance_columns(plan),
    )


async def _copy_postgresql(driver: Any, plan: PostingPlan) -> None:
    org, recorded = plan.org_id, plan.recorded_at
    entry_count, posting_count = len(plan.entry_ids), len(plan.posting_entry_ids)
    await driver.copy_records_to_table(
        "entries",
        columns=_ENTRY_COLUMNS,
        records=zip(
            plan.entry_ids,
            repeat(org, entry_count),
            plan.entry_dates,
            plan.descriptions,
            plan.payees,
            plan.references,
            plan.metadata_json,
            repeat(recorded, entry_count),
            plan.reverses,
            plan.idempotency_keys,
            plan.request_hashes,
            repeat(plan.created_by, entry_count),
            strict=False,
        ),
    )
    await driver.copy_records_to_table(
        "postings",
        columns=_POSTING_COLUMNS,
        records=zip(
            plan.posting_entry_ids,
            plan.posting_lines,
            repeat(org, posting_count),
            plan.posting_accounts,
            plan.posting_amounts,
            plan.posting_currencies,
            plan.posting_memos,
            plan.posting_dates,
            repeat(recorded, posting_count),
            strict=False,
        ),
    )
    await driver.copy_records_to_table(
        "chain_pending",
        columns=("entry_id", "entry_hash", "org_id"),
        records=zip(plan.entry_ids, plan.entry_hashes, repeat(org, entry_count), strict=False),
    )
    event_count = len(plan.event_ids)
    await driver.copy_records_to_table(
        "outbox",
        columns=("id", "type", "org_id", "occurred_at", "version", "data", "attempts"),
        records=zip(
            plan.event_ids,
            plan.event_types,
            repeat(org, event_count),
            repeat(recorded, event_count),
            repeat(1, event_count),
            plan.event_data_json,
            repeat(0, event_count),
            strict=False,
        ),
    )
    await driver.execute(_POSTGRESQL_BALANCES, org, *_balance_columns(plan))


# --- SQLite ------------------------------------------------------------------------------


def _uuid_text(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def _time_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime(SQLITE_DATETIME_FORMAT)


_SQLITE_UPSERTS = {
    "account_balances": (
        "INSERT INTO account_balances (org_id, account_id, currency, balance_minor, floor_minor)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id, account_id, currency)"
        " DO UPDATE SET balance_minor = balance_minor + excluded.balance_minor"
    ),
    "daily_balances": (
        "INSERT INTO daily_balances (org_id, account_id, currency, day, delta_minor)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id, account_id, currency, day)"
        " DO UPDATE SET delta_minor = delta_minor + excluded.delta_minor"
    ),
    "monthly_balances": (
        "INSERT INTO monthly_balances (org_id, account_id, currency, month, delta_minor)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (org_id, account_id, currency, month)"
        " DO UPDATE SET delta_minor = delta_minor + excluded.delta_minor"
    ),
}


def _sqlite_statements(plan: PostingPlan) -> list[tuple[str, list[tuple[Any, ...]]]]:
    org = plan.org_id.hex
    recorded = _time_text(plan.recorded_at)
    created_by = _uuid_text(plan.created_by)
    entry_ids = [entry_id.hex for entry_id in plan.entry_ids]
    entry_rows = [
        (
            entry_id,
            org,
            day.isoformat(),
            description,
            payee,
            reference,
            metadata,
            recorded,
            _uuid_text(reverses),
            key,
            digest,
            created_by,
        )
        for entry_id, day, description, payee, reference, metadata, reverses, key, digest in zip(
            entry_ids,
            plan.entry_dates,
            plan.descriptions,
            plan.payees,
            plan.references,
            plan.metadata_json,
            plan.reverses,
            plan.idempotency_keys,
            plan.request_hashes,
            strict=True,
        )
    ]
    posting_rows = [
        (entry_id.hex, line, org, account.hex, amount, currency, memo, day.isoformat(), recorded)
        for entry_id, line, account, amount, currency, memo, day in zip(
            plan.posting_entry_ids,
            plan.posting_lines,
            plan.posting_accounts,
            plan.posting_amounts,
            plan.posting_currencies,
            plan.posting_memos,
            plan.posting_dates,
            strict=True,
        )
    ]
    return [
        (
            "INSERT INTO entries (id, org_id, date, description, payee, reference, metadata,"
            " recorded_at, reverses_entry_id, idempotency_key, request_hash, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            entry_rows,
        ),
        (
            "INSERT INTO postings (entry_id, line_no, org_id, account_id, amount_minor,"
            " currency, memo, date, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            posting_rows,
        ),
        (
            "INSERT INTO outbox (id, type, org_id, occurred_at, version, data, attempts)"
            " VALUES (?, ?, ?, ?, 1, ?, 0)",
            [
                (event_id.hex, kind, org, recorded, data)
                for event_id, kind, data in zip(
                    plan.event_ids, plan.event_types, plan.event_data_json, strict=True
                )
            ],
        ),
        (
            _SQLITE_UPSERTS["account_balances"],
            [(org, a.hex, c, delta, floor) for a, c, delta, floor in plan.balance_deltas],
        ),
        (
            _SQLITE_UPSERTS["daily_balances"],
            [(org, a.hex, c, d.isoformat(), delta) for a, c, d, delta in plan.daily_deltas],
        ),
        (
            _SQLITE_UPSERTS["monthly_balances"],
            [(org, a.hex, c, d.isoformat(), delta) for a, c, d, delta in plan.monthly_deltas],
        ),
    ]


def _sqlite_error(error: sqlite3.IntegrityError) -> Exception:
    text = str(error)
    if "ck_account_balances_floor" in text:
        return _floor_breach()
    if "ck_account_balances_range" in text:
        return _overflow()
    if "UNIQUE" in text:
        return _concurrent()
    return error


async def _write_sqlite(driver: Any, plan: PostingPlan) -> None:
    statements = _sqlite_statements(plan)
    try:
        for statement, rows in statements:
            if rows:
                await driver.executemany(statement, rows)
    except sqlite3.IntegrityError as error:
        raise _sqlite_error(error) from error
    except OverflowError as error:  # a sum beyond 64 bits
        raise _overflow() from error


# --- the sealer's links ------------------------------------------------------------------


@dataclass(slots=True)
class ChainLinks:
    """A block of seals, as columns, in chain order."""

    org_id: uuid.UUID
    sealed_at: datetime
    seqs: list[int] = field(default_factory=list)
    entry_ids: list[uuid.UUID] = field(default_factory=list)
    entry_hashes: list[str] = field(default_factory=list)
    link_hashes: list[str] = field(default_factory=list)


async def write_links(session: AsyncSession, links: ChainLinks) -> None:
    """Store a block of chain links (COPY on PostgreSQL, executemany on SQLite)."""
    count = len(links.seqs)
    async with driver_connection(session) as driver:
        if dialect_of(session) == "postgresql":
            await driver.copy_records_to_table(
                "chain_links",
                columns=("org_id", "seq", "entry_id", "entry_hash", "link_hash", "sealed_at"),
                records=zip(
                    repeat(links.org_id, count),
                    links.seqs,
                    links.entry_ids,
                    links.entry_hashes,
                    links.link_hashes,
                    repeat(links.sealed_at, count),
                    strict=False,
                ),
            )
            return
        org, sealed_at = links.org_id.hex, _time_text(links.sealed_at)
        await driver.executemany(
            "INSERT INTO chain_links (org_id, seq, entry_id, entry_hash, link_hash, sealed_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (org, seq, entry_id.hex, entry_hash, link_hash, sealed_at)
                for seq, entry_id, entry_hash, link_hash in zip(
                    links.seqs, links.entry_ids, links.entry_hashes, links.link_hashes, strict=True
                )
            ],
        )
