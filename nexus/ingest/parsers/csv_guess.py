"""Guessing how a bank's CSV is laid out, from its first lines.

Bank exports name their columns in the bank's language ("Buchungstag", "Montant",
"Importe", "Af Bij") and write dates and numbers their own way. This module holds
the vocabulary of column names (English, German, French, Spanish, Dutch) and the
guesses built on it: the delimiter, the header row, each column's role, the date
format and the day/month order. `csv_format.suggest_profile` turns the guesses into
a `CsvProfile`.

Names are compared after folding: accents removed, case folded, everything but
letters and digits dropped, so "Auftraggeber/Empfänger" is "auftraggeberempfanger"
and "N° de transaction" is "ndetransaction".
"""

import csv
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from nexus.core.money import iso_scale
from nexus.ingest.parsers.amounts import guess_separators, parse_decimal_text

DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 20
SAMPLE_ROWS_MAX = 200
DATE_FIT_SHARE_MIN = 0.8  # a date format must read this share of the sampled values

# Synonyms in order of preference: the first one found wins the role.
DATE_NAMES = (
    "bookingdate", "buchungstag", "buchungsdatum", "posteddate", "postingdate", "dateposted",
    "date", "datum", "fecha", "fechaoperacion", "fechacontable", "fechamovimiento",
    "dateoperation", "datedoperation", "datecomptable", "boekdatum", "boekingsdatum",
    "transactiondate", "transaktionsdatum", "transactiedatum", "datetransaction",
    "operationdate", "created", "journaldate",
)  # fmt: skip
VALUE_DATE_NAMES = (
    "valuedate", "wertstellung", "wertstellungsdatum", "valutadatum", "valuta", "fechavalor",
    "datevaleur", "datedevaleur", "rentedatum", "valdate",
)  # fmt: skip
AMOUNT_NAMES = (
    "amount", "betrag", "montant", "importe", "bedrag", "umsatz", "netamount",
    "transactionamount", "amt", "monto", "importo", "valor", "total", "summe",
)  # fmt: skip
AMOUNT_PREFIXES = ("amount", "betrag", "montant", "importe", "bedrag", "umsatz")
DEBIT_NAMES = (
    "debit", "debitamount", "debits", "withdrawal", "withdrawals", "withdrawalamount", "soll",
    "sollbetrag", "ausgang", "ausgaben", "debe", "cargo", "cargos", "debito", "retiro",
    "retiros", "afschrijving", "af", "moneyout", "paidout", "out", "sortie", "sorties",
    "montantdebit",
)  # fmt: skip
CREDIT_NAMES = (
    "credit", "creditamount", "credits", "deposit", "deposits", "depositamount", "haben",
    "habenbetrag", "eingang", "einnahmen", "haber", "abono", "abonos", "credito", "ingreso",
    "ingresos", "bijschrijving", "bij", "moneyin", "paidin", "in", "entree", "entrees",
    "montantcredit",
)  # fmt: skip
DIRECTION_NAMES = ("afbij", "sollhaben", "debitcredit", "creditdebit", "dc", "cd", "shkennung")
DESCRIPTION_NAMES = (
    "description", "verwendungszweck", "memo", "buchungstext", "libelle", "concepto",
    "omschrijving", "mededelingen", "details", "narrative", "desc", "purpose",
    "paymentreference", "reason", "text", "bookingtext", "umsatztext", "descripcion",
    "concept", "transactiondetails", "vorgang", "buchungsinformationen", "informations",
    "communication", "remarks", "vwz",
)  # fmt: skip
DESCRIPTION_SERIES = ("vwz", "description", "verwendungszweck", "libelle", "concepto", "text")
PAYEE_NAMES = (
    "payee", "name", "partnername", "beneficiary", "empfaenger", "empfanger",
    "auftraggeberempfaenger", "auftraggeberempfanger", "auftraggeber", "zahlungsempfaenger",
    "zahlungsempfanger", "zahlungspflichtiger", "beguenstigterzahlungspflichtiger",
    "begunstigterzahlungspflichtiger", "namezahlungsbeteiligter", "nombre", "beneficiario",
    "ordenante", "naamtegenpartij", "tegenpartij", "naam", "naamomschrijving", "merchantname",
    "merchant", "counterparty", "counterpartyname", "tiers", "beneficiaire", "payer",
    "recipient", "nomdutiers",
)  # fmt: skip
REFERENCE_NAMES = (
    "reference", "ref", "referenz", "referencia", "referentie", "transactionid",
    "transaktionsid", "id", "ndetransaction", "notransaction", "numerodetransaction",
    "transactionnumber", "fitid", "bankreference", "referenceid", "kundenreferenz",
    "checknumber", "chequenumber",
)  # fmt: skip
COUNTERPARTY_ACCOUNT_NAMES = (
    "iban", "partneriban", "counterpartyiban", "ibanzahlungsbeteiligter", "tegenrekening",
    "counterpartyaccount", "gegenkonto", "ibanauftraggeberempfanger", "ibanempfaenger",
    "kontonummerzahlungsbeteiligter", "cuentacontrapartida",
)  # fmt: skip
CURRENCY_NAMES = (
    "currency", "waehrung", "wahrung", "devise", "moneda", "divisa", "munt", "ccy", "curr",
    "monn", "monnaie", "currencycode",
)  # fmt: skip
# Names that only a non-English export uses: they hint at day-first dates.
_ENGLISH = {
    "bookingdate", "posteddate", "postingdate", "dateposted", "date", "transactiondate",
    "datetransaction", "operationdate", "created", "journaldate", "valuedate", "valdate",
    "amount", "netamount", "transactionamount", "amt", "total", "debit", "debitamount",
    "debits", "withdrawal", "withdrawals", "withdrawalamount", "moneyout", "paidout", "out",
    "credit", "creditamount", "credits", "deposit", "deposits", "depositamount", "moneyin",
    "paidin", "in", "description", "memo", "details", "narrative", "desc", "purpose",
    "paymentreference", "reason", "text", "payee", "name", "partnername", "beneficiary",
    "merchantname", "merchant", "counterparty", "counterpartyname", "payer", "recipient",
    "reference", "ref", "transactionid", "id", "transactionnumber", "referenceid",
    "checknumber", "currency", "iban", "partneriban",
}  # fmt: skip

