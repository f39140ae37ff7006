"""Import use cases after parsing (`parsing.py`): commit, undo, recovery.

A file becomes a batch in steps that each commit on their own, so a large file never
holds one long transaction and every step can be resumed:

1. parse (`parsing.py`): the file becomes bank lines, keyed and checked for duplicates;
2. commit: the batch claims its lines' keys (a racing import of an overlapping file
   gets duplicates), reconciles the lines against the account's unreconciled ledger
   entries (a confident match links, an uncertain one waits for a person), and posts
   the rest through the ledger's batch endpoint in chunks under idempotency keys that
   a resumed commit replays; then the bank's closing balance is compared with the
   ledger's;
3. undo: every entry the batch posted is reversed, its matches are released and its
   keys given back.

A step that fails leaves the batch where it was with the error on it: a parse error
leaves no lines, a commit interrupted half-way stays `committing` and finishes when
committed again (the ledger replays what it already posted), or can be undone.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import structlog

from nexus.core.clock import utc_now
from nexus.core.config import Settings
from nexus.core.db import Database
from nexus.core.errors import NexusError
from nexus.core.events import event_row
from nexus.ingest import domain, events, matching, reconciliation, repository
from nexus.ingest.models import outbox
from nexus.ingest.service import (
    Actor,
    ImportRefused,
    LedgerUnavailable,
    PeriodClosedForImport,
    amount_minor,
    amount_text,
    counter_account,
    error_json,
    has_unreconciled_entries,
    post_lines,
    record_posted,
)
from nexus.ledger.client import LedgerError, ReversalItem

log = structlog.get_logger(__name__)


# --- commit ------------------------------------------------------------------------------


async def commit_batch(actor: Actor, *, batch_id: uuid.UUID) -> None:
    """Reconcile and post a parsed batch; a second call resumes an interrupted one."""
    batch = await _batch_in(
        actor, batch_id, domain.BatchStatus.PREVIEWED, domain.BatchStatus.COMMITTING
    )
    counter_id = await counter_account(actor, batch.counter_account_id)
    await _check_period(actor, batch_id)
    async with actor.database.transaction() as session:
        await repository.update_batch(
            session,
            batch_id=batch_id,
            values={
                "status": domain.BatchStatus.COMMITTING,
                "error": None,
                "counter_account_id": counter_id,
                # Progress now counts lines booked (matched or posted) out of those to book.
                "progress_done": 0,
                "progress_total": batch.lines_total - batch.lines_duplicate,
            },
        )
    try:
        await _claim_keys(actor, batch)
        if batch.reconciliation_run_id is None:
            await _reconcile_batch(actor, batch)
        await _post_new_lines(actor, batch, counter_id=counter_id)
        await _finish_commit(actor, batch_id)
    except LedgerError as error:
        refused = _ledger_refusal(
            error, f"The ledger refused the import: {error}; commit again to resume"
        )
        async with actor.database.transaction() as session:
            await repository.update_batch(
                session, batch_id=batch_id, values={"error": error_json(refused)}
            )
        raise refused from error


def _ledger_refusal(error: LedgerError, message: str) -> NexusError:
    """The import's error for a ledger error: a ledger that is away is worth retrying
    (503), a refusal is not (422)."""
    kind = LedgerUnavailable if error.status >= 500 else ImportRefused
    return kind(message, details={"ledger_code": error.code, **error.details})


async def _batch_in(actor: Actor, batch_id: uuid.UUID, *statuses: str) -> Any:
    async with actor.database.reading() as session:
        batch = await repository.get_batch(session, org_id=actor.org_id, batch_id=batch_id)
    if batch is None:
        raise domain.ImportNotFound("No such import.", details={"import_id": str(batch_id)})
    if batch.status not in statuses:
        raise domain.ImportStateConflict(
            f"The import is {batch.status}; this needs it {' or '.join(statuses)}.",
            details={"status": batch.status},
        )
    return batch


async def _check_period(actor: Actor, batch_id: uuid.UUID) -> None:
    closed_through = (await actor.ledger.settings()).closed_through
    if closed_through is None:
        return
    async with actor.database.reading() as session:
        inside, first = await repository.lines_on_or_before(
            session, batch_id=batch_id, status=domain.LineStatus.NEW, day=closed_through
        )
    if inside:
        raise PeriodClosedForImport(
            f"{inside} lines are dated inside the closed period (through "
            f"{closed_through.isoformat()}), the first on line {first}.",
            details={"closed_through": closed_through.isoformat(), "lines": inside},
        )


async def _lines_in_chunks(
    actor: Actor, batch_id: uuid.UUID, *, statuses: Sequence[str] | None, size: int
) -> AsyncIterator[list[Any]]:
    """Yield a batch's lines in file order, `size` positions at a time (each read on its own).

    Positions run 1..n, so each read is an exact range: it touches only the lines of
    that range whatever plan the database picks (without statistics, on a table just
    filled by COPY, PostgreSQL would otherwise read every remaining line of the batch
    for each chunk). Lines come without their raw text (`repository.LINE_WORKING_COLUMNS`):
    matching, posting and undoing never need it, and it is most of a line's bytes.
    """
    async with actor.database.reading() as session:
        count = await repository.line_count(session, batch_id=batch_id)
    for after in range(0, count, size):
        async with actor.database.reading() as session:
            chunk = await repository.batch_lines(
                session,
                org_id=actor.org_id,
                batch_id=batch_id,
                statuses=statuses,
                after=after,
                through=after + size,
                columns=repository.LINE_WORKING_COLUMNS,
            )
        if chunk:
            yield chunk


async def _claim_keys(actor: Actor, batch: Any) -> None:
    """Claim the keys of the batch's new lines range by range, each in a transaction."""
    async with actor.database.reading() as session:
        count = await repository.line_count(session, batch_id=batch.id)
    size = actor.settings.import_chunk_lines
    for after in range(0, count, size):
        async with actor.database.transaction() as session:
            await repository.claim_batch_keys(
                session, org_id=actor.org_id, batch_id=batch.id, after=after, through=after + size
            )


