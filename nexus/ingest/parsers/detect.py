"""Which statement format a file is, and how its bytes become text.

Detection sniffs the content, never trusts the file name alone: banks name files
`export.txt`, `statement.xml` or `download` whatever they hold. The markers are the
formats' own: the OFX header or `<OFX>` element, the ISO 20022 camt namespace, the
MT940 field tags (`:20:`, `:60F:`, `:61:`), QIF's `!Type:` lines, and for CSV a
consistent number of delimited cells per line. Binary files (archives, PDFs,
spreadsheets) are refused with a message that says what they are.

Text decoding honours a byte-order mark, then tries UTF-8, then asks
charset-normalizer; a file that fits no encoding is refused rather than read as
mojibake.
"""

import codecs
import csv
import re
from collections import Counter

import charset_normalizer

from nexus.ingest.parsers.errors import UnknownEncoding, UnknownFormat
from nexus.ingest.statement import StatementFormat

HEAD_BYTES = 64 * 1024  # how much of a file detection looks at
_SNIFF_LINES_MAX = 40
_CONTROL_SHARE_MAX = 0.05  # more control characters than this is binary, not text

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SINGLE_BYTE = (
    "cp1252",
    "iso8859_15",
    "latin_1",
    "cp1250",
    "iso8859_2",
    "cp852",
    "cp850",
    "cp437",
    "mac_roman",
    "cp1251",
    "koi8_r",
    "cp866",
    "cp1253",
    "cp1254",
    "cp1257",
)
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (or an XLSX/ODS spreadsheet); extract or export it first"),
    (b"\x1f\x8b", "a gzip archive; extract it first"),
    (b"%PDF", "a PDF document; download the statement as CSV, OFX, CAMT or MT940"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97 spreadsheet; export it as CSV"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
_ISO20022 = re.compile(r"urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.\d{3})", re.IGNORECASE)
_CAMT_ROOT = re.compile(r"<(?:\w+:)?BkToCstmr(?:Stmt|AcctRpt|DbtCdtNtfctn)\b")
_OFX = re.compile(r"OFXHEADER\s*[:=]|<\?OFX\b|<OFX>", re.IGNORECASE)
_MT940 = re.compile(
    r"^\s*:(?:20|21|25|28C?|60[FM]|61|62[FM]|64|65|86|NS|13D?|34F|90[CD]):|\{1:F01|\{4:\s*$",
    re.MULTILINE,
)
_QIF = re.compile(r"^\s*!(?:Type|Account|Option|Clear)\b", re.IGNORECASE | re.MULTILINE)
_CSV_DELIMITERS = (",", ";", "\t", "|")
_CSV_EXTENSIONS = (".csv", ".tsv", ".txt")


def detect_format(head: bytes, filename: str | None) -> StatementFormat:
    """Tell which statement format a file is from its first bytes."""
    if not head.strip():
        raise UnknownFormat("the file is empty", details={"filename": filename})
    for signature, what in _BINARY_SIGNATURES:
        if head.startswith(signature):
            raise UnknownFormat(f"the file is {what}", details={"filename": filename})
    text = _sniff_text(head, filename)
    iso_message = _ISO20022.search(text)
    if iso_message is not None and not iso_message[1].lower().startswith("camt.05"):
        raise UnknownFormat(
            f"the file is an ISO 20022 {iso_message[1]} message, not a camt bank statement",
            details={"filename": filename, "message": iso_message[1]},
        )
    if iso_message is not None or _CAMT_ROOT.search(text):
        return StatementFormat.CAMT053
    if _OFX.search(text):
        return StatementFormat.OFX
    if _MT940.search(text):
        return StatementFormat.MT940
    if _QIF.search(text):
        return StatementFormat.QIF
    loose = filename is not None and filename.lower().endswith(_CSV_EXTENSIONS)
    if _looks_delimited(text, truncated=len(head) >= HEAD_BYTES, loose=loose):
        return StatementFormat.CSV
    raise UnknownFormat(
        "the file is not a statement Nexus can read (OFX, CAMT.053, MT940, QIF or CSV)",
        details={"filename": filename},
    )


def detect_encoding(data: bytes) -> str:
    """Name the encoding of a statement's bytes: byte-order mark, UTF-8, else detected.

    `data` may be the head of a file: a UTF-8 character cut at its very end still
    counts as UTF-8.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    if b"\x00" in data:
        raise UnknownEncoding(
            "the file contains NUL bytes: it is binary, or UTF-16 without a byte-order mark"
        )
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(data) - 3 and error.reason == "unexpected end of data":
            return "utf-8"
    # Bank files outside UTF-8 are nearly always a single-byte code page (Windows-1252,
    # DOS 852 in Hungary, ...). Unrestricted, charset-normalizer can call such a file
    # Korean; so those code pages are asked about first, everything else after.
    best = charset_normalizer.from_bytes(data, cp_isolation=list(_SINGLE_BYTE)).best()
    if best is None:
        best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise UnknownEncoding("the file is not text in any encoding Nexus recognises")
    return str(best.encoding)


def decode_text(data: bytes) -> str:
    """Decode a statement file's bytes: byte-order mark, then UTF-8, then a detected charset."""
    encoding = detect_encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UnknownEncoding(
            f"the file is not {encoding}: byte {data[error.start]:#04x} cannot be decoded",
            line=data[: error.start].count(b"\n") + 1,
        ) from None


def _sniff_text(head: bytes, filename: str | None) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            # The head may end inside a character; detection only needs the markers.
            return head.decode(encoding, errors="ignore")
    if b"\x00" in head:
        raise UnknownFormat("the file is binary, not a statement", details={"filename": filename})
    text = head.decode("utf-8", errors="replace")
    controls = sum(1 for character in text if ord(character) < 32 and character not in "\t\n\r")
    if controls > _CONTROL_SHARE_MAX * len(text):
        raise UnknownFormat("the file is binary, not a statement", details={"filename": filename})
    return text


def _looks_delimited(text: str, *, truncated: bool, loose: bool) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    if truncated and len(lines) > 1:
        lines.pop()  # the head may end mid-line
    lines = lines[:_SNIFF_LINES_MAX]
    if not lines:
        return False
    for delimiter in _CSV_DELIMITERS:
        try:
            widths = Counter(len(row) for row in csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        width, count = widths.most_common(1)[0]
        if width < 2:
            continue
        if loose or count >= 0.6 * len(lines):
            return True
    return False
