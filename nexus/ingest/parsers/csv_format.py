"""Bank CSV exports into bank lines, streamed.

Every bank invents its own CSV, so a `CsvProfile` says how to read one: delimiter,
rows to skip, which columns hold the date, the amount (one signed column, two
debit/credit columns, or an unsigned amount plus a debit/credit marker column), the
description, payee, reference and currency, how dates and numbers are written, and
whether the sign must be flipped (credit-card exports that show charges as positive
numbers). Columns are named by their header text, or by 0-based index for files
without a header.

`suggest_profile` guesses a profile from the first lines of a file: the delimiter,
where the header is, the columns by their names in English, German, French, Spanish
and Dutch, the date format and the decimal mark from the values. A suggestion is a
starting point for the import preview, not a promise.

`iter_csv_lines` reads one record at a time, so a file of a million lines takes
constant memory. Rows whose amount cells are all empty (pending card payments,
cancelled orders, subtotal rows) and rows repeating the header are skipped, and
said so in `warnings`. Any other unreadable cell stops the import with its line
and column: "line 5: column 'Date': date '31.02.2020' is not a date like %d.%m.%Y".
"""

import csv
import functools
import io
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from nexus.core.money import iso_scale
from nexus.ingest.parsers import csv_guess
from nexus.ingest.parsers.amounts import (
    DECIMAL_SEPARATORS,
    THOUSANDS_SEPARATORS,
    guess_separators,
    plain_to_minor,
    text_to_minor,
)
from nexus.ingest.parsers.errors import InvalidCsvProfile, StatementParseError
from nexus.ingest.statement import BankLine, ParsedStatement, StatementAccount, StatementFormat

FORMAT = StatementFormat.CSV
Column = str | int  # a header name, or a 0-based index when the file has no header
WARNINGS_MAX = 50  # skipped rows reported one by one; the rest are only counted
RAW_CHARS_MAX = 2000
DAYS_CACHED_MAX = 20_000  # distinct dates a file's reader remembers (decades of days)

DEFAULT_DEBIT_MARKERS = ("d", "dr", "debit", "dbit", "s", "soll", "af", "debe", "cargo")
DEFAULT_CREDIT_MARKERS = ("c", "cr", "credit", "crdt", "h", "haben", "bij", "haber", "abono")


@dataclass(frozen=True, slots=True)
class CsvProfile:
    """How to read one bank's CSV export; columns by header name or 0-based index."""

    delimiter: str = ","
    quotechar: str = '"'
    encoding: str | None = None  # None: detect (BOM, UTF-8, then charset detection)
    has_header: bool = True
    skip_rows: int = 0  # physical lines before the header (or the first record)
    date_column: Column | None = None
    date_format: str = "%Y-%m-%d"  # time.strptime format
    value_date_column: Column | None = None
    amount_column: Column | None = None
    debit_column: Column | None = None  # money out, whatever its printed sign
    credit_column: Column | None = None  # money in
    direction_column: Column | None = None  # a marker column: "D"/"C", "Soll"/"Haben"
    debit_markers: tuple[str, ...] = DEFAULT_DEBIT_MARKERS
    credit_markers: tuple[str, ...] = DEFAULT_CREDIT_MARKERS
    decimal_separator: str = "."
    thousands_separator: str | None = None
    description_columns: tuple[Column, ...] = ()  # joined with " "
    payee_column: Column | None = None
    reference_column: Column | None = None
    counterparty_account_column: Column | None = None
    currency_column: Column | None = None
    currency: str | None = None  # when there is no currency column, or its cell is empty
    negate: bool = False  # flip every sign (charges shown as positive amounts)

    def __post_init__(self) -> None:
        if len(self.delimiter) != 1 or len(self.quotechar) != 1:
            raise InvalidCsvProfile("the delimiter and the quote must be one character each")
        if self.decimal_separator not in DECIMAL_SEPARATORS:
            raise InvalidCsvProfile("the decimal separator must be '.' or ','")
        if self.thousands_separator not in (None, *THOUSANDS_SEPARATORS):
            raise InvalidCsvProfile(f"{self.thousands_separator!r} is not a thousands separator")
        if self.thousands_separator == self.decimal_separator:
            raise InvalidCsvProfile("the decimal and thousands separators must differ")
        two_columns = self.debit_column is not None or self.credit_column is not None
        if two_columns and (self.amount_column is not None or self.direction_column is not None):
            raise InvalidCsvProfile("use either an amount column or debit/credit columns, not both")
        if self.skip_rows < 0:
            raise InvalidCsvProfile("skip_rows cannot be negative")

    def check_complete(self) -> None:
        """Refuse a profile that cannot produce lines (no date or no amount column)."""
        if self.date_column is None:
            raise InvalidCsvProfile("the CSV profile names no date column")
        if self.amount_column is None and self.debit_column is None and self.credit_column is None:
            raise InvalidCsvProfile("the CSV profile names no amount (or debit/credit) column")


