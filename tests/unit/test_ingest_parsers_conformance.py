"""The parsers against other projects' published statement fixtures (../shared/data).

Every statement file either parses or is refused with a StatementParseError or
UnknownFormat; which ones are refused, and why, is pinned below. Concrete values are
checked against what the files print and against the expectations their projects
ship: Odoo's camt golden files, mt-940's YAML dumps and csv2ofx's conversions.

The import always targets an account, so the sweep passes that account's currency
("EUR") for the formats that do not state one (QIF, fragments of MT940).
"""

import ast
import dataclasses
import datetime
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from nexus.core.money import iso_scale
from nexus.ingest.parsers import (
    StatementParseError,
    UnknownFormat,
    decode_text,
    parse_statement,
    suggest_profile,
)
from nexus.ingest.statement import ParsedStatement, StatementBalance

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
STATEMENTS = SHARED / "statements"
pytestmark = pytest.mark.skipif(
    not STATEMENTS.is_dir(), reason=f"the shared sample data is not at {STATEMENTS}"
)
ACCOUNT_CURRENCY = "EUR"
CSV2OFX = STATEMENTS / "csv" / "csv2ofx-0.34.2"
MT940 = STATEMENTS / "mt940" / "mt-940-4.23.0"
CAMT = STATEMENTS / "camt" / "oca-camt-19.0"


def _statement_files() -> list[str]:
    if not STATEMENTS.is_dir():
        return []
    files = []
    for path in sorted(STATEMENTS.rglob("*")):
        if not path.is_file() or path.suffix == ".pydata":
            continue
        if path.suffix == ".yml" and path.with_suffix(".sta").exists():
            continue  # mt-940's expected parse of the .sta beside it
        files.append(path.relative_to(STATEMENTS).as_posix())
    return files


# Files refused, each with the words of its refusal.
REFUSED = {
    "camt/oca-camt-19.0/test-camt053.zip": "ZIP archive",
    "csv/csv2ofx-0.34.2/converted/default_w_splits.ofx": "only BANKMSGSRSV1/INTRATRNRS",
    "csv/csv2ofx-0.34.2/converted/mint.ofx": "only BANKMSGSRSV1/INTRATRNRS",
    "csv/csv2ofx-0.34.2/example/investment_example.qif": "only investment registers",
    "csv/csv2ofx-0.34.2/example/transfer_example.ofx": "<CODE> is not closed before </STATUS>",
    "mt940/mt-940-4.23.0/betterplace/currency_in_25.sta": "no statement lines",
    "mt940/mt-940-4.23.0/betterplace/empty_86.sta": "no statement lines",
    "mt940/mt-940-4.23.0/betterplace/empty_line.sta": "no statement lines",
    "mt940/mt-940-4.23.0/cmxl/account_identification_iban.sta": "no statement lines",
    "mt940/mt-940-4.23.0/cmxl/account_identification_legacy.sta": "no statement lines",
    "mt940/mt-940-4.23.0/cmxl/available_balance.sta": "no statement lines",
    "mt940/mt-940-4.23.0/cmxl/mt940.sta": "'DEM' is not a current ISO 4217 currency",
    "mt940/mt-940-4.23.0/cmxl/reference.sta": "no statement lines",
    "mt940/mt-940-4.23.0/cmxl/statement_number.sta": "no statement lines",
    "mt940/mt-940-4.23.0/self-provided/empty_non_swift.sta": "no statement lines",
    "mt940/mt-940-4.23.0/self-provided/invalid_statement.sta": "not a statement Nexus can read",
    "mt940/mt-940-4.23.0/self-provided/raphaelm.sta": "'DEM' is not a current ISO 4217 currency",
    "ofx/ofxparse-0.21/account_listing_aggregation.ofx": "only SIGNUPMSGSRSV1/ACCTINFOTRNRS",
    "ofx/ofxparse-0.21/bank_small.ofx": "no bank or credit card statement, only a sign-on",
    "ofx/ofxparse-0.21/error_message.ofx": "error 2000 (General Server Error)",
    "ofx/ofxparse-0.21/fail_nice/date_missing.ofx": "line 33: transaction has no DTPOSTED",
    "ofx/ofxparse-0.21/fail_nice/decimal_error.ofx": "line 34: DTPOSTED '201120000000' is not",
    "ofx/ofxparse-0.21/fail_nice/empty_balance.ofx": "line 37: LEDGERBAL has a date but no",
    "ofx/ofxparse-0.21/signon_fail.ofx": "refused the sign-on: code 15500",
    "ofx/ofxparse-0.21/signon_success.ofx": "only a sign-on",
    "ofx/ofxparse-0.21/signon_success_no_message.ofx": "only a sign-on",
    "ofx/ofxtools/profrs.ofx": "refused the sign-on: code 15500",
    "qif/quiffen-4.0.1/empty.qif": "the file is empty",
    "qif/quiffen-4.0.1/invalid.txt": "not a statement Nexus can read",
    "qif/quiffen-4.0.1/test_category_inherit.qif": "no bank, cash or credit card transactions",
    "qif/quiffen-4.0.1/test_clear_autoswitch.qif": "no bank, cash or credit card transactions",
    "qif/quiffen-4.0.1/test_nosymbol.qif": "no bank, cash or credit card transactions",
    "qif/quiffen-4.0.1/test_option_autoswitch.qif": "no bank, cash or credit card transactions",
    "qif/quiffen-4.0.1/test_unknown_account_type.qif": "only investment registers",
}