# (strptime format, order of day and month: "dmy", "mdy" or None when unambiguous)
DATE_FORMATS: tuple[tuple[str, str | None], ...] = (
    ("%Y-%m-%d", None),
    ("%d.%m.%Y", None),
    ("%d.%m.%y", None),
    ("%d/%m/%Y", "dmy"),
    ("%m/%d/%Y", "mdy"),
    ("%d/%m/%y", "dmy"),
    ("%m/%d/%y", "mdy"),
    ("%Y/%m/%d", None),
    ("%d-%m-%Y", "dmy"),
    ("%m-%d-%Y", "mdy"),
    ("%d-%m-%y", "dmy"),
    ("%m-%d-%y", "mdy"),
    ("%Y%m%d", None),
    ("%d-%b-%y", None),
    ("%d-%b-%Y", None),
    ("%d %b %Y", None),
    ("%b %d, %Y", None),
    ("%d %B %Y", None),
    ("%B %d, %Y", None),
    ("%Y-%m-%d %H:%M", None),
    ("%Y-%m-%d %H:%M:%S", None),
    ("%Y-%m-%dT%H:%M:%S", None),
    ("%Y-%m-%dT%H:%M:%SZ", None),
    ("%d.%m.%Y %H:%M", None),
    ("%d.%m.%Y %H:%M:%S", None),
    ("%d/%m/%Y %H:%M", "dmy"),
    ("%m/%d/%Y %H:%M", "mdy"),
)
_CODE_IN_NAME = re.compile(r"\b([A-Z]{3})\b")


