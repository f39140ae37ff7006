"""The parsers' shortcuts read exactly what their careful paths read.

The CSV reader splits plain lines by hand and reads the common row without the
general machinery; amounts are read without `Decimal` when they are plain; the OFX
tokenizer is ofxtools' loop inlined. Each shortcut must give the same lines, warnings
and errors as the way it skips, on ordinary and on awkward input.
"""

import dataclasses
import io
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from ofxtools.Parser import TreeBuilder as OfxToolsTreeBuilder

from nexus.ingest.parsers import CsvProfile, StatementParseError, csv_format, iter_csv_lines, ofx
from nexus.ingest.parsers.amounts import parse_decimal_text, plain_to_minor, text_to_minor

STATEMENTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "statements"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements"


def _read_csv(text: str, profile: CsvProfile) -> tuple[list[Any], list[str], str | None]:
    """Lines, warnings and the error (if any) of reading `text` as a stream."""
    warnings: list[str] = []
    lines: list[Any] = []
    try:
        for line in iter_csv_lines(io.StringIO(text, newline=""), profile, warnings=warnings):
            lines.append(line)
    except StatementParseError as error:
        return lines, warnings, f"{error.line}: {error.message}"
    return lines, warnings, None


def _read_csv_carefully(
    text: str, profile: CsvProfile, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[Any], list[str], str | None]:
    """The same, with both CSV shortcuts switched off."""
    with monkeypatch.context() as patch:
        patch.setattr(csv_format, "_quick_line_maker", lambda *_args: None)
        patch.setattr(csv_format, "_quick_split", lambda *_args: None)
        return _read_csv(text, profile)


PROFILE = CsvProfile(
    date_column="Date",
    amount_column="Amount",
    description_columns=("Text",),
    payee_column="Payee",
    reference_column="Ref",
    value_date_column="Valuta",
    counterparty_account_column="IBAN",
    currency="EUR",
)
HEADER = "Date,Valuta,Payee,Text,Amount,Ref,IBAN\n"


