"""OFX statements (Open Financial Exchange 1.x SGML and 2.x XML) into bank lines.

An OFX download is a response to a bank's server: a sign-on (`SONRS`) and one or more
statement responses, each for one account: `STMTRS` (bank account), `CCSTMTRS`
(credit card) or `INVSTMTRS` (brokerage). Each statement becomes one
`ParsedStatement`. Its lines are the `STMTTRN` records: `FITID` is the reference,
`NAME` (or `PAYEE/NAME`) the payee, `MEMO` the description (falling back to `NAME`),
`TRNAMT` the signed amount in `CURDEF` (or in `CURRENCY/CURSYM` when the record
says so), `DTPOSTED` the booking date and `DTAVAIL` the value date. `LEDGERBAL` is the
closing balance; OFX has no opening balance.

Dates are the calendar date the bank printed (`20090401122017[-5:EST]` is
2009-04-01): converting to UTC would move late-evening bookings to the next day.

Investment statements contribute only their cash lines (`INVBANKTRAN`); buys,
sells, reinvestments and income on securities are not bank lines and are skipped
with a warning. Files without any statement (a sign-on failure, an account list, a
profile, a server error) are refused.

The markup is tokenised by ofxtools' `TreeBuilder`, which reads both the SGML
dialect (unclosed leaf elements) and XML. ofxtools' typed model (`OFXTree.convert`)
is not used: it rejects files that real banks send every day (a 10-digit `BANKID`,
a `LEDGERBAL` misplaced inside `BANKTRANLIST`, headers cut short by converters), and
its header parser refuses files without the full OFX header. Nexus reads the header
itself and is strict where it matters: every amount and date must be valid, and
aggregates must be properly closed.
"""

import bisect
import functools
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from xml.etree.ElementTree import Element, SubElement
from xml.etree.ElementTree import ParseError as ElementTreeParseError
from xml.sax.saxutils import unescape

from ofxtools.Parser import ParseError as OfxSyntaxError
from ofxtools.Parser import TreeBuilder as OfxTreeBuilder

from nexus.core.money import iso_scale
from nexus.ingest.parsers.amounts import currency_scale, decimal_to_minor, plain_to_minor
from nexus.ingest.parsers.detect import decode_text
from nexus.ingest.parsers.errors import StatementParseError
from nexus.ingest.statement import (
    BankLine,
    ParsedStatement,
    StatementAccount,
    StatementBalance,
    StatementFormat,
)

FORMAT = StatementFormat.OFX
_STATEMENT_TAGS = ("STMTRS", "CCSTMTRS", "INVSTMTRS")
_RESPONSE_TAGS = ("STMTTRNRS", "CCSTMTTRNRS", "INVSTMTTRNRS")
# List wrappers that exporters leave open; every other aggregate must be closed.
_IMPLICITLY_CLOSED = frozenset({"BANKTRANLIST", "INVTRANLIST"})
_LOCATED_TAGS = ("STMTTRN", "LEDGERBAL", *_STATEMENT_TAGS)
_BODY_START = re.compile(r"<OFX>", re.IGNORECASE)
_CHARSET = re.compile(r"CHARSET\s*:\s*([\w-]+)|encoding\s*=\s*[\"']([\w-]+)[\"']", re.IGNORECASE)
_OFX_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")
_OFX_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")
_ENTITIES = {"&quot;": '"', "&apos;": "'", "&nbsp;": " "}
_CHARSET_CODECS = {"1252": "cp1252", "NONE": "cp1252", "ISO-8859-1": "latin-1", "8859-1": "latin-1"}
_INVESTMENT_CASH = "INVBANKTRAN"


