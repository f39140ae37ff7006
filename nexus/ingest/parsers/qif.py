"""QIF (Quicken Interchange Format) registers into bank lines.

A QIF file is a sequence of sections, each opened by a header line: `!Type:Bank`,
`!Type:Cash`, `!Type:CCard`, `!Type:Oth A`, `!Type:Oth L` hold transactions of one
register; `!Account` blocks name the account the following register belongs to
(between `!Option:AutoSwitch` and `!Clear:AutoSwitch` they are only an account
list); `!Type:Cat`, `!Type:Class`, `!Type:Memorized`, `!Type:Security` and
`!Type:Prices` are lists Nexus does not need. Records are lines of one-letter
fields ended by `^`: `D` date, `T` (or `U`) amount, `P` payee, `M` memo, `N` check
number or reference, `L` category, `S`/`E`/`$` split category, memo and amount.

Each account's register becomes one statement (the file does not say the currency:
the caller passes the account's). A transaction is one line with its total amount;
splits are not lines (their amounts are only checked against the total). The
description is the memo, else the payee. Quicken's own "Opening Balance" record (the
first record, booked to the account itself as `[Account]`) becomes the opening
balance, not a line. Investment registers (`!Type:Invst`) hold trades, not bank
lines: they are skipped with a warning, and a file with nothing else is refused.

Dates are the trap of QIF: `02/03/2020` is 3 February in the US and 2 March
elsewhere, and exporters write `2/10'2020`, `1/ 1'00`, `08/27/21` or `2022-09-23`.
With `day_first=None` the order is inferred from the whole file (a first field above
12 means day first, a second field above 12 means month first); when no date
decides, month first is assumed (QIF is Quicken's US format) and a warning says so.
Two-digit years are 2000-2069 and 1970-1999; a year after an apostrophe is 20xx.

This is a hand parser rather than quiffen: quiffen reads dates with dateutil's
guessing parser (silently taking `13/01/2020` as day first in a month-first file),
knows no line numbers, and has no notion of "infer the date order from the file".
"""

import re
from dataclasses import dataclass, field
from datetime import date

from nexus.ingest.parsers.amounts import guess_separators, text_to_minor
from nexus.ingest.parsers.errors import StatementParseError
from nexus.ingest.statement import (
    BankLine,
    ParsedStatement,
    StatementAccount,
    StatementBalance,
    StatementFormat,
)

FORMAT = StatementFormat.QIF
_REGISTER_TYPES = {"bank", "cash", "ccard", "oth a", "oth l"}
_INVESTMENT_TYPES = {"invst", "port"}
_DATE = re.compile(
    r"^\s*(?P<first>\d{1,2})\s*[/.\-]\s*(?P<second>\d{1,2})\s*(?P<mark>['/.\-])\s*(?P<year>\d{2,4})\s*$"
)
_ISO_DATE = re.compile(r"^\s*(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})\s*$")
_TWO_DIGIT_PIVOT = 70  # "69" is 2069, "70" is 1970
_OPENING_BALANCE = "opening balance"


@dataclass(slots=True)
class _Record:
    """One `^`-terminated record: its fields in order and where it starts."""

    line: int
    fields: list[tuple[str, str]] = field(default_factory=list)
    source: list[str] = field(default_factory=list)

    def first(self, code: str) -> str | None:
        for field_code, value in self.fields:
            if field_code == code:
                return value.strip() or None
        return None

    def all(self, code: str) -> list[str]:
        return [value for field_code, value in self.fields if field_code == code]


@dataclass(slots=True)
class _Register:
    """The transactions of one account, as read from `!Type:` sections."""

    name: str | None
    kind: str
    records: list[_Record] = field(default_factory=list)


def parse_qif(
    text: str, *, currency: str | None, day_first: bool | None = None
) -> list[ParsedStatement]:
    """Parse a QIF file into one statement per account register."""
    registers, skipped_investment = _registers(text)
    if not registers:
        problem = (
            "the file holds only investment registers (!Type:Invst), which are not bank lines"
            if skipped_investment
            else "the file holds no bank, cash or credit card transactions"
        )
        raise StatementParseError(problem, line=None, statement_format=FORMAT)
    if currency is None:
        raise StatementParseError(
            "QIF files do not say their currency; choose the account's currency",
            line=None,
            statement_format=FORMAT,
        )
    records = [record for register in registers for record in register.records]
    order, order_warning = _date_order(records, day_first=day_first)
    separators = guess_separators(
        value for record in records for code in ("T", "U") for value in record.all(code)
    )
    statements = []
    for register in registers:
        statement = _statement(
            register, currency=currency.upper(), day_first=order, separators=separators
        )
        if order_warning:
            statement.warnings.append(order_warning)
        if skipped_investment:
            statement.warnings.append(
                f"{skipped_investment} investment records (!Type:Invst) are not bank lines"
                " and were skipped"
            )
        statements.append(statement)
    return statements


