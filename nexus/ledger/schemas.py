"""Request and response bodies of the ledger API. Amounts are decimal strings."""

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nexus.core.money import SCALE_MAX
from nexus.ledger.domain import AccountType

AMOUNT_EXAMPLE = "-12.34"
ACCOUNT_ID_EXAMPLE = "01936f0e-8a0b-7c4d-9e2f-3a4b5c6d7e8f"
ENTRY_ID_EXAMPLE = "01936f0f-1c2d-7e3f-8a4b-5c6d7e8f9a0b"


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- accounts -----------------------------------------------------------------------


class AccountCreate(Schema):
    code: str = Field(
        min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9.:_\-]*$", examples=["1010"]
    )
    name: str = Field(min_length=1, max_length=200, examples=["Checking account"])
    type: AccountType = Field(examples=["asset"])
    parent_id: uuid.UUID | None = Field(default=None, examples=[None])
    currency: str | None = Field(
        default=None,
        max_length=16,
        examples=["EUR"],
        description="The one currency this account holds; null for a multi-currency account.",
    )
    floor: str | None = Field(
        default=None,
        examples=["0.00"],
        description="The balance may never go below this (single-currency accounts only).",
    )
    description: str | None = Field(default=None, max_length=2000, examples=["Main bank account"])


class AccountUpdate(Schema):
    code: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9.:_\-]*$",
        examples=["1011"],
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=200, examples=["Joint checking"]
    )
    parent_id: uuid.UUID | None = Field(default=None, examples=[None])
    floor: str | None = Field(default=None, examples=["-500.00"])
    description: str | None = Field(default=None, max_length=2000, examples=["Shared with Sam"])


class Account(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": ACCOUNT_ID_EXAMPLE,
                    "code": "1010",
                    "name": "Checking account",
                    "type": "asset",
                    "parent_id": None,
                    "currency": "EUR",
                    "floor": None,
                    "is_closed": False,
                    "description": None,
                    "created_at": "2026-11-01T09:30:00Z",
                    "updated_at": "2026-11-01T09:30:00Z",
                    "closed_at": None,
                }
            ]
        }
    )

    id: uuid.UUID = Field(examples=[ACCOUNT_ID_EXAMPLE])
    code: str = Field(examples=["1010"])
    name: str = Field(examples=["Checking account"])
    type: AccountType = Field(examples=["asset"])
    parent_id: uuid.UUID | None = Field(examples=[None])
    currency: str | None = Field(examples=["EUR"])
    floor: str | None = Field(examples=["0.00"])
    is_closed: bool = Field(examples=[False])
    description: str | None = Field(examples=[None])
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None = None


class AccountList(BaseModel):
    items: list[Account]


class CurrencyAmount(BaseModel):
    currency: str = Field(examples=["EUR"])
    amount: str = Field(examples=["1250.00"])


class AccountBalance(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": ACCOUNT_ID_EXAMPLE,
                    "as_of": "2026-10-31",
                    "known_at": None,
                    "balances": [{"currency": "EUR", "amount": "1250.00"}],
                }
            ]
        }
    )

    account_id: uuid.UUID
    as_of: dt.date | None = Field(description="Null: the current balance.")
    known_at: dt.datetime | None = None
    balances: list[CurrencyAmount]


class BalanceLine(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": ACCOUNT_ID_EXAMPLE,
                    "code": "1010",
                    "name": "Checking account",
                    "type": "asset",
                    "parent_id": None,
                    "is_closed": False,
                    "own": [{"currency": "EUR", "amount": "1250.00"}],
                    "total": [{"currency": "EUR", "amount": "1250.00"}],
                }
            ]
        }
    )

    account_id: uuid.UUID
    code: str = Field(examples=["1010"])
    name: str = Field(examples=["Checking account"])
    type: AccountType
    parent_id: uuid.UUID | None
    is_closed: bool
    own: list[CurrencyAmount] = Field(description="Postings to this account alone.")
    total: list[CurrencyAmount] = Field(description="This account and all its descendants.")


class BalanceSheet(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"as_of": "2026-10-31", "known_at": "2026-11-01T00:00:00Z", "items": []}]
        }
    )

    as_of: dt.date | None
    known_at: dt.datetime | None
    items: list[BalanceLine]


