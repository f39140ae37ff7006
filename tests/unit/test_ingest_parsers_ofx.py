"""OFX 1.x (SGML) and 2.x (XML) statements, from the project's own fixtures."""

import re
from datetime import date
from pathlib import Path

import pytest

from nexus.ingest.parsers import StatementParseError, parse_statement
from nexus.ingest.parsers.ofx import parse_ofx
from nexus.ingest.statement import StatementBalance, StatementFormat

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "ofx"

SIGNON_OK = "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS></SONRS></SIGNONMSGSRSV1>"


def ofx_v1(statements: str, *, signon: str = SIGNON_OK) -> bytes:
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nCHARSET:1252\n\n"
        f"<OFX>\n{signon}\n<BANKMSGSRSV1>\n{statements}\n</BANKMSGSRSV1>\n</OFX>\n"
    ).encode()


def bank_statement(transactions: str, *, currency: str = "USD", balance: str = "") -> str:
    return (
        "<STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n"
        f"<STMTRS><CURDEF>{currency}</CURDEF>\n"
        "<BANKACCTFROM><BANKID>1<ACCTID>42<ACCTTYPE>CHECKING</BANKACCTFROM>\n"
        f"<BANKTRANLIST>\n{transactions}\n</BANKTRANLIST>\n{balance}"
        "</STMTRS></STMTTRNRS>"
    )


def test_sgml_bank_statement_in_windows_1252() -> None:
    [statement] = parse_statement((FIXTURES / "bank_v1_sgml.ofx").read_bytes())
    assert statement.format is StatementFormat.OFX
    assert statement.account.iban_or_number == "000123456789"
    assert statement.account.bank_id == "121000358"
    assert statement.account.currency == "USD"
    assert statement.closing_balance == StatementBalance(date(2024, 1, 31), 126150, "USD")
    assert statement.opening_balance is None
    coffee, payroll, check = statement.lines
    assert (coffee.line_number, coffee.date, coffee.amount_minor) == (17, date(2024, 1, 3), -450)
    assert coffee.payee == "CAFÉ LUMIÈRE"  # decoded as the header's CHARSET:1252
    assert coffee.description == "CARD 1234 COFFEE"
    assert coffee.reference == "2024010301"
    assert coffee.raw.startswith("<STMTTRN><TRNTYPE>DEBIT")
    assert coffee.raw.endswith("</STMTTRN>")
    assert payroll.amount_minor == 250000
    assert payroll.value_date == date(2024, 1, 16)
    assert payroll.description == "ACME PAYROLL"  # no MEMO: the NAME
    assert (check.amount_minor, check.payee, check.line_number) == (-123400, "AT&T", 19)
    assert statement.warnings == []


def test_xml_credit_card_statement_with_a_foreign_currency_line() -> None:
    [statement] = parse_statement((FIXTURES / "creditcard_v2_xml.ofx").read_bytes())
    assert statement.account.iban_or_number == "4111111111111111"
    assert statement.closing_balance == StatementBalance(date(2024, 2, 29), -31010, "EUR")
    books, hotel, payment = statement.lines
    assert (books.line_number, books.amount_minor, books.currency) == (21, -8990, "EUR")
    assert books.payee == "Bücherstube Köln"  # from PAYEE/NAME
    assert books.description == "Books"
    assert (hotel.amount_minor, hotel.currency) == (-1500, "JPY")  # CURRENCY/CURSYM, 0 decimals
    assert (payment.amount_minor, payment.reference, payment.date) == (
        20000,
        "CC-0003",
        date(2024, 2, 28),
    )


def test_several_statements_in_one_file_are_one_statement_each() -> None:
    first = bank_statement(
        "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>-1.00<FITID>a</STMTTRN>"
    )
    second = bank_statement(
        "<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240103<TRNAMT>2,50<FITID>b</STMTTRN>",
        currency="EUR",
    )
    statements = parse_ofx(ofx_v1(first + "\n" + second))
    assert [(s.account.currency, [line.amount_minor for line in s.lines]) for s in statements] == [
        ("USD", [-100]),
        ("EUR", [250]),  # a decimal comma, as some European banks write it
    ]


def test_corrupt_markup_names_the_line() -> None:
    with pytest.raises(StatementParseError) as raised:
        parse_statement((FIXTURES / "corrupt.ofx").read_bytes())
    assert raised.value.line == 19
    assert "<STMTTRN> is not closed before </STMTRS>" in raised.value.message
    assert raised.value.details == {"line": 19, "format": "ofx"}


def test_a_second_document_after_the_first_is_refused_with_its_line() -> None:
    twice = ofx_v1(bank_statement("")) + b"<OFX></OFX>\n"
    with pytest.raises(StatementParseError, match="malformed OFX markup") as raised:
        parse_statement(twice)
    assert raised.value.line == 18  # where the second <OFX> starts


