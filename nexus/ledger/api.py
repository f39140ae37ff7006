"""HTTP routes of the ledger: parse, call the service, render. No rules live here."""

import collections
import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.config import Settings
from nexus.core.db import read_session, write_session
from nexus.core.errors import InvalidInput, PayloadTooLarge
from nexus.core.heap import collector_paused
from nexus.core.pagination import (
    decode_date_id,
    decode_date_id_line,
    encode_date_id,
    encode_date_id_line,
)
from nexus.core.permissions import Permission
from nexus.core.security import Principal, require
from nexus.core.service import ServiceSpec
from nexus.ledger import accounts, chain, domain, posting, repository, schemas, service
from nexus.ledger.models import outbox

router = APIRouter(tags=["ledger"])

ENTRIES_POSTED = Counter("nexus_ledger_entries_posted_total", "Journal entries posted.", ["path"])

WriteSession = Annotated[AsyncSession, write_session("ledger")]
ReadSession = Annotated[AsyncSession, read_session("ledger")]
Reader = Annotated[Principal, Depends(require(Permission.LEDGER_READ))]
Poster = Annotated[Principal, Depends(require(Permission.LEDGER_POST))]
AccountManager = Annotated[Principal, Depends(require(Permission.LEDGER_ACCOUNTS_MANAGE))]
PeriodCloser = Annotated[Principal, Depends(require(Permission.LEDGER_PERIODS_CLOSE))]
Auditor = Annotated[Principal, Depends(require(Permission.LEDGER_AUDIT))]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
]
AsOf = Annotated[date | None, Query(description="Balance at the end of this date (default: now).")]
KnownAt = Annotated[
    datetime | None,
    Query(description="Leave out postings recorded after this time: the books as known then."),
]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


class MissingTimezone(InvalidInput):
    code = "known_at_needs_timezone"


def _aware(known_at: datetime | None) -> datetime | None:
    if known_at is not None and known_at.tzinfo is None:
        raise MissingTimezone("known_at must carry a timezone, e.g. 2026-11-01T00:00:00Z.")
    return known_at.astimezone(UTC) if known_at is not None else None


# --- set-up, currencies, FX, periods ---------------------------------------------------


@router.get("/settings", response_model=schemas.LedgerSettings)
async def get_settings(session: ReadSession, principal: Reader) -> schemas.LedgerSettings:
    """The organisation's base currency, closed period and chart template."""
    return await service.ledger_settings(session, org_id=principal.org_id)


@router.post("/setup", response_model=schemas.SetupResult, status_code=status.HTTP_201_CREATED)
async def setup(
    body: schemas.SetupRequest, session: WriteSession, principal: AccountManager
) -> schemas.SetupResult:
    """Choose the base currency and open a chart of accounts from a template."""
    return await accounts.setup(session, org_id=principal.org_id, body=body)


@router.get("/currencies", response_model=schemas.AssetList)
async def list_currencies(session: ReadSession, principal: Reader) -> schemas.AssetList:
    """ISO 4217 currencies and the organisation's own assets, with their scales."""
    return schemas.AssetList(items=await service.list_assets(session, org_id=principal.org_id))


@router.post("/currencies", response_model=schemas.Asset, status_code=status.HTTP_201_CREATED)
async def create_currency(
    body: schemas.AssetCreate, session: WriteSession, principal: AccountManager
) -> schemas.Asset:
    """Define a custom asset (shares, points, a token) with its own number of decimals."""
    return await service.create_asset(session, org_id=principal.org_id, body=body)


@router.post("/fx-rates", response_model=schemas.FxRateList, status_code=status.HTTP_201_CREATED)
async def add_fx_rates(
    body: schemas.FxRatesIn, session: WriteSession, principal: Poster
) -> schemas.FxRateList:
    """Record exchange rates by date; a new rate for the same pair and date replaces the old."""
    return schemas.FxRateList(
        items=await service.add_fx_rates(session, org_id=principal.org_id, rates=body.rates)
    )


