"""Posting entries: one path for one entry or ten thousand. Never commits.

Parse and check every entry, read what posting needs in one go (the closed period, the
accounts named, idempotency keys already used, balances that have a floor), settle
the keys (a replay returns the first result, a changed body is a conflict), check
accounts and periods, then build the complete write plan and hand it to the writer,
which stores it as one statement (PostgreSQL) or one short transaction (SQLite).

Floors are checked twice: here against the balances just read, for a clear error with
the numbers, and by the database's CHECK constraint on the value a balance row really
ends with, which holds when concurrent writers race for the last euro.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.config import Settings
from nexus.core.errors import InvalidInput, NexusError
from nexus.core.ids import new_id
from nexus.core.money import format_amount, parse_amount
from nexus.ledger import chain, domain, events, repository, schemas, writer
from nexus.ledger.service import (
    at_index,
    entry_not_found,
    get_entry,
    render_entries,
    scales_for,
    scales_of,
)


class DuplicateKeyInBatch(InvalidInput):
    code = "duplicate_idempotency_key"


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
    body: schemas.EntryCreate,
    *,
    custom_scales: Mapping[str, int],
    canonical_ids: dict[int, uuid.UUID] | None = None,
) -> domain.EntryDraft:
    """Turn an API entry into a domain draft (amounts to minor units)."""
    ids = canonical_ids if canonical_ids is not None else {}
    return domain.EntryDraft(
        date=body.date,
        description=body.description,
        payee=body.payee,
        reference=body.reference,
        metadata=body.metadata,
        postings=tuple(
            domain.PostingDraft(
                account_id=ids.setdefault(line.account_id.int, line.account_id),
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
    currencies = {line.currency for body in bodies for line in body.postings}
    custom = await scales_for(session, org_id=org_id, currencies=currencies)
    # One UUID object per account: dict lookups then match by identity, not UUID.__eq__.
    canonical: dict[int, uuid.UUID] = {}
    drafts = []
    for index, body in enumerate(bodies):
        try:
            drafts.append(parse_entry(body, custom_scales=custom, canonical_ids=canonical))
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
    for index, request in enumerate(requests):
        try:
            domain.check_entry(request.draft, postings_max=settings.postings_per_entry_max)
        except NexusError as error:
            raise at_index(index if batch else None, error) from None
    keys = _keys_by_index(requests)
    account_ids = sorted({p.account_id for request in requests for p in request.draft.postings})
    context = await repository.posting_context(
        session, org_id=org_id, account_ids=account_ids, keys=list(keys)
    )
    closed_through = context.closed_through
    if not context.org_exists:
        closed_through = (await repository.ensure_org(session, org_id=org_id)).closed_through
    for index, request in enumerate(requests):
        try:
            domain.check_period(request.draft.date, closed_through=closed_through)
        except NexusError as error:
            raise at_index(index if batch else None, error) from None
    outcomes = _replays(context.existing_keys, keys=keys, requests=requests, batch=batch)
    fresh = [(index, request) for index, request in enumerate(requests) if index not in outcomes]
    for index, request in fresh:
        try:
            domain.check_accounts(request.draft.postings, context.accounts)
        except NexusError as error:
            raise at_index(index if batch else None, error) from None
    if fresh:
        plan = await _plan(
            session,
            org_id=org_id,
            user_id=user_id,
            requests=[request for _, request in fresh],
            context=context,
        )
        await writer.write_plan(session, plan)
        if writer.seals_in_place(session):
            await chain.seal_in_place(
                session, org_id=org_id, entry_ids=plan.entry_ids, entry_hashes=plan.entry_hashes
            )
        for (index, request), entry_id in zip(fresh, plan.entry_ids, strict=True):
            outcomes[index] = PostOutcome(
                entry_id, request.idempotency_key, replayed=False, recorded_at=plan.recorded_at
            )
    return [outcomes[index] for index in range(len(requests))]


def _keys_by_index(requests: Sequence[PostRequest]) -> dict[str, int]:
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
    return seen


def _replays(
    existing: Mapping[str, tuple[uuid.UUID, str | None]],
    *,
    keys: Mapping[str, int],
    requests: Sequence[PostRequest],
    batch: bool,
) -> dict[int, PostOutcome]:
    replays: dict[int, PostOutcome] = {}
    for key, (entry_id, digest) in existing.items():
        index = keys[key]
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


async def _plan(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID | None,
    requests: Sequence[PostRequest],
    context: repository.PostingContext,
) -> writer.PostingPlan:
    currencies = {p.currency for request in requests for p in request.draft.postings}
    custom = await scales_for(session, org_id=org_id, currencies=currencies)
    plan = writer.PostingPlan(org_id=org_id, recorded_at=utc_now(), created_by=user_id)
    builder = _PlanBuilder(plan, custom_scales=custom)
    for request in requests:
        builder.add(request, entry_id=new_id())
    deltas = domain.posting_deltas(request.draft for request in requests)
    domain.check_delta_range(deltas.balances)
    facts = context.accounts
    after = {
        key: context.floored_balances.get(key, 0) + delta
        for key, delta in deltas.balances.items()
        if facts[key[0]].floor_minor is not None
    }
    domain.check_floors(after, facts)
    plan.balance_deltas = [
        (account_id, currency, delta, _floor_of_new_row(delta, facts[account_id].floor_minor))
        for (account_id, currency), delta in sorted(deltas.balances.items(), key=_lock_order)
        if delta != 0
    ]
    plan.daily_deltas = [
        (account_id, currency, day, delta)
        for (account_id, currency, day), delta in sorted(deltas.daily.items(), key=_lock_order)
    ]
    plan.monthly_deltas = [
        (account_id, currency, month, delta)
        for (account_id, currency, month), delta in sorted(deltas.monthly.items(), key=_lock_order)
    ]
    return plan


def _lock_order(item: tuple[tuple[Any, ...], int]) -> tuple[Any, ...]:
    """Sort key of a balance row: every writer locks rows in this one order.

    By the account id's integer, which orders like the UUID itself but compares in C
    (UUID objects compare in Python, and sorting a batch's rows was its slowest step).
    """
    key = item[0]
    return (key[0].int, *key[1:])


def _floor_of_new_row(delta: int, floor: int | None) -> int | None:
    """The floor to store on a balance row this post creates.

    SQLite and PostgreSQL check an upsert's proposed row before they find the row it
    conflicts with, and a delta alone is not a balance: a withdrawal from a funded
    account would fail the floor. A row that is really new holds exactly `delta`,
    which `check_floors` has already held to the floor (a missing row reads as 0), so
    the proposed row carries the floor only when it satisfies it; an existing row keeps
    its own floor, and the database checks the balance it really ends with.
    """
    return floor if floor is not None and delta >= floor else None


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


class _PlanBuilder:
    """Adds entries to a plan, turning each account, currency and time into text once.

    A batch names a few accounts thousands of times; their ids, the organisation's and
    the recording time appear in every entry's seal and event as the same strings.
    """

    def __init__(self, plan: writer.PostingPlan, *, custom_scales: Mapping[str, int]) -> None:
        self.plan = plan
        self.custom_scales = custom_scales
        self.org_text = str(plan.org_id)
        self.recorded_text = domain.sealed_time(plan.recorded_at)
        self.account_texts: dict[uuid.UUID, str] = {}
        self.scales: dict[str, int] = {}

    def _account_text(self, account_id: uuid.UUID) -> str:
        text = self.account_texts.get(account_id)
        if text is None:
            text = self.account_texts[account_id] = str(account_id)
        return text

    def _scale(self, currency: str) -> int:
        scale = self.scales.get(currency)
        if scale is None:
            scale = self.scales[currency] = domain.scale_of(
                currency, custom_scales=self.custom_scales
            )
        return scale

    def add(self, request: PostRequest, *, entry_id: uuid.UUID) -> None:
        plan, draft = self.plan, request.draft
        entry_text = str(entry_id)
        day_text = draft.date.isoformat()
        metadata = dict(draft.metadata) if draft.metadata is not None else None
        plan.entry_ids.append(entry_id)
        plan.entry_dates.append(draft.date)
        plan.descriptions.append(draft.description)
        plan.payees.append(draft.payee)
        plan.references.append(draft.reference)
        plan.metadata_json.append(_json_text(metadata))
        plan.reverses.append(request.reverses_entry_id)
        plan.idempotency_keys.append(request.idempotency_key)
        plan.request_hashes.append(request.request_hash)
        sealed: list[list[Any]] = []
        lines: list[dict[str, str]] = []
        for line_no, posting in enumerate(draft.postings):
            plan.posting_entry_ids.append(entry_id)
            plan.posting_lines.append(line_no)
            plan.posting_accounts.append(posting.account_id)
            plan.posting_amounts.append(posting.amount_minor)
            plan.posting_currencies.append(posting.currency)
            plan.posting_memos.append(posting.memo)
            plan.posting_dates.append(draft.date)
            account_text = self._account_text(posting.account_id)
            sealed.append(
                [line_no, account_text, posting.amount_minor, posting.currency, posting.memo]
            )
            lines.append(
                {
                    "account_id": account_text,
                    "currency": posting.currency,
                    "amount": format_amount(
                        posting.amount_minor, scale=self._scale(posting.currency)
                    ),
                }
            )
        reverses = str(request.reverses_entry_id) if request.reverses_entry_id else None
        plan.entry_hashes.append(
            domain.entry_digest(
                entry_id=entry_text,
                org_id=self.org_text,
                day=day_text,
                description=draft.description,
                payee=draft.payee,
                reference=draft.reference,
                metadata=metadata,
                recorded_at=self.recorded_text,
                reverses=reverses,
                postings=sealed,
            )
        )
        self._add_event(
            events.ENTRY_POSTED,
            {
                "entry_id": entry_text,
                "date": day_text,
                "description": draft.description,
                "payee": draft.payee,
                "reference": draft.reference,
                "reverses_entry_id": reverses,
                "postings": lines,
            },
        )
        if reverses is not None:
            self._add_event(
                events.ENTRY_REVERSED,
                {"entry_id": reverses, "reversal_entry_id": entry_text, "date": day_text},
            )

    def _add_event(self, event_type: str, data: dict[str, Any]) -> None:
        self.plan.event_ids.append(new_id())
        self.plan.event_types.append(event_type)
        self.plan.event_data_json.append(orjson.dumps(data).decode())


@dataclass(frozen=True, slots=True)
class ReverseOutcome:
    """What became of one reversal asked for: posted now, replayed, or skipped."""

    entry_id: uuid.UUID
    idempotency_key: str | None
    reversal_entry_id: uuid.UUID | None  # None when skipped
    status: schemas.ReversalStatus


class DuplicateEntryInBatch(InvalidInput):
    code = "duplicate_entry_in_batch"


async def reverse_entries(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    items: Sequence[schemas.ReversalItem],
    settings: Settings,
    batch: bool,
    skip_already_reversed: bool = False,
) -> list[ReverseOutcome]:
    """Post the exact negation of each entry, linked to it, all-or-nothing.

    A key used before replays its first result even though its entry is now reversed
    (a retry after a lost answer); an entry reversed under another key is an error,
    or skipped when `skip_already_reversed` (undoing an import a person already
    partly reversed by hand).
    """
    seen: dict[uuid.UUID, int] = {}
    for index, item in enumerate(items):
        if item.entry_id in seen:
            raise at_index(
                index,
                DuplicateEntryInBatch(
                    "This entry appears twice in this batch.",
                    details={"entry_id": str(item.entry_id), "first_index": seen[item.entry_id]},
                ),
            )
        seen[item.entry_id] = index
    keys = [item.idempotency_key for item in items if item.idempotency_key is not None]
    used = await repository.find_keys(session, org_id=org_id, keys=keys) if keys else {}
    rows = await repository.entry_rows(session, org_id=org_id, entry_ids=list(seen))
    originals = {e.id: e for e in await render_entries(session, org_id=org_id, rows=rows)}
    org = await repository.ensure_org(session, org_id=org_id)
    custom = await scales_of(session, org_id=org_id)
    today = utc_now().date()
    requests: list[PostRequest] = []
    asked: list[int] = []
    skipped: dict[int, ReverseOutcome] = {}
    for index, item in enumerate(items):
        position = index if batch else None
        original = originals.get(item.entry_id)
        if original is None:
            raise at_index(position, entry_not_found(item.entry_id))
        if original.reverses_entry_id is not None:
            raise at_index(
                position,
                domain.EntryAlreadyReversed(
                    "A reversal cannot itself be reversed; post a new entry."
                ),
            )
        replay = item.idempotency_key is not None and item.idempotency_key in used
        if original.reversed_by_entry_id is not None and not replay:
            if skip_already_reversed:
                skipped[index] = ReverseOutcome(
                    original.id, item.idempotency_key, None, status="skipped"
                )
                continue
            raise at_index(
                position,
                domain.EntryAlreadyReversed(
                    "This entry was already reversed.",
                    details={"reversal_entry_id": str(original.reversed_by_entry_id)},
                ),
            )
        reversal_date = item.date or original.date
        closed = org.closed_through
        if item.date is None and closed is not None and reversal_date <= closed:
            reversal_date = today
        requests.append(
            PostRequest(
                draft=_reversal_draft(original, item, reversal_date, custom_scales=custom),
                idempotency_key=item.idempotency_key,
                request_hash=_reversal_hash(item),
                reverses_entry_id=original.id,
            )
        )
        asked.append(index)
    posted = (
        await post_entries(
            session,
            org_id=org_id,
            user_id=user_id,
            requests=requests,
            settings=settings,
            batch=batch,
        )
        if requests
        else []
    )
    outcomes = dict(skipped)
    for index, outcome in zip(asked, posted, strict=True):
        outcomes[index] = ReverseOutcome(
            items[index].entry_id,
            outcome.idempotency_key,
            outcome.entry_id,
            status="replayed" if outcome.replayed else "reversed",
        )
    return [outcomes[index] for index in range(len(items))]


def _reversal_hash(item: schemas.ReversalItem) -> str:
    """The request hash of a reversal: the same whether asked for alone or in a batch."""
    day = item.date.isoformat() if item.date is not None else None
    return domain.request_hash(
        {"reverse": str(item.entry_id), "date": day, "description": item.description}
    )


def _reversal_draft(
    original: schemas.Entry,
    item: schemas.ReversalItem,
    reversal_date: date,
    *,
    custom_scales: Mapping[str, int],
) -> domain.EntryDraft:
    return domain.EntryDraft(
        date=reversal_date,
        description=item.description or f"Reversal of: {original.description}",
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
                        p.amount, scale=domain.scale_of(p.currency, custom_scales=custom_scales)
                    ),
                )
                for p in original.postings
            )
        ),
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
    item = schemas.ReversalItem(
        entry_id=entry_id,
        idempotency_key=idempotency_key,
        date=body.date,
        description=body.description,
    )
    [outcome] = await reverse_entries(
        session, org_id=org_id, user_id=user_id, items=[item], settings=settings, batch=False
    )
    assert outcome.reversal_entry_id is not None  # nothing is skipped unless asked
    return await get_entry(session, org_id=org_id, entry_id=outcome.reversal_entry_id)


async def posted_entry(
    session: AsyncSession, *, org_id: uuid.UUID, request: PostRequest, outcome: PostOutcome
) -> schemas.Entry:
    """Render an entry just posted from what was written; a replay is read back."""
    if outcome.recorded_at is None:
        return await get_entry(session, org_id=org_id, entry_id=outcome.entry_id)
    draft = request.draft
    custom = await scales_for(
        session, org_id=org_id, currencies={p.currency for p in draft.postings}
    )
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