RECONCILE_LINES_MAX = 50_000  # lines matched at once; a larger file goes window by window


async def _reconcile_batch(actor: Actor, batch: Any) -> None:
    """Match the batch's new lines against the account's open entries, window by window.

    The matcher holds its lines and candidates in memory, so a large file is matched
    in windows of `RECONCILE_LINES_MAX` consecutive lines (bank files run in date
    order, forwards or backwards), each against the entries of its dates plus the
    matcher's date windows; entries claimed by an earlier window are left out. Lines
    whose dates hold no open entry at all are not matched one by one, and when the
    whole file's dates hold none (a new account, a file past the books), no window
    is read: the run only records what it looked at.
    """
    window = timedelta(days=matching.MatchSettings().group_date_window_days)
    async with actor.database.reading() as session:
        count, earliest, latest = await repository.new_lines_span(session, batch_id=batch.id)
    run_id: uuid.UUID | None = None
    if count and earliest is not None and latest is not None:
        date_from, date_to = earliest - window, latest + window
        if await has_unreconciled_entries(
            actor, account_id=batch.account_id, date_from=date_from, date_to=date_to
        ):
            run_id = await _reconcile_windows(actor, batch, window=window)
        else:
            run_id = await _empty_run(actor, batch, date_from=date_from, date_to=date_to)
            async with actor.database.transaction() as session:
                # What the windows would have counted: every line, and no entry.
                await repository.extend_run(
                    session,
                    run_id=run_id,
                    counts={"lines": count, "entries": 0, "auto_accepted": 0, "proposed": 0},
                    date_from=date_from,
                    date_to=date_to,
                )
    if run_id is None:  # nothing new to match: the run still records that it looked
        run_id = await _empty_run(actor, batch, date_from=None, date_to=None)
    async with actor.database.transaction() as session:
        await repository.update_batch(
            session, batch_id=batch.id, values={"reconciliation_run_id": run_id}
        )


async def _empty_run(
    actor: Actor, batch: Any, *, date_from: date | None, date_to: date | None
) -> uuid.UUID:
    """A run of the batch that matched nothing, over the dates it looked at."""
    return await reconciliation.run(
        actor,
        account_id=batch.account_id,
        lines=[],
        date_from=date_from,
        date_to=date_to,
        batch_id=batch.id,
    )


async def _reconcile_windows(actor: Actor, batch: Any, *, window: timedelta) -> uuid.UUID | None:
    """Match the batch's new lines window by window into one run; return the run."""
    run_id: uuid.UUID | None = None
    async for lines in _lines_in_chunks(
        actor, batch.id, statuses=[domain.LineStatus.NEW], size=RECONCILE_LINES_MAX
    ):
        date_from = min(line.date for line in lines) - window
        date_to = max(line.date for line in lines) + window
        run_id = await reconciliation.run(
            actor,
            account_id=batch.account_id,
            lines=lines,
            date_from=date_from,
            date_to=date_to,
            batch_id=batch.id,
            run_id=run_id,
        )
    return run_id


POSTS_IN_FLIGHT = 2  # ledger batches posted at once: one is built while the other is stored


def _ledger_chunk(actor: Actor) -> int:
    """Lines per call to one of the ledger's batch endpoints (they take so many at most)."""
    return min(actor.settings.import_chunk_lines, actor.settings.batch_entries_max)