@dataclass(frozen=True)
class _Columns:
    """The profile's columns resolved to indexes in the header."""

    names: tuple[str, ...]
    date: int
    value_date: int | None
    amount: int | None
    debit: int | None
    credit: int | None
    direction: int | None
    description: tuple[int, ...]
    payee: int | None
    reference: int | None
    counterparty_account: int | None
    currency: int | None
    debit_markers: frozenset[str]
    credit_markers: frozenset[str]

    @functools.cached_property
    def amount_cells(self) -> tuple[int, ...]:
        return tuple(i for i in (self.amount, self.debit, self.credit) if i is not None)

    @functools.cached_property
    def needed(self) -> int:
        """The highest cell index a line cannot do without."""
        return max(self.date, *self.amount_cells)

    def name(self, index: int) -> str:
        return (
            self.names[index] if index < len(self.names) and self.names[index] else f"#{index + 1}"
        )


class _Tap:
    """An iterator over source lines that remembers the lines of the current record.

    A line handed back (`give_back`) is the next one read again, neither counted nor
    remembered twice: the fast row splitter looks at a line first and passes the ones
    it does not take on to the csv module.
    """

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.taken: list[str] = []
        self.count = 0
        self._taken_chars = 0
        self._given_back: str | None = None

    def __iter__(self) -> "_Tap":
        return self

    def __next__(self) -> str:
        if self._given_back is not None:
            line, self._given_back = self._given_back, None
            return line
        line = next(self._lines)
        self.count += 1
        if self._taken_chars < RAW_CHARS_MAX:
            self.taken.append(line)
            self._taken_chars += len(line)
        return line

    def give_back(self, line: str) -> None:
        self._given_back = line

    def record_text(self) -> str:
        text = self.taken[0] if len(self.taken) == 1 else "".join(self.taken)
        self.taken.clear()
        self._taken_chars = 0
        return text.rstrip("\r\n")[:RAW_CHARS_MAX]


def iter_csv_lines(
    stream: Iterable[str] | TextIO,
    profile: CsvProfile,
    *,
    warnings: list[str] | None = None,
) -> Iterator[BankLine]:
    """Read bank lines from CSV text one record at a time (constant memory)."""
    profile.check_complete()
    tap = _Tap(iter(stream))
    for _ in range(profile.skip_rows):
        if next(tap, None) is None:
            return
    tap.taken.clear()
    reader = csv.reader(tap, delimiter=profile.delimiter, quotechar=profile.quotechar)
    header: list[str] | None = None
    if profile.has_header:
        header = _read_row(reader, tap)
        while header is not None and not any(cell.strip() for cell in header):
            header = _read_row(reader, tap)  # blank lines above the header
        if header is None:
            return
        header = [cell.strip().lstrip("\ufeff") for cell in header]
        tap.record_text()
    columns = _resolve(profile, header, line=tap.count)
    quick_line = _quick_line_maker(profile, columns, header)
    skipped = 0
    while True:
        start = tap.count + 1
        row = _quick_split(tap, profile)
        if row is None:
            row = _read_row(reader, tap)
            if row is None:
                break
        raw = tap.record_text()
        line = quick_line(row, start, raw) if quick_line is not None else None
        if line is not None:
            yield line
            continue
        if not any(cell.strip() for cell in row):
            continue
        reason = _skip_reason(row, header, columns)
        if reason is not None:
            skipped += 1
            if warnings is not None and skipped <= WARNINGS_MAX:
                warnings.append(f"line {start}: {reason}; row skipped")
            continue
        yield _line(row, columns, profile, line=start, raw=raw)
    if warnings is not None and skipped > WARNINGS_MAX:
        warnings.append(f"{skipped - WARNINGS_MAX} more rows skipped")


_FIELD_CHARS_MAX = csv.field_size_limit()


