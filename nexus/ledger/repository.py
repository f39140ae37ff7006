"""Every query of the ledger service.

Functions take the session and keyword arguments and only flush; the request's
session dependency commits. Posting writes live in `writer.py`; the context posting
reads before it writes is one round trip on PostgreSQL.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Row,
    Table,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.db import driver_connection
from nexus.ledger import domain
from nexus.ledger.models import (
    account_balances,
    accounts,
    assets,
    chain_pending,
    daily_balances,
    entries,
    fx_rates,
    ledger_orgs,
    monthly_balances,
    postings,
)

IN_CHUNK = 5000


def dialect_of(session: AsyncSession) -> str:
    """Return the name of the session's database dialect."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def _insert_for(session: AsyncSession, table: Table) -> Any:
    """Return the dialect's INSERT (for ON CONFLICT clauses)."""
    return (postgresql.insert if dialect_of(session) == "postgresql" else sqlite.insert)(table)


def _one_of(session: AsyncSession, column: Any, values: Sequence[Any]) -> Any:
    """`column IN values`, as `= ANY(array)` on PostgreSQL.

    A long IN list is a new prepared statement per length, and once PostgreSQL switches
    it to a generic plan it can scan every row of the org; one array parameter keeps
    the index plan.
    """
    if dialect_of(session) == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- organisation settings and assets --------------------------------------------------


async def org_settings(session: AsyncSession, *, org_id: uuid.UUID) -> Row[Any] | None:
    """Return the org's ledger settings row, if it was set up."""
    return (
        await session.execute(select(ledger_orgs).where(ledger_orgs.c.org_id == org_id))
    ).first()


async def ensure_org(
    session: AsyncSession, *, org_id: uuid.UUID, base_currency: str = domain.DEFAULT_BASE_CURRENCY
) -> Row[Any]:
    """Return the org's settings, creating defaults on first use."""
    existing = await org_settings(session, org_id=org_id)
    if existing is not None:
        return existing
    statement = (
        _insert_for(session, ledger_orgs)
        .values(
            org_id=org_id,
            base_currency=base_currency,
            closed_through=None,
            template=None,
            created_at=utc_now(),
        )
        .on_conflict_do_nothing(index_elements=["org_id"])
    )
    await session.execute(statement)
    row = await org_settings(session, org_id=org_id)
    assert row is not None
    return row


async def update_org(session: AsyncSession, *, org_id: uuid.UUID, **values: Any) -> None:
    """Change the org's ledger settings."""
    await session.execute(
        update(ledger_orgs).where(ledger_orgs.c.org_id == org_id).values(**values)
    )


async def custom_scales(session: AsyncSession, *, org_id: uuid.UUID) -> dict[str, int]:
    """Return the org's own assets and their scales."""
    rows = await session.execute(
        select(assets.c.code, assets.c.scale).where(assets.c.org_id == org_id)
    )
    return dict(rows.all())


async def list_assets(session: AsyncSession, *, org_id: uuid.UUID) -> list[Row[Any]]:
    """Return the org's own assets."""
    return list(
        (
            await session.execute(
                select(assets).where(assets.c.org_id == org_id).order_by(assets.c.code)
            )
        ).all()
    )


async def insert_asset(
    session: AsyncSession, *, org_id: uuid.UUID, code: str, name: str, scale: int
) -> None:
    """Add a custom asset."""
    await session.execute(
        insert(assets).values(
            org_id=org_id, code=code, name=name, scale=scale, created_at=utc_now()
        )
    )


# --- accounts --------------------------------------------------------------------------


async def get_account(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID
) -> Row[Any] | None:
    """Return one account of the org."""
    return (
        await session.execute(
            select(accounts).where(accounts.c.org_id == org_id, accounts.c.id == account_id)
        )
    ).first()


async def account_by_code(
    session: AsyncSession, *, org_id: uuid.UUID, code: str
) -> Row[Any] | None:
    """Return the org's account with `code`."""
    return (
        await session.execute(
            select(accounts).where(accounts.c.org_id == org_id, accounts.c.code == code)
        )
    ).first()


