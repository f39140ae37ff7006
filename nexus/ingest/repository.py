"""Every query of the ingest service. Functions only flush; callers own transactions."""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, any_, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.db import begin_postgresql_session, driver_connection
from nexus.ingest.domain import LineStatus
from nexus.ingest.models import (
    bank_lines,
    csv_profiles,
    import_batches,
    line_keys,
    matches,
    reconciled_entries,
    reconciliation_runs,
)

IN_CHUNK = 2000


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def _insert_ignoring_conflicts(session: AsyncSession, table: Any) -> Any:
    module = postgresql if _dialect(session) == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


def _one_of(session: AsyncSession, column: Any, values: Sequence[Any]) -> Any:
    """`column IN values`, as `= ANY(array)` on PostgreSQL: one plan, the index used."""
    if _dialect(session) == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


# --- batches -----------------------------------------------------------------------------


async def insert_batch(session: AsyncSession, *, row: Mapping[str, Any]) -> None:
    """Create an import batch."""
    await session.execute(insert(import_batches).values(**row))


async def get_batch(
    session: AsyncSession, *, org_id: uuid.UUID, batch_id: uuid.UUID, for_update: bool = False
) -> Row[Any] | None:
    """Return one batch of the org."""
    query = select(import_batches).where(
        import_batches.c.org_id == org_id, import_batches.c.id == batch_id
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def list_batches(session: AsyncSession, *, org_id: uuid.UUID, limit: int) -> list[Row[Any]]:
    """Return the org's batches, newest first."""
    query = (
        select(import_batches)
        .where(import_batches.c.org_id == org_id)
        .order_by(import_batches.c.created_at.desc())
        .limit(limit)
    )
    return list((await session.execute(query)).all())


async def update_batch(
    session: AsyncSession, *, batch_id: uuid.UUID, values: Mapping[str, Any]
) -> None:
    """Change a batch's status, counts or result (and note when it last moved)."""
    await session.execute(
        update(import_batches)
        .where(import_batches.c.id == batch_id)
        .values(updated_at=utc_now(), **values)
    )


async def stale_batches(
    session: AsyncSession, *, statuses: Sequence[str], before: datetime
) -> list[Row[Any]]:
    """Return batches of any org in `statuses` that no job touched since `before`."""
    query = select(import_batches).where(
        import_batches.c.status.in_(statuses), import_batches.c.updated_at < before
    )
    return list((await session.execute(query)).all())


# --- bank lines --------------------------------------------------------------------------


# The columns `copy_lines` writes, in the order of its row tuples.
LINE_COLUMNS = (
    "id",
    "org_id",
    "account_id",
    "batch_id",
    "line_number",
    "position",
    "date",
    "value_date",
    "amount_minor",
    "currency",
    "description",
    "payee",
    "reference",
    "counterparty_account",
    "raw",
    "line_key",
    "status",
)
# What posting and matching read of a line: everything but its raw text.
LINE_WORKING_COLUMNS = (
    bank_lines.c.id,
    bank_lines.c.org_id,
    bank_lines.c.account_id,
    bank_lines.c.batch_id,
    bank_lines.c.line_number,
    bank_lines.c.position,
    bank_lines.c.date,
    bank_lines.c.amount_minor,
    bank_lines.c.currency,
    bank_lines.c.description,
    bank_lines.c.payee,
    bank_lines.c.reference,
    bank_lines.c.line_key,
    bank_lines.c.status,
    bank_lines.c.entry_id,
    bank_lines.c.match_id,
)


async def insert_lines(session: AsyncSession, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store parsed bank lines."""
    if rows:
        await session.execute(insert(bank_lines), list(rows))


async def copy_lines(session: AsyncSession, *, rows: Sequence[tuple[Any, ...]]) -> None:
    """Store parsed bank lines given as tuples in `LINE_COLUMNS` order, in bulk.

    PostgreSQL takes them by COPY, several times faster than any INSERT for the
    thousands of lines of a chunk; SQLite by one executemany, as `insert_lines` would.
    """
    if not rows:
        return
    if _dialect(session) != "postgresql":
        await insert_lines(
            session, rows=[dict(zip(LINE_COLUMNS, row, strict=True)) for row in rows]
        )
        return
    await begin_postgresql_session(session)
    async with driver_connection(session) as driver:
        await driver.copy_records_to_table("bank_lines", records=rows, columns=LINE_COLUMNS)


async def delete_lines(session: AsyncSession, *, batch_id: uuid.UUID) -> None:
    """Remove a batch's lines (a file that failed to parse leaves nothing behind)."""
    await session.execute(delete(bank_lines).where(bank_lines.c.batch_id == batch_id))


async def existing_keys(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID, keys: Sequence[str]
) -> set[str]:
    """Return which of `keys` an earlier commit already holds for the account."""
    found: set[str] = set()
    for chunk in _chunks(keys):
        rows = await session.execute(
            select(line_keys.c.line_key).where(
                line_keys.c.org_id == org_id,
                line_keys.c.account_id == account_id,
                _one_of(session, line_keys.c.line_key, chunk),
            )
        )
        found.update(rows.scalars())
    return found


async def line_count(session: AsyncSession, *, batch_id: uuid.UUID) -> int:
    """How many lines a batch holds (its last position: positions run 1..n)."""
    last = (
        await session.execute(
            select(func.max(bank_lines.c.position)).where(bank_lines.c.batch_id == batch_id)
        )
    ).scalar()
    return int(last or 0)


async def claim_batch_keys(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    batch_id: uuid.UUID,
    after: int,
    through: int | None,
) -> int:
    """Claim the keys of a batch's new lines in a range; mark the lines that lost theirs.

    Done in the database, two statements whatever the number of lines: the primary key
    of `line_keys` decides between imports racing for a transaction, and a line whose
    key is held by another line (an earlier import) becomes a duplicate. A resumed
    commit finds its own earlier claims and keeps them. Returns the duplicates found.
    """
    in_range = [
        bank_lines.c.org_id == org_id,
        bank_lines.c.batch_id == batch_id,
        bank_lines.c.status == LineStatus.NEW,
        bank_lines.c.position > after,
    ]
    if through is not None:
        in_range.append(bank_lines.c.position <= through)
    fresh = select(
        bank_lines.c.org_id, bank_lines.c.account_id, bank_lines.c.line_key, bank_lines.c.id
    ).where(*in_range)
    await session.execute(
        _insert_ignoring_conflicts(session, line_keys).from_select(
            ["org_id", "account_id", "line_key", "bank_line_id"], fresh
        )
    )
    held = exists().where(
        line_keys.c.org_id == bank_lines.c.org_id,
        line_keys.c.account_id == bank_lines.c.account_id,
        line_keys.c.line_key == bank_lines.c.line_key,
        line_keys.c.bank_line_id == bank_lines.c.id,
    )
    result = await session.execute(
        update(bank_lines).where(*in_range, ~held).values(status=LineStatus.DUPLICATE),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release_keys(session: AsyncSession, *, line_ids: Sequence[uuid.UUID]) -> None:
    """Give up the keys of lines that were undone, so a later import may post them."""
    for chunk in _chunks(line_ids):
        await session.execute(delete(line_keys).where(line_keys.c.bank_line_id.in_(chunk)))


async def batch_lines(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    batch_id: uuid.UUID,
    statuses: Sequence[str] | None = None,
    after: int = 0,
    through: int | None = None,
    limit: int | None = None,
    columns: Sequence[Any] | None = None,
) -> list[Row[Any]]:
    """Return a batch's lines in file order after position `after` (up to `through`)."""
    query = select(*(columns or (bank_lines,))).where(
        bank_lines.c.org_id == org_id,
        bank_lines.c.batch_id == batch_id,
        bank_lines.c.position > after,
    )
    if through is not None:
        query = query.where(bank_lines.c.position <= through)
    if statuses is not None:
        query = query.where(bank_lines.c.status.in_(statuses))
    query = query.order_by(bank_lines.c.position)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).all())


async def lines_by_id(
    session: AsyncSession, *, org_id: uuid.UUID, line_ids: Sequence[uuid.UUID]
) -> list[Row[Any]]:
    """Return lines of the org by id."""
    found: list[Row[Any]] = []
    for chunk in _chunks(line_ids):
        rows = await session.execute(
            select(bank_lines).where(
                bank_lines.c.org_id == org_id, _one_of(session, bank_lines.c.id, chunk)
            )
        )
        found.extend(rows.all())
    return found


async def account_lines(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_id: uuid.UUID,
    date_from: date | None,
    date_to: date | None,
    statuses: Sequence[str],
    limit: int | None = None,
) -> list[Row[Any]]:
    """Return the account's bank lines of some statuses in a date range, oldest first."""
    query = select(bank_lines).where(
        bank_lines.c.org_id == org_id,
        bank_lines.c.account_id == account_id,
        bank_lines.c.status.in_(statuses),
    )
    if date_from is not None:
        query = query.where(bank_lines.c.date >= date_from)
    if date_to is not None:
        query = query.where(bank_lines.c.date <= date_to)
    query = query.order_by(bank_lines.c.date, bank_lines.c.line_number)
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).all())


