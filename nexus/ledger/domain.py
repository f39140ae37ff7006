"""The rules of double-entry bookkeeping, as pure functions.

A journal entry moves value between accounts through postings. Each posting is a
signed integer of a currency's minor unit: positive is a debit, negative a credit.
An entry is valid when it has at least two postings, none of them zero, and the
postings of each currency sum to exactly zero. Cross-currency entries stay balanced
in each currency by passing through a trading account, so no rate is ever needed to
check the books. Entries are never edited: a reversal posts the negation.

Balances follow from postings alone. The current balance of an (account, currency)
is the sum of its postings; the balance as of a date D is the sum of postings dated
on or before D, and "as known at T" further leaves out postings recorded after T.
"""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

import orjson

from nexus.core.errors import Conflict, InvalidInput, NotFound
from nexus.core.money import BALANCE_MINOR_MAX, UnknownCurrency, iso_scale, parse_amount

# An organisation's base currency until it picks one when setting up its ledger.
DEFAULT_BASE_CURRENCY = "USD"


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class EntryUnbalanced(InvalidInput):
    code = "entry_unbalanced"


class EntryTooFewPostings(InvalidInput):
    code = "entry_too_few_postings"


class PostingZeroAmount(InvalidInput):
    code = "posting_zero_amount"


class UnknownAccount(InvalidInput):
    code = "unknown_account"


class AccountClosed(InvalidInput):
    code = "account_closed"


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"


class PeriodClosed(InvalidInput):
    code = "period_closed"


class FloorBreach(InvalidInput):
    code = "floor_breach"


class BalanceOverflow(InvalidInput):
    code = "balance_overflow"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class EntryAlreadyReversed(Conflict):
    code = "entry_already_reversed"


class EntryNotFound(NotFound):
    code = "entry_not_found"


class AccountNotFound(NotFound):
    code = "account_not_found"


# Drafts are named tuples, not frozen dataclasses: a batch makes tens of thousands of
# them, and a frozen dataclass sets each field through object.__setattr__.
class PostingDraft(NamedTuple):
    """One line of an entry to be posted; `amount_minor` is signed (debit > 0)."""

    account_id: uuid.UUID
    amount_minor: int
    currency: str
    memo: str | None = None


