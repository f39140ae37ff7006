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


async def unreconciled_entries(
    actor: Actor, *, account_id: uuid.UUID, date_from: date | None, date_to: date | None
) -> list[matching.MatchEntry]:
    """Return the account's ledger entries that no match or import has claimed yet."""
    found: list[matching.MatchEntry] = []
    async for entry in actor.ledger.account_entries(
        account_id, date_from=date_from, date_to=date_to
    ):
        if entry.reversed_by_entry_id is not None or entry.reverses_entry_id is not None:
            continue
        amounts = [p for p in entry.postings if p.account_id == account_id]
        if not amounts:
            continue
        currency = amounts[0].currency
        minor = sum(amount_minor(p.amount, currency) for p in amounts)
        if minor == 0:
            continue
        found.append(
            matching.MatchEntry(
                id=str(entry.id),
                date=entry.date,
                amount_minor=minor,
                currency=currency,
                text=" ".join(part for part in (entry.payee, entry.description) if part),
                reference=entry.reference,
            )
        )
    if not found:
        return found
    async with actor.database.reading() as session:
        claimed = await repository.reconciled_entry_ids(
            session, org_id=actor.org_id, entry_ids=[uuid.UUID(e.id) for e in found]
        )
    return [entry for entry in found if uuid.UUID(entry.id) not in claimed]


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
    entries = []
    for line in lines:
        entry: dict[str, Any] = {
            "idempotency_key": domain.ledger_key(line.line_key, batch_id=key_batch_id),
            "date": line.date.isoformat(),
            "description": line.description[:DESCRIPTION_CHARS_MAX],
            "metadata": {"import_batch_id": str(line.batch_id), "bank_line_id": str(line.id)},
            "postings": [
                {
                    "account_id": str(line.account_id),
                    "amount": amount_text(line.amount_minor, line.currency),
                    "currency": line.currency,
                },
                {
                    "account_id": counter,
                    "amount": amount_text(-line.amount_minor, line.currency),
                    "currency": line.currency,
                },
            ],
        }
        if line.payee:
            entry["payee"] = line.payee[:PAYEE_CHARS_MAX]
        if line.reference:
            entry["reference"] = line.reference[:REFERENCE_CHARS_MAX]
        entries.append(entry)
    result = await actor.ledger.post_batch_rows(entries)
    return [item.id for item in result.items]


async def record_posted(
    actor: Actor,
    session: Any,
    lines: Sequence[Any],
    entry_ids: Sequence[uuid.UUID],
    *,
    account_id: uuid.UUID,
) -> None:
    """Link lines to the entries they posted, and claim those entries as reconciled."""
    await repository.set_lines(
        session,
        updates=[
            (line.id, domain.LineStatus.POSTED, entry_id)
            for line, entry_id in zip(lines, entry_ids, strict=True)
        ],
    )
    already = await repository.reconciled_entry_ids(
        session, org_id=actor.org_id, entry_ids=list(entry_ids)
    )
    await repository.claim_entries(
        session,
        rows=[
            {
                "org_id": actor.org_id,
                "entry_id": entry_id,
                "account_id": account_id,
                "match_id": None,
                "bank_line_id": line.id,
            }
            for line, entry_id in zip(lines, entry_ids, strict=True)
            if entry_id not in already
        ],
    )