@router.get("/fx-rates", response_model=schemas.FxRateList)
async def list_fx_rates(
    request: Request,
    session: ReadSession,
    principal: Reader,
    base: str | None = None,
    quote: str | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> schemas.FxRateList:
    """Exchange rates, newest first."""
    rows = await repository.list_fx_rates(
        session,
        org_id=principal.org_id,
        base=base,
        quote=quote,
        date_from=date_from,
        date_to=date_to,
        limit=_limit(request, limit),
    )
    return schemas.FxRateList(
        items=[
            schemas.FxRate(base=r.base, quote=r.quote, date=r.date, rate=r.rate, source=r.source)
            for r in rows
        ]
    )


@router.post("/periods/close", response_model=schemas.LedgerSettings)
async def close_period(
    body: schemas.PeriodClose, session: WriteSession, principal: PeriodCloser
) -> schemas.LedgerSettings:
    """Close the books through a date: entries dated on or before it are refused."""
    return await service.close_period(session, org_id=principal.org_id, through=body.through)


# --- accounts --------------------------------------------------------------------------


@router.post("/accounts", response_model=schemas.Account, status_code=status.HTTP_201_CREATED)
async def create_account(
    body: schemas.AccountCreate, session: WriteSession, principal: AccountManager
) -> schemas.Account:
    """Open an account."""
    return await accounts.create_account(session, org_id=principal.org_id, body=body)


@router.get("/accounts", response_model=schemas.AccountList)
async def list_accounts(
    session: ReadSession, principal: Reader, include_closed: bool = True
) -> schemas.AccountList:
    """Every account of the organisation, ordered by code."""
    return schemas.AccountList(
        items=await accounts.list_accounts(
            session, org_id=principal.org_id, include_closed=include_closed
        )
    )


@router.get("/accounts/{account_id}", response_model=schemas.Account)
async def get_account(
    account_id: uuid.UUID, session: ReadSession, principal: Reader
) -> schemas.Account:
    """One account."""
    row = await service.get_account(session, org_id=principal.org_id, account_id=account_id)
    return accounts.render_account(
        row, custom_scales=await service.scales_of(session, org_id=principal.org_id)
    )


@router.patch("/accounts/{account_id}", response_model=schemas.Account)
async def update_account(
    account_id: uuid.UUID,
    body: schemas.AccountUpdate,
    session: WriteSession,
    principal: AccountManager,
) -> schemas.Account:
    """Rename, re-code, move or re-floor an account (type and currency are fixed)."""
    return await accounts.update_account(
        session, org_id=principal.org_id, account_id=account_id, body=body
    )


@router.post("/accounts/{account_id}/close", response_model=schemas.Account)
async def close_account(
    account_id: uuid.UUID, session: WriteSession, principal: AccountManager
) -> schemas.Account:
    """Close an account whose balance is zero; nothing can be posted to it afterwards."""
    return await accounts.set_account_closed(
        session, org_id=principal.org_id, account_id=account_id, closed=True
    )


@router.post("/accounts/{account_id}/reopen", response_model=schemas.Account)
async def reopen_account(
    account_id: uuid.UUID, session: WriteSession, principal: AccountManager
) -> schemas.Account:
    """Reopen a closed account."""
    return await accounts.set_account_closed(
        session, org_id=principal.org_id, account_id=account_id, closed=False
    )


@router.get("/accounts/{account_id}/balance", response_model=schemas.AccountBalance)
async def account_balance(
    account_id: uuid.UUID,
    session: ReadSession,
    principal: Reader,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> schemas.AccountBalance:
    """One account's balance per currency, now or as of a date (and as known at a time)."""
    return await service.account_balance(
        session,
        org_id=principal.org_id,
        account_id=account_id,
        as_of=as_of,
        known_at=_aware(known_at),
    )


@router.get("/accounts/{account_id}/history", response_model=schemas.AccountHistory)
async def account_history(
    request: Request,
    account_id: uuid.UUID,
    session: ReadSession,
    principal: Reader,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: str | None = None,
) -> schemas.AccountHistory:
    """One account's postings, oldest first, with the running balance after each."""
    lines, last = await service.account_history(
        session,
        org_id=principal.org_id,
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        after=decode_date_id_line(cursor) if cursor else None,
        limit=_limit(request, limit),
    )
    return schemas.AccountHistory(
        items=lines, next_cursor=encode_date_id_line(*last) if last else None
    )


@router.get("/balances", response_model=schemas.BalanceSheet)
async def balances(
    session: ReadSession, principal: Reader, as_of: AsOf = None, known_at: KnownAt = None
) -> schemas.BalanceSheet:
    """Every account's balance per currency, own and rolled up to its parents."""
    return await service.balance_sheet(
        session, org_id=principal.org_id, as_of=as_of, known_at=_aware(known_at)
    )


# --- entries ---------------------------------------------------------------------------


@router.post("/entries", response_model=schemas.Entry, status_code=status.HTTP_201_CREATED)
async def post_entry(
    request: Request,
    response: Response,
    body: schemas.EntryCreate,
    session: WriteSession,
    principal: Poster,
    idempotency_key: IdempotencyKey = None,
) -> schemas.Entry:
    """Post a balanced journal entry. With an Idempotency-Key a retry returns the first result."""
    [draft] = await posting.parse_entries(
        session, org_id=principal.org_id, bodies=[body], batch=False
    )
    request_hash = domain.request_hash(body.model_dump(mode="json")) if idempotency_key else None
    post_request = posting.PostRequest(
        draft=draft, idempotency_key=idempotency_key, request_hash=request_hash
    )
    [outcome] = await posting.post_entries(
        session,
        org_id=principal.org_id,
        user_id=principal.user_id,
        settings=_settings(request),
        requests=[post_request],
    )
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        ENTRIES_POSTED.labels(path="single").inc()
    return await posting.posted_entry(
        session, org_id=principal.org_id, request=post_request, outcome=outcome
    )


async def _batch_body(request: Request) -> schemas.BatchCreate:
    """Validate a batch straight from the request's bytes.

    pydantic's JSON parser builds the models without the dicts of `json.loads` in
    between; for ten thousand entries that is most of what reading the body costs.
    """
    raw = await request.body()
    try:
        return schemas.BatchCreate.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError(
            [
                {**problem, "loc": ("body", *problem["loc"])}
                for problem in error.errors(include_url=False, include_context=False)
            ]
        ) from None


BatchBody = Annotated[schemas.BatchCreate, Depends(_batch_body)]


@router.post(
    "/entries/batch",
    response_model=schemas.BatchResult,
    status_code=status.HTTP_201_CREATED,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/BatchCreate"}}
            },
        }
    },
)
async def post_batch(
    request: Request, body: BatchBody, session: WriteSession, principal: Poster
) -> schemas.BatchResult:
    """Post up to 10,000 entries all-or-nothing, each with its own idempotency key."""
    limit = _settings(request).batch_entries_max
    if len(body.entries) > limit:
        raise PayloadTooLarge(f"A batch holds at most {limit} entries.", details={"max": limit})
    with collector_paused():  # a batch makes ~100 short-lived, acyclic objects per entry
        return await _post_batch(request, body, session, principal)


