"""QIF registers, from the project's own fixture and literal files."""

from datetime import date
from pathlib import Path

import pytest

from nexus.ingest.parsers import StatementParseError, parse_statement
from nexus.ingest.parsers.qif import parse_qif
from nexus.ingest.statement import StatementBalance, StatementFormat

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "qif"


def test_day_first_register_with_opening_balance_and_splits() -> None:
    data = (FIXTURES / "bank_day_first.qif").read_bytes()
    [statement] = parse_statement(data, default_currency="GBP")
    assert statement.format is StatementFormat.QIF
    assert statement.account.iban_or_number == "Household Checking"
    assert statement.account.currency == "GBP"
    # Quicken's "Opening Balance" record is the opening balance, not a line.
    assert statement.opening_balance == StatementBalance(date(2024, 3, 1), 100000, "GBP")
    groceries, hardware, salary = statement.lines
    assert (groceries.line_number, groceries.date, groceries.amount_minor) == (
        11,
        date(2024, 3, 5),
        -4590,
    )
    assert (groceries.payee, groceries.description, groceries.reference) == (
        "Supermarkt Nord",
        "Weekly groceries",
        "1001",
    )
    assert groceries.raw.splitlines()[0] == "D05/03/2024"
    # A split transaction is one line with its total.
    assert (hardware.date, hardware.amount_minor, hardware.description) == (
        date(2024, 3, 25),
        -12000,
        "Hardware Store",
    )
    assert (salary.amount_minor, salary.date) == (250000, date(2024, 3, 28))
    assert statement.warnings == []  # 25/03 settles the day-first order


AMBIGUOUS = "!Type:Bank\nD02/03/2020\nT-1.00\nPShop\n^\n"


def test_ambiguous_dates_are_read_month_first_with_a_warning() -> None:
    [statement] = parse_qif(AMBIGUOUS, currency="USD")
    assert statement.lines[0].date == date(2020, 2, 3)
    assert "month/day" in statement.warnings[0]


def test_day_first_can_be_forced() -> None:
    [statement] = parse_qif(AMBIGUOUS, currency="USD", day_first=True)
    assert statement.lines[0].date == date(2020, 3, 2)
    assert statement.warnings == []


def test_a_day_first_date_in_a_month_first_reading_names_its_line() -> None:
    text = "!Type:Bank\nD01/02/2020\nT-1.00\n^\nD13/02/2020\nT-2.00\n^\n"
    with pytest.raises(
        StatementParseError, match="'13/02/2020' is not a valid month/day"
    ) as raised:
        parse_qif(text, currency="USD", day_first=False)
    assert raised.value.line == 5


def test_mixed_date_orders_are_refused() -> None:
    text = "!Type:Bank\nD13/02/2020\nT-1.00\n^\nD02/14/2020\nT-2.00\n^\n"
    with pytest.raises(StatementParseError, match="dates mix day/month"):
        parse_qif(text, currency="USD")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1/ 1'00", date(2000, 1, 1)),
        ("2/10'2020", date(2020, 2, 10)),
        ("08/27/21", date(2021, 8, 27)),
        ("12/31/99", date(1999, 12, 31)),
        ("2022-09-23", date(2022, 9, 23)),
        ("2022/09/03", date(2022, 9, 3)),
        ("3.14.2015", date(2015, 3, 14)),
    ],
)
def test_the_date_spellings_of_quicken_exports(written: str, expected: date) -> None:
    [statement] = parse_qif(f"!Type:Bank\nD{written}\nT1.00\n^\n", currency="USD")
    assert statement.lines[0].date == expected


def test_accounts_are_separate_statements() -> None:
    text = (
        "!Account\nNChecking\nTBank\n^\n!Type:Bank\nD06/12/2015\nT-1,500.00\n^\n"
        "!Account\nNSavings\nTBank\n^\n!Type:Bank\nD06/12/2015\nT1,500.00\n^\n"
    )
    statements = parse_qif(text, currency="USD")
    assert [(s.account.iban_or_number, s.lines[0].amount_minor) for s in statements] == [
        ("Checking", -150000),
        ("Savings", 150000),
    ]


def test_splits_that_do_not_add_up_are_warned_about() -> None:
    text = "!Type:Bank\nD1/2/2020\nT-10.00\nS A\n$-9.00\nS B\n$-2.00\n^\n"
    [statement] = parse_qif(text, currency="EUR")
    assert "line 2: the splits add up to -1100, not the total -1000" in statement.warnings[0]


def test_investment_registers_are_skipped_or_refused() -> None:
    investment = "!Type:Invst\nD1/2/2020\nNBuy\nYAAPL\nT100.00\n^\n"
    with pytest.raises(StatementParseError, match="only investment registers"):
        parse_qif(investment, currency="USD")
    [statement] = parse_qif(investment + "!Type:Cash\nD1/3/2020\nT-5.00\n^\n", currency="USD")
    assert [line.amount_minor for line in statement.lines] == [-500]
    assert statement.warnings[-1].startswith("1 investment records")


def test_qif_needs_the_account_currency() -> None:
    with pytest.raises(StatementParseError, match="do not say their currency"):
        parse_statement(AMBIGUOUS.encode())


def test_bad_amount_names_its_line() -> None:
    text = "!Type:Bank\nD1/2/2020\nT-1.00\n^\nD1/3/2020\nTabc\n^\n"
    with pytest.raises(StatementParseError, match="line 5: amount 'abc' is not a number"):
        parse_qif(text, currency="USD")


def test_a_file_of_lists_only_is_refused() -> None:
    with pytest.raises(StatementParseError, match="no bank, cash or credit card transactions"):
        parse_qif("!Type:Cat\nNFood\nE\n^\n", currency="USD")