def parse(relative: str, **options: Any) -> list[ParsedStatement]:
    options.setdefault("default_currency", ACCOUNT_CURRENCY)
    path = STATEMENTS / relative
    return parse_statement(path.read_bytes(), filename=path.name, **options)


@pytest.mark.parametrize("relative", _statement_files())
def test_every_statement_file_parses_or_is_refused_clearly(relative: str) -> None:
    refusal: StatementParseError | UnknownFormat | None = None
    try:
        statements = parse(relative)
    except (StatementParseError, UnknownFormat) as error:
        refusal, statements = error, []
    if refusal is not None:
        assert relative in REFUSED, f"{relative} was refused: {refusal.message}"
        assert REFUSED[relative] in refusal.message
        assert {"line", "format"} <= set(refusal.details)
        return
    assert relative not in REFUSED, f"{relative} should be refused ({REFUSED[relative]})"
    assert statements
    for statement in statements:
        # A statement without lines says so; it is never silently empty.
        assert statement.lines or "the statement has no transactions" in statement.warnings
        for line in statement.lines:
            assert line.line_number >= 1
            assert line.raw.strip()
            assert iso_scale(line.currency) is not None
            assert isinstance(line.amount_minor, int)


def test_the_sweep_covers_the_whole_corpus() -> None:
    files = _statement_files()
    refused = [name for name in files if name in REFUSED]
    assert len(files) == 157
    assert len(refused) == len(REFUSED) == 34


# --- OFX ------------------------------------------------------------------------------


def amounts(statement: ParsedStatement) -> list[int]:
    return [line.amount_minor for line in statement.lines]


def test_ofx_bank_medium() -> None:
    [statement] = parse("ofx/ofxparse-0.21/bank_medium.ofx")
    assert amounts(statement) == [-660, -31667, -2200]
    assert statement.account.iban_or_number == "12300 000012345678"
    assert statement.closing_balance == StatementBalance(datetime.date(2009, 5, 23), 38234, "CAD")
    first = statement.lines[0]
    assert (first.date, first.payee, first.reference) == (
        datetime.date(2009, 4, 1),
        "MCDONALD'S #112",
        "0000123456782009040100001",
    )
    assert first.description == "POS MERCHANDISE;MCDONALD'S #112"


