"""Statement parsers: a bank file's bytes in, `ParsedStatement`s out.

`parse_statement` sniffs the format (`detect.detect_format`), decodes the text and
hands the file to the format's parser: OFX (`ofx`), ISO 20022 camt.053 (`camt`),
SWIFT MT940 (`mt940`), QIF (`qif`) or CSV (`csv_format`, with a `CsvProfile` given
or suggested). A file can hold several accounts, so the result is a list with one
statement per account. Parsers are pure: bytes in, values out, no database and no
clock. Every refusal is a `StatementParseError`, `UnknownFormat` or
`UnknownEncoding` naming the line and the problem.

The caller knows the account a file is imported into, and so its currency: formats
that do not say theirs (QIF, CSV without a currency column, MT940 fragments) use
`default_currency`.
"""

import dataclasses

from nexus.ingest.parsers import camt, csv_format, mt940, ofx, qif
from nexus.ingest.parsers.amounts import balance_gap_warning
from nexus.ingest.parsers.csv_format import CsvProfile, iter_csv_lines, parse_csv, suggest_profile
from nexus.ingest.parsers.detect import HEAD_BYTES, decode_text, detect_format
from nexus.ingest.parsers.errors import (
    InvalidCsvProfile,
    StatementParseError,
    UnknownEncoding,
    UnknownFormat,
)
from nexus.ingest.statement import ParsedStatement, StatementFormat

__all__ = [
    "CsvProfile",
    "InvalidCsvProfile",
    "StatementParseError",
    "UnknownEncoding",
    "UnknownFormat",
    "decode_text",
    "detect_format",
    "iter_csv_lines",
    "parse_csv",
    "parse_statement",
    "resolve_csv_profile",
    "suggest_profile",
]


def parse_statement(
    data: bytes,
    *,
    filename: str | None = None,
    csv_profile: CsvProfile | None = None,
    default_currency: str | None = None,
    day_first: bool | None = None,
) -> list[ParsedStatement]:
    """Parse a statement file of any supported format into one statement per account."""
    if not data.strip():
        raise StatementParseError("the file is empty", line=None, statement_format=None)
    statement_format = detect_format(data[:HEAD_BYTES], filename)
    if statement_format is StatementFormat.OFX:
        statements = ofx.parse_ofx(data, default_currency=default_currency)
    elif statement_format is StatementFormat.CAMT053:
        statements = camt.parse_camt(data)
    elif statement_format is StatementFormat.MT940:
        statements = mt940.parse_mt940(decode_text(data), default_currency=default_currency)
    elif statement_format is StatementFormat.QIF:
        statements = qif.parse_qif(
            decode_text(data), currency=default_currency, day_first=day_first
        )
    else:
        statements = [_parse_csv(data, csv_profile, default_currency=default_currency)]
    for statement in statements:
        if not statement.lines:
            statement.warnings.append("the statement has no transactions")
        gap = balance_gap_warning(statement)
        if gap is not None:
            statement.warnings.append(gap)
    return statements


def _parse_csv(
    data: bytes, profile: CsvProfile | None, *, default_currency: str | None
) -> ParsedStatement:
    encoding = profile.encoding if profile is not None else None
    text = decode_text(data) if encoding is None else _decode(data, encoding)
    sample = text[:HEAD_BYTES]
    if len(text) > HEAD_BYTES:  # the sample ends with a whole row
        sample = sample[: max(sample.rfind("\n"), sample.rfind("\r")) + 1] or sample
    profile = resolve_csv_profile(sample, profile, currency=default_currency)
    return csv_format.parse_csv(text, profile)


def resolve_csv_profile(
    sample: str, profile: CsvProfile | None, *, currency: str | None
) -> CsvProfile:
    """The profile to read a CSV with: the given one or one suggested from whole rows.

    A suggestion that finds no date or amount column is refused with a clear message,
    and a profile without a currency takes `currency`.
    """
    if profile is None:
        profile = suggest_profile(sample)
        try:
            profile.check_complete()
        except InvalidCsvProfile as error:
            raise StatementParseError(
                f"cannot tell which columns hold the date and the amount ({error.message});"
                " describe the file with a CSV profile",
                line=None,
                statement_format=StatementFormat.CSV,
            ) from None
    if profile.currency is None and currency is not None:
        profile = dataclasses.replace(profile, currency=currency.upper())
    return profile


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except LookupError:
        raise InvalidCsvProfile(f"{encoding!r} is not a known encoding") from None
    except UnicodeDecodeError as error:
        raise UnknownEncoding(
            f"the file is not {encoding}: byte {data[error.start]:#04x} cannot be decoded",
            line=data[: error.start].count(b"\n") + 1,
        ) from None