def fold(name: str) -> str:
    """Fold a column name for comparison: no accents, no case, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return re.sub(r"[^a-z0-9]", "", plain.casefold())


def rows_of(lines: Sequence[str], delimiter: str) -> list[tuple[int, list[str]]]:
    """Parse sample lines into (physical line index where the row starts, cells)."""
    reader = csv.reader(lines, delimiter=delimiter)
    rows = []
    start = 0
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num
    except csv.Error:
        pass  # the sample may end inside a quoted cell
    return rows


def guess_delimiter(lines: Sequence[str]) -> str:
    """Pick the delimiter that splits the sample lines into the most consistent rows."""
    sample = "\n".join(lines)
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    scores = {delimiter: _consistency(lines, delimiter) for delimiter in DELIMITERS}
    if sniffed in scores and scores[sniffed] >= (0.8, 2):
        return sniffed
    best, score = max(scores.items(), key=lambda item: item[1])
    return best if score[1] >= 2 else ","


def _consistency(lines: Sequence[str], delimiter: str) -> tuple[float, int]:
    widths = Counter(len(row) for _, row in rows_of(lines, delimiter) if any(row))
    if not widths:
        return 0.0, 0
    width, count = widths.most_common(1)[0]
    return count / sum(widths.values()), width


def find_header(rows: Sequence[tuple[int, list[str]]]) -> int | None:
    """Index of the header among the first rows: the first row naming known columns."""
    for index, (_, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        roles = {_role_of(fold(cell)) for cell in row} - {None}
        if len(roles) >= 2 and ("date" in roles or roles & {"amount", "debit", "credit"}):
            return index
    return None


def _role_of(name: str) -> str | None:
    for role, names in _ROLE_NAMES:
        if name in names:
            return role
    if name.startswith(AMOUNT_PREFIXES):
        return "amount"
    if re.sub(r"\d+$", "", name) in DESCRIPTION_SERIES:
        return "description"
    return None


_ROLE_NAMES = (
    ("date", DATE_NAMES),
    ("value_date", VALUE_DATE_NAMES),
    ("debit", DEBIT_NAMES),
    ("credit", CREDIT_NAMES),
    ("amount", AMOUNT_NAMES),
    ("direction", DIRECTION_NAMES),
    ("currency", CURRENCY_NAMES),
    ("reference", REFERENCE_NAMES),
    ("counterparty_account", COUNTERPARTY_ACCOUNT_NAMES),
    ("payee", PAYEE_NAMES),
    ("description", DESCRIPTION_NAMES),
)


@dataclass(slots=True)
class Layout:
    """The guessed role of each column (0-based indexes) and the hints found on the way."""

    date: int | None = None
    value_date: int | None = None
    amount: int | None = None
    debit: int | None = None
    credit: int | None = None
    direction: int | None = None
    currency: int | None = None
    reference: int | None = None
    counterparty_account: int | None = None
    payee: int | None = None
    description: list[int] = field(default_factory=list)
    foreign_names: bool = False  # names only non-English exports use

    def taken(self) -> set[int]:
        single = (
            self.date, self.value_date, self.amount, self.debit, self.credit, self.direction,
            self.currency, self.reference, self.counterparty_account, self.payee,
        )  # fmt: skip
        return {index for index in single if index is not None} | set(self.description)


def layout_from_header(header: Sequence[str]) -> Layout:
    """Assign roles to the header's columns by their names."""
    folded = [fold(cell) for cell in header]
    known = [name for name in folded if _role_of(name) is not None]
    layout = Layout(foreign_names=any(name not in _ENGLISH for name in known))
    date_ranks = [
        (DATE_NAMES.index(name), index) for index, name in enumerate(folded) if name in DATE_NAMES
    ]
    if date_ranks:
        layout.date = min(date_ranks)[1]
    for index, name in enumerate(folded):
        role = _role_of(name)
        if role is None or role == "date" or index in layout.taken():
            continue
        if role == "description":
            layout.description.append(index)
        elif getattr(layout, role) is None:
            setattr(layout, role, index)
    if layout.debit is not None and layout.credit is not None:
        layout.amount = None  # two columns say more than a total
    elif layout.debit is not None or layout.credit is not None:
        # One of the pair alone is a signed amount column that happens to be named so.
        alone = layout.debit if layout.debit is not None else layout.credit
        layout.amount = layout.amount if layout.amount is not None else alone
        layout.debit = layout.credit = None
    if layout.date is None and layout.value_date is not None:
        layout.date, layout.value_date = layout.value_date, None
    return layout


