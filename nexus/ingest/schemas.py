"""Request and response bodies of imports and reconciliation."""

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ACCOUNT = "01936f0e-0000-7000-8000-000000001010"
BATCH = "01936f0e-0000-7000-8000-0000000b0001"
LINE = "01936f0e-0000-7000-8000-0000000c0001"
ENTRY = "01936f0e-0000-7000-8000-0000000e0001"
RUN = "01936f0e-0000-7000-8000-0000000d0001"
MATCH = "01936f0e-0000-7000-8000-0000000f0001"


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class CsvProfileBody(BaseModel):
    """How to read a CSV export; columns by header name or 0-based index."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "delimiter": ";",
                    "encoding": "latin-1",
                    "date_column": "Buchungstag",
                    "date_format": "%d.%m.%Y",
                    "amount_column": "Betrag",
                    "decimal_separator": ",",
                    "thousands_separator": ".",
                    "description_columns": ["Verwendungszweck"],
                    "payee_column": "Beguenstigter/Zahlungspflichtiger",
                }
            ]
        },
    )

    delimiter: str = ","
    quotechar: str = '"'
    encoding: str | None = None
    has_header: bool = True
    skip_rows: int = Field(default=0, ge=0, le=1000)
    date_column: str | int | None = None
    date_format: str = "%Y-%m-%d"
    value_date_column: str | int | None = None
    amount_column: str | int | None = None
    debit_column: str | int | None = None
    credit_column: str | int | None = None
    direction_column: str | int | None = None
    decimal_separator: str = "."
    thousands_separator: str | None = None
    description_columns: list[str | int] = Field(default_factory=list)
    payee_column: str | int | None = None
    reference_column: str | int | None = None
    counterparty_account_column: str | int | None = None
    currency_column: str | int | None = None
    currency: str | None = None
    negate: bool = False


class StatementBalanceOut(BaseModel):
    model_config = _examples({"date": "2026-11-30", "amount": "1523.40", "currency": "EUR"})

    date: dt.date
    amount: str
    currency: str


class BankLineOut(BaseModel):
    model_config = _examples(
        {
            "id": LINE,
            "line_number": 2,
            "date": "2026-11-03",
            "value_date": None,
            "amount": "-42.10",
            "currency": "EUR",
            "description": "Corner Market 0412",
            "payee": "Corner Market",
            "reference": "FITID-20261103-1",
            "counterparty_account": None,
            "status": "new",
            "entry_id": None,
            "match_id": None,
            "raw": "2026-11-03,Corner Market 0412,-42.10",
        }
    )

    id: uuid.UUID
    line_number: int
    date: dt.date
    value_date: dt.date | None
    amount: str
    currency: str
    description: str
    payee: str | None
    reference: str | None
    counterparty_account: str | None
    status: str
    entry_id: uuid.UUID | None
    match_id: uuid.UUID | None
    raw: str


class ImportProgress(BaseModel):
    model_config = _examples({"done": 250000, "total": 1000000, "percent": 25.0})

    done: int
    total: int
    percent: float  # a display figure, not money


class StatementCheckOut(BaseModel):
    model_config = _examples(
        {
            "date": "2026-11-30",
            "currency": "EUR",
            "statement_balance": "1523.40",
            "ledger_balance": "1523.40",
            "difference": "0.00",
            "matches": True,
        }
    )

    date: dt.date
    currency: str
    statement_balance: str
    ledger_balance: str
    difference: str
    matches: bool


class CommitResult(BaseModel):
    model_config = _examples(
        {
            "posted": 118,
            "matched": 4,
            "proposed": 2,
            "duplicates": 3,
            "reconciliation_run_id": RUN,
            "statement_check": None,
        }
    )

    posted: int
    matched: int
    proposed: int
    duplicates: int
    reconciliation_run_id: uuid.UUID | None
    statement_check: StatementCheckOut | None


class ImportBatch(BaseModel):
    model_config = _examples(
        {
            "id": BATCH,
            "account_id": ACCOUNT,
            "counter_account_id": None,
            "currency": "EUR",
            "filename": "checking-2026-11.ofx",
            "format": "ofx",
            "status": "previewed",
            "lines_total": 127,
            "lines_duplicate": 3,
            "progress": {"done": 127, "total": 127, "percent": 100.0},
            "opening_balance": None,
            "closing_balance": {"date": "2026-11-30", "amount": "1523.40", "currency": "EUR"},
            "warnings": [],
            "error": None,
            "result": None,
            "profile": None,
            "created_at": "2026-12-01T09:30:00Z",
            "committed_at": None,
            "undone_at": None,
        }
    )

    id: uuid.UUID
    account_id: uuid.UUID
    counter_account_id: uuid.UUID | None
    currency: str
    filename: str | None
    format: str | None
    status: str
    lines_total: int
    lines_duplicate: int
    progress: ImportProgress
    opening_balance: StatementBalanceOut | None
    closing_balance: StatementBalanceOut | None
    warnings: list[str]
    error: dict[str, Any] | None
    result: CommitResult | None
    profile: CsvProfileBody | None
    created_at: dt.datetime
    committed_at: dt.datetime | None
    undone_at: dt.datetime | None


class ImportList(BaseModel):
    model_config = _examples({"items": []})

    items: list[ImportBatch]


class BankLineList(BaseModel):
    model_config = _examples({"items": [], "next_cursor": None})

    items: list[BankLineOut]
    next_cursor: str | None


class CsvPreview(BaseModel):
    """A CSV read with a profile: the header, the first rows and what they parse to."""

    model_config = _examples(
        {
            "profile": {"delimiter": ",", "date_column": "Date", "amount_column": "Amount"},
            "header": ["Date", "Description", "Amount"],
            "rows": [["2026-11-03", "Corner Market", "-42.10"]],
            "lines": [],
            "error": None,
        }
    )

    profile: CsvProfileBody
    header: list[str]
    rows: list[list[str]]
    lines: list[BankLineOut]
    error: dict[str, Any] | None


class SavedProfile(BaseModel):
    model_config = _examples(
        {
            "id": BATCH,
            "account_id": ACCOUNT,
            "name": "My bank CSV",
            "profile": {"delimiter": ";", "date_column": "Datum", "amount_column": "Betrag"},
        }
    )

    id: uuid.UUID
    account_id: uuid.UUID
    name: str
    profile: CsvProfileBody


class SavedProfileCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "account_id": ACCOUNT,
                    "name": "My bank CSV",
                    "header": ["Datum", "Text", "Betrag"],
                    "profile": {
                        "delimiter": ";",
                        "date_column": "Datum",
                        "amount_column": "Betrag",
                    },
                }
            ]
        },
    )

    account_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200)
    header: list[str] | None = Field(default=None, max_length=200)
    profile: CsvProfileBody


class SavedProfileList(BaseModel):
    model_config = _examples({"items": []})

    items: list[SavedProfile]


# --- reconciliation ----------------------------------------------------------------------


class RunCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"account_id": ACCOUNT, "from": "2026-11-01", "to": "2026-11-30"}]
        },
        populate_by_name=True,
    )

    account_id: uuid.UUID
    date_from: dt.date | None = Field(default=None, alias="from")
    date_to: dt.date | None = Field(default=None, alias="to")


class MatchOut(BaseModel):
    model_config = _examples(
        {
            "id": MATCH,
            "kind": "fuzzy",
            "bank_line_ids": [LINE],
            "entry_ids": [ENTRY],
            "confidence": 0.97,
            "reasons": ["amount_equal", "date_delta_1d", "text_similarity_88"],
            "status": "auto_accepted",
        }
    )

    id: uuid.UUID
    kind: str
    bank_line_ids: list[uuid.UUID]
    entry_ids: list[uuid.UUID]
    confidence: float  # a score in [0, 1], never money
    reasons: list[str]
    status: str


TOTALS_EXAMPLE = {
    "matched_lines": 120,
    "matched_entries": 121,
    "proposed": 2,
    "unmatched_lines": 5,
    "unmatched_entries": 1,
    "unmatched_lines_amount": "-83.20",
    "unmatched_entries_amount": "12.00",
}


class RunTotals(BaseModel):
    model_config = _examples(TOTALS_EXAMPLE)

    matched_lines: int
    matched_entries: int
    proposed: int
    unmatched_lines: int
    unmatched_entries: int
    unmatched_lines_amount: str
    unmatched_entries_amount: str


class ReconciliationRun(BaseModel):
    model_config = _examples(
        {
            "id": RUN,
            "account_id": ACCOUNT,
            "from": "2026-11-01",
            "to": "2026-11-30",
            "currency": "EUR",
            "created_at": "2026-12-01T09:31:00Z",
            "totals": TOTALS_EXAMPLE,
            "matches": [],
        }
    )

    id: uuid.UUID
    account_id: uuid.UUID
    date_from: dt.date | None = Field(serialization_alias="from")
    date_to: dt.date | None = Field(serialization_alias="to")
    currency: str
    created_at: dt.datetime
    totals: RunTotals
    matches: list[MatchOut]


class ManualMatchCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"bank_line_ids": [LINE], "entry_ids": [ENTRY]}]},
    )

    bank_line_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    entry_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)


class PostLinesCreate(BaseModel):
    """Unmatched bank lines to post as new entries against one account."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"bank_line_ids": [LINE], "counter_account_id": ACCOUNT}]},
    )

    bank_line_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)
    counter_account_id: uuid.UUID | None = None


class PostLinesResult(BaseModel):
    model_config = _examples({"posted": 3, "entry_ids": [ENTRY]})

    posted: int
    entry_ids: list[uuid.UUID]


class BulkDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"match_ids": [MATCH]}]}
    )

    match_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)


class BulkDecisionResult(BaseModel):
    model_config = _examples({"accepted": 12})

    accepted: int
