"""Posting entries: one path for one entry or ten thousand. Never commits.

Parse and check every entry, settle idempotency keys (a replay returns the first
result, a changed body is a conflict), check accounts and periods, write entries,
postings and events, then lock the touched balance rows in a fixed order, check floors
against the locked values and store the new balances and the dated balance index.
Locking last keeps hot rows locked for the shortest time; the fixed order keeps
concurrent writers free of deadlocks.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.config import Settings
from nexus.core.errors import Conflict, InvalidInput, NexusError
from nexus.core.events import event_row
from nexus.core.ids import new_id
from nexus.core.money import (
    format_amount,
    parse_amount,
)
from nexus.ledger import domain, events, repository, schemas
from nexus.ledger.service import at_index, get_entry, scales_of


class DuplicateKeyInBatch(InvalidInput):
    code = "duplicate_idempotency_key"


class ConcurrentWrite(Conflict):
    code = "concurrent_write"


@dataclass(frozen=True, slots=True)
class PostRequest:
    """One entry to post, with what makes it idempotent."""

    draft: domain.EntryDraft
    idempotency_key: str | None = None
    request_hash: str | None = None
    reverses_entry_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class PostOutcome:
    entry_id: uuid.UUID
    idempotency_key: str | None
    replayed: bool
    recorded_at: datetime | None = None  # set when posted now, None for a replay


def parse_entry(
    body: schemas.EntryCreate, *, custom_scales: Mapping[str, int]
) -> domain.EntryDraft:
    """Turn an API entry into a domain draft (amounts to minor units)."""
    return domain.EntryDraft(
        date=body.date,
        description=body.description,
        payee=body.payee,
        reference=body.reference,
        metadata=body.metadata,
        postings=tuple(
            domain.PostingDraft(
                account_id=line.account_id,
                amount_minor=domain.parse_posting_amount(
                    line.amount,
                    currency=line.currency,
                    custom_scales=custom_scales,
                    field=f"postings[{number}].amount",
                ),
                currency=line.currency,
                memo=line.memo,
            )
            for number, line in enumerate(body.postings)
        ),
    )


async def parse_entries(
    session: AsyncSession, *, org_id: uuid.UUID, bodies: Sequence[schemas.EntryCreate], batch: bool
) -> list[domain.EntryDraft]:
    """Parse API entries; in a batch, errors name the entry's index."""
    custom = await scales_of(session, org_id=org_id)
    drafts = []
    for index, body in enumerate(bodies):
        try:
            drafts.append(parse_entry(body, custom_scales=custom))
        except NexusError as error:
            raise at_index(index if batch else None, error) from None
    return drafts


async def post_entries(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID | None,
    requests: Sequence[PostRequest],
    settings: Settings,
    batch: bool = False,
) -> list[PostOutcome]:
    """Post entries all-or-nothing; return each one's id and whether it was a replay."""
    org = await repository.ensure_org(session, org_id=org_id)
    for index, request in enumerate(requests):
        try:
            domain.check_entry(request.draft, postings_max=settings.postings_per_entry_max)
            domain.check_period(request.draft.date, closed_through=org.closed_through)
        except NexusError as error:
            raise at_index(index if batch else None, error) from None

    outcomes: dict[int, PostOutcome] = await _settle_keys(
        session, org_id=org_id, requests=requests, batch=batch
    )
    fresh = [(index, request) for index, request in enumerate(requests) if index not in outcomes]
    if fresh:
        new_ids = await _write_fresh(
            session, org_id=org_id, user_id=user_id, fresh=fresh, batch=batch
        )
        for (index, request), (entry_id, recorded_at) in zip(fresh, new_ids, strict=True):
            outcomes[index] = PostOutcome(
                entry_id, request.idempotency_key, replayed=False, recorded_at=recorded_at
            )
    return [outcomes[index] for index in range(len(requests))]


async def _settle_keys(
    session: AsyncSession, *, org_id: uuid.UUID, requests: Sequence[PostRequest], batch: bool
) -> dict[int, PostOutcome]:
    seen: dict[str, int] = {}
    for index, request in enumerate(requests):
        key = request.idempotency_key
        if key is None:
            continue
        if key in seen:
            raise at_index(
                index,
                DuplicateKeyInBatch(
                    f"Idempotency key '{key}' appears twice in this batch.",
                    details={"idempotency_key": key, "first_index": seen[key]},
                ),
            )
        seen[key] = index
    if not seen:
        return {}
    existing = await repository.find_keys(session, org_id=org_id, keys=list(seen))
    replays: dict[int, PostOutcome] = {}
    for key, (entry_id, digest) in existing.items():
        index = seen[key]
        if digest != requests[index].request_hash:
            raise at_index(
                index if batch else None,
                domain.IdempotencyKeyReused(
                    f"Idempotency key '{key}' was already used with a different request.",
                    details={"idempotency_key": key, "entry_id": str(entry_id)},
                ),
            )
        replays[index] = PostOutcome(entry_id, key, replayed=True)
    return replays


