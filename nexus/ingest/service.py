"""What every ingest use case shares: who acts, and the ledger seen from here.

The ingest service never reads the ledger's tables: accounts, entries and balances
come through the ledger's REST client (in process when embedded, over HTTP when
distributed), with the caller's own token, so the ledger applies the caller's role.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from nexus.core.config import Settings
from nexus.core.db import Database
from nexus.core.errors import NexusError
from nexus.core.money import format_amount, iso_scale, parse_amount
from nexus.ingest import domain, matching, repository
from nexus.ledger.client import Account, LedgerClient, LedgerError

DESCRIPTION_CHARS_MAX = 500  # the ledger's description limit
PAYEE_CHARS_MAX = 200
REFERENCE_CHARS_MAX = 200


@dataclass(frozen=True, slots=True)
class Actor:
    """Who runs a use case, and the services it needs."""

    org_id: uuid.UUID
    user_id: uuid.UUID | None
    database: Database
    ledger: LedgerClient
    settings: Settings


class ImportRefused(NexusError):
    """The ledger refused what a commit tried to post; the batch says why."""

    code = "import_refused"
    status = 422


class LedgerUnavailable(NexusError):
    """The ledger did not answer; the batch waits and a later commit resumes it."""

    code = "ledger_unavailable"
    status = 503


class PeriodClosedForImport(NexusError):
    code = "import_period_closed"
    status = 422


class NoCounterAccount(NexusError):
    code = "import_counter_account_missing"
    status = 422


def error_json(error: NexusError) -> dict[str, Any]:
    """An error as stored on a batch and shown by the API."""
    return {"code": error.code, "message": error.message, "details": error.details}


# --- accounts ----------------------------------------------------------------------------


async def _ledger_account(actor: Actor, account_id: uuid.UUID, *, role: str) -> Account:
    """Fetch an account of the caller's org; an unknown one is invalid input, not a 404."""
    try:
        return await actor.ledger.account(account_id)
    except LedgerError as error:
        if error.status == 404:
            raise domain.AccountNotUsable(
                f"No such {role}.", details={"account_id": str(account_id)}
            ) from None
        raise


async def bank_account(actor: Actor, account_id: uuid.UUID) -> Account:
    """Return the ledger account a statement is imported into, or refuse it clearly."""
    account = await _ledger_account(actor, account_id, role="ledger account")
    if account.is_closed:
        raise domain.AccountNotUsable(f"Account {account.code} is closed.")
    if account.currency is None:
        raise domain.AccountNotUsable(
            f"Account {account.code} holds several currencies; import into a one-currency account."
        )
    if account.type not in ("asset", "liability"):
        raise domain.AccountNotUsable(
            f"Account {account.code} is {account.type}; statements go into a bank, card or "
            "cash account (asset or liability)."
        )
    return account


async def counter_account(actor: Actor, counter_id: uuid.UUID | None) -> uuid.UUID:
    """Return the account new entries are booked against (the org's 'Uncategorized')."""
    if counter_id is not None:
        account = await _ledger_account(actor, counter_id, role="counter account")
        if account.is_closed:
            raise domain.AccountNotUsable(f"Counter account {account.code} is closed.")
        return account.id
    for account in await actor.ledger.accounts():
        if account.name.lower() == "uncategorized" and not account.is_closed:
            return account.id
    raise NoCounterAccount(
        "Choose the account new entries are booked against (counter_account_id); this "
        "organisation has no 'Uncategorized' account."
    )


def amount_text(minor: int, currency: str) -> str:
    """Format minor units of an ISO currency (imports only hold ISO currencies)."""
    return format_amount(minor, scale=iso_scale(currency) or 0)


def amount_minor(text: str, currency: str) -> int:
    """Parse a ledger amount of an ISO currency into minor units."""
    return parse_amount(text, scale=iso_scale(currency) or 0)


def _match_entry(entry: Any, account_id: uuid.UUID) -> matching.MatchEntry | None:
    """The matcher's view of a ledger entry, or None when it cannot match a bank line.

    Reversed entries and reversals are out, and so are entries whose postings on the
    account add up to nothing.
    """
    if entry.reversed_by_entry_id is not None or entry.reverses_entry_id is not None:
        return None
    amounts = [p for p in entry.postings if p.account_id == account_id]
    if not amounts:
        return None
    currency = amounts[0].currency
    minor = sum(amount_minor(p.amount, currency) for p in amounts)
    if minor == 0:
        return None
    return matching.MatchEntry(
        id=str(entry.id),
        date=entry.date,
        amount_minor=minor,
        currency=currency,
        text=" ".join(part for part in (entry.payee, entry.description) if part),
        reference=entry.reference,
    )


