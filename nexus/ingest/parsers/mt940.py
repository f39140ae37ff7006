"""SWIFT MT940 customer statements (and MT942 interim reports) into bank lines.

An MT940 file is a sequence of messages, each opened by `:20:` (the transaction
reference): `:25:` names the account, `:28C:` the statement and page number,
`:60F:`/`:60M:` the opening balance (first page / following pages), `:61:` the
statement lines, each followed by `:86:` details, and `:62F:`/`:62M:` the closing
balance. Every message becomes one `ParsedStatement`; pages of one statement
(`:60M:`/`:62M:`) stay separate statements with their intermediate balances, which
chain into each other.

The tags are read by the `mt940` package (with all of its corrections switched on:
`RC` reversals of credits are debits, `:86:` details are not truncated, the
counterparty IBAN of structured German details gets its own field). For each line:
the booking (entry) date, else the value date, as `date`; the value date; the amount
in the statement's currency; the bank reference (`//...`), else the customer
reference unless it is `NONREF`; the purpose (structured `?20`-`?29` details or the
whole `:86:` text) as description; the counterparty name and IBAN when the details
are structured.

The currency comes from the balances (or the MT942 floor limit `:34F:`); a file
without any balance needs the account's currency as `default_currency`. A balance
whose currency field is not a currency (a bank that left it out) is ignored with a
warning. Messages with neither lines nor balances are skipped; a file with none at
all is refused.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import mt940 as swift

from nexus.core.money import iso_scale
from nexus.ingest.parsers.amounts import decimal_to_minor
from nexus.ingest.parsers.errors import StatementParseError
from nexus.ingest.statement import (
    BankLine,
    ParsedStatement,
    StatementAccount,
    StatementBalance,
    StatementFormat,
)

FORMAT = StatementFormat.MT940
_MESSAGE_START = re.compile(r"^:20:")
_LINE_TAG = re.compile(r"^:61:")
# A tag that ends a statement line's record (anything but its own :86: or :NS:).
_RECORD_END = re.compile(r"^:(?!86:|NS:)(?:\d{2}[A-Z]?|NS):")
_ANY_TAG = re.compile(r"^:(?:\d{2}[A-Z]?|NS):")
_NO_REFERENCE = "NONREF"
_OPENING_KEYS = ("final_opening_balance", "opening_balance", "intermediate_opening_balance")
_CLOSING_KEYS = ("final_closing_balance", "closing_balance", "intermediate_closing_balance")
_LIBRARY_ERRORS = (RuntimeError, ValueError, ArithmeticError, KeyError, IndexError, TypeError)


@dataclass(frozen=True, slots=True)
class _Message:
    """One `:20:` message: its source lines and where they start in the file."""

    first_line: int
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def has_tags(self) -> bool:
        return any(_ANY_TAG.match(line) for line in self.lines)

    def line_starts(self) -> list[int]:
        """File line numbers of the message's `:61:` tags, in order."""
        return [
            self.first_line + index
            for index, line in enumerate(self.lines)
            if _LINE_TAG.match(line)
        ]

    def record(self, start_line: int) -> str:
        index = start_line - self.first_line
        end = index + 1
        while end < len(self.lines) and not (
            _RECORD_END.match(self.lines[end]) or _LINE_TAG.match(self.lines[end])
        ):
            end += 1
        return "\n".join(self.lines[index:end]).strip()


def parse_mt940(text: str, *, default_currency: str | None = None) -> list[ParsedStatement]:
    """Parse MT940 text into one statement per `:20:` message."""
    statements: list[ParsedStatement] = []
    skipped = 0
    for message in _messages(text.removeprefix("\ufeff")):
        statement = _statement(message, default_currency=default_currency)
        if statement is None:
            # A preamble without tags (a SWIFT header, a bank name) is not a message.
            skipped += message.has_tags
        else:
            statements.append(statement)
    if not statements:
        raise StatementParseError(
            "the file has no statement lines (:61:) and no balances (:60F:, :62F:)",
            line=None,
            statement_format=FORMAT,
        )
    if skipped:
        statements[0].warnings.append(f"{skipped} messages without lines or balances skipped")
    return statements


def _messages(text: str) -> list[_Message]:
    messages: list[_Message] = []
    current: list[str] = []
    first_line = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if _MESSAGE_START.match(line) and any(part.strip() for part in current):
            messages.append(_Message(first_line, current))
            current, first_line = [], number
        elif not current:
            first_line = number
        current.append(line)
    if any(part.strip() for part in current):
        messages.append(_Message(first_line, current))
    return messages


def _parse_message(message: _Message) -> swift.models.Transactions:
    transactions = swift.models.Transactions(options=swift.Options.all())
    try:
        transactions.parse(message.text)
    except _LIBRARY_ERRORS as error:
        raise StatementParseError(
            f"the MT940 fields cannot be read ({_library_problem(error)})",
            line=_error_line(message, error),
            statement_format=FORMAT,
        ) from None
    return transactions


def _library_problem(error: Exception) -> str:
    if isinstance(error, RuntimeError) and len(error.args) >= 3:
        return f"{error.args[1]!r} does not match {str(error.args[2])[:60]!r}"
    return str(error)[:200] or type(error).__name__


def _error_line(message: _Message, error: Exception) -> int | None:
    # The mt940 package reports the offending tag value; find the line that holds it.
    value = error.args[2] if isinstance(error, RuntimeError) and len(error.args) >= 3 else None
    if isinstance(value, str) and value.strip():
        first = value.strip().splitlines()[0]
        for index, line in enumerate(message.lines):
            if first in line:
                return message.first_line + index
    return message.first_line