async def _post_batch(
    request: Request, body: schemas.BatchCreate, session: AsyncSession, principal: Principal
) -> schemas.BatchResult:
    drafts = await posting.parse_entries(
        session, org_id=principal.org_id, bodies=body.entries, batch=True
    )
    requests = [
        posting.PostRequest(
            draft=draft,
            idempotency_key=item.idempotency_key,
            request_hash=domain.request_hash(
                item.model_dump(mode="json", exclude={"idempotency_key"})
            ),
        )
        for draft, item in zip(drafts, body.entries, strict=True)
    ]
    outcomes = await posting.post_entries(
        session,
        org_id=principal.org_id,
        user_id=principal.user_id,
        settings=_settings(request),
        requests=requests,
        batch=True,
    )
    replayed = sum(outcome.replayed for outcome in outcomes)
    ENTRIES_POSTED.labels(path="batch").inc(len(outcomes) - replayed)
    return schemas.BatchResult(
        posted=len(outcomes) - replayed,
        replayed=replayed,
        items=[
            schemas.BatchItem(
                id=o.entry_id, idempotency_key=o.idempotency_key or "", replayed=o.replayed
            )
            for o in outcomes
        ],
    )


@router.get("/entries", response_model=schemas.EntryList)
async def list_entries(
    request: Request,
    session: ReadSession,
    principal: Reader,
    account_id: uuid.UUID | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in description, payee or reference.")
    ] = None,
    min_amount: Annotated[
        str | None, Query(description="Smallest absolute posting amount.")
    ] = None,
    max_amount: Annotated[str | None, Query(description="Largest absolute posting amount.")] = None,
    currency: Annotated[
        str | None,
        Query(
            description="Currency of min/max_amount (default: the "
            "account's, else the base currency)."
        ),
    ] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: str | None = None,
) -> schemas.EntryList:
    """Entries newest first, filtered by account, dates, text and amount."""
    items, last = await service.search_entries(
        session,
        org_id=principal.org_id,
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        text=q,
        min_amount=min_amount,
        max_amount=max_amount,
        currency=currency,
        after=decode_date_id(cursor) if cursor else None,
        limit=_limit(request, limit),
    )
    return schemas.EntryList(items=items, next_cursor=encode_date_id(*last) if last else None)