def test_ofx_checking_with_a_ten_digit_bank_id() -> None:
    [statement] = parse("ofx/ofxparse-0.21/checking.ofx")
    assert amounts(statement) == [1, -3451, -2500]
    assert statement.account.bank_id == "5472369148"  # ofxtools' model refuses this file
    assert statement.closing_balance == StatementBalance(datetime.date(2013, 5, 25), 10099, "USD")
    assert [line.line_number for line in statement.lines] == [46, 54, 62]


def test_ofx_suncorp_cdata() -> None:
    [statement] = parse("ofx/ofxparse-0.21/suncorp.ofx")
    [line] = statement.lines
    assert (line.amount_minor, line.payee) == (-1685, "EFTPOS WDL HANDYWAY ALDI STORE")
    assert statement.closing_balance == StatementBalance(datetime.date(2013, 12, 15), 123412, "AUD")


def test_ofx_anz_credit_card() -> None:
    [statement] = parse("ofx/ofxparse-0.21/anzcc.ofx")
    assert amounts(statement) == [-550]
    assert statement.closing_balance == StatementBalance(datetime.date(2017, 5, 10), -12345, "AUD")


def test_ofx_multiple_accounts() -> None:
    statements = parse("ofx/ofxparse-0.21/multiple_accounts.ofx")
    assert [(s.account.iban_or_number, s.closing_balance) for s in statements] == [
        ("9100", StatementBalance(datetime.date(2012, 6, 3), 11100, "USD")),
        ("9200", StatementBalance(datetime.date(2012, 6, 3), 22200, "USD")),
    ]


def test_ofx_decimal_commas_read_like_decimal_points() -> None:
    [dotted] = parse("ofx/ofxtools/stmtrs.ofx")
    [comma] = parse("ofx/ofxtools/stmtrs_euro.ofx")
    assert amounts(dotted) == amounts(comma) == [-20000, -30000]
    assert dotted.closing_balance == comma.closing_balance
    assert comma.closing_balance == StatementBalance(datetime.date(2005, 10, 29), 20029, "USD")


def test_ofx_nubank_with_a_misplaced_balance() -> None:
    [statement] = parse("ofx/ofxtools/br_nubank_cc.ofx")
    assert amounts(statement) == [-1300, -16290, -3346, -902, -10353, -95900]
    assert statement.closing_balance == StatementBalance(datetime.date(2024, 3, 25), -128091, "BRL")
    assert statement.warnings == ["line 92: <BANKTRANLIST> is not closed before </CCSTMTRS>"]


def test_ofx_empty_tags() -> None:
    [statement] = parse("ofx/ofxparse-0.21/ofx-v102-empty-tags.ofx", default_currency=None)
    [line] = statement.lines
    assert (line.amount_minor, line.currency, line.reference) == (1234, "AUD", None)
    assert statement.closing_balance is None
    assert "LEDGERBAL is empty: the file gives no closing balance" in statement.warnings


def test_ofx_investment_cash_lines() -> None:
    [savings] = parse("ofx/ofxparse-0.21/fidelity-savings.ofx")
    assert amounts(savings) == [-150000, 11583, -19711, -19712]
    assert savings.warnings[0] == "line 63: TRNAMT 115.8331 rounded to 115.83 USD"
    [medium] = parse("ofx/ofxparse-0.21/investment_medium.ofx")
    assert [(line.amount_minor, line.currency) for line in medium.lines] == [
        (-365, "USD"),
        (335, "USD"),
        (-365, "USD"),
    ]
    [k401] = parse("ofx/ofxparse-0.21/investment_401k.ofx")
    assert k401.lines == []
    assert k401.warnings[0].startswith("3 security transactions")


# --- CAMT, against Odoo's golden files ------------------------------------------------


def minor(value: float | None, currency: str) -> int | None:
    """A golden float as minor units: through its shortest repr, never float arithmetic."""
    if value is None:
        return None
    scale = iso_scale(currency)
    assert scale is not None
    return int(Decimal(repr(value)).scaleb(scale))


def golden(name: str) -> tuple[str | None, str | None, list[dict[str, Any]]]:
    expected = ast.literal_eval((CAMT / f"golden-{name}.pydata").read_text(encoding="utf-8"))
    assert isinstance(expected, tuple)
    return expected