def _quick_split(tap: _Tap, profile: CsvProfile) -> list[str] | None:
    """Split the next line by hand when the csv module could only read it the same way.

    That is a line without the quote character, without a line break inside it and
    within the csv module's field limit: most lines of most exports. Any other line
    is given back for the csv module to read (a quoted record may span lines). None
    when the line is given back or the file has ended.
    """
    line = next(tap, None)
    if line is None:
        return None
    if line.endswith("\n"):
        body = line[:-2] if line.endswith("\r\n") else line[:-1]
    else:
        body = line[:-1] if line.endswith("\r") else line
    if profile.quotechar in body or "\r" in body or "\n" in body or len(body) >= _FIELD_CHARS_MAX:
        tap.give_back(line)
        return None
    if not body:
        return []
    return body.split(profile.delimiter)


def _read_row(reader: Iterator[list[str]], tap: _Tap) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as error:
        raise StatementParseError(
            f"the CSV cannot be read ({error})", line=tap.count, statement_format=FORMAT
        ) from None


def parse_csv(text: str, profile: CsvProfile) -> ParsedStatement:
    """Parse a whole CSV text into one statement (the convenience form of iter_csv_lines)."""
    warnings: list[str] = []
    # newline="" keeps quoted line breaks intact and splits on \n, \r\n and old-Mac \r.
    lines = list(iter_csv_lines(io.StringIO(text, newline=""), profile, warnings=warnings))
    currencies = {line.currency for line in lines}
    currency = currencies.pop() if len(currencies) == 1 else None
    if not lines:
        currency = profile.currency
    return ParsedStatement(
        format=FORMAT,
        account=StatementAccount(currency=currency),
        lines=lines,
        warnings=warnings,
    )


def suggest_profile(sample_text: str) -> CsvProfile:
    """Guess a CSV profile from the first lines of a file (a starting point to confirm)."""
    lines = sample_text.splitlines()[: csv_guess.SAMPLE_ROWS_MAX]
    delimiter = csv_guess.guess_delimiter(lines)
    rows = csv_guess.rows_of(lines, delimiter)
    header_index = csv_guess.find_header(rows)
    header: list[str] = []
    skip_rows = 0
    if header_index is not None:
        skip_rows, header = rows[header_index][0], [cell.strip() for cell in rows[header_index][1]]
        layout = csv_guess.layout_from_header(header)
        data = [row for _, row in rows[header_index + 1 :]]
    else:
        layout = csv_guess.Layout()
        data = [row for _, row in rows]
    data = [
        row
        for row in data
        if any(cell.strip() for cell in row) and [cell.strip() for cell in row] != header
    ]
    csv_guess.complete_from_values(
        layout,
        data,
        debit_markers=set(DEFAULT_DEBIT_MARKERS),
        credit_markers=set(DEFAULT_CREDIT_MARKERS),
        header=header,
    )
    amounts = [
        row[index]
        for row in data
        for index in (layout.amount, layout.debit, layout.credit)
        if index is not None and index < len(row) and row[index].strip()
    ]
    decimal_separator, thousands_separator = guess_separators(amounts)
    dates = [
        row[layout.date].strip()
        for row in data
        if layout.date is not None and layout.date < len(row)
    ]
    day_first = decimal_separator == "," or layout.foreign_names
    unique = {name for name, count in Counter(header).items() if count == 1 and name}

    def column(index: int | None) -> Column | None:
        if index is None:
            return None
        return header[index] if index < len(header) and header[index] in unique else index

    return CsvProfile(
        delimiter=delimiter,
        has_header=header_index is not None,
        skip_rows=skip_rows,
        date_column=column(layout.date),
        date_format=csv_guess.guess_date_format(dates, day_first=day_first) or "%Y-%m-%d",
        value_date_column=column(layout.value_date),
        amount_column=column(layout.amount),
        debit_column=column(layout.debit),
        credit_column=column(layout.credit),
        direction_column=column(layout.direction),
        decimal_separator=decimal_separator,
        thousands_separator=thousands_separator,
        description_columns=tuple(c for c in map(column, layout.description) if c is not None),
        payee_column=column(layout.payee),
        reference_column=column(layout.reference),
        counterparty_account_column=column(layout.counterparty_account),
        currency_column=column(layout.currency),
        currency=(
            None
            if layout.currency is not None
            else csv_guess.currency_from_names(header, (layout.amount, layout.debit, layout.credit))
        ),
    )