@router.get("/entries/{entry_id}", response_model=schemas.Entry)
async def get_entry(entry_id: uuid.UUID, session: ReadSession, principal: Reader) -> schemas.Entry:
    """One entry with its postings."""
    return await service.get_entry(session, org_id=principal.org_id, entry_id=entry_id)


@router.post(
    "/entries/{entry_id}/reverse", response_model=schemas.Entry, status_code=status.HTTP_201_CREATED
)
async def reverse_entry(
    request: Request,
    entry_id: uuid.UUID,
    session: WriteSession,
    principal: Poster,
    body: schemas.ReverseRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> schemas.Entry:
    """Undo an entry by posting its exact negation, linked to it."""
    return await posting.reverse_entry(
        session,
        org_id=principal.org_id,
        user_id=principal.user_id,
        entry_id=entry_id,
        body=body or schemas.ReverseRequest(),
        idempotency_key=idempotency_key,
        settings=_settings(request),
    )


@router.post(
    "/entries/reversals",
    response_model=schemas.ReversalBatchResult,
    status_code=status.HTTP_201_CREATED,
)
async def reverse_batch(
    request: Request, body: schemas.ReversalBatch, session: WriteSession, principal: Poster
) -> schemas.ReversalBatchResult:
    """Reverse up to 10,000 entries all-or-nothing, each under its own idempotency key."""
    limit = _settings(request).batch_entries_max
    if len(body.items) > limit:
        raise PayloadTooLarge(f"A batch holds at most {limit} entries.", details={"max": limit})
    with collector_paused():
        outcomes = await posting.reverse_entries(
            session,
            org_id=principal.org_id,
            user_id=principal.user_id,
            items=body.items,
            settings=_settings(request),
            batch=True,
            skip_already_reversed=body.skip_already_reversed,
        )
    counts = collections.Counter(outcome.status for outcome in outcomes)
    ENTRIES_POSTED.labels(path="reversals").inc(counts["reversed"])
    return schemas.ReversalBatchResult(
        reversed=counts["reversed"],
        replayed=counts["replayed"],
        skipped=counts["skipped"],
        items=[
            schemas.ReversalOutcome(
                entry_id=o.entry_id,
                idempotency_key=o.idempotency_key,
                reversal_entry_id=o.reversal_entry_id,
                status=o.status,
            )
            for o in outcomes
        ],
    )


# --- the chain -------------------------------------------------------------------------


@router.get("/chain/verify", response_model=schemas.ChainReport)
async def verify_chain(session: ReadSession, principal: Auditor) -> schemas.ChainReport:
    """Recompute the organisation's hash chain and name the first broken link."""
    return await chain.verify(session, org_id=principal.org_id)


def _limit(request: Request, limit: int | None) -> int:
    settings = _settings(request)
    if limit is None:
        return settings.page_size_default
    if limit > settings.page_size_max:
        raise InvalidInput(
            f"limit may be at most {settings.page_size_max}.",
            details={"max": settings.page_size_max},
        )
    return limit


SERVICE = ServiceSpec(
    name="ledger",
    router=router,
    outbox=outbox,
    workers=(chain.run_sealer,),
    documented_models=(schemas.BatchCreate,),
)
