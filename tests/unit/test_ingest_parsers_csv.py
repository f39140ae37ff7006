"""Bank CSV exports: suggested and explicit profiles, errors with line and column, streaming."""

import io
import tracemalloc
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from nexus.ingest.parsers import (
    CsvProfile,
    InvalidCsvProfile,
    StatementParseError,
    iter_csv_lines,
    parse_csv,
    parse_statement,
    suggest_profile,
)
from nexus.ingest.statement import StatementFormat

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "csv"


def test_german_latin1_export_with_a_preamble_is_read_with_a_suggested_profile() -> None:
    data = (FIXTURES / "girokonto_latin1.csv").read_bytes()
    [statement] = parse_statement(data, filename="umsaetze.csv")
    assert statement.format is StatementFormat.CSV
    assert statement.account.currency == "EUR"  # from the Währung column
    power, anna, bakery = statement.lines
    assert (power.line_number, power.date, power.value_date) == (
        4,
        date(2024, 3, 1),
        date(2024, 3, 1),
    )
    assert (power.amount_minor, power.currency) == (-7945, "EUR")
    assert (power.payee, power.description) == ("Stadtwerke Köln GmbH", "Strom Februar")
    assert power.raw == "01.03.2024;01.03.2024;Stadtwerke Köln GmbH;Strom Februar;-79,45;EUR"
    assert (anna.amount_minor, anna.description) == (120000, "Rechnung 17; Teil 1")
    assert (anna.date, anna.value_date) == (date(2024, 3, 4), date(2024, 3, 1))
    assert (bakery.line_number, bakery.amount_minor, bakery.payee) == (6, -320, "Bäckerei Müller")
    assert statement.warnings == []


def test_suggested_profile_for_the_german_export() -> None:
    text = (FIXTURES / "girokonto_latin1.csv").read_bytes().decode("latin-1")
    profile = suggest_profile(text)
    assert (profile.delimiter, profile.skip_rows, profile.has_header) == (";", 2, True)
    assert (profile.decimal_separator, profile.thousands_separator) == (",", ".")
    assert profile.date_format == "%d.%m.%Y"
    assert profile.date_column == "Buchungstag"
    assert profile.value_date_column == "Valuta"
    assert profile.amount_column == "Betrag"
    assert profile.payee_column == "Auftraggeber/Empfänger"
    assert profile.description_columns == ("Verwendungszweck",)
    assert profile.currency_column == "Währung"


def test_debit_and_credit_columns_with_an_explicit_profile() -> None:
    profile = CsvProfile(
        date_column="Date",
        date_format="%m/%d/%Y",
        debit_column="Debit",
        credit_column="Credit",
        thousands_separator=",",
        description_columns=("Description",),
        currency="USD",
    )
    text = (FIXTURES / "debit_credit.csv").read_text()
    statement = parse_csv(text, profile)
    assert [(line.line_number, line.date, line.amount_minor) for line in statement.lines] == [
        (2, date(2024, 3, 1), -450),
        (3, date(2024, 3, 2), 250000),
        (4, date(2024, 3, 15), -120000),
        (5, date(2024, 3, 18), 1299),
    ]
    assert statement.lines[2].description == "Rent"
    assert suggest_profile(text) == profile.__class__(
        date_column="Date",
        date_format="%m/%d/%Y",  # 03/15 rules out day first
        debit_column="Debit",
        credit_column="Credit",
        thousands_separator=",",
        description_columns=("Description",),
    )


def test_bad_date_on_line_5_names_line_5_and_the_column() -> None:
    data = (FIXTURES / "bad_date_line5.csv").read_bytes()
    with pytest.raises(StatementParseError) as raised:
        parse_statement(data, default_currency="EUR")
    assert raised.value.line == 5
    assert raised.value.message == (
        "line 5: column 'Date': date '2024-02-30' is not a date like %Y-%m-%d"
    )
    assert raised.value.details == {
        "line": 5,
        "format": "csv",
        "column": "Date",
        "value": "2024-02-30",
    }


PROFILE = CsvProfile(
    date_column="Date", amount_column="Amount", description_columns=("Text",), currency="EUR"
)


def lines_of(text: str, profile: CsvProfile = PROFILE) -> list[tuple[int, date, int]]:
    return [
        (line.line_number, line.date, line.amount_minor)
        for line in iter_csv_lines(io.StringIO(text, newline=""), profile)
    ]


def test_bad_amount_names_line_and_column() -> None:
    with pytest.raises(StatementParseError, match="line 3: column 'Amount': amount 'abc'"):
        lines_of("Date,Amount,Text\n2024-01-01,1.00,a\n2024-01-02,abc,b\n")


def test_too_many_decimals_name_line_and_column() -> None:
    with pytest.raises(
        StatementParseError,
        match=r"line 2: column 'Amount': amount 1.005 has more decimals than EUR allows \(2\)",
    ):
        lines_of("Date,Amount,Text\n2024-01-01,1.005,a\n")


def test_a_quoted_line_break_keeps_line_numbers_true() -> None:
    text = 'Date,Amount,Text\n2024-01-01,1.00,"two\nlines"\n2024-01-02,2.00,b\n'
    assert lines_of(text) == [(2, date(2024, 1, 1), 100), (4, date(2024, 1, 2), 200)]


def test_blank_lines_above_the_header_are_passed_over() -> None:
    assert lines_of("\n\nDate,Amount,Text\n2024-01-01,1.00,a\n") == [(4, date(2024, 1, 1), 100)]