def _registers(text: str) -> tuple[list[_Register], int]:
    """Split the file into account registers; count investment records skipped."""
    registers: list[_Register] = []
    section: str | None = None
    account_name: str | None = None
    account_list = False  # inside !Option:AutoSwitch, !Account blocks are only a list
    current: _Record | None = None
    skipped_investment = 0
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.rstrip("\r\n")
        stripped = line.strip()
        if not stripped or (current is None and stripped.startswith("#")):
            continue
        if stripped.startswith("!"):
            header = stripped[1:].lower()
            if header.startswith("option:autoswitch"):
                account_list = True
            elif header.startswith("clear:autoswitch"):
                account_list = False
            elif header.startswith(("option:", "clear:")):
                pass
            else:
                section = header
                if section.startswith("type:"):
                    registers.append(_register(registers, account_name, section[5:].strip()))
            current = None
            continue
        if current is None:
            current = _Record(line=number)
        current.source.append(line)
        if stripped != "^":
            current.fields.append((stripped[0], stripped[1:]))
            continue
        if section == "account" and not account_list:
            account_name = current.first("N") or account_name
        elif section is not None and section.startswith("type:") and current.fields:
            kind = section[5:].strip()
            if kind in _REGISTER_TYPES:
                registers[-1].records.append(current)
            elif kind in _INVESTMENT_TYPES:
                skipped_investment += 1
        elif section is None and current.fields:
            raise StatementParseError(
                "transaction before any !Type: header", line=current.line, statement_format=FORMAT
            )
        current = None
    if (
        current is not None
        and current.fields
        and section
        and section[5:].strip() in _REGISTER_TYPES
    ):
        registers[-1].records.append(current)  # a last record without its closing ^
    return [register for register in registers if register.records], skipped_investment


def _register(registers: list[_Register], name: str | None, kind: str) -> _Register:
    """The register of account `name`, continued if an earlier section opened it."""
    for index, register in enumerate(registers):
        if name is not None and register.name == name and register.kind == kind:
            # Moved last so that the records of this section land in it.
            return registers.pop(index)
    return _Register(name=name, kind=kind)


def _date_order(records: list[_Record], *, day_first: bool | None) -> tuple[bool, str | None]:
    if day_first is not None:
        return day_first, None
    day_first_at = month_first_at = None
    for record in records:
        match = _DATE.match(record.first("D") or "")
        if match is None:
            continue
        if int(match["first"]) > 12 and day_first_at is None:
            day_first_at = record.line
        if int(match["second"]) > 12 and month_first_at is None:
            month_first_at = record.line
    if day_first_at is not None and month_first_at is not None:
        raise StatementParseError(
            f"dates mix day/month (line {day_first_at}) and month/day (line {month_first_at})"
            " order",
            line=month_first_at,
            statement_format=FORMAT,
        )
    if day_first_at is not None:
        return True, None
    if month_first_at is not None:
        return False, None
    if any(_DATE.match(record.first("D") or "") for record in records):
        return False, (
            "no date in the file shows whether it is month/day or day/month; read as"
            " month/day (US) - re-import with day_first if that is wrong"
        )
    return False, None


def _qif_date(text: str | None, *, day_first: bool, line: int) -> date:
    if text is None:
        raise StatementParseError(
            "transaction has no date (D field)", line=line, statement_format=FORMAT
        )
    iso = _ISO_DATE.match(text)
    match = _DATE.match(text)
    try:
        if iso is not None:
            return date(int(iso["year"]), int(iso["month"]), int(iso["day"]))
        if match is None:
            raise ValueError(text)
        first, second = int(match["first"]), int(match["second"])
        day, month = (first, second) if day_first else (second, first)
        return date(_year(match["year"], apostrophe=match["mark"] == "'"), month, day)
    except ValueError:
        order = "day/month/year" if day_first else "month/day/year"
        raise StatementParseError(
            f"date {text.strip()!r} is not a valid {order} date",
            line=line,
            statement_format=FORMAT,
            details={"value": text},
        ) from None


def _year(text: str, *, apostrophe: bool) -> int:
    year = int(text)
    if len(text) > 2:
        return year
    if apostrophe:
        return 2000 + year  # Quicken writes 2000 and later as 1/1'00
    return 2000 + year if year < _TWO_DIGIT_PIVOT else 1900 + year


def _statement(
    register: _Register, *, currency: str, day_first: bool, separators: tuple[str, str | None]
) -> ParsedStatement:
    statement = ParsedStatement(
        format=FORMAT, account=StatementAccount(iban_or_number=register.name, currency=currency)
    )
    for index, record in enumerate(register.records):
        when = _qif_date(record.first("D"), day_first=day_first, line=record.line)
        amount_text = record.first("T") or record.first("U")
        if amount_text is None:
            raise StatementParseError(
                "transaction has no amount (T field)", line=record.line, statement_format=FORMAT
            )
        amount = _amount(amount_text, currency=currency, line=record.line, separators=separators)
        if index == 0 and _is_opening_balance(record, register.name):
            statement.opening_balance = StatementBalance(
                date=when, amount_minor=amount, currency=currency
            )
            continue
        _check_splits(
            record, amount, currency=currency, separators=separators, warnings=statement.warnings
        )
        payee = record.first("P")
        statement.lines.append(
            BankLine(
                line_number=record.line,
                date=when,
                amount_minor=amount,
                currency=currency,
                description=record.first("M") or payee or "",
                payee=payee,
                reference=record.first("N"),
                raw="\n".join(record.source),
            )
        )
    return statement


def _amount(text: str, *, currency: str, line: int, separators: tuple[str, str | None]) -> int:
    decimal_separator, thousands_separator = separators
    return text_to_minor(
        text,
        currency=currency,
        line=line,
        statement_format=FORMAT,
        decimal_separator=decimal_separator,
        thousands_separator=thousands_separator,
    )


def _is_opening_balance(record: _Record, account_name: str | None) -> bool:
    payee = (record.first("P") or "").lower()
    category = record.first("L") or ""
    if payee != _OPENING_BALANCE or not (category.startswith("[") and category.endswith("]")):
        return False
    return account_name is None or category[1:-1] == account_name


def _check_splits(
    record: _Record,
    amount: int,
    *,
    currency: str,
    separators: tuple[str, str | None],
    warnings: list[str],
) -> None:
    parts = record.all("$")
    if not parts:
        return
    total = sum(
        _amount(part, currency=currency, line=record.line, separators=separators) for part in parts
    )
    if total != amount:
        warnings.append(
            f"line {record.line}: the splits add up to {total}, not the total {amount}"
            f" ({currency} minor units)"
        )