def test_truncated_file_is_refused() -> None:
    data = (FIXTURES / "creditcard_v2_xml.ofx").read_bytes()
    with pytest.raises(StatementParseError, match=r"ends before <\w+> is closed"):
        parse_statement(data[: len(data) // 2])


def test_a_forgotten_list_close_tag_is_recovered_with_a_warning() -> None:
    statement = (
        "<STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\n"
        "<STMTRS><CURDEF>USD<BANKACCTFROM><BANKID>1<ACCTID>2<ACCTTYPE>CHECKING</BANKACCTFROM>\n"
        "<BANKTRANLIST><STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>-1.00</STMTTRN>\n"
        "<LEDGERBAL><BALAMT>5<DTASOF>20240102</LEDGERBAL>\n"
        "</STMTRS></STMTTRNRS>"
    )
    [parsed] = parse_ofx(ofx_v1(statement))
    assert parsed.closing_balance == StatementBalance(date(2024, 1, 2), 500, "USD")
    assert parsed.warnings == ["line 13: <BANKTRANLIST> is not closed before </STMTRS>"]


@pytest.mark.parametrize(
    ("transaction", "problem"),
    [
        ("<STMTTRN><TRNTYPE>DEBIT<TRNAMT>-1.00</STMTTRN>", "transaction has no DTPOSTED"),
        (
            "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20120231<TRNAMT>-1.00</STMTTRN>",
            "DTPOSTED '20120231' is not a valid date",
        ),
        (
            "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20120201<TRNAMT>$120</STMTTRN>",
            "TRNAMT '$120' is not a number",
        ),
        (
            "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20120201<TRNAMT>-1.005</STMTTRN>",
            "TRNAMT -1.005 has more decimals than USD allows",
        ),
    ],
)
def test_bad_transactions_name_their_line(transaction: str, problem: str) -> None:
    with pytest.raises(StatementParseError, match=re.escape(problem)) as raised:
        parse_ofx(ofx_v1(bank_statement(transaction)))
    assert raised.value.line == 13


def test_a_balance_with_a_date_but_no_amount_is_refused() -> None:
    balance = "<LEDGERBAL><BALAMT> </BALAMT><DTASOF>20240131</LEDGERBAL>\n"
    with pytest.raises(StatementParseError, match="LEDGERBAL has a date but no amount"):
        parse_ofx(ofx_v1(bank_statement("", balance=balance)))


def test_sign_on_failure_is_refused_with_the_bank_message() -> None:
    signon = (
        "<SIGNONMSGSRSV1><SONRS><STATUS><CODE>15500<SEVERITY>ERROR<MESSAGE>Wrong password"
        "</STATUS></SONRS></SIGNONMSGSRSV1>"
    )
    data = f"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>{signon}</OFX>".encode()
    with pytest.raises(
        StatementParseError, match=r"refused the sign-on: code 15500.*Wrong password"
    ):
        parse_ofx(data)


def test_a_file_without_a_statement_is_refused() -> None:
    data = b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>" + SIGNON_OK.encode() + b"</OFX>"
    with pytest.raises(StatementParseError, match="no bank or credit card statement"):
        parse_ofx(data)


def test_investment_statement_keeps_cash_lines_and_skips_trades() -> None:
    data = (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>" + SIGNON_OK + "<INVSTMTMSGSRSV1>"
        "<INVSTMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><INVSTMTRS>"
        "<DTASOF>20240131<CURDEF>USD<INVACCTFROM><BROKERID>b.example<ACCTID>9</INVACCTFROM>"
        "<INVTRANLIST><DTSTART>20240101<DTEND>20240131"
        "<BUYSTOCK><INVBUY><INVTRAN><FITID>t1<DTTRADE>20240105</INVTRAN>"
        "<SECID><UNIQUEID>123<UNIQUEIDTYPE>CUSIP</SECID><UNITS>1<UNITPRICE>10<TOTAL>-10"
        "<SUBACCTSEC>CASH<SUBACCTFUND>CASH</INVBUY><BUYTYPE>BUY</BUYSTOCK>"
        "<INVBANKTRAN><STMTTRN><TRNTYPE>DEP<DTPOSTED>20240110<TRNAMT>115.8331<FITID>c1"
        "<NAME>SWEEP</STMTTRN><SUBACCTFUND>CASH</INVBANKTRAN>"
        "</INVTRANLIST></INVSTMTRS></INVSTMTTRNRS></INVSTMTMSGSRSV1></OFX>"
    ).encode()
    [statement] = parse_ofx(data)
    assert [line.amount_minor for line in statement.lines] == [11583]
    assert statement.account.bank_id == "b.example"
    assert statement.warnings == [
        "line 5: TRNAMT 115.8331 rounded to 115.83 USD",
        "1 security transactions (buys, sells, income, reinvestments) are not bank lines and"
        " were skipped",
    ]


def test_empty_currency_falls_back_to_the_default() -> None:
    statement = bank_statement(
        "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>-1.00</STMTTRN>", currency=""
    )
    with pytest.raises(StatementParseError, match="no currency"):
        parse_ofx(ofx_v1(statement))
    [parsed] = parse_ofx(ofx_v1(statement), default_currency="chf")
    assert [(line.currency, line.amount_minor) for line in parsed.lines] == [("CHF", -100)]
