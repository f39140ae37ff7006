"""ISO 20022 camt.053 bank-to-customer statements into bank lines.

A camt.053 document holds one or more `Stmt`, one per account and period. Each has
balances (`Bal`) and entries (`Ntry`). The opening balance is `OPBD` (or `PRCD`, the
previous day's closing), the closing balance `CLBD`; `CdtDbtInd` `DBIT` makes an
amount negative. An entry is one booking; when its `NtryDtls` list several
transactions (`TxDtls`, a batch such as a collective direct debit), each becomes
its own line with its own amount, provided every one of them gives an amount in
the entry's currency, otherwise the entry stays one line with the booked amount.

For each line: the booking date `BookgDt` (else the value date `ValDt`), the value
date, the reference (the bank's `AcctSvcrRef` of the transaction or entry, else
`NtryRef`, else the `EndToEndId`), the description (the unstructured remittance
`RmtInf/Ustrd`, else the structured creditor reference, else `AddtlTxInf`, else
`AddtlNtryInf`), and the counterparty: the debtor on a credit, the creditor on a
debit, with their IBAN (or other account id).

Pending entries (`Sts` other than `BOOK`) are not bookings and are skipped with a
warning. The camt.052 intraday report and the camt.054 debit/credit notification
have the same entry structure and are read too, with a warning: they carry no
booked balances, and the bookings they show come again in the end-of-day camt.053,
so importing both needs the import's duplicate check.

Parsing is namespace-agnostic (any camt.05x.001.xx version) and goes through
defusedxml, so entity expansion and external references are refused. Each line's
`line_number` is the source line of its `Ntry` (or `TxDtls`) element.
"""

import re
import textwrap
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from nexus.ingest.parsers.amounts import decimal_to_minor
from nexus.ingest.parsers.errors import StatementParseError
from nexus.ingest.statement import (
    BankLine,
    ParsedStatement,
    StatementAccount,
    StatementBalance,
    StatementFormat,
)