def _resolve(profile: CsvProfile, header: list[str] | None, *, line: int) -> _Columns:
    def index(column: Column | None) -> int | None:
        if column is None:
            return None
        if isinstance(column, int):
            if column < 0:
                raise InvalidCsvProfile(f"column index {column} is negative")
            return column
        if header is None:
            raise InvalidCsvProfile(
                f"column {column!r} is named, but the profile says the file has no header"
            )
        for candidates in (header, [cell.casefold() for cell in header]):
            wanted = column.strip() if candidates is header else column.strip().casefold()
            if wanted in candidates:
                return candidates.index(wanted)
        raise InvalidCsvProfile(
            f"line {line}: the header has no column {column!r} (it has {', '.join(header)})",
            details={"line": line, "column": column},
        )

    date_index = index(profile.date_column)
    assert date_index is not None  # check_complete ran
    return _Columns(
        names=tuple(header or ()),
        date=date_index,
        value_date=index(profile.value_date_column),
        amount=index(profile.amount_column),
        debit=index(profile.debit_column),
        credit=index(profile.credit_column),
        direction=index(profile.direction_column),
        description=tuple(i for i in map(index, profile.description_columns) if i is not None),
        payee=index(profile.payee_column),
        reference=index(profile.reference_column),
        counterparty_account=index(profile.counterparty_account_column),
        currency=index(profile.currency_column),
        debit_markers=frozenset(marker.casefold() for marker in profile.debit_markers),
        credit_markers=frozenset(marker.casefold() for marker in profile.credit_markers),
    )


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _skip_reason(row: list[str], header: list[str] | None, columns: _Columns) -> str | None:
    if (
        header is not None
        and len(row) == len(header)
        and _cell(row, columns.date) == _cell(header, columns.date)
        and [cell.strip() for cell in row] == header
    ):
        return "the header is repeated"
    if not any(_cell(row, index) for index in columns.amount_cells):
        return "no amount (pending, cancelled or a subtotal?)"
    return None


def _line(
    row: list[str], columns: _Columns, profile: CsvProfile, *, line: int, raw: str
) -> BankLine:
    needed = columns.needed
    if needed >= len(row):
        raise StatementParseError(
            f"the row has {len(row)} cells; column {columns.name(needed)!r} is cell {needed + 1}",
            line=line,
            statement_format=FORMAT,
            details={"column": columns.name(needed)},
        )
    currency = (_cell(row, columns.currency) or profile.currency or "").upper()
    if not currency:
        raise StatementParseError(
            "the row has no currency and the profile gives none; choose the account's currency",
            line=line,
            statement_format=FORMAT,
        )
    amount = _amount(row, columns, profile, currency=currency, line=line)
    value_date_text = _cell(row, columns.value_date)
    description = " ".join(text for text in (_cell(row, i) for i in columns.description) if text)
    payee = _cell(row, columns.payee) or None
    return BankLine(
        line_number=line,
        date=_date(_cell(row, columns.date), profile, line=line, column=columns.name(columns.date)),
        amount_minor=-amount if profile.negate else amount,
        currency=currency,
        description=description or payee or "",
        payee=payee,
        reference=_cell(row, columns.reference) or None,
        value_date=(
            _date(value_date_text, profile, line=line, column=columns.name(columns.value_date or 0))
            if value_date_text
            else None
        ),
        counterparty_account=_cell(row, columns.counterparty_account) or None,
        raw=raw,
    )


_QuickLine = Callable[[list[str], int, str], BankLine | None]