@pytest.mark.parametrize("name", ["camt053", "camt053-txdtls"])
def test_camt053_matches_odoo_golden_file(name: str) -> None:
    currency, iban, expected_statements = golden(name)
    assert currency is not None
    statements = parse(f"camt/oca-camt-19.0/test-{name}")
    assert len(statements) == len(expected_statements)
    for statement, expected in zip(statements, expected_statements, strict=True):
        assert statement.account.iban_or_number == iban
        assert statement.opening_balance is not None
        assert statement.closing_balance is not None
        assert statement.opening_balance.amount_minor == minor(expected["balance_start"], currency)
        assert statement.closing_balance.amount_minor == minor(
            expected["balance_end_real"], currency
        )
        got = [
            (
                line.date.isoformat(),
                line.amount_minor,
                line.currency,
                line.payee,
                line.counterparty_account,
            )
            for line in statement.lines
        ]
        want = [
            (
                item["date"],
                minor(item["amount"], currency),
                currency,
                item["partner_name"],
                item["account_number"],
            )
            for item in expected["transactions"]
        ]
        assert got == want


def test_camt053_references() -> None:
    [statement] = parse("camt/oca-camt-19.0/test-camt053")
    # No AcctSvcrRef or NtryRef in this file: the end-to-end ids, as Odoo's "ref".
    assert [line.reference for line in statement.lines] == [
        item["ref"] for item in golden("camt053")[2][0]["transactions"]
    ]
    # The file's balances do not add up; the parser says so rather than hiding it.
    assert statement.warnings == [
        "opening balance 1556827 plus the lines (-1299) is 1555528, but the closing balance"
        " is 1512112 (EUR minor units)"
    ]


def test_camt053_without_entries_is_a_documented_empty_statement() -> None:
    # Odoo drops such a statement ((None, None, [])); Nexus keeps its balances.
    assert golden("camt053-no-ntry") == (None, None, [])
    [statement] = parse("camt/oca-camt-19.0/test-camt053-no-ntry")
    assert statement.lines == []
    assert statement.opening_balance == StatementBalance(datetime.date(2014, 1, 5), 152076, "CHF")
    assert statement.closing_balance == statement.opening_balance
    assert statement.warnings == ["the statement has no transactions"]


def test_camt054_notification_matches_odoo_amounts_with_a_warning() -> None:
    currency, iban, [expected] = golden("camt054")
    assert currency is not None
    [statement] = parse("camt/oca-camt-19.0/test-camt054")
    assert statement.account.iban_or_number == iban
    assert [(line.amount_minor, line.payee) for line in statement.lines] == [
        (minor(item["amount"], currency), item["partner_name"]) for item in expected["transactions"]
    ]
    assert statement.opening_balance is None  # a notification has no balances
    assert statement.warnings[0].startswith("camt.054 is a debit/credit notification")


# --- MT940 ------------------------------------------------------------------------------


def balance(statement: ParsedStatement, which: str) -> tuple[datetime.date, int] | None:
    found: StatementBalance | None = getattr(statement, f"{which}_balance")
    return None if found is None else (found.date, found.amount_minor)


def test_mt940_abn_amro_two_messages() -> None:
    first, second = parse("mt940/mt-940-4.23.0/jejik/abnamro.sta")
    assert first.account.iban_or_number == "517852257"
    assert balance(first, "opening") == (datetime.date(2011, 5, 22), 323628)
    assert balance(first, "closing") == (datetime.date(2011, 5, 23), 87684)
    assert amounts(first) == [-900, -1159, -1163, -1180, -1345, -1549, -10700, -14148]
    assert balance(second, "opening") == (datetime.date(2011, 5, 23), 287684)  # :60M:
    assert balance(second, "closing") == (datetime.date(2011, 5, 24), 184975)  # :62M:
    assert amounts(second) == [-949, -1500]
    assert first.lines[1].date == datetime.date(2011, 5, 23)  # entry date
    assert first.lines[1].value_date == datetime.date(2011, 5, 21)


