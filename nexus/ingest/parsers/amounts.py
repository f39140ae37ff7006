"""Amounts as banks print them, turned into integer minor units.

Statement files spell numbers in many ways: "1,234.56", "1.234,56", "11'373.94",
"-98,76", "$1,036.47", "(12.00)", "123,45-". This module is the one place that reads
them. Text becomes a `Decimal` (never a float), and a `Decimal` becomes minor units at
the currency's ISO 4217 exponent, refusing digits the currency cannot hold (12.345 EUR
is an error, not a rounding). Every failure is a `StatementParseError` naming the line.
"""

import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from nexus.core.money import (
    AMOUNT_MINOR_MAX,
    AmountOverflow,
    InvalidAmount,
    TooManyDecimals,
    iso_scale,
    parse_amount,
)
from nexus.ingest.parsers.errors import StatementParseError
from nexus.ingest.statement import ParsedStatement, StatementFormat

DECIMAL_SEPARATORS = (".", ",")
# Thousands separators seen in bank exports: US/UK comma, continental dot, Swiss
# apostrophe (ASCII and typographic), and French spaces (plain, no-break, narrow).
THOUSANDS_SEPARATORS = (",", ".", "'", "\u2019", " ", "\u00a0", "\u202f")
_SPACES = (" ", "\u00a0", "\u202f")

_NUMBER = re.compile(
    r"""^
    (?P<lead>[-+])?\s*
    (?P<pre>[A-Z]{3}|[A-Z]{0,2}[$€£¥₹₩₽¢]|Fr\.?)?\s*
    (?P<lead2>[-+])?\s*
    (?P<number>\d[\d.,'\u2019\u00a0\u202f ]*|[.,]\d+)
    \s*(?P<post>[A-Z]{3}|[$€£¥₹₩₽¢]|Fr\.?)?\s*
    (?P<trail>[-+])?
    $""",
    re.VERBOSE,
)
# Plain amounts ("-1234.56", "-1234,56"), by decimal mark: most lines of most files.
_PLAIN_AMOUNTS = {
    ".": re.compile(r"(-?)(\d{1,18})(?:\.(\d{1,12}))?\Z"),
    ",": re.compile(r"(-?)(\d{1,18})(?:,(\d{1,12}))?\Z"),
}
_SCALE_FACTORS = [10**scale for scale in range(13)]
_PLAIN = re.compile(r"^(\d*)(?:\.(\d*))?$")
_GROUPED = re.compile(r"^\d{1,3}(?:X\d{3})*$")


def currency_scale(
    currency: str, *, line: int | None, statement_format: StatementFormat | None
) -> int:
    """Return the ISO 4217 exponent of `currency`, refusing codes that are not money."""
    scale = iso_scale(currency)
    if scale is None:
        raise StatementParseError(
            f"currency {currency!r} is not an ISO 4217 currency code",
            line=line,
            statement_format=statement_format,
            details={"currency": currency},
        )
    return scale


def decimal_to_minor(
    value: Decimal,
    *,
    currency: str,
    line: int | None,
    statement_format: StatementFormat | None,
    field: str = "amount",
) -> int:
    """Convert an exact `Decimal` into minor units of `currency`, refusing extra decimals."""
    scale = currency_scale(currency, line=line, statement_format=statement_format)
    if not value.is_finite():
        raise StatementParseError(
            f"{field} {value} is not a number",
            line=line,
            statement_format=statement_format,
        )
    text = format(value, "f")
    try:
        return parse_amount(text, scale=scale, field=field)
    except TooManyDecimals:
        problem = f"{field} {text} has more decimals than {currency} allows ({scale})"
    except AmountOverflow:
        problem = f"{field} {text} is too large"
    except InvalidAmount:
        problem = f"{field} {text!r} is not a number"
    raise StatementParseError(problem, line=line, statement_format=statement_format)


def plain_to_minor(text: str, *, scale: int, decimal_separator: str = ".") -> int | None:
    """Read a plain amount ("-1234.56") straight into minor units; None if not that simple.

    The hot path of every parser: no `Decimal`, no string rebuilt. Anything else (a
    sign after the number, grouping, a currency sign, more decimals than `scale`, an
    amount past the ledger's limit) gets None, for the careful path to read or refuse.
    """
    match = _PLAIN_AMOUNTS[decimal_separator].match(text)
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    minor: int = int(whole) * _SCALE_FACTORS[scale]
    if fraction:
        if len(fraction) > scale:
            return None
        minor += int(fraction) * _SCALE_FACTORS[scale - len(fraction)]
    if minor > AMOUNT_MINOR_MAX:
        return None
    return -minor if sign else minor


def parse_decimal_text(
    text: str, *, decimal_separator: str = ".", thousands_separator: str | None = None
) -> Decimal:
    """Read a printed number ("-1.234,56 EUR", "(12.00)") as a Decimal; ValueError if not one."""
    if decimal_separator not in DECIMAL_SEPARATORS:
        raise ValueError(f"decimal separator {decimal_separator!r} is not '.' or ','")
    candidate = text.strip().replace("\u2212", "-")
    negative = False
    if candidate.startswith("(") and candidate.endswith(")"):
        # Accounting notation: parentheses mean a negative amount.
        negative, candidate = True, candidate[1:-1].strip()
    match = _NUMBER.match(candidate)
    if match is None:
        raise ValueError("is not a number")
    signs = [match[name] for name in ("lead", "lead2", "trail") if match[name]]
    if len(signs) > 1 or (signs and negative):
        raise ValueError("has more than one sign")
    negative = negative or signs == ["-"]
    plain = _plain_digits(match["number"], decimal_separator, thousands_separator)
    value = Decimal(plain)
    return -value if negative else value