@pytest.mark.parametrize(
    "rows",
    [
        # plain lines, with and without optional cells, CRLF and a last line unterminated
        "2024-01-02,2024-01-03,Shop,Bread,-1.20,R1,DE02\r\n2024-01-02,,,Milk,3,,\r\n"
        "2024-01-04,,Shop,,-0.5,R3,",
        # quoted cells, a quoted line break, a doubled quote, spaces around cells
        '2024-01-02,,"Shop, Inc.","two\nlines",-1.20,R1,\n'
        ' 2024-01-05 , ,  Payee  ,"say ""hi""", 12.00 ,R2,\n',
        # the header repeated, a row without amount, blank lines, a short row at the end
        f"2024-01-02,,A,B,1.00,,\n{HEADER}\n,,,,,,\n2024-01-03,,A,B,,,\n2024-01-04,,A\n",
        # amounts only the careful path reads, or refuses
        '2024-01-02,,A,B,"1,234.50",,\n2024-01-02,,A,B,+5.00,,\n2024-01-02,,A,B,(7.00),,\n',
        "2024-01-02,,A,B,1.234,,\n",
        "2024-01-02,,A,B,12 EUR,,\n",
        # dates the careful path refuses, in the date and the value date
        "2024-02-30,,A,B,1.00,,\n",
        "2024-02-03,2024-13-01,A,B,1.00,,\n",
        # a lone carriage return ends a line too; a stray one in a cell is the csv module's
        "2024-01-02,,A,B,1.00,,\r2024-01-03,,A,B,2.00,,\r",
        # more cells than the header, and a currency-less amount past the ledger's limit
        "2024-01-02,,A,B,1.00,,,extra,cells\n2024-01-02,,A,B,99999999999999999999.00,,\n",
    ],
)
def test_the_csv_shortcuts_read_what_the_careful_path_reads(
    rows: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = HEADER + rows
    assert _read_csv(text, PROFILE) == _read_csv_carefully(text, PROFILE, monkeypatch)


@pytest.mark.parametrize(
    "profile",
    [
        dataclasses.replace(PROFILE, negate=True),
        dataclasses.replace(PROFILE, currency=None, currency_column="Ref"),
        dataclasses.replace(PROFILE, description_columns=("Payee", "Text")),
        dataclasses.replace(PROFILE, delimiter=";", decimal_separator=",", date_format="%d.%m.%Y"),
    ],
)
def test_the_csv_shortcuts_follow_the_profile(
    profile: CsvProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        ["2024-01-02", "", "Shop", "Bread", "-1.20", "usd", ""],
        ["2024-01-03", "2024-01-04", "", "Milk", "3.00", "EUR", "DE02"],
        ["2024-01-05", "", "Shop", "", "-0.50", "", ""],
    ]
    if profile.delimiter == ";":
        rows = [
            [
                ".".join(reversed(row[0].split("-"))),
                "",
                *row[2:4],
                row[4].replace(".", ","),
                *row[5:],
            ]
            for row in rows
        ]
    text = "".join(profile.delimiter.join(row) + "\n" for row in [HEADER.strip().split(","), *rows])
    careful = _read_csv_carefully(text, profile, monkeypatch)
    assert careful[0] or careful[2]  # the case reads something
    assert _read_csv(text, profile) == careful


@pytest.mark.parametrize(
    ("text", "scale", "separator"),
    [
        ("0", 2, "."),
        ("-0.00", 2, "."),
        ("1234.56", 2, "."),
        ("-1234,5", 2, ","),
        ("007.10", 2, "."),
        ("12", 0, "."),
        ("1.500", 3, "."),
        ("999999999999999.99", 2, "."),
    ],
)
def test_plain_amounts_are_read_as_the_careful_path_reads_them(
    text: str, scale: int, separator: str
) -> None:
    careful = parse_decimal_text(text, decimal_separator=separator).scaleb(scale)
    assert plain_to_minor(text, scale=scale, decimal_separator=separator) == int(careful)


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("1.234", "."),  # more decimals than EUR has: the careful path words the refusal
        ("1.50000", "."),  # trailing zeros: the careful path accepts it
        ("1,234.50", "."),
        ("1.00", ","),
        ("+1.00", "."),
        ("1.", "."),
        (".5", "."),
        ("1 000", "."),
        ("1000000000000001.00", "."),  # past the ledger's limit
        ("", "."),
    ],
)
def test_amounts_that_are_not_plain_are_left_to_the_careful_path(text: str, separator: str) -> None:
    assert plain_to_minor(text, scale=2, decimal_separator=separator) is None


def test_text_to_minor_still_refuses_what_it_refused() -> None:
    with pytest.raises(StatementParseError, match="more decimals than EUR allows"):
        text_to_minor("1.234", currency="EUR", line=3, statement_format=None)
    with pytest.raises(StatementParseError, match="too large"):
        text_to_minor("1000000000000001.00", currency="EUR", line=3, statement_format=None)
    assert text_to_minor("1.50000", currency="EUR", line=3, statement_format=None) == 150


def _tree(element: Element) -> tuple[Any, ...]:
    return (element.tag, element.text, element.tail, [_tree(child) for child in element])


def _ofx_bodies() -> list[Path]:
    paths = sorted(STATEMENTS.rglob("*.ofx")) + sorted(STATEMENTS.rglob("*.qfx"))
    return paths + sorted((FIXTURES / "ofx").glob("*.ofx"))


@pytest.mark.parametrize("path", _ofx_bodies(), ids=lambda path: path.name)
def test_the_inlined_ofx_tokenizer_builds_ofxtools_tree(path: Path) -> None:
    text = ofx._decode(path.read_bytes())
    start = ofx._BODY_START.search(text)
    if start is None:
        pytest.skip("no <OFX> body")
    body = text[start.start() :]
    try:
        ours, _ = ofx._build_tree(body, body_line=1)
    except StatementParseError:
        pytest.skip("refused by the checks ofxtools does not make")
    reference = OfxToolsTreeBuilder()
    reference.feed(body)
    assert _tree(ours) == _tree(reference.close())