class EntryDraft(NamedTuple):
    """An entry as a client asked for it, parsed but not yet checked against accounts."""

    date: date
    description: str
    postings: tuple[PostingDraft, ...]
    payee: str | None = None
    reference: str | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the posting rules need to know about an account."""

    id: uuid.UUID
    code: str
    currency: str | None
    is_closed: bool
    floor_minor: int | None = None


def scale_of(currency: str, *, custom_scales: Mapping[str, int]) -> int:
    """Return the number of decimals of `currency` (ISO 4217 or the org's own asset)."""
    scale = iso_scale(currency)
    if scale is None:
        scale = custom_scales.get(currency)
    if scale is None:
        raise UnknownCurrency(
            f"Unknown currency or asset '{currency}'.", details={"currency": currency}
        )
    return scale


def parse_posting_amount(
    text: str, *, currency: str, custom_scales: Mapping[str, int], field: str
) -> int:
    """Parse a posting amount in `currency` into minor units."""
    return parse_amount(text, scale=scale_of(currency, custom_scales=custom_scales), field=field)


def imbalance(postings: Iterable[PostingDraft]) -> dict[str, int]:
    """Return, per currency, how far the postings are from summing to zero."""
    totals: dict[str, int] = defaultdict(int)
    for posting in postings:
        totals[posting.currency] += posting.amount_minor
    return {currency: total for currency, total in totals.items() if total != 0}


def check_entry(draft: EntryDraft, *, postings_max: int) -> None:
    """Raise unless `draft` has 2..postings_max non-zero postings balanced per currency."""
    if len(draft.postings) < 2:
        raise EntryTooFewPostings("An entry needs at least two postings.")
    if len(draft.postings) > postings_max:
        raise EntryTooFewPostings(
            f"An entry may have at most {postings_max} postings.", details={"max": postings_max}
        )
    for line, posting in enumerate(draft.postings):
        if posting.amount_minor == 0:
            raise PostingZeroAmount(f"Posting {line} has a zero amount.", details={"line": line})
    off = imbalance(draft.postings)
    if off:
        raise EntryUnbalanced(
            "The postings of each currency must sum to zero.",
            details={"imbalance_minor": off},
        )


def check_accounts(
    postings: Sequence[PostingDraft], accounts: Mapping[uuid.UUID, AccountFacts]
) -> None:
    """Raise unless every posting names an open account that takes its currency."""
    for line, posting in enumerate(postings):
        account = accounts.get(posting.account_id)
        if account is None:
            raise UnknownAccount(
                f"Posting {line} names an unknown account.",
                details={"line": line, "account_id": str(posting.account_id)},
            )
        if account.is_closed:
            raise AccountClosed(
                f"Account {account.code} is closed.",
                details={"line": line, "account_id": str(account.id)},
            )
        if account.currency is not None and account.currency != posting.currency:
            raise CurrencyMismatch(
                f"Account {account.code} holds {account.currency}, not {posting.currency}.",
                details={
                    "line": line,
                    "account_id": str(account.id),
                    "account_currency": account.currency,
                    "currency": posting.currency,
                },
            )


def check_period(entry_date: date, *, closed_through: date | None) -> None:
    """Raise when `entry_date` falls inside a closed period."""
    if closed_through is not None and entry_date <= closed_through:
        raise PeriodClosed(
            f"The books are closed through {closed_through.isoformat()}.",
            details={"closed_through": closed_through.isoformat(), "date": entry_date.isoformat()},
        )


def reversal_postings(postings: Sequence[PostingDraft]) -> tuple[PostingDraft, ...]:
    """Return postings that undo `postings` exactly."""
    return tuple(
        PostingDraft(
            account_id=p.account_id, amount_minor=-p.amount_minor, currency=p.currency, memo=p.memo
        )
        for p in postings
    )


BalanceKey = tuple[uuid.UUID, str]


def month_start(day: date) -> date:
    """Return the first day of `day`'s month."""
    return day.replace(day=1)


DatedKey = tuple[uuid.UUID, str, date]


@dataclass(frozen=True, slots=True)
class Deltas:
    """What a set of entries adds: per account and currency, in all, per day, per month."""

    balances: dict[BalanceKey, int]
    daily: dict[DatedKey, int]
    monthly: dict[DatedKey, int]


def posting_deltas(entries: Iterable[EntryDraft]) -> Deltas:
    """Sum postings per (account, currency), per day and per month; dated sums of 0 dropped."""
    # Keyed by the account id's integer while summing: a UUID hashes in Python, an int in C.
    by_day: dict[tuple[int, str, date], int] = defaultdict(int)
    accounts: dict[int, uuid.UUID] = {}
    for entry in entries:
        day = entry.date
        for posting in entry.postings:
            number = posting.account_id.int
            accounts[number] = posting.account_id
            by_day[(number, posting.currency, day)] += posting.amount_minor
    by_balance: dict[tuple[int, str], int] = defaultdict(int)
    by_month: dict[tuple[int, str, date], int] = defaultdict(int)
    months: dict[date, date] = {}  # a batch spans few days: one replace() per day
    for (number, currency, day), delta in by_day.items():
        by_balance[(number, currency)] += delta
        month = months.get(day)
        if month is None:
            month = months[day] = month_start(day)
        by_month[(number, currency, month)] += delta
    return Deltas(
        balances={(accounts[n], currency): delta for (n, currency), delta in by_balance.items()},
        daily={
            (accounts[n], currency, day): delta
            for (n, currency, day), delta in by_day.items()
            if delta != 0
        },
        monthly={
            (accounts[n], currency, month): delta
            for (n, currency, month), delta in by_month.items()
            if delta != 0
        },
    )


def check_delta_range(deltas: Mapping[BalanceKey, int]) -> None:
    """Raise when a summed delta could not be added to a stored balance."""
    for (account_id, currency), delta in deltas.items():
        if abs(delta) > BALANCE_MINOR_MAX:
            raise BalanceOverflow(
                "These postings would overflow the account's balance.",
                details={"account_id": str(account_id), "currency": currency},
            )


def check_floors(
    balances_after: Mapping[BalanceKey, int], accounts: Mapping[uuid.UUID, AccountFacts]
) -> None:
    """Raise when a balance would end below its account's floor."""
    for (account_id, currency), balance in sorted(balances_after.items(), key=lambda i: str(i[0])):
        floor = accounts[account_id].floor_minor if account_id in accounts else None
        if floor is not None and balance < floor:
            raise FloorBreach(
                f"Account {accounts[account_id].code} may not go below its floor.",
                details={
                    "account_id": str(account_id),
                    "currency": currency,
                    "floor_minor": floor,
                    "balance_after_minor": balance,
                },
            )
        if abs(balance) > BALANCE_MINOR_MAX:
            raise BalanceOverflow(
                "These postings would overflow the account's balance.",
                details={"account_id": str(account_id), "currency": currency},
            )


def roll_up(
    own: Mapping[uuid.UUID, Mapping[str, int]], parents: Mapping[uuid.UUID, uuid.UUID | None]
) -> dict[uuid.UUID, dict[str, int]]:
    """Return each account's balance including all its descendants, per currency."""
    totals: dict[uuid.UUID, dict[str, int]] = {account: {} for account in parents}
    for account, balances in own.items():
        node: uuid.UUID | None = account
        seen: set[uuid.UUID] = set()
        while node is not None and node not in seen:
            seen.add(node)
            bucket = totals.setdefault(node, {})
            for currency, amount in balances.items():
                bucket[currency] = bucket.get(currency, 0) + amount
            node = parents.get(node)
    return totals


def request_hash(body: Mapping[str, Any]) -> str:
    """Return a stable hash of a request body, to tell a replay from a reused key."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


# --- the tamper-evident chain --------------------------------------------------------

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class SealedFacts:
    """Everything about a posted entry that its seal vouches for."""

    entry_id: uuid.UUID
    org_id: uuid.UUID
    date: date
    description: str
    payee: str | None
    reference: str | None
    metadata: Mapping[str, Any] | None
    recorded_at: datetime
    reverses_entry_id: uuid.UUID | None
    postings: tuple[
        tuple[int, uuid.UUID, int, str, str | None], ...
    ]  # line, account, minor, cur, memo


def sealed_time(recorded_at: datetime) -> str:
    """Return the canonical text of a recording time: naive UTC, microseconds."""
    if recorded_at.tzinfo is not None:  # PostgreSQL returns aware times, SQLite naive UTC
        recorded_at = recorded_at.astimezone(UTC).replace(tzinfo=None)
    return recorded_at.isoformat(timespec="microseconds")


def entry_digest(
    *,
    entry_id: str,
    org_id: str,
    day: str,
    description: str,
    payee: str | None,
    reference: str | None,
    metadata: Mapping[str, Any] | None,
    recorded_at: str,
    reverses: str | None,
    postings: list[list[Any]],
) -> str:
    """Hash an entry from its texts; postings in line order as [line, account, minor, cur, memo]."""
    document = {
        "id": entry_id,
        "org": org_id,
        "date": day,
        "description": description,
        "payee": payee,
        "reference": reference,
        "metadata": metadata,
        "recorded_at": recorded_at,
        "reverses": reverses,
        "postings": postings,
    }
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def entry_hash(facts: SealedFacts) -> str:
    """Hash an entry's content canonically (sorted keys, exact integers, UTC times)."""
    return entry_digest(
        entry_id=str(facts.entry_id),
        org_id=str(facts.org_id),
        day=facts.date.isoformat(),
        description=facts.description,
        payee=facts.payee,
        reference=facts.reference,
        metadata=facts.metadata,
        recorded_at=sealed_time(facts.recorded_at),
        reverses=str(facts.reverses_entry_id) if facts.reverses_entry_id else None,
        postings=[
            [line, str(account), amount, currency, memo]
            for line, account, amount, currency, memo in sorted(facts.postings)
        ],
    )


def link_hash(*, previous_link_hash: str, entry_hash_hex: str, seq: int) -> str:
    """Chain one entry's hash onto the previous link."""
    return hashlib.sha256(f"{seq}:{previous_link_hash}:{entry_hash_hex}".encode()).hexdigest()