FORMAT = StatementFormat.CAMT053
_MESSAGES = {
    "BkToCstmrStmt": ("Stmt", None),
    "BkToCstmrAcctRpt": (
        "Rpt",
        "camt.052 is an intraday account report, not a statement: it has no booked balances"
        " and its entries come again in the end-of-day camt.053",
    ),
    "BkToCstmrDbtCdtNtfctn": (
        "Ntfctn",
        "camt.054 is a debit/credit notification, not a statement: it has no balances and"
        " its entries come again in the camt.053 statement",
    ),
}
_OPENING_CODES = ("OPBD", "PRCD")
_CLOSING_CODES = ("CLBD",)
_NOT_PROVIDED = "NOTPROVIDED"
_RAW_CHARS_MAX = 4000
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding=["']([\w.-]+)["']""")


class _LineTreeBuilder(TreeBuilder):
    """A tree builder that drops namespaces and remembers each element's source lines."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.start_lines: dict[Element, int] = {}
        self.end_lines: dict[Element, int] = {}

    def _line(self) -> int:
        assert self.parser is not None
        line: int = self.parser.parser.CurrentLineNumber
        return line

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        element = super().start(tag.rpartition("}")[2], attrs)
        self.start_lines[element] = self._line()
        return element

    def end(self, tag: str, /) -> Element:
        element = super().end(tag.rpartition("}")[2])
        self.end_lines[element] = self._line()
        return element


@dataclass(frozen=True, slots=True)
class _Source:
    lines: list[str]
    start_lines: dict[Element, int]
    end_lines: dict[Element, int]

    def line(self, element: Element) -> int | None:
        return self.start_lines.get(element)

    def raw(self, element: Element) -> str:
        start, end = self.start_lines.get(element), self.end_lines.get(element)
        if start is None or end is None:
            return ""
        return textwrap.dedent("\n".join(self.lines[start - 1 : end]))[:_RAW_CHARS_MAX]


def parse_camt(data: bytes) -> list[ParsedStatement]:
    """Parse a camt.053 document (or a camt.052/054 one) into one statement per account."""
    root, source = _parse_xml(data)
    message = next(iter(root), None) if root.tag == "Document" else root
    if message is None or message.tag not in _MESSAGES:
        found = message.tag if message is not None else root.tag
        raise StatementParseError(
            f"the XML document is not a camt bank statement (it holds <{found}>)",
            line=source.line(message if message is not None else root),
            statement_format=FORMAT,
        )
    statement_tag, kind_warning = _MESSAGES[message.tag]
    statements = [_statement(element, source) for element in message.findall(statement_tag)]
    if not statements:
        raise StatementParseError(
            f"the document has no <{statement_tag}> statement",
            line=source.line(message),
            statement_format=FORMAT,
        )
    if kind_warning is not None:
        for statement in statements:
            statement.warnings.insert(0, kind_warning)
    return statements


def _parse_xml(data: bytes) -> tuple[Element, _Source]:
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(data)
        root: Element = parser.close()
    except ParseError as error:
        line = error.position[0] if error.position else None
        raise StatementParseError(
            f"the XML is malformed ({_expat_problem(error)})",
            line=line,
            statement_format=FORMAT,
        ) from None
    except DefusedXmlException as error:
        raise StatementParseError(
            f"the XML uses a forbidden construct ({type(error).__name__})",
            line=None,
            statement_format=FORMAT,
        ) from None
    declared = _XML_ENCODING.search(data[:200])
    try:
        text = data.decode(declared[1].decode("ascii") if declared else "utf-8", errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    return root, _Source(text.splitlines(), builder.start_lines, builder.end_lines)


def _expat_problem(error: ParseError) -> str:
    # "no element found: line 12, column 4" -> "no element found"; the line is separate.
    return str(error).split(":")[0]


def _text(element: Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _statement(element: Element, source: _Source) -> ParsedStatement:
    account = element.find("Acct")
    iban = _text(account, "Id/IBAN") or _text(account, "Id/Othr/Id")
    currency = _text(account, "Ccy")
    statement = ParsedStatement(
        format=FORMAT,
        account=StatementAccount(
            iban_or_number=iban,
            bank_id=_text(account, "Svcr/FinInstnId/BIC")
            or _text(account, "Svcr/FinInstnId/BICFI"),
            currency=currency,
        ),
    )
    statement.opening_balance = _balance(element, _OPENING_CODES, source)
    statement.closing_balance = _balance(element, _CLOSING_CODES, source)
    pending = 0
    for entry in element.findall("Ntry"):
        status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
        if status not in (None, "BOOK"):
            pending += 1
            continue
        statement.lines.extend(_entry_lines(entry, source, own_iban=iban))
    if pending:
        statement.warnings.append(f"{pending} entries not booked yet (pending) were skipped")
    if statement.account.currency is None:
        known = statement.closing_balance or statement.opening_balance
        line_currency = statement.lines[0].currency if statement.lines else None
        statement.account = StatementAccount(
            iban_or_number=iban,
            bank_id=statement.account.bank_id,
            currency=known.currency if known is not None else line_currency,
        )
    return statement


def _balance(element: Element, codes: tuple[str, ...], source: _Source) -> StatementBalance | None:
    for code in codes:
        for balance in element.findall("Bal"):
            if (_text(balance, "Tp/CdOrPrtry/Cd") or _text(balance, "Tp/CdOrPrtry/Prtry")) != code:
                continue
            line = source.line(balance)
            amount, currency = _amount(balance, line=line)
            when = _date(balance, "Dt", line=line, required=True)
            assert when is not None
            return StatementBalance(date=when, amount_minor=amount, currency=currency)
    return None


def _amount(element: Element, *, line: int | None) -> tuple[int, str]:
    """The signed amount and currency of a `Bal` or `Ntry` (its `Amt` and `CdtDbtInd`)."""
    found = element.find("Amt")
    if found is None:
        raise StatementParseError(
            f"<{element.tag}> has no amount <Amt>", line=line, statement_format=FORMAT
        )
    return _signed(found, _text(element, "CdtDbtInd"), line=line)


def _signed(amount: Element, indicator: str | None, *, line: int | None) -> tuple[int, str]:
    currency = (amount.get("Ccy") or "").strip().upper()
    if not currency:
        raise StatementParseError(
            "<Amt> has no Ccy currency attribute", line=line, statement_format=FORMAT
        )
    text = (amount.text or "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise StatementParseError(
            f"amount {text!r} is not a number", line=line, statement_format=FORMAT
        ) from None
    if value < 0:
        # camt amounts are unsigned; the direction is CdtDbtInd.
        raise StatementParseError(
            f"amount {text} is negative, but camt amounts are signed by CdtDbtInd",
            line=line,
            statement_format=FORMAT,
        )
    if indicator not in ("CRDT", "DBIT"):
        raise StatementParseError(
            f"CdtDbtInd {indicator!r} is neither CRDT nor DBIT", line=line, statement_format=FORMAT
        )
    minor = decimal_to_minor(value, currency=currency, line=line, statement_format=FORMAT)
    return (-minor if indicator == "DBIT" else minor), currency


def _date(element: Element, path: str, *, line: int | None, required: bool) -> date | None:
    text = _text(element, f"{path}/Dt") or _text(element, f"{path}/DtTm")
    if text is None:
        if required:
            raise StatementParseError(
                f"<{element.tag}> has no date <{path}>", line=line, statement_format=FORMAT
            )
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise StatementParseError(
            f"date {text!r} in <{path}> is not an ISO date", line=line, statement_format=FORMAT
        ) from None


def _entry_lines(entry: Element, source: _Source, *, own_iban: str | None) -> list[BankLine]:
    line = source.line(entry)
    amount, currency = _amount(entry, line=line)
    booked = _date(entry, "BookgDt", line=line, required=False)
    value_date = _date(entry, "ValDt", line=line, required=False)
    booking_date = booked or value_date
    if booking_date is None:
        raise StatementParseError(
            "entry has neither a booking date (BookgDt) nor a value date (ValDt)",
            line=line,
            statement_format=FORMAT,
        )
    details = entry.findall("NtryDtls/TxDtls")
    parts: list[tuple[Element | None, int]] = [(details[0] if details else None, amount)]
    if len(details) > 1:
        split = _split_amounts(
            details, currency=currency, entry_indicator=_text(entry, "CdtDbtInd"), source=source
        )
        parts = list(zip(details, split, strict=True)) if split is not None else [(None, amount)]
    lines = []
    for transaction, part_amount in parts:
        anchor = transaction if transaction is not None and len(parts) > 1 else entry
        debit = part_amount < 0
        lines.append(
            BankLine(
                line_number=source.line(anchor) or 0,
                date=booking_date,
                amount_minor=part_amount,
                currency=currency,
                description=_description(entry, transaction),
                payee=_counterparty_name(transaction, debit=debit),
                reference=_reference(entry, transaction, split=len(parts) > 1),
                value_date=value_date,
                counterparty_account=_counterparty_account(
                    transaction, debit=debit, own_iban=own_iban
                ),
                raw=source.raw(anchor),
            )
        )
    return lines


def _split_amounts(
    details: list[Element], *, currency: str, entry_indicator: str | None, source: _Source
) -> list[int] | None:
    """Each transaction's own signed amount, or None when one of them gives none."""
    amounts = []
    for transaction in details:
        amount = transaction.find("Amt")
        if amount is None:
            amount = transaction.find("AmtDtls/TxAmt/Amt")
        if amount is None or (amount.get("Ccy") or "").strip().upper() != currency:
            return None
        indicator = _text(transaction, "CdtDbtInd") or entry_indicator
        minor, _ = _signed(amount, indicator, line=source.line(transaction))
        amounts.append(minor)
    return amounts


def _joined(element: Element | None, path: str) -> str | None:
    if element is None:
        return None
    parts = [
        found.text.strip() for found in element.findall(path) if found.text and found.text.strip()
    ]
    return " ".join(parts) or None


def _description(entry: Element, transaction: Element | None) -> str:
    return (
        _joined(transaction, "RmtInf/Ustrd")
        or _joined(transaction, "RmtInf/Strd/CdtrRefInf/Ref")
        or _text(transaction, "AddtlTxInf")
        or _text(entry, "AddtlNtryInf")
        or ""
    )


def _usable(reference: str | None) -> str | None:
    return None if reference is None or reference.upper() == _NOT_PROVIDED else reference


def _reference(entry: Element, transaction: Element | None, *, split: bool) -> str | None:
    own = _usable(_text(transaction, "Refs/AcctSvcrRef"))
    entry_reference = _usable(_text(entry, "AcctSvcrRef")) or _usable(_text(entry, "NtryRef"))
    end_to_end = _usable(_text(transaction, "Refs/EndToEndId"))
    if split:
        # The entry's reference is shared by the whole batch; the end-to-end id is the
        # transaction's own, when the payer sent one.
        return end_to_end or own or entry_reference
    return entry_reference or own or end_to_end or _usable(_text(transaction, "Refs/TxId"))


def _party(transaction: Element | None, role: str) -> Element | None:
    if transaction is None:
        return None
    party = transaction.find(f"RltdPties/{role}")
    if party is not None and party.find("Pty") is not None:
        return party.find("Pty")  # camt.053.001.08 and later wrap the party
    return party


def _counterparty_name(transaction: Element | None, *, debit: bool) -> str | None:
    # On a debit the money went to the creditor; on a credit it came from the debtor.
    role = "Cdtr" if debit else "Dbtr"
    return _text(_party(transaction, role), "Nm") or _text(
        _party(transaction, f"Ultmt{role}"), "Nm"
    )


def _counterparty_account(
    transaction: Element | None, *, debit: bool, own_iban: str | None
) -> str | None:
    role = "CdtrAcct" if debit else "DbtrAcct"
    if transaction is None:
        return None
    account = transaction.find(f"RltdPties/{role}")
    number = _text(account, "Id/IBAN") or _text(account, "Id/Othr/Id")
    return None if number is not None and number == own_iban else number
