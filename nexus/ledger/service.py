"""Ledger use cases: load, apply the domain rules, save. Never commits.

Posting is one path for one entry or ten thousand: parse and check every entry, settle
idempotency keys (a replay returns the first result, a changed body is a conflict),
check accounts and periods, write entries, postings and events, then lock the touched
balance rows in a fixed order, check floors against the locked values and store the
new balances and the dated balance index. Locking last keeps hot rows locked for the
shortest time; the fixed order keeps concurrent writers free of deadlocks.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.config import Settings
from nexus.core.errors import Conflict, InvalidInput, NexusError
from nexus.core.events import event_row
from nexus.core.ids import new_id
from nexus.core.money import (
    ISO_NAMES,
    ISO_SCALES,
    format_amount,
    is_valid_asset_code,
    parse_amount,
    parse_rate,
)
from nexus.ledger import domain, events, repository, schemas, templates
from nexus.ledger.models import outbox


class DuplicateKeyInBatch(InvalidInput):
    code = "duplicate_idempotency_key"


class ConcurrentWrite(Conflict):
    code = "concurrent_write"


class AccountCodeTaken(Conflict):
    code = "account_code_taken"


class AlreadySetUp(Conflict):
    code = "ledger_already_set_up"


class AccountNotEmpty(InvalidInput):
    code = "account_balance_not_zero"


class AccountHasChildren(InvalidInput):
    code = "account_has_open_children"


class InvalidParent(InvalidInput):
    code = "invalid_parent"


class InvalidFloor(InvalidInput):
    code = "invalid_floor"


class AssetExists(Conflict):
    code = "asset_exists"


class InvalidAssetCode(InvalidInput):
    code = "invalid_asset_code"


class PeriodAlreadyClosed(InvalidInput):
    code = "period_already_closed"


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


def _at(index: int | None, error: NexusError) -> NexusError:
    if index is not None:
        error.details = {**error.details, "entry_index": index}
        error.message = f"Entry {index}: {error.message}"
    return error


async def scales_of(session: AsyncSession, *, org_id: uuid.UUID) -> dict[str, int]:
    """Return the org's custom asset scales."""
    return await repository.custom_scales(session, org_id=org_id)


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
            raise _at(index if batch else None, error) from None
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
            raise _at(index if batch else None, error) from None

    outcomes: dict[int, PostOutcome] = await _settle_keys(
        session, org_id=org_id, requests=requests, batch=batch
    )
    fresh = [(index, request) for index, request in enumerate(requests) if index not in outcomes]
    if fresh:
        new_ids = await _write_fresh(
            session, org_id=org_id, user_id=user_id, fresh=fresh, batch=batch
        )
        for (index, request), entry_id in zip(fresh, new_ids, strict=True):
            outcomes[index] = PostOutcome(entry_id, request.idempotency_key, replayed=False)
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
            raise _at(
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
            raise _at(
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
) -> list[uuid.UUID]:
    account_ids = {p.account_id for _, request in fresh for p in request.draft.postings}
    facts = await repository.account_facts(session, org_id=org_id, account_ids=account_ids)
    for index, request in fresh:
        try:
            domain.check_accounts(request.draft.postings, facts)
        except NexusError as error:
            raise _at(index if batch else None, error) from None
    custom = await scales_of(session, org_id=org_id)
    recorded_at = utc_now()
    entry_rows: list[dict[str, Any]] = []
    posting_rows: list[dict[str, Any]] = []
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
            event_rows=event_rows,
        )
    try:
        await repository.write_entries(
            session, entry_rows=entry_rows, posting_rows=posting_rows, event_rows=event_rows
        )
    except IntegrityError as error:
        # Another request committed the same idempotency key or reversal meanwhile.
        raise ConcurrentWrite(
            "A concurrent request wrote the same entry; retry to get its result."
        ) from error
    drafts = [request.draft for _, request in fresh]
    await _apply_balances(session, org_id=org_id, drafts=drafts, facts=facts)
    return [row["id"] for row in entry_rows]


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
    event_rows: list[dict[str, Any]],
) -> None:
    draft = request.draft
    entry_rows.append(
        {
            "id": entry_id,
            "org_id": org_id,
            "date": draft.date,
            "description": draft.description,
            "payee": draft.payee,
            "reference": draft.reference,
            "metadata": dict(draft.metadata) if draft.metadata is not None else None,
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


# --- reading entries -------------------------------------------------------------------


async def render_entries(
    session: AsyncSession, *, org_id: uuid.UUID, rows: Sequence[Row[Any]]
) -> list[schemas.Entry]:
    """Render entry rows with their postings and reversal links, in the given order."""
    ids = [row.id for row in rows]
    custom = await scales_of(session, org_id=org_id)
    by_entry: dict[uuid.UUID, list[schemas.PostingOut]] = {entry_id: [] for entry_id in ids}
    for posting in await repository.posting_rows(session, org_id=org_id, entry_ids=ids):
        scale = domain.scale_of(posting.currency, custom_scales=custom)
        by_entry[posting.entry_id].append(
            schemas.PostingOut(
                line=posting.line_no,
                account_id=posting.account_id,
                currency=posting.currency,
                amount=format_amount(posting.amount_minor, scale=scale),
                memo=posting.memo,
            )
        )
    reversed_by = await repository.reversals_of(session, org_id=org_id, entry_ids=ids)
    return [
        schemas.Entry(
            id=row.id,
            date=row.date,
            description=row.description,
            payee=row.payee,
            reference=row.reference,
            metadata=row.metadata,
            recorded_at=row.recorded_at,
            reverses_entry_id=row.reverses_entry_id,
            reversed_by_entry_id=reversed_by.get(row.id),
            postings=by_entry[row.id],
        )
        for row in rows
    ]


async def get_entry(
    session: AsyncSession, *, org_id: uuid.UUID, entry_id: uuid.UUID
) -> schemas.Entry:
    """Return one entry of the org or raise EntryNotFound."""
    rows = await repository.entry_rows(session, org_id=org_id, entry_ids=[entry_id])
    if not rows:
        raise domain.EntryNotFound("No such entry.", details={"entry_id": str(entry_id)})
    return (await render_entries(session, org_id=org_id, rows=rows))[0]


async def reverse_entry(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    entry_id: uuid.UUID,
    body: schemas.ReverseRequest,
    idempotency_key: str | None,
    settings: Settings,
) -> PostOutcome:
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
    return outcome


# --- accounts --------------------------------------------------------------------------


def render_account(row: Row[Any], *, custom_scales: Mapping[str, int]) -> schemas.Account:
    """Render an account row."""
    floor = None
    if row.floor_minor is not None and row.currency is not None:
        floor = format_amount(
            row.floor_minor, scale=domain.scale_of(row.currency, custom_scales=custom_scales)
        )
    return schemas.Account(
        id=row.id,
        code=row.code,
        name=row.name,
        type=domain.AccountType(row.type),
        parent_id=row.parent_id,
        currency=row.currency,
        floor=floor,
        is_closed=row.is_closed,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
    )


async def _check_parent(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    parent_id: uuid.UUID,
    account_type: str,
    account_id: uuid.UUID | None,
) -> None:
    node: uuid.UUID | None = parent_id
    first = True
    while node is not None:
        if node == account_id:
            raise InvalidParent("An account cannot be its own ancestor.")
        parent = await repository.get_account(session, org_id=org_id, account_id=node)
        if parent is None:
            raise InvalidParent(
                "The parent account does not exist.", details={"parent_id": str(node)}
            )
        if first and parent.type != account_type:
            raise InvalidParent(
                f"A {account_type} account cannot sit under a {parent.type} account."
            )
        if first and parent.is_closed:
            raise InvalidParent(f"Account {parent.code} is closed; reopen it first.")
        first = False
        node = parent.parent_id


def _parse_floor(floor: str | None, currency: str | None, custom: Mapping[str, int]) -> int | None:
    if floor is None:
        return None
    if currency is None:
        raise InvalidFloor("Only a single-currency account can have a floor.")
    return parse_amount(floor, scale=domain.scale_of(currency, custom_scales=custom), field="floor")


async def create_account(
    session: AsyncSession, *, org_id: uuid.UUID, body: schemas.AccountCreate
) -> schemas.Account:
    """Open an account."""
    await repository.ensure_org(session, org_id=org_id)
    custom = await scales_of(session, org_id=org_id)
    if body.currency is not None:
        domain.scale_of(body.currency, custom_scales=custom)
    floor_minor = _parse_floor(body.floor, body.currency, custom)
    if floor_minor is not None and floor_minor > 0:
        raise InvalidFloor("A new account starts at zero, so its floor cannot be above zero.")
    if await repository.account_by_code(session, org_id=org_id, code=body.code):
        raise AccountCodeTaken(
            f"Account code {body.code} is already used.", details={"code": body.code}
        )
    if body.parent_id is not None:
        await _check_parent(
            session,
            org_id=org_id,
            parent_id=body.parent_id,
            account_type=body.type,
            account_id=None,
        )
    row = _account_row(
        org_id=org_id,
        code=body.code,
        name=body.name,
        account_type=body.type,
        parent_id=body.parent_id,
        currency=body.currency,
        floor_minor=floor_minor,
        description=body.description,
    )
    await _insert_accounts(session, org_id=org_id, rows=[row])
    created = await repository.get_account(session, org_id=org_id, account_id=row["id"])
    assert created is not None
    return render_account(created, custom_scales=custom)


def _account_row(
    *,
    org_id: uuid.UUID,
    code: str,
    name: str,
    account_type: str,
    parent_id: uuid.UUID | None,
    currency: str | None,
    floor_minor: int | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    now = utc_now()
    return {
        "id": new_id(),
        "org_id": org_id,
        "code": code,
        "name": name,
        "type": str(account_type),
        "parent_id": parent_id,
        "currency": currency,
        "floor_minor": floor_minor,
        "is_closed": False,
        "description": description,
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
    }


async def _insert_accounts(
    session: AsyncSession, *, org_id: uuid.UUID, rows: Sequence[dict[str, Any]]
) -> None:
    await repository.insert_accounts(session, rows=rows)
    await repository.insert_rows(
        session,
        outbox,
        [
            event_row(
                event_type=events.ACCOUNT_CREATED,
                org_id=org_id,
                data={
                    "account_id": str(row["id"]),
                    "code": row["code"],
                    "name": row["name"],
                    "type": row["type"],
                    "currency": row["currency"],
                    "parent_id": str(row["parent_id"]) if row["parent_id"] else None,
                },
            )
            for row in rows
        ],
    )


async def get_account(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID
) -> Row[Any]:
    """Return an account row of the org or raise AccountNotFound."""
    row = await repository.get_account(session, org_id=org_id, account_id=account_id)
    if row is None:
        raise domain.AccountNotFound("No such account.", details={"account_id": str(account_id)})
    return row


async def update_account(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID, body: schemas.AccountUpdate
) -> schemas.Account:
    """Change an account's code, name, parent, floor or description."""
    row = await get_account(session, org_id=org_id, account_id=account_id)
    custom = await scales_of(session, org_id=org_id)
    changes = body.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    if "code" in changes and changes["code"] != row.code:
        if await repository.account_by_code(session, org_id=org_id, code=changes["code"]):
            raise AccountCodeTaken(f"Account code {changes['code']} is already used.")
        values["code"] = changes["code"]
    for field in ("name", "description"):
        if field in changes:
            values[field] = changes[field]
    if "parent_id" in changes:
        if changes["parent_id"] is not None:
            await _check_parent(
                session,
                org_id=org_id,
                parent_id=changes["parent_id"],
                account_type=row.type,
                account_id=row.id,
            )
        values["parent_id"] = changes["parent_id"]
    if "floor" in changes:
        floor_minor = _parse_floor(changes["floor"], row.currency, custom)
        if floor_minor is not None:
            current = (
                (
                    await repository.balances(
                        session, org_id=org_id, as_of=None, known_at=None, account_id=row.id
                    )
                )
                .get(row.id, {})
                .get(row.currency, 0)
            )
            if current < floor_minor:
                raise InvalidFloor("The account's balance is already below this floor.")
        values["floor_minor"] = floor_minor
    if values:
        values["updated_at"] = utc_now()
        await repository.update_account(session, org_id=org_id, account_id=row.id, values=values)
    updated = await get_account(session, org_id=org_id, account_id=account_id)
    return render_account(updated, custom_scales=custom)


async def set_account_closed(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID, closed: bool
) -> schemas.Account:
    """Close an account with a zero balance and no open children, or reopen it."""
    row = await get_account(session, org_id=org_id, account_id=account_id)
    if not closed and row.parent_id is not None:
        parent = await get_account(session, org_id=org_id, account_id=row.parent_id)
        if parent.is_closed:
            raise InvalidParent(f"Account {parent.code} is closed; reopen it first.")
    if closed and not row.is_closed:
        own = (
            await repository.balances(
                session, org_id=org_id, as_of=None, known_at=None, account_id=row.id
            )
        ).get(row.id, {})
        if any(own.values()):
            raise AccountNotEmpty(
                "Move the balance out before closing the account.", details={"balances_minor": own}
            )
        if await repository.has_children(session, org_id=org_id, account_id=row.id, open_only=True):
            raise AccountHasChildren("Close the account's sub-accounts first.")
    now = utc_now()
    await repository.update_account(
        session,
        org_id=org_id,
        account_id=row.id,
        values={"is_closed": closed, "closed_at": now if closed else None, "updated_at": now},
    )
    return render_account(
        await get_account(session, org_id=org_id, account_id=account_id),
        custom_scales=await scales_of(session, org_id=org_id),
    )


async def list_accounts(
    session: AsyncSession, *, org_id: uuid.UUID, include_closed: bool
) -> list[schemas.Account]:
    """Return the org's accounts ordered by code."""
    custom = await scales_of(session, org_id=org_id)
    rows = await repository.list_accounts(session, org_id=org_id, include_closed=include_closed)
    return [render_account(row, custom_scales=custom) for row in rows]


# --- set-up, assets, FX, periods -------------------------------------------------------


def render_settings(row: Row[Any]) -> schemas.LedgerSettings:
    """Render the org's ledger settings."""
    return schemas.LedgerSettings(
        base_currency=row.base_currency, closed_through=row.closed_through, template=row.template
    )


async def setup(
    session: AsyncSession, *, org_id: uuid.UUID, body: schemas.SetupRequest
) -> schemas.SetupResult:
    """Set the base currency and open a chart of accounts from a template, once."""
    custom = await scales_of(session, org_id=org_id)
    domain.scale_of(body.base_currency, custom_scales=custom)
    existing = await repository.org_settings(session, org_id=org_id)
    if existing is not None and existing.template is not None:
        raise AlreadySetUp("The ledger of this organisation is already set up.")
    if await repository.list_accounts(session, org_id=org_id):
        raise AlreadySetUp("This organisation already has accounts; add more one by one.")
    await repository.ensure_org(session, org_id=org_id, base_currency=body.base_currency)
    await repository.update_org(
        session, org_id=org_id, base_currency=body.base_currency, template=body.template
    )
    rows: list[dict[str, Any]] = []
    ids_by_code: dict[str, uuid.UUID] = {}
    for spec in templates.TEMPLATES[body.template]:
        currency = None if spec.multi_currency else body.base_currency
        row = _account_row(
            org_id=org_id,
            code=spec.code,
            name=spec.name,
            account_type=spec.type,
            parent_id=ids_by_code.get(spec.parent) if spec.parent else None,
            currency=currency,
        )
        ids_by_code[spec.code] = row["id"]
        rows.append(row)
    await _insert_accounts(session, org_id=org_id, rows=rows)
    settings_row = await repository.org_settings(session, org_id=org_id)
    assert settings_row is not None
    return schemas.SetupResult(
        settings=render_settings(settings_row),
        accounts=await list_accounts(session, org_id=org_id, include_closed=True),
    )


async def list_assets(session: AsyncSession, *, org_id: uuid.UUID) -> list[schemas.Asset]:
    """Return ISO 4217 currencies and the org's own assets."""
    own = [
        schemas.Asset(code=row.code, name=row.name, scale=row.scale, custom=True)
        for row in await repository.list_assets(session, org_id=org_id)
    ]
    iso = [
        schemas.Asset(code=code, name=ISO_NAMES[code], scale=scale, custom=False)
        for code, scale in sorted(ISO_SCALES.items())
    ]
    return own + iso


async def create_asset(
    session: AsyncSession, *, org_id: uuid.UUID, body: schemas.AssetCreate
) -> schemas.Asset:
    """Define a custom asset with its own scale."""
    if not is_valid_asset_code(body.code):
        raise InvalidAssetCode("Asset codes are 2-16 upper-case letters, digits, '.', '-' or '_'.")
    if body.code in ISO_SCALES:
        raise AssetExists(f"{body.code} is an ISO 4217 currency.")
    if body.code in await scales_of(session, org_id=org_id):
        raise AssetExists(f"Asset {body.code} already exists.")
    await repository.ensure_org(session, org_id=org_id)
    await repository.insert_asset(
        session, org_id=org_id, code=body.code, name=body.name, scale=body.scale
    )
    return schemas.Asset(code=body.code, name=body.name, scale=body.scale, custom=True)


async def add_fx_rates(
    session: AsyncSession, *, org_id: uuid.UUID, rates: Sequence[schemas.FxRateIn]
) -> list[schemas.FxRate]:
    """Store exchange rates (units of quote per unit of base) by date."""
    custom = await scales_of(session, org_id=org_id)
    now = utc_now()
    rows = []
    for index, rate in enumerate(rates):
        try:
            domain.scale_of(rate.base, custom_scales=custom)
            domain.scale_of(rate.quote, custom_scales=custom)
            value = parse_rate(rate.rate, field=f"rates[{index}].rate")
        except NexusError as error:
            raise _at(index, error) from None
        if rate.base == rate.quote:
            raise _at(index, InvalidInput("A rate needs two different currencies."))
        rows.append(
            {
                "org_id": org_id,
                "base": rate.base,
                "quote": rate.quote,
                "date": rate.date,
                "rate": format(value, "f"),
                "source": rate.source,
                "recorded_at": now,
            }
        )
    await repository.ensure_org(session, org_id=org_id)
    await repository.upsert_fx_rates(session, rows=rows)
    return [
        schemas.FxRate(
            base=r["base"], quote=r["quote"], date=r["date"], rate=r["rate"], source=r["source"]
        )
        for r in rows
    ]


async def close_period(
    session: AsyncSession, *, org_id: uuid.UUID, through: date
) -> schemas.LedgerSettings:
    """Close the books through a date; later closes may only move forward."""
    org = await repository.ensure_org(session, org_id=org_id)
    if org.closed_through is not None and through < org.closed_through:
        raise PeriodAlreadyClosed(
            f"The books are already closed through {org.closed_through.isoformat()}.",
            details={"closed_through": org.closed_through.isoformat()},
        )
    await repository.update_org(session, org_id=org_id, closed_through=through)
    await repository.insert_rows(
        session,
        outbox,
        [
            event_row(
                event_type=events.PERIOD_CLOSED,
                org_id=org_id,
                data={"closed_through": through.isoformat()},
            )
        ],
    )
    row = await repository.org_settings(session, org_id=org_id)
    assert row is not None
    return render_settings(row)


# --- balances --------------------------------------------------------------------------


def amounts(
    balances: Mapping[str, int], *, custom_scales: Mapping[str, int]
) -> list[schemas.CurrencyAmount]:
    """Render per-currency minor units as sorted decimal strings."""
    return [
        schemas.CurrencyAmount(
            currency=currency,
            amount=format_amount(
                minor, scale=domain.scale_of(currency, custom_scales=custom_scales)
            ),
        )
        for currency, minor in sorted(balances.items())
    ]


async def balance_sheet(
    session: AsyncSession, *, org_id: uuid.UUID, as_of: date | None, known_at: datetime | None
) -> schemas.BalanceSheet:
    """Return every account's own and rolled-up balance."""
    custom = await scales_of(session, org_id=org_id)
    rows = await repository.list_accounts(session, org_id=org_id)
    own = await repository.balances(session, org_id=org_id, as_of=as_of, known_at=known_at)
    totals = domain.roll_up(own, {row.id: row.parent_id for row in rows})
    items = [
        schemas.BalanceLine(
            account_id=row.id,
            code=row.code,
            name=row.name,
            type=domain.AccountType(row.type),
            parent_id=row.parent_id,
            is_closed=row.is_closed,
            own=amounts({c: v for c, v in own.get(row.id, {}).items() if v}, custom_scales=custom),
            total=amounts(
                {c: v for c, v in totals.get(row.id, {}).items() if v}, custom_scales=custom
            ),
        )
        for row in rows
    ]
    return schemas.BalanceSheet(as_of=as_of, known_at=known_at, items=items)


async def account_balance(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_id: uuid.UUID,
    as_of: date | None,
    known_at: datetime | None,
) -> schemas.AccountBalance:
    """Return one account's own balance per currency."""
    row = await get_account(session, org_id=org_id, account_id=account_id)
    custom = await scales_of(session, org_id=org_id)
    own = (
        await repository.balances(
            session, org_id=org_id, as_of=as_of, known_at=known_at, account_id=row.id
        )
    ).get(row.id, {})
    if row.currency is not None:
        own.setdefault(row.currency, 0)
    return schemas.AccountBalance(
        account_id=row.id,
        as_of=as_of,
        known_at=known_at,
        balances=amounts(own, custom_scales=custom),
    )


async def account_history(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_id: uuid.UUID,
    date_from: date | None,
    date_to: date | None,
    after: tuple[date, uuid.UUID, int] | None,
    limit: int,
) -> tuple[list[schemas.HistoryLine], tuple[date, uuid.UUID, int] | None]:
    """Return one account's postings oldest first, each with the running balance after it."""
    row = await get_account(session, org_id=org_id, account_id=account_id)
    custom = await scales_of(session, org_id=org_id)
    page = await repository.account_postings_page(
        session,
        org_id=org_id,
        account_id=row.id,
        date_from=date_from,
        date_to=date_to,
        after=after,
        limit=limit + 1,
    )
    has_more = len(page) > limit
    page = page[:limit]
    if not page:
        return [], None
    first_day = page[0].date
    running = (
        await repository.balances(
            session,
            org_id=org_id,
            as_of=first_day - timedelta(days=1),
            known_at=None,
            account_id=row.id,
        )
    ).get(row.id, {})
    if after is not None and after[0] == first_day:
        for currency, total in (
            await repository.same_day_sums_through(
                session,
                org_id=org_id,
                account_id=row.id,
                day=first_day,
                entry_id=after[1],
                line_no=after[2],
            )
        ).items():
            running[currency] = running.get(currency, 0) + total
    lines = []
    for posting in page:
        running[posting.currency] = running.get(posting.currency, 0) + posting.amount_minor
        scale = domain.scale_of(posting.currency, custom_scales=custom)
        lines.append(
            schemas.HistoryLine(
                entry_id=posting.entry_id,
                date=posting.date,
                description=posting.description,
                payee=posting.payee,
                currency=posting.currency,
                amount=format_amount(posting.amount_minor, scale=scale),
                balance=format_amount(running[posting.currency], scale=scale),
            )
        )
    last = page[-1]
    return lines, ((last.date, last.entry_id, last.line_no) if has_more else None)