def parse_ofx(data: bytes, *, default_currency: str | None = None) -> list[ParsedStatement]:
    """Parse an OFX file into one statement per account it reports on."""
    text = _decode(data)
    body_match = _BODY_START.search(text)
    if body_match is None:
        raise StatementParseError(
            "the file has no <OFX> element", line=None, statement_format=FORMAT
        )
    body_line = text.count("\n", 0, body_match.start()) + 1
    body = text[body_match.start() :]
    root, markup_warnings = _build_tree(body, body_line=body_line)
    locator = _Locator.build(root, body, body_line=body_line)
    signon_problem = _signon_problem(root)
    statements = [
        _statement(element, locator=locator, default_currency=default_currency)
        for element in root.iter()
        if element.tag in _STATEMENT_TAGS
    ]
    if not statements:
        raise StatementParseError(
            signon_problem or _why_no_statement(root), line=None, statement_format=FORMAT
        )
    for statement in statements:
        statement.warnings[:0] = markup_warnings
        if signon_problem is not None:
            statement.warnings.append(signon_problem)
    return statements


def _decode(data: bytes) -> str:
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        pass
    # The SGML header (CHARSET:1252) or the XML declaration names the legacy charset.
    declared = _CHARSET.search(data[:1024].decode("latin-1"))
    if declared is not None:
        name = (declared[1] or declared[2]).upper()
        codec = _CHARSET_CODECS.get(name, name)
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


class _CheckedTreeBuilder(OfxTreeBuilder):
    """ofxtools' tokenizer, plus checks that closing tags close what is open.

    Real exporters forget `</BANKTRANLIST>` or write `<CODE>0<CODE>`; a closing tag
    that skips such a list wrapper or an empty element closes it too, with a warning.
    Any other unclosed aggregate (a `STMTTRN` cut short) is an error.
    """

    def __init__(self) -> None:
        super().__init__()
        self.offset = 0  # where in the body the tag being handled starts
        self.recovered: list[tuple[int, str]] = []
        self._open: list[str] = []  # open aggregates, innermost last
        self._filled: list[bool] = []  # whether each open aggregate has content yet
        self._elements: list[Element] = []  # the open aggregates' elements

    def feed(self, data: str) -> None:
        # ofxtools' loop (`TreeBuilder.feed` and `_feedmatch`) inlined, same tokens and
        # same tree, without its per-tag debug logging and method hops: a statement of
        # 100,000 transactions is close to a million tags. A data element (a leaf: tag
        # and text) cannot close anything and holds no other element, so it is added to
        # the open aggregate directly, as the builder's start, data and end would add it.
        filled = self._filled
        elements = self._elements
        for match in self.regex.finditer(data):
            tag, cdata, text, closetag, tail = match.group(
                "tag", "cdata", "text", "closetag", "tail"
            )
            if tail is not None and tail.strip():
                self.offset = match.start()
                raise OfxSyntaxError(f"text {tail.strip()[:40]!r} after a closing tag")
            if cdata:
                text = cdata
            elif text is not None:
                text = text.strip() or None
            if text and tag[0] != "/" and elements:
                filled[-1] = True
                SubElement(elements[-1], tag).text = text
                continue
            self.offset = match.start()
            if tag[0] == "/":
                if text:
                    raise OfxSyntaxError(f"Tail text '{text}' after <{tag}>")
                self.end(tag[1:])
            else:
                self.start(tag, {})
                if text:  # a data element outside any aggregate: the builder decides
                    self.data(text)
                    self.end(tag)
                elif closetag:
                    self.end(tag)

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        if self._filled:
            self._filled[-1] = True
        element: Element = super().start(tag, attrs)
        self._open.append(tag)
        self._filled.append(False)
        self._elements.append(element)
        return element

    def end(self, tag: str) -> Element:
        if tag not in self._open:
            expected = f"</{self._open[-1]}>" if self._open else "the end of the file"
            raise OfxSyntaxError(f"closing tag </{tag}> where {expected} was expected")
        while self._open[-1] != tag:
            skipped, has_content = self._open.pop(), self._filled.pop()
            if has_content and skipped not in _IMPLICITLY_CLOSED:
                raise OfxSyntaxError(f"<{skipped}> is not closed before </{tag}>")
            self.recovered.append((self.offset, f"<{skipped}> is not closed before </{tag}>"))
            self._elements.pop()
            super().end(skipped)
        self._open.pop()
        self._filled.pop()
        self._elements.pop()
        element: Element = super().end(tag)
        return element

    def unclosed(self) -> list[str]:
        return list(self._open)