def _plain_digits(number: str, decimal_separator: str, thousands_separator: str | None) -> str:
    number = number.strip()
    if thousands_separator in _SPACES:
        # Exports mix the three kinds of space; any of them separates thousands.
        for space in _SPACES:
            number = number.replace(space, " ")
        thousands_separator = " "
    elif thousands_separator in ("'", "\u2019"):
        number = number.replace("\u2019", "'")
        thousands_separator = "'"
    whole, separator, fraction = number.partition(decimal_separator)
    if separator and decimal_separator in fraction:
        raise ValueError(f"has more than one decimal separator {decimal_separator!r}")
    if thousands_separator is not None and thousands_separator in whole:
        # Grouping is checked, so that "12,34" in a file whose decimal mark is "." is an
        # error rather than silently 1234.
        if not _GROUPED.match(whole.replace(thousands_separator, "X")):
            raise ValueError(f"has a misplaced thousands separator {thousands_separator!r}")
        whole = whole.replace(thousands_separator, "")
    plain = f"{whole}.{fraction}" if separator else whole
    if not _PLAIN.match(plain) or not any(character.isdigit() for character in plain):
        raise ValueError("is not a number")
    return plain


def text_to_minor(
    text: str,
    *,
    currency: str,
    line: int | None,
    statement_format: StatementFormat | None,
    decimal_separator: str = ".",
    thousands_separator: str | None = None,
    column: str | None = None,
    field: str = "amount",
) -> int:
    """Read a printed amount of `currency` into minor units, naming line and column on error."""
    scale = iso_scale(currency)
    if scale is not None:
        minor = plain_to_minor(text, scale=scale, decimal_separator=decimal_separator)
        if minor is not None:
            return minor
    try:
        value = parse_decimal_text(
            text, decimal_separator=decimal_separator, thousands_separator=thousands_separator
        )
    except (ValueError, InvalidOperation) as error:
        where, details = _where(column, text)
        raise StatementParseError(
            f"{where}{field} {text!r} {error}",
            line=line,
            statement_format=statement_format,
            details=details,
        ) from None
    try:
        return decimal_to_minor(
            value, currency=currency, line=line, statement_format=statement_format, field=field
        )
    except StatementParseError as error:
        where, details = _where(column, text)
        raise StatementParseError(
            f"{where}{error.problem}",
            line=line,
            statement_format=statement_format,
            details=details,
        ) from None


def _where(column: str | None, text: str) -> tuple[str, dict[str, str]]:
    if column is None:
        return "", {"value": text}
    return f"column {column!r}: ", {"column": column, "value": text}


def guess_separators(samples: Iterable[str]) -> tuple[str, str | None]:
    """Guess (decimal separator, thousands separator) from printed amounts."""
    decimal_votes: Counter[str] = Counter()
    thousands_votes: Counter[str] = Counter()
    for sample in samples:
        _vote(sample, decimal_votes, thousands_votes)
    if decimal_votes[","] != decimal_votes["."]:
        decimal = "," if decimal_votes[","] > decimal_votes["."] else "."
    else:
        # No value showed its decimal mark ("1.234.567"): the grouping mark tells.
        decimal = "," if thousands_votes["."] > thousands_votes[","] else "."
    other = "." if decimal == "," else ","
    thousands_votes.pop(decimal, None)
    if thousands_votes:
        return decimal, thousands_votes.most_common(1)[0][0]
    # With the decimal mark settled, the other mark can only group thousands ("1,000");
    # grouping is validated when reading, so this never turns "12,34" into 1234.
    return decimal, other


def _vote(
    sample: str,
    decimal_votes: Counter[str],
    thousands_votes: Counter[str],
) -> None:
    digits = re.sub(r"[^\d.,'\u2019\u00a0\u202f ]", "", sample).strip()
    for mark in ("'", "\u2019"):
        if mark in digits:
            thousands_votes["'"] += 1
    if re.search(r"\d[\u00a0\u202f ]\d{3}", digits):
        thousands_votes[" "] += 1
    last_dot, last_comma = digits.rfind("."), digits.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal = "." if last_dot > last_comma else ","
        decimal_votes[decimal] += 1
        thousands_votes["," if decimal == "." else "."] += 1
        return
    for mark in (".", ","):
        if mark not in digits:
            continue
        if digits.count(mark) > 1:
            thousands_votes[mark] += 1
        elif len(digits) - digits.rfind(mark) - 1 != 3:
            # "1,000" could be either way and does not vote; "12,5" is a decimal mark.
            decimal_votes[mark] += 1


def balance_gap_warning(statement: ParsedStatement) -> str | None:
    """Say when opening balance plus the lines does not reach the closing balance."""
    opening, closing = statement.opening_balance, statement.closing_balance
    if opening is None or closing is None or opening.currency != closing.currency:
        return None
    if any(line.currency != opening.currency for line in statement.lines):
        return None
    total = opening.amount_minor + sum(line.amount_minor for line in statement.lines)
    if total == closing.amount_minor:
        return None
    return (
        f"opening balance {opening.amount_minor} plus the lines ({total - opening.amount_minor})"
        f" is {total}, but the closing balance is {closing.amount_minor}"
        f" ({opening.currency} minor units)"
    )
