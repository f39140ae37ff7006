"""What every statement parser produces, whatever the file's format.

A parsed statement is a sequence of bank lines plus the balances the bank printed.
Amounts are integers of the currency's minor unit (never floats), signed from the
account holder's side: money in is positive, money out negative.
"""

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class StatementFormat(StrEnum):
    CSV = "csv"
    OFX = "ofx"
    CAMT053 = "camt053"
    MT940 = "mt940"
    QIF = "qif"


@dataclass(frozen=True, slots=True)
class StatementBalance:
    """A balance printed by the bank: at the end of `date`, in `currency`."""

    date: dt.date
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class BankLine:
    """One transaction as the bank reported it.

    `reference` is the file's own id for the line where the format has one (OFX FITID,
    CAMT AcctSvcrRef or EndToEndId, MT940 bank reference, a CSV reference column);
    `line_number` is where it starts in the file (1-based), for error messages and
    the import preview; `raw` is the line's source text, kept for audit.
    """

    line_number: int
    date: dt.date
    amount_minor: int
    currency: str
    description: str
    payee: str | None = None
    reference: str | None = None
    value_date: dt.date | None = None
    counterparty_account: str | None = None
    raw: str = ""


@dataclass(frozen=True, slots=True)
class StatementAccount:
    """The bank account a statement is about, as far as the file says."""

    iban_or_number: str | None = None
    bank_id: str | None = None
    currency: str | None = None


@dataclass(slots=True)
class ParsedStatement:
    """A whole statement: lines in file order, the bank's balances and warnings."""

    format: StatementFormat
    account: StatementAccount
    lines: list[BankLine] = field(default_factory=list)
    opening_balance: StatementBalance | None = None
    closing_balance: StatementBalance | None = None
    warnings: list[str] = field(default_factory=list)