def test_mt940_ing() -> None:
    [statement] = parse("mt940/mt-940-4.23.0/jejik/ing.sta")
    assert amounts(statement) == [-2503, -303, -111, -2000, -110, 368, 100]
    assert balance(statement, "opening") == (datetime.date(2010, 7, 22), 0)
    assert balance(statement, "closing") == (datetime.date(2010, 7, 23), 347)


def test_mt940_knab_references() -> None:
    first, second = parse("mt940/mt-940-4.23.0/jejik/knab.sta")
    assert amounts(first) == [50000]
    assert amounts(second) == [-726000, 50000]
    assert [line.reference for line in second.lines] == ["B4G29PGCVO7Q06US", "B4G29PGDCK1QFV3E"]
    assert balance(second, "closing") == (datetime.date(2014, 7, 30), 79898)


def test_mt940_mbank() -> None:
    [statement] = parse("mt940/mt-940-4.23.0/mBank/mt940.sta")
    assert amounts(statement) == [1, 1, 1]
    assert statement.account.currency == "PLN"
    assert balance(statement, "opening") == (datetime.date(2017, 1, 19), 40)
    assert balance(statement, "closing") == (datetime.date(2017, 1, 19), 43)
    assert statement.lines[0].reference == "MB170119012058"


def test_mt940_sberbank_huf_with_non_swift_details() -> None:
    [statement] = parse("mt940/mt-940-4.23.0/sberbank/171011_01234945.sta")
    assert amounts(statement) == [-240200, -346000, -357500]
    assert balance(statement, "opening") == (datetime.date(2017, 10, 11), 62731130)
    assert balance(statement, "closing") == (datetime.date(2017, 10, 11), 61787430)
    assert statement.lines[0].description.startswith("526715 A12596785")  # from :NS:


def test_mt940_february_30_is_fixed_up() -> None:
    [statement] = parse("mt940/mt-940-4.23.0/self-provided/february_30.sta")
    [line] = statement.lines
    assert (line.value_date, line.date, line.amount_minor) == (
        datetime.date(2016, 2, 29),
        datetime.date(2016, 3, 1),
        -600,
    )


def test_mt940_reversal_of_credit_is_negative_and_the_balances_agree() -> None:
    statements = parse("mt940/mt-940-4.23.0/betterplace/sepa_mt9401.sta")
    assert len(statements) == 26
    assert -20488 in amounts(statements[0])  # :61: ...RCR204,88 (mt-940 4.23 said +204.88)
    assert not any("closing balance is" in w for s in statements for w in s.warnings)


def test_mt940_hungarian_cp852_is_decoded() -> None:
    [statement] = parse("mt940/mt-940-4.23.0/self-provided/raiffeisen-cmi.sta")
    assert "Csoportos átutalás jóváírása" in statement.lines[0].raw


def _yaml_loader() -> Any:
    yaml = pytest.importorskip("yaml", reason="pyyaml is needed to read mt-940's .yml dumps")

    class TolerantLoader(yaml.SafeLoader):  # type: ignore[misc,name-defined]
        """Reads mt-940's Python-tagged YAML into plain dicts, dates and Decimals."""

    def python_object(loader: Any, suffix: str, node: Any) -> Any:
        data: dict[str, Any] = {}
        yield data
        if isinstance(node, yaml.MappingNode):
            data.update(loader.construct_mapping(node, deep=True))

    def python_apply(loader: Any, suffix: str, node: Any) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            return None  # an object rebuilt from its state (a time zone): not needed here
        arguments = loader.construct_sequence(node, deep=True)
        if suffix == "decimal.Decimal":
            return Decimal(arguments[0])
        if suffix == "mt940.models.Date":  # a pickled date: 2 bytes year, month, day
            raw = arguments[0]
            return datetime.date(raw[0] * 256 + raw[1], raw[2], raw[3])
        return None

    TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/object:", python_object)
    TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/object/apply:", python_apply)
    TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/name:", lambda *_: None)
    return yaml, TolerantLoader