def _line_at(body: str, body_line: int, offset: int) -> int:
    return body_line + body.count("\n", 0, offset)


def _build_tree(body: str, *, body_line: int) -> tuple[Element, list[str]]:
    builder = _CheckedTreeBuilder()
    try:
        builder.feed(body)
    # etree's own ParseError: e.g. a second <OFX> after the first one closed.
    except (OfxSyntaxError, ElementTreeParseError) as error:
        message = str(error.args[0]) if error.args else str(error)
        raise StatementParseError(
            f"malformed OFX markup: {message}",
            line=_line_at(body, body_line, builder.offset),
            statement_format=FORMAT,
        ) from None
    if builder.unclosed():
        raise StatementParseError(
            f"the file ends before <{builder.unclosed()[-1]}> is closed (truncated?)",
            line=body_line + body.count("\n"),
            statement_format=FORMAT,
        )
    try:
        root: Element = builder.close()
    except (AssertionError, IndexError):
        raise StatementParseError(
            "malformed OFX markup", line=None, statement_format=FORMAT
        ) from None
    warnings = [
        f"line {_line_at(body, body_line, offset)}: {problem}"
        for offset, problem in builder.recovered
    ]
    return root, warnings


@dataclass(frozen=True, slots=True)
class _Locator:
    """Source lines and text of elements, found by their order among same-named tags."""

    body: str
    body_line: int
    starts: dict[int, int] = field(default_factory=dict)  # id(element) -> offset in body
    newlines: list[int] = field(default_factory=list)  # offsets of "\n", for line numbers

    @classmethod
    def build(cls, root: Element, body: str, *, body_line: int) -> "_Locator":
        starts: dict[int, int] = {}
        for tag in _LOCATED_TAGS:
            offsets = [match.start() for match in re.finditer(f"<{tag}>", body)]
            elements = list(root.iter(tag))
            if len(offsets) == len(elements):
                starts.update(zip(map(id, elements), offsets, strict=True))
        newlines = [match.start() for match in re.finditer("\n", body)]
        return cls(body=body, body_line=body_line, starts=starts, newlines=newlines)

    def line(self, element: Element) -> int | None:
        offset = self.starts.get(id(element))
        if offset is None:
            return None
        # Counting newlines from the start for every element would be quadratic.
        return self.body_line + bisect.bisect_left(self.newlines, offset)

    def raw(self, element: Element) -> str:
        offset = self.starts.get(id(element))
        if offset is None:
            return " ".join(f"<{child.tag}>{child.text or ''}" for child in element.iter())
        closing = f"</{element.tag}>"
        end = self.body.find(closing, offset)
        return self.body[offset : end + len(closing) if end >= 0 else offset + 2000].strip()


