"""Reconciliation use cases: runs, a person's decisions, the report.

A run takes an account's bank lines that are not reconciled yet and the account's
ledger entries that no match has claimed, asks the matcher (`matching.reconcile`)
for matches and stores each with its confidence and reasons. Confident ones are
accepted at once (`auto_accepted`): their lines become `matched` and their entries
are claimed in `reconciled_entries`, whose primary key refuses a second claim. The
rest wait as `proposed` until a person accepts or rejects them; a rejected line is
`unmatched` and can be matched by hand or posted as a new entry.
"""

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.events import event_row
from nexus.core.ids import new_id
from nexus.ingest import domain, events, matching, repository, schemas
from nexus.ingest.models import outbox
from nexus.ingest.service import (
    Actor,
    amount_text,
    bank_account,
    counter_account,
    match_line,
    post_lines,
    record_posted,
    unreconciled_entries,
)

SETTINGS = matching.MatchSettings()
OPEN_LINE_STATUSES = (domain.LineStatus.UNMATCHED,)
REPORT_LINE_STATUSES = (
    domain.LineStatus.MATCHED,
    domain.LineStatus.POSTED,
    domain.LineStatus.PROPOSED,
    domain.LineStatus.UNMATCHED,
)


async def run(
    actor: Actor,
    *,
    account_id: uuid.UUID,
    lines: Sequence[Any],
    date_from: date | None,
    date_to: date | None,
    batch_id: uuid.UUID | None = None,
    run_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Match `lines` against the account's unreconciled entries; store and apply the run.

    With `run_id`, the matches join that run (a large import is matched window by
    window into one run).
    """
    entries = (
        await unreconciled_entries(
            actor, account_id=account_id, date_from=date_from, date_to=date_to
        )
        if lines
        else []
    )
    found = (
        matching.reconcile([match_line(line) for line in lines], entries, SETTINGS)
        if entries
        else []
    )
    statuses = [
        domain.MatchStatus.AUTO_ACCEPTED
        if matching.auto_accepted(match, SETTINGS)
        else domain.MatchStatus.PROPOSED
        for match in found
    ]
    counts = {
        "lines": len(lines),
        "entries": len(entries),
        "auto_accepted": statuses.count(domain.MatchStatus.AUTO_ACCEPTED),
        "proposed": statuses.count(domain.MatchStatus.PROPOSED),
    }
    async with actor.database.transaction() as session:
        if run_id is None:
            run_id = new_id()
            await repository.insert_run(
                session,
                row={
                    "id": run_id,
                    "org_id": actor.org_id,
                    "account_id": account_id,
                    "date_from": date_from,
                    "date_to": date_to,
                    "batch_id": batch_id,
                    "settings": {
                        "date_window_days": SETTINGS.date_window_days,
                        "auto_accept_confidence": SETTINGS.auto_accept_confidence,
                    },
                    "counts": counts,
                    "created_by": actor.user_id,
                    "created_at": utc_now(),
                },
            )
        else:
            await repository.extend_run(
                session, run_id=run_id, counts=counts, date_from=date_from, date_to=date_to
            )
        rows: list[dict[str, Any]] = [
            {
                "id": new_id(),
                "org_id": actor.org_id,
                "run_id": run_id,
                "kind": match.kind.value,
                "confidence": round(match.confidence, 4),
                "reasons": list(match.reasons),
                "bank_line_ids": list(match.bank_line_ids),
                "entry_ids": list(match.entry_ids),
                "status": status,
            }
            for match, status in zip(found, statuses, strict=True)
        ]
        await repository.insert_matches(session, rows=rows)
        for row in rows:
            if row["status"] == domain.MatchStatus.AUTO_ACCEPTED:
                await _apply(actor, session, row, account_id=account_id)
            else:
                await repository.set_line_status(
                    session,
                    line_ids=[uuid.UUID(i) for i in row["bank_line_ids"]],
                    status=domain.LineStatus.PROPOSED,
                    match_id=row["id"],
                )
    return run_id


async def _apply(actor: Actor, session: AsyncSession, match: Any, *, account_id: uuid.UUID) -> None:
    """Book an accepted match: its lines are matched, its entries claimed."""
    line_ids = [uuid.UUID(str(i)) for i in match["bank_line_ids"]]
    entry_ids = [uuid.UUID(str(i)) for i in match["entry_ids"]]
    taken = await repository.reconciled_entry_ids(session, org_id=actor.org_id, entry_ids=entry_ids)
    if taken:
        raise domain.MatchStateConflict(
            "An entry of this match is already reconciled with another bank line.",
            details={"entry_ids": sorted(str(e) for e in taken)},
        )
    await repository.claim_entries(
        session,
        rows=[
            {
                "org_id": actor.org_id,
                "entry_id": entry_id,
                "account_id": account_id,
                "match_id": match["id"],
                "bank_line_id": line_ids[0],
            }
            for entry_id in entry_ids
        ],
    )
    await repository.set_line_status(
        session,
        line_ids=line_ids,
        status=domain.LineStatus.MATCHED,
        match_id=match["id"],
        entry_id=entry_ids[0],
    )
    await repository.insert_outbox(
        session,
        table=outbox,
        rows=[
            event_row(
                event_type=events.MATCH_ACCEPTED,
                org_id=actor.org_id,
                data={
                    "match_id": str(match["id"]),
                    "bank_line_ids": [str(i) for i in line_ids],
                    "entry_ids": [str(i) for i in entry_ids],
                },
            )
        ],
    )


async def create_run(
    actor: Actor, *, account_id: uuid.UUID, date_from: date | None, date_to: date | None
) -> uuid.UUID:
    """Reconcile the account's unmatched bank lines in a date range."""
    await bank_account(actor, account_id)
    async with actor.database.reading() as session:
        lines = await repository.account_lines(
            session,
            org_id=actor.org_id,
            account_id=account_id,
            date_from=date_from,
            date_to=date_to,
            statuses=OPEN_LINE_STATUSES,
        )
    return await run(
        actor, account_id=account_id, lines=lines, date_from=date_from, date_to=date_to
    )


def render_match(row: Any) -> schemas.MatchOut:
    """Render a stored match."""
    return schemas.MatchOut(
        id=row.id,
        kind=row.kind,
        bank_line_ids=[uuid.UUID(i) for i in row.bank_line_ids],
        entry_ids=[uuid.UUID(i) for i in row.entry_ids],
        confidence=row.confidence,
        reasons=list(row.reasons),
        status=row.status,
    )


async def get_run(actor: Actor, *, run_id: uuid.UUID) -> schemas.ReconciliationRun:
    """Return a run with its matches and the totals of its account and dates, now."""
    async with actor.database.reading() as session:
        row = await repository.get_run(session, org_id=actor.org_id, run_id=run_id)
        if row is None:
            raise domain.RunNotFound("No such reconciliation run.", details={"run_id": str(run_id)})
        found = await repository.run_matches(session, run_id=run_id)
        lines = await repository.account_lines(
            session,
            org_id=actor.org_id,
            account_id=row.account_id,
            date_from=row.date_from,
            date_to=row.date_to,
            statuses=REPORT_LINE_STATUSES,
        )
    account = await bank_account(actor, row.account_id)
    currency = account.currency or ""
    open_entries = await unreconciled_entries(
        actor, account_id=row.account_id, date_from=row.date_from, date_to=row.date_to
    )
    matched_line_ids = {
        str(line.id)
        for line in lines
        if line.status in (domain.LineStatus.MATCHED, domain.LineStatus.POSTED)
    }
    totals = domain.reconciliation_totals(
        line_amounts={str(line.id): line.amount_minor for line in lines},
        entry_amounts={entry.id: entry.amount_minor for entry in open_entries},
        accepted=[(sorted(matched_line_ids), [])],
        proposed_count=sum(m.status == domain.MatchStatus.PROPOSED for m in found),
    )
    return schemas.ReconciliationRun(
        id=row.id,
        account_id=row.account_id,
        date_from=row.date_from,
        date_to=row.date_to,
        currency=currency,
        created_at=row.created_at,
        totals=schemas.RunTotals(
            matched_lines=totals.matched_lines,
            matched_entries=sum(
                len(m.entry_ids)
                for m in found
                if m.status in (domain.MatchStatus.AUTO_ACCEPTED, domain.MatchStatus.ACCEPTED)
            ),
            proposed=totals.proposed,
            unmatched_lines=totals.unmatched_lines,
            unmatched_entries=totals.unmatched_entries,
            unmatched_lines_amount=amount_text(totals.unmatched_lines_minor, currency),
            unmatched_entries_amount=amount_text(totals.unmatched_entries_minor, currency),
        ),
        matches=[render_match(m) for m in found],
    )


async def decide(actor: Actor, *, match_ids: Sequence[uuid.UUID], accept: bool) -> int:
    """Accept or reject proposed matches; return how many changed."""
    async with actor.database.transaction() as session:
        rows = await repository.get_matches(session, org_id=actor.org_id, match_ids=match_ids)
        if len(rows) != len(set(match_ids)):
            missing = set(match_ids) - {row.id for row in rows}
            raise domain.MatchNotFound(
                "No such match.", details={"match_ids": sorted(str(m) for m in missing)}
            )
        changed = 0
        now = utc_now()
        for row in rows:
            if row.status != domain.MatchStatus.PROPOSED:
                if len(rows) == 1:
                    raise domain.MatchStateConflict(
                        f"The match is {row.status}; only proposed matches are decided.",
                        details={"status": row.status},
                    )
                continue
            run_row = await repository.get_run(session, org_id=actor.org_id, run_id=row.run_id)
            assert run_row is not None
            if accept:
                await _apply(actor, session, row._mapping, account_id=run_row.account_id)
            else:
                await repository.set_line_status(
                    session,
                    line_ids=[uuid.UUID(i) for i in row.bank_line_ids],
                    status=domain.LineStatus.UNMATCHED,
                    match_id=None,
                )
            await repository.decide_match(
                session,
                match_id=row.id,
                status=domain.MatchStatus.ACCEPTED if accept else domain.MatchStatus.REJECTED,
                user_id=actor.user_id,
                at=now,
            )
            changed += 1
    return changed


async def manual_match(
    actor: Actor,
    *,
    run_id: uuid.UUID,
    line_ids: Sequence[uuid.UUID],
    entry_ids: Sequence[uuid.UUID],
) -> schemas.MatchOut:
    """Match bank lines to entries by hand; both sides must be the same money."""
    async with actor.database.reading() as session:
        run_row = await repository.get_run(session, org_id=actor.org_id, run_id=run_id)
        if run_row is None:
            raise domain.RunNotFound("No such reconciliation run.", details={"run_id": str(run_id)})
        lines = await repository.lines_by_id(session, org_id=actor.org_id, line_ids=line_ids)
    if len(lines) != len(set(line_ids)):
        raise domain.InvalidManualMatch("A bank line of this match does not exist.")
    if any(line.status not in (*OPEN_LINE_STATUSES, domain.LineStatus.PROPOSED) for line in lines):
        raise domain.InvalidManualMatch("Only unmatched or proposed bank lines can be matched.")
    if any(line.account_id != run_row.account_id for line in lines):
        raise domain.InvalidManualMatch("Every bank line must belong to the run's account.")
    wanted = {str(e) for e in entry_ids}
    entries = [
        e
        for e in await unreconciled_entries(
            actor, account_id=run_row.account_id, date_from=None, date_to=None
        )
        if e.id in wanted
    ]
    if len(entries) != len(wanted):
        raise domain.InvalidManualMatch(
            "Every entry must touch the run's account and not be reconciled yet."
        )
    domain.check_manual_match(
        line_amounts=[line.amount_minor for line in lines],
        entry_amounts=[e.amount_minor for e in entries],
        line_currencies=[line.currency for line in lines],
        entry_currencies=[e.currency for e in entries],
    )
    decided_at = utc_now()
    row: dict[str, Any] = {
        "id": new_id(),
        "org_id": actor.org_id,
        "run_id": run_id,
        "kind": "manual",
        "confidence": 1.0,
        "reasons": ["manual"],
        "bank_line_ids": [str(line.id) for line in lines],
        "entry_ids": sorted(wanted),
        "status": domain.MatchStatus.ACCEPTED,
        "decided_by": actor.user_id,
        "decided_at": decided_at,
    }
    async with actor.database.transaction() as session:
        for line in lines:
            if line.match_id is not None:  # a proposal this hand-made match replaces
                await repository.decide_match(
                    session,
                    match_id=line.match_id,
                    status=domain.MatchStatus.REJECTED,
                    user_id=actor.user_id,
                    at=decided_at,
                )
        await repository.insert_matches(session, rows=[row])
        try:
            await _apply(actor, session, row, account_id=run_row.account_id)
        except IntegrityError:
            raise domain.MatchStateConflict("An entry was reconciled meanwhile.") from None
    return schemas.MatchOut(
        id=row["id"],
        kind="manual",
        bank_line_ids=[line.id for line in lines],
        entry_ids=[uuid.UUID(e) for e in sorted(wanted)],
        confidence=1.0,
        reasons=["manual"],
        status=domain.MatchStatus.ACCEPTED,
    )


async def post_unmatched(
    actor: Actor, *, line_ids: Sequence[uuid.UUID], counter_id: uuid.UUID | None
) -> list[uuid.UUID]:
    """Post unmatched bank lines as new entries in one action."""
    async with actor.database.reading() as session:
        lines = await repository.lines_by_id(session, org_id=actor.org_id, line_ids=line_ids)
    if len(lines) != len(set(line_ids)):
        raise domain.InvalidManualMatch("A bank line does not exist.")
    if any(line.status != domain.LineStatus.UNMATCHED for line in lines):
        raise domain.MatchStateConflict("Only unmatched bank lines can be posted.")
    counter = await counter_account(actor, counter_id)
    by_account: dict[uuid.UUID, list[Any]] = {}
    for line in lines:
        by_account.setdefault(line.account_id, []).append(line)
    posted: list[uuid.UUID] = []
    for account_id, group in by_account.items():
        entry_ids = await post_lines(
            actor, lines=group, counter_id=counter, key_batch_id=group[0].batch_id
        )
        async with actor.database.transaction() as session:
            await record_posted(actor, session, group, entry_ids, account_id=account_id)
        posted.extend(entry_ids)
    return posted


async def release_lines(actor: Actor, session: AsyncSession, *, lines: Sequence[Any]) -> None:
    """Reject the open and accepted matches of lines whose batch is undone."""
    match_ids = sorted({line.match_id for line in lines if line.match_id is not None})
    for row in await repository.get_matches(session, org_id=actor.org_id, match_ids=match_ids):
        if row.status != domain.MatchStatus.REJECTED:
            await repository.decide_match(
                session,
                match_id=row.id,
                status=domain.MatchStatus.REJECTED,
                user_id=actor.user_id,
                at=utc_now(),
            )


REPORT_COLUMNS = (
    "section",
    "bank_line_id",
    "entry_ids",
    "date",
    "amount",
    "text",
    "status",
    "confidence",
    "reasons",
)


async def report_csv(actor: Actor, *, run_id: uuid.UUID) -> str:
    """The run as a CSV a bookkeeper can open: matches, then what is left on each side."""
    result = await get_run(actor, run_id=run_id)
    async with actor.database.reading() as session:
        run_row = await repository.get_run(session, org_id=actor.org_id, run_id=run_id)
        assert run_row is not None
        lines = await repository.account_lines(
            session,
            org_id=actor.org_id,
            account_id=run_row.account_id,
            date_from=run_row.date_from,
            date_to=run_row.date_to,
            statuses=REPORT_LINE_STATUSES,
        )
    open_entries = await unreconciled_entries(
        actor, account_id=run_row.account_id, date_from=run_row.date_from, date_to=run_row.date_to
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS)
    for match in result.matches:
        writer.writerow(
            (
                "match",
                " ".join(str(i) for i in match.bank_line_ids),
                " ".join(str(i) for i in match.entry_ids),
                "",
                "",
                match.kind,
                match.status,
                f"{match.confidence:.4f}",
                " ".join(match.reasons),
            )
        )
    for line in lines:
        if line.status in (domain.LineStatus.PROPOSED, domain.LineStatus.UNMATCHED):
            writer.writerow(
                (
                    "unmatched_bank_line",
                    line.id,
                    "",
                    line.date.isoformat(),
                    amount_text(line.amount_minor, line.currency),
                    line.description,
                    line.status,
                    "",
                    "",
                )
            )
    for entry in open_entries:
        writer.writerow(
            (
                "unmatched_entry",
                "",
                entry.id,
                entry.date.isoformat(),
                amount_text(entry.amount_minor, entry.currency),
                entry.text,
                "",
                "",
                "",
            )
        )
    totals = result.totals
    writer.writerow(
        ("total_unmatched_bank_lines", "", "", "", totals.unmatched_lines_amount, "", "", "", "")
    )
    writer.writerow(
        ("total_unmatched_entries", "", "", "", totals.unmatched_entries_amount, "", "", "", "")
    )
    return buffer.getvalue()
