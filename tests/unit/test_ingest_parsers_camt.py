"""ISO 20022 camt.053 statements, from the project's own fixtures."""

from datetime import date
from pathlib import Path

import pytest

from nexus.ingest.parsers import StatementParseError, parse_statement
from nexus.ingest.parsers.camt import parse_camt
from nexus.ingest.statement import StatementBalance, StatementFormat

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "statements" / "camt"


def document(
    statements: str, *, message: str = "BkToCstmrStmt", version: str = "053.001.02"
) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.{version}">'
        f"<{message}><GrpHdr><MsgId>1</MsgId></GrpHdr>{statements}</{message}></Document>"
    ).encode()


def entry(amount: str, indicator: str, *, extra: str = "") -> str:
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Sts>BOOK</Sts><BookgDt><Dt>2024-05-02</Dt></BookgDt>{extra}</Ntry>"
    )


def test_camt053_v08_statement() -> None:
    [statement] = parse_statement((FIXTURES / "camt053_v08.xml").read_bytes())
    assert statement.format is StatementFormat.CAMT053
    assert statement.account.iban_or_number == "DE89370400440532013000"
    assert statement.account.bank_id == "COBADEFFXXX"
    assert statement.account.currency == "EUR"
    # PRCD, the previous day's closing, opens the statement.
    assert statement.opening_balance == StatementBalance(date(2024, 2, 29), 100000, "EUR")
    assert statement.closing_balance == StatementBalance(date(2024, 3, 1), 112055, "EUR")
    power, anna, ben = statement.lines
    assert (power.line_number, power.date, power.amount_minor) == (27, date(2024, 3, 1), -7945)
    assert power.reference == "BANKREF-0001"  # AcctSvcrRef before the end-to-end id
    assert power.payee == "Stadtwerke Köln GmbH"  # the creditor of a debit (Pty-wrapped)
    assert power.counterparty_account == "DE02370501980001802057"
    assert power.description == "Strom Februar Kundennr 4711"
    assert power.raw.startswith("<Ntry>")
    assert power.raw.endswith("</Ntry>")
    # A batch of two transactions is two lines, each with its own amount and reference.
    assert (anna.line_number, anna.amount_minor, anna.reference) == (55, 12000, "E2E-A")
    assert (anna.payee, anna.counterparty_account) == ("Anna Schmidt", "DE75512108001245126199")
    assert (anna.date, anna.value_date) == (date(2024, 3, 1), date(2024, 3, 4))
    assert (ben.amount_minor, ben.reference, ben.payee) == (8000, "BANKREF-0002-B", "Ben Weber")
    assert ben.description == "RF18539007547034"  # the structured creditor reference
    assert ben.raw.startswith("<TxDtls>")
    assert statement.warnings == ["1 entries not booked yet (pending) were skipped"]


def test_truncated_xml_names_the_line() -> None:
    with pytest.raises(StatementParseError) as raised:
        parse_statement((FIXTURES / "truncated.xml").read_bytes())
    assert raised.value.line == 41
    assert raised.value.details == {"line": 41, "format": "camt053"}
    assert "the XML is malformed" in raised.value.message


def test_several_statements_in_one_document() -> None:
    statements = "".join(
        f"<Stmt><Id>{number}</Id><Acct><Id><IBAN>{iban}</IBAN></Id></Acct>"
        f"{entry('1.50', 'CRDT')}</Stmt>"
        for number, iban in ((1, "NL91ABNA0417164300"), (2, "NL20INGB0001234567"))
    )
    parsed = parse_camt(document(statements))
    assert [(s.account.iban_or_number, s.lines[0].amount_minor) for s in parsed] == [
        ("NL91ABNA0417164300", 150),
        ("NL20INGB0001234567", 150),
    ]


def test_a_batch_without_amounts_per_transaction_stays_one_line() -> None:
    details = (
        "<NtryDtls><TxDtls><Refs><EndToEndId>a</EndToEndId></Refs></TxDtls>"
        "<TxDtls><Refs><EndToEndId>b</EndToEndId></Refs></TxDtls></NtryDtls>"
    )
    [statement] = parse_camt(document(f"<Stmt>{entry('10.00', 'DBIT', extra=details)}</Stmt>"))
    assert [line.amount_minor for line in statement.lines] == [-1000]


def test_namespace_free_reference_fallbacks() -> None:
    extra = "<NtryRef>NREF-7</NtryRef><AddtlNtryInf>Fee March</AddtlNtryInf>"
    body = f"<Stmt>{entry('0.99', 'DBIT', extra=extra)}</Stmt>"
    data = f"<Document><BkToCstmrStmt>{body}</BkToCstmrStmt></Document>".encode()
    [statement] = parse_camt(data)
    [line] = statement.lines
    assert (line.reference, line.description, line.amount_minor) == ("NREF-7", "Fee March", -99)


def test_camt054_notifications_are_read_with_a_warning() -> None:
    body = f"<Ntfctn><Id>n</Id><Acct><Id><IBAN>CH93</IBAN></Id></Acct>{entry('5.00', 'CRDT')}"
    [statement] = parse_camt(document(body + "</Ntfctn>", message="BkToCstmrDbtCdtNtfctn"))
    assert [line.amount_minor for line in statement.lines] == [500]
    assert statement.opening_balance is None
    assert statement.closing_balance is None
    assert statement.warnings[0].startswith("camt.054 is a debit/credit notification")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (entry("abc", "CRDT"), "amount 'abc' is not a number"),
        (entry("1.234", "CRDT"), "amount 1.234 has more decimals than EUR allows"),
        (entry("-1.00", "CRDT"), "camt amounts are signed by CdtDbtInd"),
        (entry("1.00", "XXXX"), "CdtDbtInd 'XXXX' is neither CRDT nor DBIT"),
        (
            '<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>',
            "neither a booking date",
        ),
        (
            '<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            "<BookgDt><Dt>2024-02-30</Dt></BookgDt></Ntry>",
            "date '2024-02-30' in <BookgDt> is not an ISO date",
        ),
    ],
)
def test_bad_entries_are_refused(body: str, problem: str) -> None:
    with pytest.raises(StatementParseError, match=problem) as raised:
        parse_camt(document(f"<Stmt>\n{body}\n</Stmt>"))
    assert raised.value.line == 3


def test_a_declared_legacy_encoding_is_honoured() -> None:
    parties = "<RltdPties><Dbtr><Nm>Jörg Müller</Nm></Dbtr></RltdPties>"
    details = f"<NtryDtls><TxDtls>{parties}</TxDtls></NtryDtls>"
    body = f"<Stmt>{entry('3.00', 'CRDT', extra=details)}</Stmt>"
    data = document(body).decode().replace('version="1.0"', 'version="1.0" encoding="ISO-8859-1"')
    [statement] = parse_camt(data.encode("latin-1"))
    [line] = statement.lines
    assert line.payee == "Jörg Müller"
    assert "Jörg Müller" in line.raw


def test_other_xml_is_not_a_statement() -> None:
    with pytest.raises(StatementParseError, match="not a camt bank statement"):
        parse_camt(b"<Document><CstmrCdtTrfInitn/></Document>")


def test_entity_expansion_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>'
        b"<Document><BkToCstmrStmt>&a;</BkToCstmrStmt></Document>"
    )
    with pytest.raises(StatementParseError, match="forbidden construct"):
        parse_camt(bomb)
