"""Events the ledger publishes, through its outbox, for other services to consume.

Every event travels in a `nexus.core.events.EventEnvelope` whose `data` is one of the
payloads below. Amounts are decimal strings in the posting's currency, as in the API.
"""

import uuid
from datetime import date

from pydantic import BaseModel

ENTRY_POSTED = "ledger.entry_posted"
ENTRY_REVERSED = "ledger.entry_reversed"
ACCOUNT_CREATED = "ledger.account_created"
PERIOD_CLOSED = "ledger.period_closed"


class PostedLine(BaseModel):
    """One posting of an entry."""

    account_id: uuid.UUID
    amount: str
    currency: str


class EntryPosted(BaseModel):
    """A journal entry was posted (also sent for reversals, beside EntryReversed)."""

    entry_id: uuid.UUID
    date: date
    description: str
    payee: str | None
    reference: str | None
    reverses_entry_id: uuid.UUID | None
    postings: list[PostedLine]


class EntryReversed(BaseModel):
    """An entry was undone by a reversing entry."""

    entry_id: uuid.UUID
    reversal_entry_id: uuid.UUID
    date: date


class AccountCreated(BaseModel):
    """An account was opened."""

    account_id: uuid.UUID
    code: str
    name: str
    type: str
    currency: str | None
    parent_id: uuid.UUID | None


class PeriodClosed(BaseModel):
    """The books were closed through a date."""

    closed_through: date