async def unreconciled_entries(
    actor: Actor, *, account_id: uuid.UUID, date_from: date | None, date_to: date | None
) -> list[matching.MatchEntry]:
    """Return the account's ledger entries that no match or import has claimed yet."""
    found: list[matching.MatchEntry] = []
    async for entry in actor.ledger.account_entries(
        account_id, date_from=date_from, date_to=date_to
    ):
        candidate = _match_entry(entry, account_id)
        if candidate is not None:
            found.append(candidate)
    if not found:
        return found
    async with actor.database.reading() as session:
        claimed = await repository.reconciled_entry_ids(
            session, org_id=actor.org_id, entry_ids=[uuid.UUID(e.id) for e in found]
        )
    return [entry for entry in found if uuid.UUID(entry.id) not in claimed]


UNRECONCILED_PROBE_PAGE = 500  # entries checked against the claims at a time


async def has_unreconciled_entries(
    actor: Actor, *, account_id: uuid.UUID, date_from: date | None, date_to: date | None
) -> bool:
    """Tell whether any ledger entry of the account in the dates is open for matching.

    Stops at the first one, and holds one page of entries at a time, so asking about
    a whole large file's dates costs one request when the account is new.
    """
    page: list[uuid.UUID] = []

    async def any_open() -> bool:
        async with actor.database.reading() as session:
            claimed = await repository.reconciled_entry_ids(
                session, org_id=actor.org_id, entry_ids=page
            )
        return any(entry_id not in claimed for entry_id in page)

    async for entry in actor.ledger.account_entries(
        account_id, date_from=date_from, date_to=date_to, page_size=UNRECONCILED_PROBE_PAGE
    ):
        if _match_entry(entry, account_id) is None:
            continue
        page.append(entry.id)
        if len(page) >= UNRECONCILED_PROBE_PAGE:
            if await any_open():
                return True
            page.clear()
    return bool(page) and await any_open()


def match_line(line: Any) -> matching.MatchBankLine:
    """The matcher's view of a stored bank line."""
    return matching.MatchBankLine(
        id=str(line.id),
        date=line.date,
        amount_minor=line.amount_minor,
        currency=line.currency,
        text=" ".join(part for part in (line.payee, line.description) if part),
        reference=line.reference,
    )


async def post_lines(
    actor: Actor, *, lines: Sequence[Any], counter_id: uuid.UUID, key_batch_id: uuid.UUID
) -> list[uuid.UUID]:
    """Post bank lines as new ledger entries, all-or-nothing; return the entry ids."""
    counter = str(counter_id)
    # Lines of one call mostly share their batch, account and currency: their text is
    # made once, not once per line.
    texts: dict[Any, str] = {}

    def text_of(value: Any) -> str:
        known = texts.get(value)
        if known is None:
            known = texts[value] = str(value)
        return known

    scales: dict[str, int] = {}
    entries = []
    for line in lines:
        currency = line.currency
        scale = scales.get(currency)
        if scale is None:
            scale = scales[currency] = iso_scale(currency) or 0
        amount = format_amount(line.amount_minor, scale=scale)
        entry: dict[str, Any] = {
            "idempotency_key": domain.ledger_key(line.line_key, batch_id=key_batch_id),
            "date": line.date.isoformat(),
            "description": line.description[:DESCRIPTION_CHARS_MAX],
            "metadata": {
                "import_batch_id": text_of(line.batch_id),
                "bank_line_id": str(line.id),
            },
            "postings": [
                {"account_id": text_of(line.account_id), "amount": amount, "currency": currency},
                {"account_id": counter, "amount": _negated(amount), "currency": currency},
            ],
        }
        if line.payee:
            entry["payee"] = line.payee[:PAYEE_CHARS_MAX]
        if line.reference:
            entry["reference"] = line.reference[:REFERENCE_CHARS_MAX]
        entries.append(entry)
    result = await actor.ledger.post_batch_rows(entries)
    return [item.id for item in result.items]


def _negated(amount: str) -> str:
    """The amount text of the opposite sign ("-12.50" for "12.50"; zero stays zero)."""
    if amount.startswith("-"):
        return amount[1:]
    return amount if amount.strip("0.") == "" else f"-{amount}"


async def record_posted(
    actor: Actor,
    session: Any,
    lines: Sequence[Any],
    entry_ids: Sequence[uuid.UUID],
    *,
    account_id: uuid.UUID,
) -> None:
    """Link lines to the entries they posted, and claim those entries as reconciled."""
    posted = [(line.id, entry_id) for line, entry_id in zip(lines, entry_ids, strict=True)]
    await repository.set_posted(session, posted=posted, status=domain.LineStatus.POSTED)
    await repository.claim_posted_entries(
        session, org_id=actor.org_id, account_id=account_id, posted=posted
    )