def test_old_mac_line_endings() -> None:
    text = "Date,Amount,Text\r2024-01-01,1.00,a\r2024-01-02,2.00,b"
    assert lines_of(text) == [(2, date(2024, 1, 1), 100), (3, date(2024, 1, 2), 200)]


def test_rows_without_amount_and_repeated_headers_are_skipped_with_warnings() -> None:
    text = "Date,Amount,Text\n2024-01-01,1.00,a\npending,,b\nDate,Amount,Text\n2024-01-02,2.00,c\n"
    warnings: list[str] = []
    lines = list(iter_csv_lines(io.StringIO(text), PROFILE, warnings=warnings))
    assert [line.line_number for line in lines] == [2, 5]
    assert warnings == [
        "line 3: no amount (pending, cancelled or a subtotal?); row skipped",
        "line 4: the header is repeated; row skipped",
    ]


def test_negate_flips_credit_card_charges() -> None:
    profile = CsvProfile(
        date_column="Date", amount_column="Amount", currency="CAD", negate=True, payee_column="Shop"
    )
    statement = parse_csv("Shop,Date,Amount\nMobil,2019-01-10,36.33\n", profile)
    [line] = statement.lines
    assert (line.amount_minor, line.payee, line.description) == (-3633, "Mobil", "Mobil")


def test_a_direction_column_signs_unsigned_amounts() -> None:
    profile = CsvProfile(
        delimiter=";",
        date_column="Buchungstag",
        date_format="%d.%m.%Y",
        amount_column="Umsatz",
        direction_column="Soll/Haben",
        decimal_separator=",",
        thousands_separator=".",
        currency="EUR",
    )
    text = "Buchungstag;Umsatz;Soll/Haben\n02.01.2024;1.250,00;H\n03.01.2024;12,50;S\n"
    assert [line.amount_minor for line in parse_csv(text, profile).lines] == [125000, -1250]
    with pytest.raises(StatementParseError, match="'x' is neither a debit marker"):
        parse_csv(text.replace(";S\n", ";X\n"), profile)


def test_headerless_file_by_column_index() -> None:
    profile = CsvProfile(has_header=False, date_column=0, amount_column=2, currency="EUR")
    assert lines_of("2024-01-01,x,1.00\n2024-01-02,y,-2.00\n", profile) == [
        (1, date(2024, 1, 1), 100),
        (2, date(2024, 1, 2), -200),
    ]


def test_a_row_too_short_names_the_missing_column() -> None:
    with pytest.raises(StatementParseError, match="line 3: the row has 2 cells; column 'Date'"):
        lines_of("Text,Amount,Date\na,1.00,2024-01-01\nb,2.00\n")


def test_without_a_currency_the_import_asks_for_one() -> None:
    profile = CsvProfile(date_column="Date", amount_column="Amount")
    with pytest.raises(StatementParseError, match="choose the account's currency"):
        lines_of("Date,Amount\n2024-01-01,1.00\n", profile)


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"amount_column": "A", "debit_column": "D"}, "either an amount column"),
        ({"decimal_separator": ";"}, "decimal separator"),
        ({"decimal_separator": ",", "thousands_separator": ","}, "must differ"),
        ({"delimiter": ";;"}, "one character"),
        ({"skip_rows": -1}, "negative"),
    ],
)
def test_profiles_that_cannot_describe_a_file_are_refused(
    arguments: dict[str, object], problem: str
) -> None:
    with pytest.raises(InvalidCsvProfile, match=problem):
        CsvProfile(**arguments)  # type: ignore[arg-type]


def test_a_named_column_missing_from_the_header_is_refused() -> None:
    profile = CsvProfile(date_column="Datum", amount_column="Amount", currency="EUR")
    with pytest.raises(InvalidCsvProfile, match="the header has no column 'Datum'"):
        lines_of("Date,Amount\n2024-01-01,1.00\n", profile)


def test_parse_statement_refuses_a_csv_whose_columns_cannot_be_guessed() -> None:
    with pytest.raises(StatementParseError, match="describe the file with a CSV profile"):
        parse_statement(b"colour,shape\nred,round\nblue,square\n", default_currency="EUR")


POOL_SIZE = 1000  # distinct generated rows, repeated to make the long file


def pool_row(number: int) -> str:
    day = date(2020, 1, 1) + timedelta(days=number)
    return f"{day.strftime('%d.%m.%Y')};{number},{number % 100:02d};payment {number}\n"


def generated_lines(count: int) -> Iterator[str]:
    pool = [pool_row(number) for number in range(POOL_SIZE)]
    yield "Date;Amount;Text\n"
    for number in range(count):
        yield pool[number % POOL_SIZE]


def test_iter_csv_lines_streams_in_constant_memory() -> None:
    profile = CsvProfile(
        delimiter=";",
        date_column="Date",
        date_format="%d.%m.%Y",
        amount_column="Amount",
        decimal_separator=",",
        description_columns=("Text",),
        currency="EUR",
    )
    count = 200_000
    tracemalloc.start()
    try:
        total = 0
        seen = 0
        for line in iter_csv_lines(generated_lines(count), profile):
            total += line.amount_minor
            seen += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count
    one_pool = sum(number * 100 + number % 100 for number in range(POOL_SIZE))
    assert total == one_pool * (count // POOL_SIZE)
    assert peak < 5 * 1024 * 1024, f"peak {peak} bytes"