def complete_from_values(
    layout: Layout,
    rows: Sequence[Sequence[str]],
    *,
    debit_markers: set[str],
    credit_markers: set[str],
    header: Sequence[str],
) -> None:
    """Fill the date, amount, direction and description roles the names did not give."""
    width = max((len(row) for row in rows), default=0)
    columns = [
        [row[index].strip() for row in rows if index < len(row) and row[index].strip()]
        for index in range(width)
    ]
    free = [index for index in range(width) if index not in layout.taken() and columns[index]]
    if layout.date is None:
        layout.date = next(
            (i for i in free if guess_date_format(columns[i], day_first=False)), None
        )
    if all(i is None for i in (layout.amount, layout.debit, layout.credit)):
        numeric = [i for i in free if i != layout.date and _all_numbers(columns[i])]
        with_decimals = [
            i for i in numeric if any(re.search(r"[.,]\d{1,2}$", v) for v in columns[i])
        ]
        candidates = with_decimals or numeric
        layout.amount = candidates[0] if candidates else None
    if layout.direction is None and layout.amount is not None:
        for index in free:
            if index in (layout.date, layout.amount):
                continue
            values = {value.casefold() for value in columns[index]}
            name = fold(header[index]) if index < len(header) else ""
            # A "credit"/"debit" column may be a card type (Stripe's card_funding): only a
            # column named like a direction, or a headerless one showing both, counts.
            named = any(part in name for part in _DIRECTION_PARTS)
            both = bool(values & debit_markers) and bool(values & credit_markers)
            if values <= debit_markers | credit_markers and (named or (not header and both)):
                layout.direction = index
                break
    if not layout.description and layout.payee is None:
        texts = [i for i in free if i not in (layout.date, layout.amount, layout.direction)]
        if texts:
            layout.description.append(max(texts, key=lambda i: sum(map(len, columns[i]))))


_DIRECTION_PARTS = (
    "type", "typ", "tipo", "direction", "indicator", "kennzeichen", "sens", "afbij",
    "sollhaben", "debitcredit", "creditdebit",
)  # fmt: skip


def _all_numbers(values: Iterable[str]) -> bool:
    values = list(values)
    decimal, thousands = guess_separators(values)
    try:
        for value in values:
            parse_decimal_text(value, decimal_separator=decimal, thousands_separator=thousands)
    except ValueError:
        return False
    return bool(values)


def guess_date_format(values: Sequence[str], *, day_first: bool) -> str | None:
    """The strptime format that reads every value; day/month order by `day_first` if both do."""
    values = [value for value in values if value][:SAMPLE_ROWS_MAX]
    if not values:
        return None
    counts = [
        (sum(_fits(value, fmt) for value in values), fmt, order) for fmt, order in DATE_FORMATS
    ]
    most = max(count for count, _, _ in counts)
    if most == 0 or most < DATE_FIT_SHARE_MIN * len(values):
        return None
    # Every value should fit; a stray "pending" or a repeated header is left to the reader.
    fitting = [(fmt, order) for count, fmt, order in counts if count == most]
    preferred = "dmy" if day_first else "mdy"
    for fmt, order in fitting:
        if order in (None, preferred):
            return fmt
    return fitting[0][0]


def _fits(value: str, fmt: str) -> bool:
    try:
        time.strptime(value, fmt)
    except ValueError:
        return False
    return True


def currency_from_names(header: Sequence[str], indexes: Iterable[int | None]) -> str | None:
    """A currency named in an amount column's header: "Amount (EUR)", "Betrag in EUR"."""
    for index in indexes:
        if index is None or index >= len(header):
            continue
        for code in _CODE_IN_NAME.findall(header[index]):
            if iso_scale(str(code)) is not None:
                return str(code)
    return None