def _text(element: Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    value = unescape(found.text, _ENTITIES).strip()
    return value or None


def _status(element: Element | None) -> tuple[str | None, str | None, str | None]:
    return (
        _text(element, "STATUS/CODE"),
        _text(element, "STATUS/SEVERITY"),
        _text(element, "STATUS/MESSAGE"),
    )


def _signon_problem(root: Element) -> str | None:
    code, severity, message = _status(root.find("SIGNONMSGSRSV1/SONRS"))
    if code in (None, "0"):
        return None
    return f"the bank refused the sign-on: code {code} ({severity}) {message or ''}".strip()


def _why_no_statement(root: Element) -> str:
    errors = []
    for tag in _RESPONSE_TAGS:
        for response in root.iter(tag):
            code, _, message = _status(response)
            if code not in (None, "0"):
                errors.append(f"error {code} ({message or 'no message'})")
    if errors:
        return "the bank returned no statement: " + "; ".join(errors)
    responses = sorted({f"{section.tag}/{child.tag}" for section in root for child in section})
    holds = ", ".join(r for r in responses if not r.startswith("SIGNONMSGSRSV1")) or "a sign-on"
    return f"the file holds no bank or credit card statement, only {holds}"


def _statement(
    element: Element, *, locator: _Locator, default_currency: str | None
) -> ParsedStatement:
    line_number = locator.line(element)
    currency = (_text(element, "CURDEF") or default_currency or "").upper() or None
    statement = ParsedStatement(format=FORMAT, account=_account(element, currency))
    skipped = 0
    for record in _records(element):
        if record.tag != "STMTTRN":
            skipped += 1
            continue
        statement.lines.append(
            _line(
                record,
                locator=locator,
                currency=currency,
                investment=element.tag == "INVSTMTRS",
                warnings=statement.warnings,
            )
        )
    if currency is None and statement.lines:
        currency = statement.lines[0].currency
        statement.account = _account(element, currency)
    if skipped:
        statement.warnings.append(
            f"{skipped} security transactions (buys, sells, income, reinvestments) are not"
            " bank lines and were skipped"
        )
    statement.closing_balance = _ledger_balance(
        element, locator=locator, currency=currency, statement_line=line_number
    )
    if statement.closing_balance is None and element.find(".//LEDGERBAL") is not None:
        statement.warnings.append("LEDGERBAL is empty: the file gives no closing balance")
    return statement


def _records(element: Element) -> list[Element]:
    if element.tag != "INVSTMTRS":
        return list(element.iter("STMTTRN"))
    records: list[Element] = []
    for transaction in element.findall("INVTRANLIST/*"):
        if transaction.tag == _INVESTMENT_CASH:
            records.extend(transaction.findall("STMTTRN"))
        elif transaction.tag not in ("DTSTART", "DTEND"):
            records.append(transaction)
    return records


def _account(element: Element, currency: str | None) -> StatementAccount:
    for path in ("BANKACCTFROM", "CCACCTFROM", "INVACCTFROM"):
        source = element.find(path)
        if source is not None:
            bank = _text(source, "BANKID") or _text(source, "BROKERID")
            return StatementAccount(
                iban_or_number=_text(source, "ACCTID"), bank_id=bank, currency=currency
            )
    return StatementAccount(currency=currency)


def _line(
    record: Element,
    *,
    locator: _Locator,
    currency: str | None,
    investment: bool,
    warnings: list[str],
) -> BankLine:
    line_number = locator.line(record)
    where: dict[str, Any] = {"line": line_number, "statement_format": FORMAT}
    fields = _Fields(record)
    line_currency = (fields.text("CURRENCY/CURSYM") or currency or "").upper()
    if not line_currency:
        raise StatementParseError(
            "the statement has no currency (CURDEF is empty); choose the account's currency",
            **where,
        )
    posted = fields.text("DTPOSTED")
    if posted is None:
        raise StatementParseError("transaction has no DTPOSTED (booking date)", **where)
    amount_text = fields.text("TRNAMT")
    if amount_text is None:
        raise StatementParseError("transaction has no TRNAMT (amount)", **where)
    available = fields.text("DTAVAIL")
    name = fields.text("NAME") or fields.text("PAYEE/NAME")
    return BankLine(
        line_number=line_number or 0,
        date=_ofx_date(posted, tag="DTPOSTED", line=line_number),
        amount_minor=_ofx_amount(
            amount_text,
            currency=line_currency,
            line=line_number,
            rounding_warnings=warnings if investment else None,
        ),
        currency=line_currency,
        description=fields.text("MEMO") or name or "",
        payee=name,
        reference=fields.text("FITID"),
        value_date=_ofx_date(available, tag="DTAVAIL", line=line_number) if available else None,
        counterparty_account=fields.text("BANKACCTTO/ACCTID") or fields.text("CCACCTTO/ACCTID"),
        raw=locator.raw(record),
    )


class _Fields:
    """The texts of one record's elements, as `_text` reads them, its children indexed once.

    `_text` searches the record for every field; a transaction has about ten fields, so
    the record's direct children are listed once and a path is only searched when its
    first step is among them.
    """

    __slots__ = ("_children", "_record")

    def __init__(self, record: Element) -> None:
        self._record = record
        self._children: dict[str, Element] = {}
        for child in record:
            self._children.setdefault(child.tag, child)

    def text(self, path: str) -> str | None:
        first, _, rest = path.partition("/")
        child = self._children.get(first)
        if child is None:
            return None
        if rest:
            return _text(self._record, path)
        value = child.text
        if value is None:
            return None
        if "&" in value:
            value = unescape(value, _ENTITIES)
        return value.strip() or None


def _ledger_balance(
    element: Element, *, locator: _Locator, currency: str | None, statement_line: int | None
) -> StatementBalance | None:
    balance = element.find(".//LEDGERBAL")
    if balance is None:
        return None
    line = locator.line(balance) or statement_line
    amount_text, as_of = _text(balance, "BALAMT"), _text(balance, "DTASOF")
    if amount_text is None and as_of is None:
        return None  # exporters that write every tag empty: no balance given
    if amount_text is None:
        raise StatementParseError(
            "LEDGERBAL has a date but no amount (BALAMT is empty)",
            line=line,
            statement_format=FORMAT,
        )
    if as_of is None:
        raise StatementParseError(
            "LEDGERBAL has an amount but no date (DTASOF is empty)",
            line=line,
            statement_format=FORMAT,
        )
    if currency is None:
        raise StatementParseError(
            "the statement has no currency (CURDEF is empty); choose the account's currency",
            line=line,
            statement_format=FORMAT,
        )
    return StatementBalance(
        date=_ofx_date(as_of, tag="DTASOF", line=line),
        amount_minor=_ofx_amount(amount_text, currency=currency, line=line, field="BALAMT"),
        currency=currency,
    )


def _ofx_date(text: str, *, tag: str, line: int | None) -> date:
    try:
        return _calendar_day(text[:8])
    except ValueError:
        raise StatementParseError(
            f"{tag} {text!r} is not a valid date (YYYYMMDD...)",
            line=line,
            statement_format=FORMAT,
            details={"value": text},
        ) from None


@functools.lru_cache(maxsize=4096)
def _calendar_day(digits: str) -> date:
    # A statement repeats a few hundred dates; the cache keeps parsing off the hot path.
    match = _OFX_DATE.match(digits)
    if match is None:
        raise ValueError(digits)
    return date(int(match[1]), int(match[2]), int(match[3]))


def _ofx_amount(
    text: str,
    *,
    currency: str,
    line: int | None,
    field: str = "TRNAMT",
    rounding_warnings: list[str] | None = None,
) -> int:
    """Read an OFX amount; brokerage cash lines may be rounded, bank lines never are."""
    if rounding_warnings is None:
        scale = iso_scale(currency)
        minor = None if scale is None else plain_to_minor(text, scale=scale)
        if minor is not None:
            return minor
    # Some European banks write the decimal comma ("-200,00") even in OFX.
    if not _OFX_NUMBER.match(text):
        raise StatementParseError(
            f"{field} {text!r} is not a number",
            line=line,
            statement_format=FORMAT,
            details={"value": text},
        )
    value = Decimal(text.replace(",", "."))
    if rounding_warnings is not None:
        # Brokerages keep cash to fractions of a cent (money-market sweeps); the account
        # is still kept in cents, so round half-even and say so.
        scale = currency_scale(currency, line=line, statement_format=FORMAT)
        rounded = value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_EVEN)
        if rounded != value:
            rounding_warnings.append(
                f"line {line}: {field} {value.normalize()} rounded to {rounded} {currency}"
            )
        value = rounded
    return decimal_to_minor(
        value, currency=currency, line=line, statement_format=FORMAT, field=field
    )
