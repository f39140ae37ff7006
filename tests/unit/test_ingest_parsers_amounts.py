"""Printed amounts to minor units, format detection, decoding and the error shape."""

import codecs
from decimal import Decimal
from pathlib import Path

import pytest

from nexus.ingest.parsers import (
    StatementParseError,
    UnknownEncoding,
    UnknownFormat,
    decode_text,
    detect_format,
    parse_statement,
)
from nexus.ingest.parsers.amounts import (
    decimal_to_minor,
    guess_separators,
    parse_decimal_text,
    text_to_minor,
)
from nexus.ingest.statement import StatementFormat

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements"


@pytest.mark.parametrize(
    ("text", "decimal_separator", "thousands_separator", "value"),
    [
        ("1,234.56", ".", ",", "1234.56"),
        ("1.234,56", ",", ".", "1234.56"),
        ("11'373.94", ".", "'", "11373.94"),
        ("11\u2019373.94", ".", "'", "11373.94"),
        ("-98,76", ",", None, "-98.76"),
        ("$1,036.47", ".", ",", "1036.47"),
        ("-$57.27", ".", ",", "-57.27"),
        ("(12.00)", ".", None, "-12.00"),
        ("123,45-", ",", ".", "-123.45"),
        ("1 234,56", ",", " ", "1234.56"),
        ("1\u202f234,56 EUR", ",", " ", "1234.56"),
        ("EUR 5.00", ".", None, "5.00"),
        ("+3.10", ".", None, "3.10"),
        ("\u22127.5", ".", None, "-7.5"),
        ("50000", ".", ",", "50000"),
        (".5", ".", None, "0.5"),
    ],
)
def test_parse_decimal_text_reads_the_ways_banks_print_numbers(
    text: str, decimal_separator: str, thousands_separator: str | None, value: str
) -> None:
    parsed = parse_decimal_text(
        text, decimal_separator=decimal_separator, thousands_separator=thousands_separator
    )
    assert parsed == Decimal(value)


@pytest.mark.parametrize(
    ("text", "decimal_separator", "thousands_separator"),
    [
        ("abc", ".", None),
        ("", ".", None),
        ("12,34", ".", ","),  # a misplaced grouping, not silently 1234
        ("1.2.3", ",", None),
        ("1,2,3", ",", None),
        ("--1", ".", None),
        ("-1-", ".", None),
        ("12abc", ".", None),
        ("1 234", ".", None),
        ("$", ".", None),
    ],
)
def test_parse_decimal_text_refuses_what_is_not_a_number(
    text: str, decimal_separator: str, thousands_separator: str | None
) -> None:
    with pytest.raises(ValueError, match=r".+"):
        parse_decimal_text(
            text, decimal_separator=decimal_separator, thousands_separator=thousands_separator
        )


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("12.34", "EUR", 1234),
        ("-1500.0000", "USD", -150000),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("0", "EUR", 0),
        ("1E+3", "EUR", 100000),
    ],
)
def test_decimal_to_minor_uses_the_iso_exponent(value: str, currency: str, minor: int) -> None:
    result = decimal_to_minor(
        Decimal(value), currency=currency, line=3, statement_format=StatementFormat.CSV
    )
    assert result == minor


def test_decimal_to_minor_refuses_extra_decimals_instead_of_rounding() -> None:
    with pytest.raises(StatementParseError) as raised:
        decimal_to_minor(
            Decimal("1.005"), currency="EUR", line=7, statement_format=StatementFormat.CAMT053
        )
    assert raised.value.message == "line 7: amount 1.005 has more decimals than EUR allows (2)"
    assert raised.value.details == {"line": 7, "format": "camt053"}


def test_decimal_to_minor_refuses_a_code_that_is_not_a_currency() -> None:
    with pytest.raises(StatementParseError, match="'XYZ' is not an ISO 4217 currency"):
        decimal_to_minor(Decimal(1), currency="XYZ", line=None, statement_format=None)


def test_text_to_minor_names_line_and_column() -> None:
    with pytest.raises(StatementParseError) as raised:
        text_to_minor(
            "abc",
            currency="EUR",
            line=17,
            statement_format=StatementFormat.CSV,
            column="Betrag",
        )
    assert raised.value.message == "line 17: column 'Betrag': amount 'abc' is not a number"
    assert raised.value.code == "statement_unreadable"
    assert raised.value.status == 422
    assert raised.value.details == {
        "line": 17,
        "format": "csv",
        "column": "Betrag",
        "value": "abc",
    }