class HistoryLine(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entry_id": ENTRY_ID_EXAMPLE,
                    "date": "2026-11-02",
                    "description": "Groceries",
                    "payee": "Corner Market",
                    "currency": "EUR",
                    "amount": "-42.10",
                    "balance": "1207.90",
                }
            ]
        }
    )

    entry_id: uuid.UUID
    date: dt.date
    description: str = Field(examples=["Groceries"])
    payee: str | None = Field(examples=["Corner Market"])
    currency: str = Field(examples=["EUR"])
    amount: str = Field(examples=["-42.10"])
    balance: str = Field(examples=["1207.90"], description="Running balance after this entry.")


class AccountHistory(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "entry_id": ENTRY_ID_EXAMPLE,
                            "date": "2026-11-02",
                            "description": "Groceries",
                            "payee": "Corner Market",
                            "currency": "EUR",
                            "amount": "-42.10",
                            "balance": "1207.90",
                        }
                    ],
                    "next_cursor": "MjAyNi0xMS0wMnwwMTkzNmYwZQ",
                }
            ]
        }
    )

    items: list[HistoryLine]
    next_cursor: str | None


# --- entries ------------------------------------------------------------------------


class PostingIn(Schema):
    account_id: uuid.UUID = Field(examples=[ACCOUNT_ID_EXAMPLE])
    amount: str = Field(examples=[AMOUNT_EXAMPLE], description="Decimal string; debit > 0.")
    currency: str = Field(min_length=1, max_length=16, examples=["EUR"])
    memo: str | None = Field(default=None, max_length=500, examples=[None])


class EntryCreate(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "date": "2026-11-02",
                    "description": "Weekly groceries",
                    "payee": "Corner Market",
                    "postings": [
                        {
                            "account_id": "01936f0e-0000-7000-8000-000000005010",
                            "amount": "42.10",
                            "currency": "EUR",
                        },
                        {
                            "account_id": "01936f0e-0000-7000-8000-000000001010",
                            "amount": "-42.10",
                            "currency": "EUR",
                        },
                    ],
                }
            ]
        },
    )

    date: dt.date
    description: str = Field(min_length=1, max_length=500)
    payee: str | None = Field(default=None, max_length=200)
    reference: str | None = Field(default=None, max_length=200)
    postings: list[PostingIn] = Field(min_length=1, max_length=500)
    metadata: dict[str, Any] | None = None


class BatchEntryCreate(EntryCreate):
    idempotency_key: str = Field(min_length=1, max_length=200, examples=["bank-2026-11-02-0001"])


class BatchCreate(Schema):
    entries: list[BatchEntryCreate] = Field(min_length=1)


class BatchItem(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": ENTRY_ID_EXAMPLE,
                    "idempotency_key": "bank-2026-11-02-0001",
                    "replayed": False,
                }
            ]
        }
    )

    id: uuid.UUID
    idempotency_key: str
    replayed: bool = Field(description="True when this key was already posted with this body.")


class BatchResult(BaseModel):
    posted: int = Field(examples=[998])
    replayed: int = Field(examples=[2])
    items: list[BatchItem]


class PostingOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "line": 0,
                    "account_id": ACCOUNT_ID_EXAMPLE,
                    "amount": "-12.34",
                    "currency": "EUR",
                    "memo": None,
                }
            ]
        }
    )

    line: int
    account_id: uuid.UUID
    amount: str = Field(examples=[AMOUNT_EXAMPLE])
    currency: str = Field(examples=["EUR"])
    memo: str | None


class Entry(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": ENTRY_ID_EXAMPLE,
                    "date": "2026-11-02",
                    "description": "Weekly groceries",
                    "payee": "Corner Market",
                    "reference": None,
                    "metadata": None,
                    "recorded_at": "2026-11-02T18:04:11.120Z",
                    "reverses_entry_id": None,
                    "reversed_by_entry_id": None,
                    "postings": [
                        {
                            "line": 0,
                            "account_id": ACCOUNT_ID_EXAMPLE,
                            "amount": "42.10",
                            "currency": "EUR",
                            "memo": None,
                        }
                    ],
                }
            ]
        }
    )

    id: uuid.UUID
    date: dt.date
    description: str = Field(examples=["Weekly groceries"])
    payee: str | None = Field(examples=["Corner Market"])
    reference: str | None = Field(examples=[None])
    metadata: dict[str, Any] | None
    recorded_at: dt.datetime
    reverses_entry_id: uuid.UUID | None
    reversed_by_entry_id: uuid.UUID | None
    postings: list[PostingOut]


class EntryList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})

    items: list[Entry]
    next_cursor: str | None


class ReverseRequest(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"date": "2026-11-03", "description": "Reversal: entered twice"}]
        },
    )

    date: dt.date | None = Field(
        default=None,
        description="Defaults to the original's date, or today when that period is closed.",
    )
    description: str | None = Field(default=None, max_length=500, examples=["Reversal: duplicate"])