def _statement(message: _Message, *, default_currency: str | None) -> ParsedStatement | None:
    transactions = _parse_message(message)
    data: dict[str, Any] = transactions.data
    warnings: list[str] = []
    currency = _statement_currency(transactions, default_currency, line=message.first_line)
    opening = _balance(data, _OPENING_KEYS, message, warnings)
    closing = _balance(data, _CLOSING_KEYS, message, warnings)
    if not transactions.transactions and opening is None and closing is None:
        return None
    if currency is None:
        raise StatementParseError(
            "the statement gives no currency (no :60F: balance); choose the account's currency",
            line=message.first_line,
            statement_format=FORMAT,
        )
    starts = message.line_starts()
    if len(starts) != len(transactions.transactions):
        starts = [message.first_line] * len(transactions.transactions)
    lines = [
        _line(transaction.data, currency=currency, line_number=start, message=message)
        for transaction, start in zip(transactions.transactions, starts, strict=True)
    ]
    account = data.get("account_identification")
    return ParsedStatement(
        format=FORMAT,
        account=StatementAccount(
            iban_or_number=str(account).strip() if account else None, currency=currency
        ),
        lines=lines,
        opening_balance=opening,
        closing_balance=closing,
        warnings=warnings,
    )


def _statement_currency(
    transactions: swift.models.Transactions, default_currency: str | None, *, line: int
) -> str | None:
    """The first balance's currency (or MT942 floor limit's), else the default."""
    candidates = []
    for key in (*_OPENING_KEYS, *_CLOSING_KEYS, "available_balance"):
        amount = getattr(transactions.data.get(key), "amount", None)
        candidates.append(getattr(amount, "currency", None))
    candidates.append(transactions.currency)  # MT942: the floor limit's currency
    for candidate in candidates:
        # A numeric "currency" is a bank that left the field out; see _balance.
        if isinstance(candidate, str) and candidate.isalpha() and len(candidate) == 3:
            currency = candidate.upper()
            if iso_scale(currency) is None:
                raise StatementParseError(
                    f"currency {currency!r} is not a current ISO 4217 currency",
                    line=line,
                    statement_format=FORMAT,
                    details={"currency": currency},
                )
            return currency
    return default_currency.upper() if default_currency else None


def _balance(
    data: dict[str, Any], keys: tuple[str, ...], message: _Message, warnings: list[str]
) -> StatementBalance | None:
    for key in keys:
        balance = data.get(key)
        if balance is None:
            continue
        line = _balance_line(message, key)
        amount = getattr(balance, "amount", None)
        currency = str(getattr(amount, "currency", "") or "").upper()
        if iso_scale(currency) is None:
            warnings.append(
                f"line {line}: balance currency {currency!r} is not a currency"
                " (the bank left it out?); balance ignored"
            )
            return None
        value = getattr(amount, "amount", None)
        when = getattr(balance, "date", None)
        if not isinstance(value, Decimal) or not isinstance(when, date):
            raise StatementParseError(
                "balance has no amount or no date", line=line, statement_format=FORMAT
            )
        return StatementBalance(
            date=date(when.year, when.month, when.day),
            amount_minor=decimal_to_minor(
                value, currency=currency, line=line, statement_format=FORMAT, field="balance"
            ),
            currency=currency,
        )
    return None


_BALANCE_TAGS = {
    "final_opening_balance": ":60F:",
    "opening_balance": ":60:",
    "intermediate_opening_balance": ":60M:",
    "final_closing_balance": ":62F:",
    "closing_balance": ":62:",
    "intermediate_closing_balance": ":62M:",
}


def _balance_line(message: _Message, key: str) -> int:
    tag = _BALANCE_TAGS[key]
    found = [index for index, line in enumerate(message.lines) if line.startswith(tag)]
    # The mt940 package keeps the last balance of a kind, so the last tag is the source.
    return message.first_line + found[-1] if found else message.first_line


def _line(data: dict[str, Any], *, currency: str, line_number: int, message: _Message) -> BankLine:
    amount = data.get("amount")
    value = getattr(amount, "amount", None)
    if not isinstance(value, Decimal):
        raise StatementParseError(
            "statement line has no amount", line=line_number, statement_format=FORMAT
        )
    value_date = _plain_date(data.get("date"))
    entry_date = _plain_date(data.get("entry_date"))
    booking_date = entry_date or value_date
    if booking_date is None:
        raise StatementParseError(
            "statement line has no date", line=line_number, statement_format=FORMAT
        )
    line_currency = str(getattr(amount, "currency", None) or currency).upper()
    return BankLine(
        line_number=line_number,
        date=booking_date,
        amount_minor=decimal_to_minor(
            value, currency=line_currency, line=line_number, statement_format=FORMAT
        ),
        currency=line_currency,
        description=_description(data),
        payee=_clean(data.get("applicant_name")),
        reference=_reference(data),
        value_date=value_date,
        counterparty_account=_clean(data.get("applicant_iban")),
        raw=message.record(line_number),
    )


def _plain_date(value: object) -> date | None:
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    return None


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def _reference(data: dict[str, Any]) -> str | None:
    for key in ("bank_reference", "customer_reference"):
        reference = _clean(data.get(key))
        if reference is not None and reference.upper() != _NO_REFERENCE:
            return reference
    return None


def _description(data: dict[str, Any]) -> str:
    for key in (
        "purpose",
        "transaction_details",
        "posting_text",
        "extra_details",
        "non_swift_text",
    ):
        text = _clean(data.get(key))
        if text:
            return text
    return ""