@pytest.mark.parametrize(
    ("samples", "expected"),
    [
        (["-79,45", "1.200,00", "-3,20"], (",", ".")),
        (["1,234.56", "-4.50"], (".", ",")),
        (["11'373.94", "240.00"], (".", "'")),
        (["100,00", "-63,89"], (",", ".")),
        (["1.234.567"], (",", ".")),
        (["50000", "70000"], (".", ",")),
        (["1 234,56"], (",", " ")),
        ([], (".", ",")),
    ],
)
def test_guess_separators(samples: list[str], expected: tuple[str, str | None]) -> None:
    assert guess_separators(samples) == expected


@pytest.mark.parametrize(
    ("name", "statement_format"),
    [
        ("ofx/bank_v1_sgml.ofx", StatementFormat.OFX),
        ("ofx/creditcard_v2_xml.ofx", StatementFormat.OFX),
        ("camt/camt053_v08.xml", StatementFormat.CAMT053),
        ("mt940/statement.sta", StatementFormat.MT940),
        ("qif/bank_day_first.qif", StatementFormat.QIF),
        ("csv/girokonto_latin1.csv", StatementFormat.CSV),
        ("csv/debit_credit.csv", StatementFormat.CSV),
    ],
)
def test_detect_format_sniffs_the_content(name: str, statement_format: StatementFormat) -> None:
    data = (FIXTURES / name).read_bytes()
    # A misleading name does not matter: the content decides.
    assert detect_format(data, "download.txt") is statement_format


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"PK\x03\x04\x14\x00\x00\x00", "ZIP archive"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"\x00\x01\x02\x03binary\x00\xff" * 20, "binary"),
        (bytes(range(1, 32)) * 20, "binary"),
        (b"This is not a QIF file. I promise.", "not a statement"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/>'
            b"</Document>",
            "pain.001 message",
        ),
    ],
)
def test_detect_format_refuses_what_is_no_statement(head: bytes, message: str) -> None:
    with pytest.raises(UnknownFormat, match=message) as raised:
        detect_format(head, "file.bin")
    assert raised.value.code == "statement_format_unknown"
    assert raised.value.details["line"] is None


def test_decode_text_honours_byte_order_marks() -> None:
    assert decode_text(codecs.BOM_UTF8 + "Währung".encode()) == "Währung"
    assert decode_text("Währung;Betrag".encode("utf-16")) == "Währung;Betrag"
    assert decode_text(codecs.BOM_UTF32_LE + "€".encode("utf-32-le")) == "€"


def test_decode_text_falls_back_to_a_legacy_code_page() -> None:
    text = "Buchungstag;Auftraggeber/Empfänger;Betrag\n01.03.2024;Bäckerei Müller;-3,20\n"
    assert decode_text(text.encode("cp1252")) == text


def test_decode_text_refuses_bytes_no_encoding_explains() -> None:
    with pytest.raises(UnknownEncoding) as raised:
        decode_text(bytes(range(128, 256)) * 3)
    assert raised.value.code == "statement_encoding_unknown"


def test_decode_text_refuses_nul_bytes_without_a_byte_order_mark() -> None:
    with pytest.raises(UnknownEncoding, match="NUL bytes"):
        decode_text("Date,Amount".encode("utf-16-le"))


def test_parse_statement_refuses_an_empty_file() -> None:
    with pytest.raises(StatementParseError, match="the file is empty") as raised:
        parse_statement(b" \r\n")
    assert raised.value.details == {"line": None, "format": None}


def test_parse_statement_refuses_a_binary_file() -> None:
    with pytest.raises(UnknownFormat, match="binary"):
        parse_statement(bytes(range(256)) * 40, filename="statement.csv")


def test_parse_statement_refuses_unknown_encoding_bytes_in_a_csv() -> None:
    data = b"Date,Amount,Description\n2024-01-02,1.00," + bytes(range(128, 256)) * 3 + b"\n"
    with pytest.raises(UnknownEncoding):
        parse_statement(data, default_currency="EUR")
