"""SWIFT MT940 statements, from the project's own fixture."""

from datetime import date
from pathlib import Path

import pytest

from nexus.ingest.parsers import StatementParseError, parse_statement
from nexus.ingest.parsers.mt940 import parse_mt940
from nexus.ingest.statement import StatementBalance, StatementFormat

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "mt940"


def test_mt940_statement_in_a_swift_envelope() -> None:
    [statement] = parse_statement((FIXTURES / "statement.sta").read_bytes())
    assert statement.format is StatementFormat.MT940
    assert statement.account.iban_or_number == "DE89370400440532013000"
    assert statement.account.currency == "EUR"
    assert statement.opening_balance == StatementBalance(date(2024, 2, 29), 100000, "EUR")
    assert statement.closing_balance == StatementBalance(date(2024, 3, 1), 112055, "EUR")
    power, batch, fee = statement.lines
    assert (power.line_number, power.date, power.value_date) == (
        6,
        date(2024, 3, 1),
        date(2024, 3, 1),
    )
    assert (power.amount_minor, power.reference) == (-7945, "BANKREF-0001")
    # Structured German details: ?20-?29 purpose, ?31 IBAN, ?32 name.
    assert power.description == "Strom Februar Kundennr 4711"
    assert power.payee == "Stadtwerke Koeln GmbH"
    assert power.counterparty_account == "DE02370501980001802057"
    assert power.raw.splitlines()[0] == ":61:2403010301DR79,45NDDTNONREF//BANKREF-0001"
    assert len(power.raw.splitlines()) == 3  # the :61: line and its two :86: lines
    # Booked on 1 March (entry date), value 4 March.
    assert (batch.date, batch.value_date, batch.amount_minor) == (
        date(2024, 3, 1),
        date(2024, 3, 4),
        20000,
    )
    assert batch.description == "Sammelgutschrift 2 Posten"
    assert (fee.line_number, fee.amount_minor, fee.reference) == (11, 0, None)  # NONREF
    assert statement.warnings == []


MESSAGE = """:20:REF{number}
:25:NL91ABNA0417164300
:28C:{number}/1
:60F:C24050{number}EUR100,00
:61:24050{number}D10,00NTRFNONREF
:86:Payment {number}
:62F:C24050{number}EUR90,00
-"""


def test_each_message_is_a_statement() -> None:
    text = "\n".join(MESSAGE.format(number=number) for number in (1, 2))
    statements = parse_mt940(text)
    assert [(s.opening_balance, [line.line_number for line in s.lines]) for s in statements] == [
        (StatementBalance(date(2024, 5, 1), 10000, "EUR"), [5]),
        (StatementBalance(date(2024, 5, 2), 10000, "EUR"), [13]),
    ]


def test_reversal_of_a_credit_is_a_debit() -> None:
    text = (
        ":20:R\n:25:X\n:60F:C240501EUR100,00\n:61:240501RC25,00NTRFNONREF\n:62F:C240501EUR75,00\n"
    )
    [statement] = parse_mt940(text)
    assert [line.amount_minor for line in statement.lines] == [-2500]


def test_lines_without_a_balance_need_the_account_currency() -> None:
    text = ":20:X\n:61:2405010501D1,50NTRFNONREF\n:86:Fee\n"
    with pytest.raises(StatementParseError, match="no currency") as raised:
        parse_mt940(text)
    assert raised.value.line == 1
    [statement] = parse_mt940(text, default_currency="chf")
    assert [(line.amount_minor, line.currency) for line in statement.lines] == [(-150, "CHF")]


def test_a_balance_without_a_currency_is_ignored_with_a_warning() -> None:
    text = ":20:X\n:60F:C240501EUR0,00\n:61:240501C5,00NTRFNONREF\n:62F:C240501105,00\n"
    [statement] = parse_mt940(text)
    assert statement.closing_balance is None
    assert statement.warnings == [
        "line 4: balance currency '105' is not a currency (the bank left it out?); balance ignored"
    ]


def test_a_withdrawn_currency_is_refused() -> None:
    with pytest.raises(StatementParseError, match="'DEM' is not a current ISO 4217 currency"):
        parse_mt940(":20:X\n:60F:C020315DEM0,00\n:61:020317C5,00NTRFNONREF\n")


def test_an_unreadable_statement_line_names_its_line() -> None:
    text = ":20:X\n:25:Y\n:60F:C240501EUR1,00\n:61:24XX01C5,00NTRFNONREF\n"
    with pytest.raises(StatementParseError, match="cannot be read") as raised:
        parse_mt940(text)
    assert raised.value.line == 4


def test_a_file_without_lines_or_balances_is_refused() -> None:
    with pytest.raises(StatementParseError, match="no statement lines"):
        parse_mt940(":20:X\n:25:Y\n:28C:1/1\n")