async def _post_new_lines(actor: Actor, batch: Any, *, counter_id: uuid.UUID) -> None:
    """Post the batch's new lines chunk by chunk, two chunks in flight.

    While the database stores one chunk, the next is built and validated, so neither
    the process nor the database waits for the other. Chunks are recorded in order;
    the first failure stops the rest (what was posted is replayed by a resumed commit).
    """
    size = _ledger_chunk(actor)
    async with actor.database.reading() as session:
        counts = await repository.status_counts(session, batch_id=batch.id)
    done = counts.get(domain.LineStatus.POSTED, 0) + counts.get(domain.LineStatus.MATCHED, 0)
    in_flight: list[tuple[list[Any], asyncio.Task[list[uuid.UUID]]]] = []

    async def record_oldest() -> None:
        nonlocal done
        chunk, task = in_flight.pop(0)
        entry_ids = await task
        done += len(chunk)
        async with actor.database.transaction() as session:
            await record_posted(actor, session, chunk, entry_ids, account_id=batch.account_id)
            await repository.update_batch(
                session, batch_id=batch.id, values={"progress_done": done}
            )

    try:
        async for chunk in _lines_in_chunks(
            actor, batch.id, statuses=[domain.LineStatus.NEW], size=size
        ):
            task = asyncio.ensure_future(
                post_lines(actor, lines=chunk, counter_id=counter_id, key_batch_id=batch.id)
            )
            in_flight.append((chunk, task))
            if len(in_flight) >= POSTS_IN_FLIGHT:
                await record_oldest()
        while in_flight:
            await record_oldest()
    finally:
        for _, task in in_flight:
            task.cancel()
        await asyncio.gather(*(task for _, task in in_flight), return_exceptions=True)


async def statement_check(actor: Actor, batch: Any) -> domain.StatementCheck | None:
    """Compare the bank's closing balance with the ledger's on the same date."""
    if batch.closing_date is None or batch.closing_minor is None:
        return None
    balance = await actor.ledger.account_balance(batch.account_id, as_of=batch.closing_date)
    ledger_minor = sum(
        amount_minor(item.amount, batch.currency)
        for item in balance.balances
        if item.currency == batch.currency
    )
    return domain.StatementCheck(
        date=batch.closing_date,
        currency=batch.currency,
        statement_minor=batch.closing_minor,
        ledger_minor=ledger_minor,
    )


def check_json(check: domain.StatementCheck | None) -> dict[str, Any] | None:
    """The statement check as stored on the batch and shown by the API."""
    if check is None:
        return None
    return {
        "date": check.date.isoformat(),
        "currency": check.currency,
        "statement_balance": amount_text(check.statement_minor, check.currency),
        "ledger_balance": amount_text(check.ledger_minor, check.currency),
        "difference": amount_text(check.difference_minor, check.currency),
        "matches": check.difference_minor == 0,
    }


async def _finish_commit(actor: Actor, batch_id: uuid.UUID) -> None:
    async with actor.database.reading() as session:
        batch = await repository.get_batch(session, org_id=actor.org_id, batch_id=batch_id)
        counts = await repository.status_counts(session, batch_id=batch_id)
    assert batch is not None
    check = await statement_check(actor, batch)
    result = {
        "posted": counts.get(domain.LineStatus.POSTED, 0),
        "matched": counts.get(domain.LineStatus.MATCHED, 0),
        "proposed": counts.get(domain.LineStatus.PROPOSED, 0),
        "duplicates": counts.get(domain.LineStatus.DUPLICATE, 0),
        "reconciliation_run_id": str(batch.reconciliation_run_id)
        if batch.reconciliation_run_id
        else None,
        "statement_check": check_json(check),
    }
    now = utc_now()
    async with actor.database.transaction() as session:
        await repository.update_batch(
            session,
            batch_id=batch_id,
            values={
                "status": domain.BatchStatus.COMMITTED,
                "result": result,
                "committed_at": now,
                "lines_duplicate": result["duplicates"],
                "progress_done": batch.lines_total,
                "progress_total": batch.lines_total,
            },
        )
        await repository.insert_outbox(
            session,
            rows=[
                event_row(
                    event_type=events.IMPORT_COMMITTED,
                    org_id=actor.org_id,
                    occurred_at=now,
                    data={
                        "import_id": str(batch_id),
                        "account_id": str(batch.account_id),
                        **{
                            key: result[key]
                            for key in ("posted", "matched", "proposed", "duplicates")
                        },
                    },
                )
            ],
            table=outbox,
        )
    if check is not None and check.difference_minor != 0:
        log.warning(
            "statement_balance_mismatch",
            import_id=str(batch_id),
            difference_minor=check.difference_minor,
        )