ReversalStatus = Literal["reversed", "replayed", "skipped"]


class ReversalItem(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"entry_id": ENTRY_ID_EXAMPLE, "idempotency_key": "undo-0001"}]
        },
    )

    entry_id: uuid.UUID
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="A retry with the same key returns the first reversal.",
    )
    date: dt.date | None = Field(
        default=None,
        description="Defaults to the original's date, or today when that period is closed.",
    )
    description: str | None = Field(default=None, max_length=500)


class ReversalBatch(Schema):
    items: list[ReversalItem] = Field(min_length=1)
    skip_already_reversed: bool = Field(
        default=False,
        examples=[True],
        description="Skip entries already reversed under another key instead of refusing "
        "the whole batch.",
    )


class ReversalOutcome(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entry_id": ENTRY_ID_EXAMPLE,
                    "idempotency_key": "undo-0001",
                    "reversal_entry_id": "01937b2e-9c4d-7f00-8000-00000000abcd",
                    "status": "reversed",
                }
            ]
        }
    )

    entry_id: uuid.UUID
    idempotency_key: str | None
    reversal_entry_id: uuid.UUID | None = Field(description="None when skipped.")
    status: ReversalStatus


class ReversalBatchResult(BaseModel):
    reversed: int = Field(examples=[998])
    replayed: int = Field(examples=[1])
    skipped: int = Field(examples=[1])
    items: list[ReversalOutcome]


# --- organisation set-up, currencies, FX, periods, chain ----------------------------


class SetupRequest(Schema):
    template: Literal["household", "small_business", "empty"] = Field(examples=["household"])
    base_currency: str = Field(min_length=3, max_length=16, examples=["EUR"])


class LedgerSettings(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"base_currency": "EUR", "closed_through": "2026-09-30", "template": "household"}
            ]
        }
    )

    base_currency: str = Field(examples=["EUR"])
    closed_through: dt.date | None
    template: str | None


class SetupResult(BaseModel):
    settings: LedgerSettings
    accounts: list[Account]


class AssetCreate(Schema):
    code: str = Field(min_length=2, max_length=16, examples=["VWRL"])
    name: str = Field(min_length=1, max_length=200, examples=["Vanguard FTSE All-World"])
    scale: int = Field(ge=0, le=SCALE_MAX, examples=[4])


class Asset(BaseModel):
    code: str = Field(examples=["EUR"])
    name: str = Field(examples=["Euro"])
    scale: int = Field(examples=[2])
    custom: bool = Field(examples=[False])


class AssetList(BaseModel):
    items: list[Asset]


class FxRateIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "base": "USD",
                    "quote": "EUR",
                    "date": "2026-11-02",
                    "rate": "0.9241",
                    "source": "ECB",
                }
            ]
        },
    )

    base: str = Field(min_length=2, max_length=16, examples=["USD"])
    quote: str = Field(min_length=2, max_length=16, examples=["EUR"])
    date: dt.date
    rate: str = Field(examples=["0.9241"], description="Units of quote per one unit of base.")
    source: str | None = Field(default=None, max_length=100, examples=["ECB"])


class FxRatesIn(Schema):
    rates: list[FxRateIn] = Field(min_length=1, max_length=10_000)


class FxRate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "base": "USD",
                    "quote": "EUR",
                    "date": "2026-11-02",
                    "rate": "0.9241",
                    "source": "ECB",
                }
            ]
        }
    )

    base: str
    quote: str
    date: dt.date
    rate: str
    source: str | None


class FxRateList(BaseModel):
    items: list[FxRate]


class PeriodClose(Schema):
    through: dt.date = Field(examples=["2026-10-31"])


class ChainBreak(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "seq": 4182,
                    "entry_id": ENTRY_ID_EXAMPLE,
                    "reason": "entry content does not match its seal",
                }
            ]
        }
    )

    seq: int | None
    entry_id: uuid.UUID | None
    reason: str = Field(examples=["entry content does not match its seal"])


class ChainReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ok": True,
                    "checked": 10482,
                    "unsealed": 3,
                    "head_hash": "9f2c5e0d" * 8,
                    "first_broken": None,
                }
            ]
        }
    )

    ok: bool
    checked: int = Field(description="Sealed entries whose hash was recomputed.")
    unsealed: int = Field(description="Committed entries waiting for the sealer.")
    head_hash: str | None
    first_broken: ChainBreak | None