def _quick_line_maker(
    profile: CsvProfile, columns: _Columns, header: list[str] | None
) -> _QuickLine | None:
    """A reader of the common row, or None when the file's layout has no such shortcut.

    It reads a row with one signed amount column the way `_line` would and returns
    None for any row it is not sure about (a cell missing, a possible repeated header,
    an empty or unusual amount, a date it cannot read), which then goes the careful
    way: `_skip_reason` and `_line` skip it or refuse it naming line and column.
    """
    if columns.amount is None or columns.direction is not None:
        return None
    date_index, amount_index, currency_index = columns.date, columns.amount, columns.currency
    value_date_index = columns.value_date
    payee_index, reference_index = columns.payee, columns.reference
    counterparty_index = columns.counterparty_account
    description = columns.description
    needed = columns.needed
    header_date = (
        header[date_index].strip() if header is not None and date_index < len(header) else None
    )
    header_cells = len(header) if header is not None else -1
    fixed_currency = (profile.currency or "").upper()
    date_format, decimal_separator, negate = (
        profile.date_format,
        profile.decimal_separator,
        profile.negate,
    )
    days: dict[str, date] = {}

    def day_of(text: str) -> date | None:
        day = days.get(text)
        if day is None:
            try:
                day = _strptime_date(text, date_format)
            except ValueError:
                return None
            if len(days) < DAYS_CACHED_MAX:
                days[text] = day
        return day

    def cell(row: list[str], index: int | None) -> str:
        return row[index].strip() if index is not None and index < len(row) else ""

    def quick_line(row: list[str], line: int, raw: str) -> BankLine | None:
        cells = len(row)
        if cells <= needed:
            return None
        date_text = row[date_index].strip()
        if cells == header_cells and date_text == header_date:
            return None  # perhaps the header again
        amount_text = row[amount_index].strip()
        if not amount_text:
            return None
        currency = (
            (cell(row, currency_index) or fixed_currency).upper()
            if currency_index is not None
            else fixed_currency
        )
        scale = iso_scale(currency)
        if scale is None:
            return None
        amount = plain_to_minor(amount_text, scale=scale, decimal_separator=decimal_separator)
        day = day_of(date_text)
        if amount is None or day is None:
            return None
        value_date: date | None = None
        if value_date_index is not None:
            value_date_text = cell(row, value_date_index)
            if value_date_text:
                value_date = day_of(value_date_text)
                if value_date is None:
                    return None
        if len(description) == 1:
            text = cell(row, description[0])
        else:
            text = " ".join(part for part in (cell(row, i) for i in description) if part)
        payee = (cell(row, payee_index) or None) if payee_index is not None else None
        return BankLine(
            line_number=line,
            date=day,
            amount_minor=-amount if negate else amount,
            currency=currency,
            description=text or payee or "",
            payee=payee,
            reference=cell(row, reference_index) or None,
            value_date=value_date,
            counterparty_account=(
                (cell(row, counterparty_index) or None) if counterparty_index is not None else None
            ),
            raw=raw,
        )

    return quick_line


def _minor(text: str, profile: CsvProfile, *, currency: str, line: int, column: str) -> int:
    return text_to_minor(
        text,
        currency=currency,
        line=line,
        statement_format=FORMAT,
        decimal_separator=profile.decimal_separator,
        thousands_separator=profile.thousands_separator,
        column=column,
    )


def _amount(
    row: list[str], columns: _Columns, profile: CsvProfile, *, currency: str, line: int
) -> int:
    if columns.amount is not None:
        amount = _minor(
            _cell(row, columns.amount),
            profile,
            currency=currency,
            line=line,
            column=columns.name(columns.amount),
        )
        if columns.direction is None:
            return amount
        return _directed(row, columns, profile, amount=amount, line=line)
    total = 0
    for index, sign in ((columns.credit, 1), (columns.debit, -1)):
        text = _cell(row, index)
        if index is not None and text:
            # Banks disagree on whether a debit column holds "12.00" or "-12.00";
            # the column says the direction, so the printed sign is ignored.
            total += sign * abs(
                _minor(text, profile, currency=currency, line=line, column=columns.name(index))
            )
    return total


def _directed(
    row: list[str], columns: _Columns, profile: CsvProfile, *, amount: int, line: int
) -> int:
    assert columns.direction is not None
    marker = _cell(row, columns.direction).casefold()
    if marker in columns.debit_markers:
        return -abs(amount)
    if marker in columns.credit_markers:
        return abs(amount)
    raise StatementParseError(
        f"column {columns.name(columns.direction)!r}: {marker!r} is neither a debit marker"
        f" ({', '.join(profile.debit_markers)}) nor a credit marker",
        line=line,
        statement_format=FORMAT,
        details={"column": columns.name(columns.direction), "value": marker},
    )


@functools.lru_cache(maxsize=4096)
def _strptime_date(text: str, date_format: str) -> date:
    # Statements repeat a handful of dates; the cache keeps strptime off the hot path.
    parsed = time.strptime(text, date_format)
    return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)


def _date(text: str, profile: CsvProfile, *, line: int, column: str) -> date:
    try:
        return _strptime_date(text, profile.date_format)
    except ValueError:
        raise StatementParseError(
            f"column {column!r}: date {text!r} is not a date like {profile.date_format}",
            line=line,
            statement_format=FORMAT,
            details={"column": column, "value": text},
        ) from None
