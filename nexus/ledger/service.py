"""Ledger use cases other than posting and accounts: reading entries, currencies and
assets, FX rates, periods and balances. Load, apply the domain rules, save; never commits.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.errors import Conflict, InvalidInput, NexusError
from nexus.core.events import event_row
from nexus.core.money import (
    ISO_NAMES,
    ISO_SCALES,
    format_amount,
    is_valid_asset_code,
    iso_scale,
    parse_amount,
    parse_rate,
)
from nexus.ledger import domain, events, repository, schemas
from nexus.ledger.models import outbox


class AssetExists(Conflict):
    code = "asset_exists"


class InvalidAssetCode(InvalidInput):
    code = "invalid_asset_code"


class PeriodAlreadyClosed(InvalidInput):
    code = "period_already_closed"


def at_index(index: int | None, error: NexusError) -> NexusError:
    """Name the batch position of a failing item in its error (None: not a batch)."""
    if index is not None:
        error.details = {**error.details, "entry_index": index}
        error.message = f"Entry {index}: {error.message}"
    return error


async def scales_of(session: AsyncSession, *, org_id: uuid.UUID) -> dict[str, int]:
    """Return the org's custom asset scales, read once per session (one request)."""
    cache: dict[uuid.UUID, dict[str, int]] = session.info.setdefault("ledger.custom_scales", {})
    if org_id not in cache:
        cache[org_id] = await repository.custom_scales(session, org_id=org_id)
    return cache[org_id]


async def scales_for(
    session: AsyncSession, *, org_id: uuid.UUID, currencies: Iterable[str]
) -> Mapping[str, int]:
    """Return custom scales when `currencies` need them; ISO 4217 alone needs no query."""
    if all(iso_scale(currency) is not None for currency in currencies):
        return {}
    return await scales_of(session, org_id=org_id)


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


async def search_entries(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    text: str | None,
    min_amount: str | None,
    max_amount: str | None,
    currency: str | None,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> tuple[list[schemas.Entry], tuple[date, uuid.UUID] | None]:
    """Return a page of entries newest first, and the sort key to continue from.

    Amount bounds are absolute posting amounts in `currency`, which defaults to the
    filtered account's currency, else the organisation's base currency.
    """
    low, high = None, None
    if min_amount is not None or max_amount is not None:
        if currency is None and account_id is not None:
            account = await repository.get_account(session, org_id=org_id, account_id=account_id)
            currency = account.currency if account is not None else None
        if currency is None:
            org = await repository.org_settings(session, org_id=org_id)
            currency = org.base_currency if org is not None else domain.DEFAULT_BASE_CURRENCY
        scale = domain.scale_of(currency, custom_scales=await scales_of(session, org_id=org_id))
        if min_amount is not None:
            low = abs(parse_amount(min_amount, scale=scale, field="min_amount"))
        if max_amount is not None:
            high = abs(parse_amount(max_amount, scale=scale, field="max_amount"))
    rows = await repository.search_entries(
        session,
        org_id=org_id,
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        text=text,
        currency=currency,
        amount_min_minor=low,
        amount_max_minor=high,
        after=after,
        limit=limit + 1,
    )
    page = rows[:limit]
    last = (page[-1].date, page[-1].id) if len(rows) > limit else None
    return await render_entries(session, org_id=org_id, rows=page), last


async def get_entry(
    session: AsyncSession, *, org_id: uuid.UUID, entry_id: uuid.UUID
) -> schemas.Entry:
    """Return one entry of the org or raise EntryNotFound."""
    rows = await repository.entry_rows(session, org_id=org_id, entry_ids=[entry_id])
    if not rows:
        raise entry_not_found(entry_id)
    return (await render_entries(session, org_id=org_id, rows=rows))[0]


# --- set-up, assets, FX, periods -------------------------------------------------------


async def ledger_settings(session: AsyncSession, *, org_id: uuid.UUID) -> schemas.LedgerSettings:
    """Return the org's ledger settings (defaults before it is set up)."""
    row = await repository.org_settings(session, org_id=org_id)
    if row is None:
        return schemas.LedgerSettings(
            base_currency=domain.DEFAULT_BASE_CURRENCY, closed_through=None, template=None
        )
    return render_settings(row)


def render_settings(row: Row[Any]) -> schemas.LedgerSettings:
    """Render the org's ledger settings."""
    return schemas.LedgerSettings(
        base_currency=row.base_currency, closed_through=row.closed_through, template=row.template
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
    session.info.pop("ledger.custom_scales", None)  # the cached scales miss the new asset
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
            raise at_index(index, error) from None
        if rate.base == rate.quote:
            raise at_index(index, InvalidInput("A rate needs two different currencies."))
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
    facts = await repository.account_balance_facts(
        session, org_id=org_id, account_id=account_id, as_of=as_of, known_at=known_at
    )
    if facts is None:
        raise account_not_found(account_id)
    own = dict(facts.balances)
    if facts.currency is not None:
        own.setdefault(facts.currency, 0)
    return schemas.AccountBalance(
        account_id=account_id,
        as_of=as_of,
        known_at=known_at,
        balances=amounts(own, custom_scales=facts.custom_scales),
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


async def get_account(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID
) -> Row[Any]:
    """Return an account row of the org or raise AccountNotFound."""
    row = await repository.get_account(session, org_id=org_id, account_id=account_id)
    if row is None:
        raise account_not_found(account_id)
    return row


def entry_not_found(entry_id: uuid.UUID) -> domain.EntryNotFound:
    """The error for an entry that does not exist in the org."""
    return domain.EntryNotFound("No such entry.", details={"entry_id": str(entry_id)})


def account_not_found(account_id: uuid.UUID) -> domain.AccountNotFound:
    """The error for an account that does not exist in the org."""
    return domain.AccountNotFound("No such account.", details={"account_id": str(account_id)})