async def set_lines(
    session: AsyncSession, *, updates: Sequence[tuple[uuid.UUID, str, uuid.UUID | None]]
) -> None:
    """Set (line id, status, entry id) of many lines in one executemany."""
    if not updates:
        return
    await session.execute(
        update(bank_lines)
        .where(bank_lines.c.id == bindparam("b_id"))
        .values(status=bindparam("b_status"), entry_id=bindparam("b_entry")),
        [{"b_id": line, "b_status": status, "b_entry": entry} for line, status, entry in updates],
        execution_options={"synchronize_session": False},
    )


async def set_posted(
    session: AsyncSession, *, posted: Sequence[tuple[uuid.UUID, uuid.UUID]], status: str
) -> None:
    """Give lines the entries they posted, as (line id, entry id), and `status`.

    One statement on PostgreSQL, however many lines (an UPDATE joined to the pairs
    sent as two arrays); an executemany on SQLite.
    """
    if not posted:
        return
    if _dialect(session) != "postgresql":
        await set_lines(session, updates=[(line, status, entry) for line, entry in posted])
        return
    await begin_postgresql_session(session)
    async with driver_connection(session) as driver:
        await driver.execute(
            "UPDATE bank_lines SET status = $1, entry_id = p.entry_id"
            " FROM unnest($2::uuid[], $3::uuid[]) AS p(line_id, entry_id)"
            " WHERE bank_lines.id = p.line_id",
            status,
            [line for line, _ in posted],
            [entry for _, entry in posted],
        )