# --- undo --------------------------------------------------------------------------------


async def undo_batch(actor: Actor, *, batch_id: uuid.UUID) -> None:
    """Reverse every entry the batch posted and release what it matched."""
    batch = await _batch_in(
        actor,
        batch_id,
        domain.BatchStatus.COMMITTED,
        domain.BatchStatus.COMMITTING,
        domain.BatchStatus.UNDOING,
    )
    async with actor.database.transaction() as session:
        await repository.update_batch(
            session, batch_id=batch_id, values={"status": domain.BatchStatus.UNDOING}
        )
    size = _ledger_chunk(actor)
    async for posted in _lines_in_chunks(
        actor, batch_id, statuses=[domain.LineStatus.POSTED], size=size
    ):
        await _reverse(actor, posted)
    async for lines in _lines_in_chunks(actor, batch_id, statuses=None, size=size):
        claimed = [line.entry_id for line in lines if line.entry_id is not None]
        async with actor.database.transaction() as session:
            await reconciliation.release_lines(actor, session, lines=lines)
            await repository.release_entries(session, org_id=actor.org_id, entry_ids=claimed)
            await repository.release_keys(session, line_ids=[line.id for line in lines])
            await repository.set_line_status(
                session, line_ids=[line.id for line in lines], status=domain.LineStatus.UNDONE
            )
    now = utc_now()
    async with actor.database.transaction() as session:
        await repository.update_batch(
            session,
            batch_id=batch_id,
            values={"status": domain.BatchStatus.UNDONE, "undone_at": now},
        )
        await repository.insert_outbox(
            session,
            rows=[
                event_row(
                    event_type=events.IMPORT_UNDONE,
                    org_id=actor.org_id,
                    occurred_at=now,
                    data={"import_id": str(batch_id), "account_id": str(batch.account_id)},
                )
            ],
            table=outbox,
        )


async def _reverse(actor: Actor, lines: Sequence[Any]) -> None:
    """Reverse the entries lines posted, in one call (a retried undo replays the same).

    An entry a person already reversed by hand is left as it is: it no longer counts.
    """
    posted = [line for line in lines if line.entry_id is not None]
    if not posted:
        return
    items = [
        ReversalItem(entry_id=line.entry_id, idempotency_key=f"undo:{line.entry_id}")
        for line in posted
    ]
    try:
        await actor.ledger.reverse_batch(items, skip_already_reversed=True)
    except LedgerError as error:
        index = error.details.get("entry_index")
        line = posted[index] if isinstance(index, int) and 0 <= index < len(posted) else None
        where = f"line {line.line_number}" if line is not None else "a line"
        raise _ledger_refusal(
            error, f"The ledger refused to reverse {where}: {error}; undo again to resume"
        ) from error


# --- interrupted jobs --------------------------------------------------------------------

STALE_AFTER = timedelta(minutes=10)
RECOVERY_INTERVAL_SECONDS = 60.0


async def recover_interrupted(database: Database, _settings: Settings) -> None:
    """Say so on batches whose job died with its process (a restart, a kill).

    A parse that stopped leaves a partial preview: its lines go and the batch fails,
    to be uploaded again. A commit that stopped stays `committing` and resumes when
    committed again; it only gets an error saying so. Jobs touch their batch at every
    chunk, so a batch quiet for `STALE_AFTER` has no job left.
    """
    while True:
        try:
            await recover_once(database, now=utc_now())
        except Exception:  # a probe loop: log and try again later
            log.exception("import_recovery_failed")
        await asyncio.sleep(RECOVERY_INTERVAL_SECONDS)


async def recover_once(database: Database, *, now: datetime) -> int:
    """Mark the batches whose job is gone; return how many."""
    async with database.transaction() as session:
        stale = await repository.stale_batches(
            session,
            statuses=[domain.BatchStatus.PARSING, domain.BatchStatus.COMMITTING],
            before=now - STALE_AFTER,
        )
        for batch in stale:
            if batch.status == domain.BatchStatus.PARSING:
                await repository.delete_lines(session, batch_id=batch.id)
                values: dict[str, Any] = {
                    "status": domain.BatchStatus.FAILED,
                    "error": {
                        "code": "import_interrupted",
                        "message": "Reading the file was interrupted; upload it again.",
                        "details": {},
                    },
                }
            elif batch.error is None:
                values = {
                    "error": {
                        "code": "import_interrupted",
                        "message": "The commit was interrupted; commit again to finish it.",
                        "details": {},
                    }
                }
            else:
                continue
            await repository.update_batch(session, batch_id=batch.id, values=values)
    return len(stale)