# Where Nexus reads a line differently from mt-940 4.23's defaults, on purpose.
YAML_DIFFERENCES = {
    # RC is a reversal of a credit: money out (mt-940's Options.reversal_sign, issue #130).
    "betterplace/sepa_mt9401.sta": {-20488},
}


def _mt940_with_yaml() -> list[str]:
    if not MT940.is_dir():
        return []
    return sorted(
        path.relative_to(MT940).as_posix()
        for path in MT940.rglob("*.sta")
        if path.with_suffix(".yml").exists()
        and f"mt940/mt-940-4.23.0/{path.relative_to(MT940).as_posix()}" not in REFUSED
    )


@pytest.mark.parametrize("relative", _mt940_with_yaml())
def test_mt940_lines_match_the_mt940_package_yaml(relative: str) -> None:
    yaml, loader = _yaml_loader()
    expected = yaml.load((MT940 / relative).with_suffix(".yml").read_text("utf-8"), loader)
    transactions = expected.get("transactions") or []
    want = [(t["data"]["amount"]["amount"], t["data"].get("date")) for t in transactions]
    statements = parse(f"mt940/mt-940-4.23.0/{relative}")
    got = [
        (line.amount_minor, line.value_date or line.date) for s in statements for line in s.lines
    ]
    scale = iso_scale(statements[0].account.currency or ACCOUNT_CURRENCY) or 0
    expected_minor = [(int(amount.scaleb(scale)), day) for amount, day in want]
    different = YAML_DIFFERENCES.get(relative, set())
    assert len(got) == len(expected_minor)
    for (amount, day), (want_amount, want_day) in zip(got, expected_minor, strict=True):
        assert day == want_day
        assert amount == want_amount or (amount in different and amount == -want_amount)


# --- QIF --------------------------------------------------------------------------------


def test_qif_quiffen_test_file() -> None:
    [statement] = parse("qif/quiffen-4.0.1/test.qif")
    assert amounts(statement) == [6750, 3200, -1000, -2500, -10000]
    assert [line.date for line in statement.lines] == [
        datetime.date(2020, 2, 14),
        datetime.date(2020, 2, 14),
        datetime.date(2020, 2, 12),
        datetime.date(2020, 2, 11),
        datetime.date(2020, 2, 10),
    ]
    assert statement.opening_balance == StatementBalance(datetime.date(2020, 2, 10), 0, "EUR")
    assert statement.lines[3].reference == "123"
    assert "1 investment records (!Type:Invst) are not bank lines" in statement.warnings[-1]


def test_qif_day_first_is_inferred_from_the_file() -> None:
    [statement] = parse("qif/quiffen-4.0.1/test_category_override.qif")
    assert statement.lines[0].date == datetime.date(2017, 12, 22)  # D22/12/2017
    assert statement.lines[2].date == datetime.date(2018, 1, 2)  # D02/01/2018
    assert amounts(statement) == [100000, 110000, -1257, -999]


def test_qif_two_digit_years_and_apostrophes() -> None:
    [split] = parse("qif/quiffen-4.0.1/test_split.qif")
    assert [(line.date, line.amount_minor) for line in split.lines] == [
        (datetime.date(2000, 1, 1), -1000)
    ]
    assert "month/day" in split.warnings[0]  # 1/ 1'00 cannot tell the order
    [pharmacy] = parse("qif/quiffen-4.0.1/test_circular_reference.qif")
    assert [(line.date, line.amount_minor) for line in pharmacy.lines] == [
        (datetime.date(2021, 8, 27), -900),
        (datetime.date(2021, 8, 27), -559),
    ]


def test_qif_iso_dates_before_any_account() -> None:
    [statement] = parse("qif/quiffen-4.0.1/test_transaction_before_account_definition_1.qif")
    assert [(line.date, line.amount_minor) for line in statement.lines] == [
        (datetime.date(2022, 9, 23), -18480),
        (datetime.date(2022, 9, 8), -1316),
    ]