async def set_line_status(
    session: AsyncSession, *, line_ids: Sequence[uuid.UUID], status: str, **values: Any
) -> None:
    """Give many lines one status (and the same other values)."""
    for chunk in _chunks(line_ids):
        await session.execute(
            update(bank_lines).where(bank_lines.c.id.in_(chunk)).values(status=status, **values)
        )


async def new_lines_span(
    session: AsyncSession, *, batch_id: uuid.UUID
) -> tuple[int, date | None, date | None]:
    """Count a batch's new lines; their earliest and latest dates."""
    count, earliest, latest = (
        await session.execute(
            select(func.count(), func.min(bank_lines.c.date), func.max(bank_lines.c.date)).where(
                bank_lines.c.batch_id == batch_id, bank_lines.c.status == LineStatus.NEW
            )
        )
    ).one()
    return int(count), earliest, latest


async def lines_on_or_before(
    session: AsyncSession, *, batch_id: uuid.UUID, status: str, day: date
) -> tuple[int, int | None]:
    """Count a batch's lines of `status` dated on or before `day`; the first one's line."""
    count, first = (
        await session.execute(
            select(func.count(), func.min(bank_lines.c.line_number)).where(
                bank_lines.c.batch_id == batch_id,
                bank_lines.c.status == status,
                bank_lines.c.date <= day,
            )
        )
    ).one()
    return int(count), first


async def status_counts(session: AsyncSession, *, batch_id: uuid.UUID) -> dict[str, int]:
    """Count a batch's lines per status."""
    rows = await session.execute(
        select(bank_lines.c.status, func.count())
        .where(bank_lines.c.batch_id == batch_id)
        .group_by(bank_lines.c.status)
    )
    return {status: int(count) for status, count in rows}


# --- reconciliation ----------------------------------------------------------------------