async def list_accounts(
    session: AsyncSession, *, org_id: uuid.UUID, include_closed: bool = True
) -> list[Row[Any]]:
    """Return the org's accounts ordered by code."""
    query = select(accounts).where(accounts.c.org_id == org_id)
    if not include_closed:
        query = query.where(accounts.c.is_closed.is_(False))
    return list((await session.execute(query.order_by(accounts.c.code))).all())


async def insert_accounts(session: AsyncSession, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert accounts, and a zero balance row for each single-currency one."""
    if not rows:
        return
    await session.execute(insert(accounts), list(rows))
    balance_rows = [
        {
            "org_id": row["org_id"],
            "account_id": row["id"],
            "currency": row["currency"],
            "balance_minor": 0,
            "floor_minor": row.get("floor_minor"),
        }
        for row in rows
        if row.get("currency")
    ]
    if balance_rows:
        await session.execute(insert(account_balances), balance_rows)


async def update_account(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID, values: Mapping[str, Any]
) -> None:
    """Change an account's descriptive fields (never its postings)."""
    await session.execute(
        update(accounts)
        .where(accounts.c.org_id == org_id, accounts.c.id == account_id)
        .values(**values)
    )
    if "floor_minor" in values:
        await session.execute(
            update(account_balances)
            .where(account_balances.c.org_id == org_id, account_balances.c.account_id == account_id)
            .values(floor_minor=values["floor_minor"])
        )


async def account_facts(
    session: AsyncSession, *, org_id: uuid.UUID, account_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, domain.AccountFacts]:
    """Return posting-rule facts of the named accounts that belong to the org."""
    ids = sorted(set(account_ids))
    facts: dict[uuid.UUID, domain.AccountFacts] = {}
    for chunk in _chunks(ids):
        rows = await session.execute(
            select(
                accounts.c.id,
                accounts.c.code,
                accounts.c.currency,
                accounts.c.is_closed,
                accounts.c.floor_minor,
            ).where(accounts.c.org_id == org_id, _one_of(session, accounts.c.id, chunk))
        )
        for row in rows:
            facts[row.id] = domain.AccountFacts(
                id=row.id,
                code=row.code,
                currency=row.currency,
                is_closed=row.is_closed,
                floor_minor=row.floor_minor,
            )
    return facts


async def has_children(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID, open_only: bool
) -> bool:
    """Tell whether the account has (open) child accounts."""
    query = select(accounts.c.id).where(
        accounts.c.org_id == org_id, accounts.c.parent_id == account_id
    )
    if open_only:
        query = query.where(accounts.c.is_closed.is_(False))
    return (await session.execute(query.limit(1))).first() is not None


# --- writing entries -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostingContext:
    """What posting needs to know before it writes, read in one go."""

    org_exists: bool
    closed_through: date | None
    accounts: dict[uuid.UUID, domain.AccountFacts]
    existing_keys: dict[str, tuple[uuid.UUID, str | None]]
    floored_balances: dict[domain.BalanceKey, int]  # current balances that have a floor


# One round trip for the whole context; each part is tagged by `kind`. Keys are probed
# one by one in the index led by the key (migration 0002), and the org is checked on
# what the probes found: a planner that guesses the org small (no statistics yet, or
# none since the org's first big import) would otherwise read the org's entries
# through one of its org-led indexes, per batch or even per key (150 ms per
# 1000-entry batch at 25,000 entries, growing with the ledger).
_POSTGRESQL_CONTEXT = """
SELECT 'org' AS kind, NULL::uuid AS id, NULL::text AS name, NULL::text AS currency,
       NULL::boolean AS flag, NULL::bigint AS number, closed_through AS day
FROM ledger_orgs WHERE org_id = $1
UNION ALL
SELECT 'account', id, code, currency, is_closed, floor_minor, NULL
FROM accounts WHERE org_id = $1 AND id = ANY($2::uuid[])
UNION ALL
SELECT 'key', e.id, e.idempotency_key, e.request_hash, NULL, NULL, NULL
FROM unnest($3::text[]) AS k(key)
CROSS JOIN LATERAL (
    SELECT id, org_id, idempotency_key, request_hash FROM entries
    WHERE idempotency_key = k.key
    OFFSET 0  -- a probe per key; the org is checked on what it finds, not by an index
) AS e
WHERE e.org_id = $1
UNION ALL
SELECT 'balance', account_id, NULL, currency, NULL, balance_minor, NULL
FROM account_balances
WHERE org_id = $1 AND account_id = ANY($2::uuid[]) AND floor_minor IS NOT NULL
"""


async def posting_context(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_ids: Sequence[uuid.UUID],
    keys: Sequence[str],
) -> PostingContext:
    """Read the org's closed period, the named accounts, keys already used and floored balances."""
    if dialect_of(session) != "postgresql":
        return await _posting_context_sqlalchemy(
            session, org_id=org_id, account_ids=account_ids, keys=keys
        )
    async with driver_connection(session) as driver:
        rows = await driver.fetch(_POSTGRESQL_CONTEXT, org_id, list(account_ids), list(keys))
    org_exists, closed_through = False, None
    facts: dict[uuid.UUID, domain.AccountFacts] = {}
    existing: dict[str, tuple[uuid.UUID, str | None]] = {}
    floored: dict[domain.BalanceKey, int] = {}
    for kind, row_id, name, currency, flag, number, day in rows:
        if kind == "org":
            org_exists, closed_through = True, day
        elif kind == "account":
            facts[row_id] = domain.AccountFacts(
                id=row_id, code=name, currency=currency, is_closed=flag, floor_minor=number
            )
        elif kind == "key":
            existing[name] = (row_id, currency)
        else:
            floored[(row_id, currency)] = number
    return PostingContext(org_exists, closed_through, facts, existing, floored)


async def _posting_context_sqlalchemy(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_ids: Sequence[uuid.UUID],
    keys: Sequence[str],
) -> PostingContext:
    org = await org_settings(session, org_id=org_id)
    facts = await account_facts(session, org_id=org_id, account_ids=account_ids)
    floored_ids = [account_id for account_id, fact in facts.items() if fact.floor_minor is not None]
    floored: dict[domain.BalanceKey, int] = {}
    for chunk in _chunks(floored_ids):
        rows = await session.execute(
            select(
                account_balances.c.account_id,
                account_balances.c.currency,
                account_balances.c.balance_minor,
            ).where(account_balances.c.org_id == org_id, account_balances.c.account_id.in_(chunk))
        )
        floored.update({(a, c): balance for a, c, balance in rows})
    return PostingContext(
        org_exists=org is not None,
        closed_through=org.closed_through if org is not None else None,
        accounts=facts,
        existing_keys=await find_keys(session, org_id=org_id, keys=keys) if keys else {},
        floored_balances=floored,
    )


async def find_keys(
    session: AsyncSession, *, org_id: uuid.UUID, keys: Sequence[str]
) -> dict[str, tuple[uuid.UUID, str | None]]:
    """Return (entry id, request hash) of entries already posted under `keys`."""
    found: dict[str, tuple[uuid.UUID, str | None]] = {}
    for chunk in _chunks(keys):
        rows = await session.execute(
            select(entries.c.idempotency_key, entries.c.id, entries.c.request_hash).where(
                entries.c.org_id == org_id, _one_of(session, entries.c.idempotency_key, chunk)
            )
        )
        for key, entry_id, digest in rows:
            found[key] = (entry_id, digest)
    return found


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert a few rows (account set-up, events of an account or a period)."""
    if rows:
        await session.execute(insert(table), list(rows))


# --- reading entries -------------------------------------------------------------------


async def entry_rows(
    session: AsyncSession, *, org_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> list[Row[Any]]:
    """Return entry rows of the org by id (any order)."""
    found: list[Row[Any]] = []
    for chunk in _chunks(entry_ids):
        found.extend(
            (
                await session.execute(
                    select(entries).where(
                        entries.c.org_id == org_id, _one_of(session, entries.c.id, chunk)
                    )
                )
            ).all()
        )
    return found


async def posting_rows(
    session: AsyncSession, *, org_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> list[Row[Any]]:
    """Return postings of the given entries, ordered by entry and line."""
    found: list[Row[Any]] = []
    for chunk in _chunks(entry_ids):
        found.extend(
            (
                await session.execute(
                    select(postings)
                    .where(
                        postings.c.org_id == org_id, _one_of(session, postings.c.entry_id, chunk)
                    )
                    .order_by(postings.c.entry_id, postings.c.line_no)
                )
            ).all()
        )
    return found


async def reversals_of(
    session: AsyncSession, *, org_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Return {original entry id: reversing entry id} for the given entries."""
    found: dict[uuid.UUID, uuid.UUID] = {}
    for chunk in _chunks(entry_ids):
        rows = await session.execute(
            select(entries.c.reverses_entry_id, entries.c.id).where(
                entries.c.org_id == org_id, _one_of(session, entries.c.reverses_entry_id, chunk)
            )
        )
        found.update(dict(rows.all()))
    return found


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_entries(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_id: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    text: str | None,
    currency: str | None,
    amount_min_minor: int | None,
    amount_max_minor: int | None,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> list[Row[Any]]:
    """Return entries newest first, filtered; `after` continues from a cursor."""
    query = select(entries).where(entries.c.org_id == org_id)
    if date_from is not None:
        query = query.where(entries.c.date >= date_from)
    if date_to is not None:
        query = query.where(entries.c.date <= date_to)
    if text:
        pattern = _like_pattern(text)
        query = query.where(
            or_(
                entries.c.description.ilike(pattern, escape="\\"),
                entries.c.payee.ilike(pattern, escape="\\"),
                entries.c.reference.ilike(pattern, escape="\\"),
            )
        )
    posting_filters = []
    if account_id is not None:
        posting_filters.append(postings.c.account_id == account_id)
    if amount_min_minor is not None or amount_max_minor is not None:
        posting_filters.append(postings.c.currency == currency)
        magnitude = func.abs(postings.c.amount_minor)
        if amount_min_minor is not None:
            posting_filters.append(magnitude >= amount_min_minor)
        if amount_max_minor is not None:
            posting_filters.append(magnitude <= amount_max_minor)
    if posting_filters:
        query = query.where(
            entries.c.id.in_(
                select(postings.c.entry_id).where(postings.c.org_id == org_id, *posting_filters)
            )
        )
    if after is not None:
        query = query.where(tuple_(entries.c.date, entries.c.id) < tuple_(*after))
    query = query.order_by(entries.c.date.desc(), entries.c.id.desc()).limit(limit)
    return list((await session.execute(query)).all())


# --- balances --------------------------------------------------------------------------


BalanceMap = dict[uuid.UUID, dict[str, int]]


def _add(
    into: BalanceMap, rows: Iterable[tuple[uuid.UUID, str, int | None]], sign: int = 1
) -> None:
    for account_id, currency, amount in rows:
        if amount:
            bucket = into.setdefault(account_id, {})
            bucket[currency] = bucket.get(currency, 0) + sign * int(amount)


async def balances(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    as_of: date | None,
    known_at: datetime | None,
    account_id: uuid.UUID | None = None,
) -> BalanceMap:
    """Return balances per account and currency, as of a date and as known at a time.

    The current balance is one row per (account, currency). A past date sums the
    monthly index for whole months before it and the daily index for the rest of its
    month. "As known at" subtracts postings recorded after that time.
    """
    result: BalanceMap = {}
    if as_of is None:
        query = select(
            account_balances.c.account_id,
            account_balances.c.currency,
            account_balances.c.balance_minor,
        ).where(account_balances.c.org_id == org_id)
        if account_id is not None:
            query = query.where(account_balances.c.account_id == account_id)
        _add(result, (await session.execute(query)))
    else:
        first_of_month = domain.month_start(as_of)
        for table, condition in (
            (monthly_balances, monthly_balances.c.month < first_of_month),
            (
                daily_balances,
                and_(daily_balances.c.day >= first_of_month, daily_balances.c.day <= as_of),
            ),
        ):
            query = (
                select(table.c.account_id, table.c.currency, func.sum(table.c.delta_minor))
                .where(table.c.org_id == org_id, condition)
                .group_by(table.c.account_id, table.c.currency)
            )
            if account_id is not None:
                query = query.where(table.c.account_id == account_id)
            _add(result, (await session.execute(query)))
    if known_at is not None:
        query = (
            select(postings.c.account_id, postings.c.currency, func.sum(postings.c.amount_minor))
            .where(postings.c.org_id == org_id, postings.c.recorded_at > known_at)
            .group_by(postings.c.account_id, postings.c.currency)
        )
        if as_of is not None:
            query = query.where(postings.c.date <= as_of)
        if account_id is not None:
            query = query.where(postings.c.account_id == account_id)
        _add(result, (await session.execute(query)), sign=-1)
    return result


@dataclass(frozen=True, slots=True)
class AccountBalanceFacts:
    """One account's currency, the org's custom scales and its balances, read together."""

    currency: str | None
    custom_scales: dict[str, int]
    balances: dict[str, int]


def _account_balance_sql(*, as_of: bool, known_at: bool) -> str:
    """One statement for `account_balance_facts`; parts are tagged by `kind`."""
    parts = [
        "SELECT 'account' AS kind, currency::text AS name, NULL::bigint AS amount "
        "FROM accounts WHERE org_id = $1 AND id = $2",
        "SELECT 'scale', code::text, scale::bigint FROM assets WHERE org_id = $1",
    ]
    if as_of:
        parts += [
            "SELECT 'plus', currency::text, sum(delta_minor)::bigint FROM monthly_balances "
            "WHERE org_id = $1 AND account_id = $2 AND month < $3 GROUP BY currency",
            "SELECT 'plus', currency::text, sum(delta_minor)::bigint FROM daily_balances "
            "WHERE org_id = $1 AND account_id = $2 AND day >= $3 AND day <= $4 GROUP BY currency",
        ]
    else:
        parts.append(
            "SELECT 'plus', currency::text, balance_minor FROM account_balances "
            "WHERE org_id = $1 AND account_id = $2"
        )
    if known_at:
        # Numbered after the dates when there are dates, else right after the account.
        after, dated = ("$5", " AND date <= $4") if as_of else ("$3", "")
        parts.append(
            "SELECT 'minus', currency::text, sum(amount_minor)::bigint FROM postings "
            f"WHERE org_id = $1 AND account_id = $2 AND recorded_at > {after}{dated} "
            "GROUP BY currency"
        )
    return "\nUNION ALL\n".join(parts)


_ACCOUNT_BALANCE_SQL = {
    (as_of, known_at): _account_balance_sql(as_of=as_of, known_at=known_at)
    for as_of in (False, True)
    for known_at in (False, True)
}


async def account_balance_facts(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_id: uuid.UUID,
    as_of: date | None,
    known_at: datetime | None,
) -> AccountBalanceFacts | None:
    """Read one account's balance as of a date and as known at a time; None if no such account.

    On PostgreSQL this is one round trip (the account, the scales and the sums in one
    statement), because a single balance is read far more often than anything else.
    """
    if dialect_of(session) != "postgresql":
        row = await get_account(session, org_id=org_id, account_id=account_id)
        if row is None:
            return None
        own = await balances(
            session, org_id=org_id, as_of=as_of, known_at=known_at, account_id=account_id
        )
        return AccountBalanceFacts(
            row.currency, await custom_scales(session, org_id=org_id), own.get(account_id, {})
        )
    sql = _ACCOUNT_BALANCE_SQL[(as_of is not None, known_at is not None)]
    params: list[Any] = [org_id, account_id]
    if as_of is not None:
        params += [domain.month_start(as_of), as_of]
    if known_at is not None:
        params.append(known_at)
    async with driver_connection(session) as driver:
        rows = await driver.fetch(sql, *params)
    found, currency = False, None
    scales: dict[str, int] = {}
    sums: dict[str, int] = {}
    for kind, name, amount in rows:
        if kind == "account":
            found, currency = True, name
        elif kind == "scale":
            scales[name] = amount
        elif amount:
            sign = 1 if kind == "plus" else -1
            sums[name] = sums.get(name, 0) + sign * amount
    if not found:
        return None
    return AccountBalanceFacts(currency, scales, {c: v for c, v in sums.items() if v})


async def account_postings_page(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_id: uuid.UUID,
    date_from: date | None,
    date_to: date | None,
    after: tuple[date, uuid.UUID, int] | None,
    limit: int,
) -> list[Row[Any]]:
    """Return one account's postings oldest first, joined with their entry's text."""
    query = (
        select(
            postings.c.entry_id,
            postings.c.line_no,
            postings.c.date,
            postings.c.currency,
            postings.c.amount_minor,
            entries.c.description,
            entries.c.payee,
        )
        .join(entries, entries.c.id == postings.c.entry_id)
        .where(postings.c.org_id == org_id, postings.c.account_id == account_id)
    )
    if date_from is not None:
        query = query.where(postings.c.date >= date_from)
    if date_to is not None:
        query = query.where(postings.c.date <= date_to)
    if after is not None:
        query = query.where(
            tuple_(postings.c.date, postings.c.entry_id, postings.c.line_no) > tuple_(*after)
        )
    query = query.order_by(postings.c.date, postings.c.entry_id, postings.c.line_no).limit(limit)
    result: Any = await session.execute(query)
    return list(result.all())


async def same_day_sums_through(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    account_id: uuid.UUID,
    day: date,
    entry_id: uuid.UUID,
    line_no: int,
) -> dict[str, int]:
    """Sum one account's postings on `day` up to and including posting (entry_id, line_no)."""
    query = (
        select(postings.c.currency, func.sum(postings.c.amount_minor))
        .where(
            postings.c.org_id == org_id,
            postings.c.account_id == account_id,
            postings.c.date == day,
            tuple_(postings.c.entry_id, postings.c.line_no) <= tuple_(entry_id, line_no),
        )
        .group_by(postings.c.currency)
    )
    return {currency: int(total) for currency, total in (await session.execute(query))}


# --- FX rates --------------------------------------------------------------------------


async def upsert_fx_rates(session: AsyncSession, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store rates; a rate for the same pair and date replaces the earlier one."""
    statement = _insert_for(session, fx_rates)
    statement = statement.on_conflict_do_update(
        index_elements=["org_id", "base", "quote", "date"],
        set_={
            "rate": statement.excluded.rate,
            "source": statement.excluded.source,
            "recorded_at": statement.excluded.recorded_at,
        },
    )
    await session.execute(statement, list(rows))


async def list_fx_rates(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    base: str | None,
    quote: str | None,
    date_from: date | None,
    date_to: date | None,
    limit: int,
) -> list[Row[Any]]:
    """Return rates newest first."""
    query = select(fx_rates).where(fx_rates.c.org_id == org_id)
    if base:
        query = query.where(fx_rates.c.base == base)
    if quote:
        query = query.where(fx_rates.c.quote == quote)
    if date_from:
        query = query.where(fx_rates.c.date >= date_from)
    if date_to:
        query = query.where(fx_rates.c.date <= date_to)
    query = query.order_by(fx_rates.c.date.desc(), fx_rates.c.base, fx_rates.c.quote).limit(limit)
    return list((await session.execute(query)).all())


_POSTGRESQL_TAKE_QUEUED = """
WITH taken AS (
    DELETE FROM chain_pending
    WHERE entry_id IN (
        SELECT entry_id FROM chain_pending WHERE org_id = $1 ORDER BY entry_id LIMIT $2
    )
    RETURNING entry_id, entry_hash
)
SELECT entry_id, entry_hash FROM taken ORDER BY entry_id
"""


async def take_queued(
    session: AsyncSession, *, org_id: uuid.UUID, limit: int
) -> list[tuple[uuid.UUID, str]]:
    """Remove up to `limit` of the org's oldest queued entries; return (id, hash) in order.

    The caller seals them in the same transaction (and holds the org's sealer lock).
    On PostgreSQL one statement reads and removes them, straight on the driver: a block
    of a thousand ids bound back into a DELETE cost more than sealing them.
    """
    if dialect_of(session) == "postgresql":
        async with driver_connection(session) as driver:
            rows = await driver.fetch(_POSTGRESQL_TAKE_QUEUED, org_id, limit)
        return [(entry_id, entry_hash) for entry_id, entry_hash in rows]
    queued = [
        (entry_id, entry_hash)
        for entry_id, entry_hash in await session.execute(
            select(chain_pending.c.entry_id, chain_pending.c.entry_hash)
            .where(chain_pending.c.org_id == org_id)
            .order_by(chain_pending.c.entry_id)
            .limit(limit)
        )
    ]
    for chunk in _chunks([entry_id for entry_id, _ in queued]):
        await session.execute(
            delete(chain_pending).where(_one_of(session, chain_pending.c.entry_id, chunk))
        )
    return queued