def test_qif_invalid_file_is_refused() -> None:
    with pytest.raises(UnknownFormat, match="not a statement"):
        parse("qif/quiffen-4.0.1/invalid.txt")


# --- CSV, against csv2ofx's own conversions ---------------------------------------------


def pairs(statements: list[ParsedStatement]) -> Counter[tuple[datetime.date, int]]:
    return Counter((line.date, line.amount_minor) for s in statements for line in s.lines)


def csv_statement(name: str, **changes: Any) -> ParsedStatement:
    data = (CSV2OFX / "test" / name).read_bytes()
    profile = dataclasses.replace(suggest_profile(decode_text(data)), **changes)
    [statement] = parse_statement(data, csv_profile=profile, default_currency="USD")
    return statement


@pytest.mark.parametrize(
    ("csv_name", "converted", "changes"),
    [
        ("schwab-checking.csv", "schwab-checking.ofx", {}),
        ("payoneer.csv", "payoneer.ofx", {}),
        ("pcmastercard.csv", "pcmastercard.ofx", {"negate": True, "currency": "CAD"}),
        ("n26-fr.csv", "n26.ofx", {}),
        ("outbank.csv", "outbank.ofx", {}),
        ("gls.csv", "gls.ofx", {}),
        ("stripe-default.csv", "stripe-default.ofx", {}),
        ("stripe-default.csv", "stripe-default.qif", {}),
        ("ubs-ch-fr_trimmed.csv", "ubs-ch-fr.qif", {}),
        ("creditunion.csv", "creditunion.qif", {}),
        ("default.csv", "default.ofx", {}),
        ("mint.csv", "mint.qif", {}),
        ("mint_extra.csv", "mint.qif", {}),
        ("mint_headerless.csv", "mint.qif", {}),
    ],
)
def test_csv_matches_the_csv2ofx_conversion(
    csv_name: str, converted: str, changes: dict[str, Any]
) -> None:
    statement = csv_statement(csv_name, **changes)
    expected = parse_statement(
        (CSV2OFX / "converted" / converted).read_bytes(), default_currency="USD"
    )
    assert pairs([statement]) == pairs(expected)
    currencies = {line.currency for s in expected for line in s.lines}
    if converted.endswith(".ofx"):
        assert {line.currency for line in statement.lines} == currencies


def test_csv_schwab_details() -> None:
    statement = csv_statement("schwab-checking.csv")
    assert [(line.line_number, line.amount_minor) for line in statement.lines] == [
        (2, 2000),
        (3, -10300),
        (4, -7500),
        (5, -5727),
    ]
    assert statement.lines[2].reference == "558"
    assert statement.lines[3].description == "PAYPAL INST XFER 220803~ Tran: ACHDW"


def test_csv_ing_spain_day_first_where_csv2ofx_misread_one_date() -> None:
    statement = csv_statement("ingesp.csv")
    expected = parse_statement((CSV2OFX / "converted" / "ingesp.ofx").read_bytes())
    ours, theirs = pairs([statement]), pairs(expected)
    # "08/04/2022" in a day-first file is 8 April; csv2ofx wrote 4 August.
    assert ours - theirs == Counter({(datetime.date(2022, 4, 8), 269): 1})
    assert theirs - ours == Counter({(datetime.date(2022, 8, 4), 269): 1})
    assert {line.currency for line in statement.lines} == {"USD"}  # no currency column


def test_csv_amazon_order_history_skips_pending_rows_with_warnings() -> None:
    statement = csv_statement("amazon.csv", negate=True)
    assert amounts(statement) == [-422, -742, -3412]
    assert statement.warnings == [
        "line 5: no amount (pending, cancelled or a subtotal?); row skipped",
        "line 6: no amount (pending, cancelled or a subtotal?); row skipped",
        "line 7: no amount (pending, cancelled or a subtotal?); row skipped",
        "line 8: the header is repeated; row skipped",
    ]