async def reconciled_entry_ids(
    session: AsyncSession, *, org_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Return which entries a match or an import already claimed."""
    found: set[uuid.UUID] = set()
    for chunk in _chunks(entry_ids):
        rows = await session.execute(
            select(reconciled_entries.c.entry_id).where(
                reconciled_entries.c.org_id == org_id,
                _one_of(session, reconciled_entries.c.entry_id, chunk),
            )
        )
        found.update(rows.scalars())
    return found


async def claim_entries(session: AsyncSession, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Record that entries are reconciled (the primary key refuses a second claim)."""
    if rows:
        await session.execute(insert(reconciled_entries), list(rows))


async def claim_posted_entries(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_id: uuid.UUID,
    posted: Sequence[tuple[uuid.UUID, uuid.UUID]],
) -> None:
    """Claim entries that bank lines posted, as (line id, entry id); skip claimed ones.

    An entry already claimed (a replayed post of a resumed commit) keeps its claim.
    """
    if not posted:
        return
    if _dialect(session) != "postgresql":
        for chunk in _chunks(posted):
            await session.execute(
                _insert_ignoring_conflicts(session, reconciled_entries),
                [
                    {
                        "org_id": org_id,
                        "entry_id": entry,
                        "account_id": account_id,
                        "match_id": None,
                        "bank_line_id": line,
                    }
                    for line, entry in chunk
                ],
            )
        return
    await begin_postgresql_session(session)
    async with driver_connection(session) as driver:
        await driver.execute(
            "INSERT INTO reconciled_entries (org_id, entry_id, account_id, match_id, bank_line_id)"
            " SELECT $1, p.entry_id, $2, NULL, p.line_id"
            " FROM unnest($3::uuid[], $4::uuid[]) AS p(line_id, entry_id)"
            " ON CONFLICT DO NOTHING",
            org_id,
            account_id,
            [line for line, _ in posted],
            [entry for _, entry in posted],
        )


async def release_entries(
    session: AsyncSession, *, org_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> None:
    """Forget that entries were reconciled."""
    for chunk in _chunks(entry_ids):
        await session.execute(
            delete(reconciled_entries).where(
                reconciled_entries.c.org_id == org_id, reconciled_entries.c.entry_id.in_(chunk)
            )
        )


async def insert_run(session: AsyncSession, *, row: Mapping[str, Any]) -> None:
    """Create a reconciliation run."""
    await session.execute(insert(reconciliation_runs).values(**row))


async def extend_run(
    session: AsyncSession,
    *,
    run_id: uuid.UUID,
    counts: Mapping[str, int],
    date_from: date | None,
    date_to: date | None,
) -> None:
    """Add one more window's counts and dates to a run."""
    row = (
        await session.execute(select(reconciliation_runs).where(reconciliation_runs.c.id == run_id))
    ).one()
    merged = {key: int(row.counts.get(key, 0)) + value for key, value in counts.items()}
    earliest = min((d for d in (row.date_from, date_from) if d is not None), default=None)
    latest = max((d for d in (row.date_to, date_to) if d is not None), default=None)
    await session.execute(
        update(reconciliation_runs)
        .where(reconciliation_runs.c.id == run_id)
        .values(counts=merged, date_from=earliest, date_to=latest)
    )


async def get_run(
    session: AsyncSession, *, org_id: uuid.UUID, run_id: uuid.UUID
) -> Row[Any] | None:
    """Return one run of the org."""
    return (
        await session.execute(
            select(reconciliation_runs).where(
                reconciliation_runs.c.org_id == org_id, reconciliation_runs.c.id == run_id
            )
        )
    ).first()


async def insert_matches(session: AsyncSession, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store proposed matches."""
    if rows:
        await session.execute(insert(matches), list(rows))


async def run_matches(session: AsyncSession, *, run_id: uuid.UUID) -> list[Row[Any]]:
    """Return a run's matches, most confident first."""
    query = (
        select(matches)
        .where(matches.c.run_id == run_id)
        .order_by(matches.c.confidence.desc(), matches.c.id)
    )
    return list((await session.execute(query)).all())


async def get_matches(
    session: AsyncSession, *, org_id: uuid.UUID, match_ids: Sequence[uuid.UUID]
) -> list[Row[Any]]:
    """Return matches of the org by id."""
    found: list[Row[Any]] = []
    for chunk in _chunks(match_ids):
        rows = await session.execute(
            select(matches).where(matches.c.org_id == org_id, matches.c.id.in_(chunk))
        )
        found.extend(rows.all())
    return found


async def decide_match(
    session: AsyncSession,
    *,
    match_id: uuid.UUID,
    status: str,
    user_id: uuid.UUID | None,
    at: datetime,
) -> None:
    """Record a person's decision on a match."""
    await session.execute(
        update(matches)
        .where(matches.c.id == match_id)
        .values(status=status, decided_by=user_id, decided_at=at)
    )


async def insert_outbox(
    session: AsyncSession, *, rows: Sequence[Mapping[str, Any]], table: Any
) -> None:
    """Write events to the service's outbox in the caller's transaction."""
    if rows:
        await session.execute(insert(table), list(rows))


# --- CSV profiles ------------------------------------------------------------------------


async def insert_profile(session: AsyncSession, *, row: Mapping[str, Any]) -> None:
    """Save a CSV profile."""
    await session.execute(insert(csv_profiles).values(**row))


async def list_profiles(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID | None
) -> list[Row[Any]]:
    """Return the org's saved CSV profiles (of one account)."""
    query = select(csv_profiles).where(csv_profiles.c.org_id == org_id)
    if account_id is not None:
        query = query.where(csv_profiles.c.account_id == account_id)
    return list((await session.execute(query.order_by(csv_profiles.c.created_at.desc()))).all())


async def get_profile(
    session: AsyncSession, *, org_id: uuid.UUID, profile_id: uuid.UUID
) -> Row[Any] | None:
    """Return one saved profile of the org."""
    return (
        await session.execute(
            select(csv_profiles).where(
                csv_profiles.c.org_id == org_id, csv_profiles.c.id == profile_id
            )
        )
    ).first()


async def profile_for_header(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID, signature: str
) -> Row[Any] | None:
    """Return the account's saved profile for a CSV header, if one was saved."""
    return (
        await session.execute(
            select(csv_profiles)
            .where(
                csv_profiles.c.org_id == org_id,
                csv_profiles.c.account_id == account_id,
                csv_profiles.c.header_signature == signature,
            )
            .order_by(csv_profiles.c.updated_at.desc())
            .limit(1)
        )
    ).first()