async def _write_fresh(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID | None,
    fresh: Sequence[tuple[int, PostRequest]],
    batch: bool,
) -> list[tuple[uuid.UUID, datetime]]:
    account_ids = {p.account_id for _, request in fresh for p in request.draft.postings}
    facts = await repository.account_facts(session, org_id=org_id, account_ids=account_ids)
    for index, request in fresh:
        try:
            domain.check_accounts(request.draft.postings, facts)
        except NexusError as error:
            raise at_index(index if batch else None, error) from None
    custom = await scales_of(session, org_id=org_id)
    recorded_at = utc_now()
    entry_rows: list[dict[str, Any]] = []
    posting_rows: list[dict[str, Any]] = []
    pending_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    for _, request in fresh:
        entry_id = new_id()
        _rows_for(
            request,
            entry_id=entry_id,
            org_id=org_id,
            user_id=user_id,
            recorded_at=recorded_at,
            custom_scales=custom,
            entry_rows=entry_rows,
            posting_rows=posting_rows,
            pending_rows=pending_rows,
            event_rows=event_rows,
        )
    try:
        await repository.write_entries(
            session,
            entry_rows=entry_rows,
            posting_rows=posting_rows,
            pending_rows=pending_rows,
            event_rows=event_rows,
        )
    except IntegrityError as error:
        # Another request committed the same idempotency key or reversal meanwhile.
        raise ConcurrentWrite(
            "A concurrent request wrote the same entry; retry to get its result."
        ) from error
    drafts = [request.draft for _, request in fresh]
    await _apply_balances(session, org_id=org_id, drafts=drafts, facts=facts)
    return [(row["id"], recorded_at) for row in entry_rows]


def _rows_for(
    request: PostRequest,
    *,
    entry_id: uuid.UUID,
    org_id: uuid.UUID,
    user_id: uuid.UUID | None,
    recorded_at: datetime,
    custom_scales: Mapping[str, int],
    entry_rows: list[dict[str, Any]],
    posting_rows: list[dict[str, Any]],
    pending_rows: list[dict[str, Any]],
    event_rows: list[dict[str, Any]],
) -> None:
    draft = request.draft
    metadata = dict(draft.metadata) if draft.metadata is not None else None
    entry_rows.append(
        {
            "id": entry_id,
            "org_id": org_id,
            "date": draft.date,
            "description": draft.description,
            "payee": draft.payee,
            "reference": draft.reference,
            "metadata": metadata,
            "recorded_at": recorded_at,
            "reverses_entry_id": request.reverses_entry_id,
            "idempotency_key": request.idempotency_key,
            "request_hash": request.request_hash,
            "created_by": user_id,
        }
    )
    lines = []
    for line_no, posting in enumerate(draft.postings):
        posting_rows.append(
            {
                "entry_id": entry_id,
                "line_no": line_no,
                "org_id": org_id,
                "account_id": posting.account_id,
                "amount_minor": posting.amount_minor,
                "currency": posting.currency,
                "memo": posting.memo,
                "date": draft.date,
                "recorded_at": recorded_at,
            }
        )
        scale = domain.scale_of(posting.currency, custom_scales=custom_scales)
        lines.append(
            {
                "account_id": str(posting.account_id),
                "currency": posting.currency,
                "amount": format_amount(posting.amount_minor, scale=scale),
            }
        )
    sealed = domain.SealedFacts(
        entry_id=entry_id,
        org_id=org_id,
        date=draft.date,
        description=draft.description,
        payee=draft.payee,
        reference=draft.reference,
        metadata=metadata,
        recorded_at=recorded_at,
        reverses_entry_id=request.reverses_entry_id,
        postings=tuple(
            (line_no, p.account_id, p.amount_minor, p.currency, p.memo)
            for line_no, p in enumerate(draft.postings)
        ),
    )
    pending_rows.append(
        {"entry_id": entry_id, "org_id": org_id, "entry_hash": domain.entry_hash(sealed)}
    )
    event_rows.append(
        event_row(
            event_type=events.ENTRY_POSTED,
            org_id=org_id,
            occurred_at=recorded_at,
            data={
                "entry_id": str(entry_id),
                "date": draft.date.isoformat(),
                "description": draft.description,
                "payee": draft.payee,
                "reference": draft.reference,
                "reverses_entry_id": str(request.reverses_entry_id)
                if request.reverses_entry_id
                else None,
                "postings": lines,
            },
        )
    )
    if request.reverses_entry_id is not None:
        event_rows.append(
            event_row(
                event_type=events.ENTRY_REVERSED,
                org_id=org_id,
                occurred_at=recorded_at,
                data={
                    "entry_id": str(request.reverses_entry_id),
                    "reversal_entry_id": str(entry_id),
                    "date": draft.date.isoformat(),
                },
            )
        )


async def _apply_balances(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    drafts: Sequence[domain.EntryDraft],
    facts: Mapping[uuid.UUID, domain.AccountFacts],
) -> None:
    deltas = domain.balance_deltas(drafts)
    domain.check_delta_range(deltas)
    floors = {account_id: fact.floor_minor for account_id, fact in facts.items()}
    current = await repository.lock_balances(
        session, org_id=org_id, keys=list(deltas), floors=floors
    )
    after = {key: current.get(key, 0) + delta for key, delta in deltas.items() if delta != 0}
    domain.check_floors(after, facts)
    await repository.store_balances(session, org_id=org_id, balances=after)
    await repository.add_dated_deltas(
        session,
        org_id=org_id,
        daily=domain.dated_deltas(drafts, monthly=False),
        monthly=domain.dated_deltas(drafts, monthly=True),
    )


async def reverse_entry(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    entry_id: uuid.UUID,
    body: schemas.ReverseRequest,
    idempotency_key: str | None,
    settings: Settings,
) -> schemas.Entry:
    """Post the exact negation of an entry, linked to it."""
    original = await get_entry(session, org_id=org_id, entry_id=entry_id)
    if original.reversed_by_entry_id is not None:
        raise domain.EntryAlreadyReversed(
            "This entry was already reversed.",
            details={"reversal_entry_id": str(original.reversed_by_entry_id)},
        )
    if original.reverses_entry_id is not None:
        raise domain.EntryAlreadyReversed("A reversal cannot itself be reversed; post a new entry.")
    org = await repository.ensure_org(session, org_id=org_id)
    reversal_date = body.date or original.date
    if body.date is None and org.closed_through is not None and reversal_date <= org.closed_through:
        reversal_date = utc_now().date()
    custom = await scales_of(session, org_id=org_id)
    draft = domain.EntryDraft(
        date=reversal_date,
        description=body.description or f"Reversal of: {original.description}",
        payee=original.payee,
        reference=original.reference,
        metadata={"reverses": str(original.id)},
        postings=domain.reversal_postings(
            tuple(
                domain.PostingDraft(
                    account_id=p.account_id,
                    currency=p.currency,
                    memo=p.memo,
                    amount_minor=parse_amount(
                        p.amount, scale=domain.scale_of(p.currency, custom_scales=custom)
                    ),
                )
                for p in original.postings
            )
        ),
    )
    digest = domain.request_hash({"reverse": str(entry_id), **body.model_dump(mode="json")})
    request = PostRequest(
        draft=draft,
        idempotency_key=idempotency_key,
        request_hash=digest,
        reverses_entry_id=original.id,
    )
    [outcome] = await post_entries(
        session, org_id=org_id, user_id=user_id, requests=[request], settings=settings
    )
    return await posted_entry(session, org_id=org_id, request=request, outcome=outcome)


async def posted_entry(
    session: AsyncSession, *, org_id: uuid.UUID, request: PostRequest, outcome: PostOutcome
) -> schemas.Entry:
    """Render an entry just posted from what was written; a replay is read back."""
    if outcome.recorded_at is None:
        return await get_entry(session, org_id=org_id, entry_id=outcome.entry_id)
    custom = await scales_of(session, org_id=org_id)
    draft = request.draft
    return schemas.Entry(
        id=outcome.entry_id,
        date=draft.date,
        description=draft.description,
        payee=draft.payee,
        reference=draft.reference,
        metadata=dict(draft.metadata) if draft.metadata is not None else None,
        recorded_at=outcome.recorded_at,
        reverses_entry_id=request.reverses_entry_id,
        reversed_by_entry_id=None,
        postings=[
            schemas.PostingOut(
                line=line,
                account_id=posting.account_id,
                amount=format_amount(
                    posting.amount_minor,
                    scale=domain.scale_of(posting.currency, custom_scales=custom),
                ),
                currency=posting.currency,
                memo=posting.memo,
            )
            for line, posting in enumerate(draft.postings)
        ],
    )
