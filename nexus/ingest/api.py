"""HTTP routes of imports (`/api/v1/imports`) and reconciliation (`/api/v1/reconciliation`).

Uploads are spooled to the data directory and parsed by a task of this process; a
request waits up to `import_wait_seconds` for it and answers 201 (or 200) with the
result, or 202 with the batch and its progress when the file is large. Commits work
the same way. The task keeps running when the request returns; the batch's status and
progress say how far it got.
"""

import asyncio
import csv
import dataclasses
import json
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.config import Settings
from nexus.core.db import Database, read_session
from nexus.core.errors import InvalidInput, NexusError
from nexus.core.permissions import Permission
from nexus.core.security import Principal, bearer_token, require
from nexus.core.service import ServiceSpec
from nexus.ingest import domain, imports, parsing, reconciliation, repository, schemas
from nexus.ingest.models import outbox
from nexus.ingest.parsers import CsvProfile, iter_csv_lines, suggest_profile
from nexus.ingest.parsers.detect import HEAD_BYTES
from nexus.ingest.parsers.errors import InvalidCsvProfile
from nexus.ingest.service import Actor, amount_text, bank_account, error_json
from nexus.ledger.client import LedgerClient

imports_router = APIRouter(tags=["imports"])
reconciliation_router = APIRouter(tags=["reconciliation"])

ReadSession = Annotated[AsyncSession, read_session("ingest")]
Reader = Annotated[Principal, Depends(require(Permission.LEDGER_READ))]
Importer = Annotated[Principal, Depends(require(Permission.IMPORTS_MANAGE))]
PREVIEW_ROWS = 20
UPLOAD_CHUNK_BYTES = 1 << 20


class InvalidProfileJson(InvalidInput):
    code = "invalid_csv_profile"


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _actor(request: Request, principal: Principal) -> Actor:
    databases: dict[str, Database] = request.app.state.databases
    ledger = LedgerClient(request.app.state.ledger_http, access_token=bearer_token(request))
    return Actor(
        org_id=principal.org_id,
        user_id=principal.user_id,
        database=databases["ingest"],
        ledger=ledger,
        settings=_settings(request),
    )


def _jobs(request: Request) -> dict[uuid.UUID, asyncio.Task[None]]:
    """The import jobs this process runs, by batch id (kept on the shared app state)."""
    state = request.app.state
    if not hasattr(state, "ingest_jobs"):
        state.ingest_jobs = {}
    jobs: dict[uuid.UUID, asyncio.Task[None]] = state.ingest_jobs
    return jobs


async def _run_job(
    request: Request, batch_id: uuid.UUID, work: Callable[[], Awaitable[None]]
) -> bool:
    """Run `work` as a task; return True when it finished within the wait (errors raise)."""
    jobs = _jobs(request)
    if batch_id in jobs and not jobs[batch_id].done():
        raise domain.ImportStateConflict("This import is already being worked on.")
    task: asyncio.Task[None] = asyncio.ensure_future(work())
    jobs[batch_id] = task
    task.add_done_callback(lambda done: _forget(jobs, batch_id, done))
    task.add_done_callback(_consume_exception)
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=_settings(request).import_wait_seconds)
    except TimeoutError:
        return False
    return True


def _forget(
    jobs: dict[uuid.UUID, asyncio.Task[None]], batch_id: uuid.UUID, task: asyncio.Task[None]
) -> None:
    if jobs.get(batch_id) is task:
        del jobs[batch_id]


def _consume_exception(task: asyncio.Task[None]) -> None:
    # A job that fails after its request returned has put its error on the batch.
    if not task.cancelled():
        task.exception()


def _profile_of(text: str | None) -> CsvProfile | None:
    if not text:
        return None
    try:
        body = schemas.CsvProfileBody.model_validate_json(text)
    except ValidationError as error:
        raise InvalidProfileJson(
            "The CSV profile is not valid.",
            details={"errors": json.loads(error.json(include_url=False))},
        ) from None
    return csv_profile(body)


def csv_profile(body: schemas.CsvProfileBody) -> CsvProfile:
    """Turn the API's profile into the parser's (refusing contradictions clearly)."""
    values = body.model_dump()
    values["description_columns"] = tuple(values["description_columns"])
    try:
        return CsvProfile(**values)
    except InvalidCsvProfile as error:
        raise InvalidProfileJson(error.message) from None


def _profile_body(values: dict[str, Any] | None) -> schemas.CsvProfileBody | None:
    if values is None:
        return None
    known = set(schemas.CsvProfileBody.model_fields)
    return schemas.CsvProfileBody.model_validate({k: v for k, v in values.items() if k in known})


def _balance(day: Any, minor: int | None, currency: str) -> schemas.StatementBalanceOut | None:
    if day is None or minor is None:
        return None
    return schemas.StatementBalanceOut(
        date=day, amount=amount_text(minor, currency), currency=currency
    )


def render_batch(row: Any) -> schemas.ImportBatch:
    """Render a batch row."""
    total = max(row.progress_total, 1)
    return schemas.ImportBatch(
        id=row.id,
        account_id=row.account_id,
        counter_account_id=row.counter_account_id,
        currency=row.currency,
        filename=row.filename,
        format=row.format,
        status=row.status,
        lines_total=row.lines_total,
        lines_duplicate=row.lines_duplicate,
        progress=schemas.ImportProgress(
            done=row.progress_done,
            total=row.progress_total,
            percent=round(100 * min(row.progress_done, total) / total, 1),
        ),
        opening_balance=_balance(row.opening_date, row.opening_minor, row.currency),
        closing_balance=_balance(row.closing_date, row.closing_minor, row.currency),
        warnings=list(row.warnings or []),
        error=row.error,
        result=schemas.CommitResult.model_validate(row.result) if row.result else None,
        profile=_profile_body(row.profile),
        created_at=row.created_at,
        committed_at=row.committed_at,
        undone_at=row.undone_at,
    )


def render_line(row: Any) -> schemas.BankLineOut:
    """Render a stored bank line row."""
    return _line_out(
        row, id=row.id, status=row.status, entry_id=row.entry_id, match_id=row.match_id
    )


def _line_out(line: Any, **stored: Any) -> schemas.BankLineOut:
    """A bank line as the API shows it: what the file said, plus what was made of it."""
    return schemas.BankLineOut(
        line_number=line.line_number,
        date=line.date,
        value_date=line.value_date,
        amount=amount_text(line.amount_minor, line.currency),
        currency=line.currency,
        description=line.description,
        payee=line.payee,
        reference=line.reference,
        counterparty_account=line.counterparty_account,
        raw=line.raw,
        **stored,
    )


async def _load_batch(actor: Actor, batch_id: uuid.UUID) -> schemas.ImportBatch:
    async with actor.database.reading() as session:
        row = await repository.get_batch(session, org_id=actor.org_id, batch_id=batch_id)
    if row is None:
        raise domain.ImportNotFound("No such import.", details={"import_id": str(batch_id)})
    return render_batch(row)


async def _spool(upload: UploadFile, path: Path, *, bytes_max: int) -> None:
    """Copy an upload to disk in chunks, refusing it as soon as it passes the limit."""
    written = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        while chunk := await upload.read(UPLOAD_CHUNK_BYTES):
            written += len(chunk)
            if written > bytes_max:
                raise domain.FileTooLarge(
                    f"The file is larger than {bytes_max} bytes.", details={"max": bytes_max}
                )
            target.write(chunk)


# --- imports -----------------------------------------------------------------------------


@imports_router.post(
    "",
    response_model=schemas.ImportBatch,
    status_code=status.HTTP_201_CREATED,
    responses={202: {"model": schemas.ImportBatch, "description": "Still parsing."}},
)
async def upload(
    request: Request,
    response: Response,
    principal: Importer,
    file: Annotated[
        UploadFile,
        File(description="The bank's statement file.", examples=["checking-2026-11.ofx"]),
    ],
    account_id: Annotated[
        uuid.UUID, Form(description="The ledger account it belongs to.", examples=[schemas.ACCOUNT])
    ],
    counter_account_id: Annotated[
        uuid.UUID | None,
        Form(description="Books new entries against this account.", examples=[None]),
    ] = None,
    profile_id: Annotated[
        uuid.UUID | None, Form(description="A saved CSV profile.", examples=[None])
    ] = None,
    profile: Annotated[
        str | None, Form(description="A CSV profile as JSON.", examples=['{"delimiter": ";"}'])
    ] = None,
) -> schemas.ImportBatch:
    """Upload a statement (CSV, OFX/QFX, CAMT.053, MT940, QIF) and preview its lines."""
    actor = _actor(request, principal)
    account = await bank_account(actor, account_id)
    given = _profile_of(profile)
    if given is None and profile_id is not None:
        async with actor.database.reading() as session:
            saved = await repository.get_profile(
                session, org_id=actor.org_id, profile_id=profile_id
            )
        if saved is None:
            raise InvalidProfileJson("No such saved CSV profile.")
        given = csv_profile(schemas.CsvProfileBody.model_validate(saved.profile))
    spool = actor.settings.data_dir / "uploads" / f"{uuid.uuid4().hex}.upload"
    try:
        await _spool(file, spool, bytes_max=actor.settings.import_bytes_max)
        batch_id = await parsing.create_batch(
            actor,
            path=spool,
            filename=file.filename,
            account=account,
            counter_account_id=counter_account_id,
        )
    except BaseException:
        spool.unlink(missing_ok=True)
        raise

    async def parse() -> None:
        try:
            await parsing.parse_batch(
                actor,
                batch_id=batch_id,
                path=spool,
                filename=file.filename,
                profile=given,
                account_id=account.id,
                currency=account.currency or "",
            )
        finally:
            spool.unlink(missing_ok=True)

    if not await _run_job(request, batch_id, parse):
        response.status_code = status.HTTP_202_ACCEPTED
    return await _load_batch(actor, batch_id)


@imports_router.get("", response_model=schemas.ImportList)
async def list_imports(
    session: ReadSession,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> schemas.ImportList:
    """Imports of the organisation, newest first."""
    rows = await repository.list_batches(session, org_id=principal.org_id, limit=limit)
    return schemas.ImportList(items=[render_batch(row) for row in rows])


@imports_router.get("/profiles", response_model=schemas.SavedProfileList)
async def list_profiles(
    session: ReadSession, principal: Reader, account_id: uuid.UUID | None = None
) -> schemas.SavedProfileList:
    """Saved CSV profiles (of one account)."""
    rows = await repository.list_profiles(session, org_id=principal.org_id, account_id=account_id)
    return schemas.SavedProfileList(
        items=[
            schemas.SavedProfile(
                id=row.id,
                account_id=row.account_id,
                name=row.name,
                profile=schemas.CsvProfileBody.model_validate(row.profile),
            )
            for row in rows
        ]
    )


@imports_router.post(
    "/profiles", response_model=schemas.SavedProfile, status_code=status.HTTP_201_CREATED
)
async def save_profile(
    request: Request, body: schemas.SavedProfileCreate, principal: Importer
) -> schemas.SavedProfile:
    """Save a CSV profile for an account; the next file with the same header uses it."""
    actor = _actor(request, principal)
    await bank_account(actor, body.account_id)
    csv_profile(body.profile)  # refuse contradictions before saving
    profile_id = uuid.uuid4()
    now = utc_now()
    async with actor.database.transaction() as session:
        await repository.insert_profile(
            session,
            row={
                "id": profile_id,
                "org_id": actor.org_id,
                "account_id": body.account_id,
                "name": body.name,
                "header_signature": domain.header_signature(body.header) if body.header else None,
                "profile": body.profile.model_dump(mode="json"),
                "created_at": now,
                "updated_at": now,
            },
        )
    return schemas.SavedProfile(
        id=profile_id, account_id=body.account_id, name=body.name, profile=body.profile
    )


@imports_router.post("/csv-preview", response_model=schemas.CsvPreview)
async def csv_preview(
    request: Request,
    principal: Importer,
    file: Annotated[
        UploadFile, File(description="The CSV file, or its first part.", examples=["export.csv"])
    ],
    account_id: Annotated[
        uuid.UUID | None,
        Form(
            description="The account the file is for: its currency, its saved profile.",
            examples=[schemas.ACCOUNT],
        ),
    ] = None,
    profile: Annotated[
        str | None, Form(description="A CSV profile as JSON.", examples=['{"delimiter": ";"}'])
    ] = None,
) -> schemas.CsvPreview:
    """Read the start of a CSV with a profile (given, saved for its header, or suggested)."""
    actor = _actor(request, principal)
    if account_id is not None:
        currency = (await bank_account(actor, account_id)).currency or ""
    else:
        currency = (await actor.ledger.settings()).base_currency
    head = await file.read(HEAD_BYTES)
    text = head.decode(parsing.csv_encoding(head, None), errors="replace")
    text = text[: max(text.rfind("\n"), 0) + 1] or text
    chosen = _profile_of(profile)
    header_row = parsing.header_of(text)
    if chosen is None and account_id is not None and header_row:
        async with actor.database.reading() as session:
            saved = await repository.profile_for_header(
                session,
                org_id=actor.org_id,
                account_id=account_id,
                signature=domain.header_signature(header_row),
            )
        if saved is not None:
            chosen = csv_profile(schemas.CsvProfileBody.model_validate(saved.profile))
    if chosen is None:
        chosen = suggest_profile(text)
    reader = csv.reader(text.splitlines(), delimiter=chosen.delimiter, quotechar=chosen.quotechar)
    table = [row for _, row in zip(range(PREVIEW_ROWS + 1), reader, strict=False)]
    header = table[0] if chosen.has_header and table else []
    lines: list[schemas.BankLineOut] = []
    error: dict[str, Any] | None = None
    try:
        chosen.check_complete()
        sample = chosen if chosen.currency else dataclasses.replace(chosen, currency=currency)
        parsed = iter_csv_lines(text.splitlines(keepends=True), sample)
        for index, line in zip(range(PREVIEW_ROWS), parsed, strict=False):
            lines.append(
                _line_out(
                    line, id=uuid.UUID(int=index), status="preview", entry_id=None, match_id=None
                )
            )
    except NexusError as problem:
        error = error_json(problem)
    return schemas.CsvPreview(
        profile=_profile_body(parsing.profile_json(chosen)) or schemas.CsvProfileBody(),
        header=header,
        rows=table[1:] if chosen.has_header else table,
        lines=lines,
        error=error,
    )


@imports_router.get("/{import_id}", response_model=schemas.ImportBatch)
async def get_import(
    request: Request, import_id: uuid.UUID, principal: Reader
) -> schemas.ImportBatch:
    """One import: status, progress, counts, the bank's balances, warnings and result."""
    return await _load_batch(_actor(request, principal), import_id)


@imports_router.get("/{import_id}/lines", response_model=schemas.BankLineList)
async def import_lines(
    import_id: uuid.UUID,
    session: ReadSession,
    principal: Reader,
    line_status: Annotated[str | None, Query(alias="status")] = None,
    cursor: Annotated[
        int, Query(ge=0, description="`next_cursor` of the page before; 0 for the first.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> schemas.BankLineList:
    """The import's bank lines in file order (`cursor` continues a page)."""
    batch = await repository.get_batch(session, org_id=principal.org_id, batch_id=import_id)
    if batch is None:
        raise domain.ImportNotFound("No such import.", details={"import_id": str(import_id)})
    rows = await repository.batch_lines(
        session,
        org_id=principal.org_id,
        batch_id=import_id,
        statuses=[line_status] if line_status else None,
        after=cursor,
        limit=limit + 1,
    )
    page = rows[:limit]
    more = len(rows) > limit
    return schemas.BankLineList(
        items=[render_line(row) for row in page],
        next_cursor=str(page[-1].position) if more and page else None,
    )


@imports_router.post(
    "/{import_id}/commit",
    response_model=schemas.ImportBatch,
    responses={202: {"model": schemas.ImportBatch, "description": "Still committing."}},
)
async def commit_import(
    request: Request, response: Response, import_id: uuid.UUID, principal: Importer
) -> schemas.ImportBatch:
    """Reconcile the lines with existing entries and post the rest; resumes if interrupted."""
    actor = _actor(request, principal)
    await _load_batch(actor, import_id)  # 404 before anything else

    async def commit() -> None:
        await imports.commit_batch(actor, batch_id=import_id)

    if not await _run_job(request, import_id, commit):
        response.status_code = status.HTTP_202_ACCEPTED
    return await _load_batch(actor, import_id)


@imports_router.post("/{import_id}/undo", response_model=schemas.ImportBatch)
async def undo_import(
    request: Request, response: Response, import_id: uuid.UUID, principal: Importer
) -> schemas.ImportBatch:
    """Reverse what the import posted and release its matches."""
    actor = _actor(request, principal)
    await _load_batch(actor, import_id)

    async def undo() -> None:
        await imports.undo_batch(actor, batch_id=import_id)

    if not await _run_job(request, import_id, undo):
        response.status_code = status.HTTP_202_ACCEPTED
    return await _load_batch(actor, import_id)


# --- reconciliation ----------------------------------------------------------------------


@reconciliation_router.post(
    "/runs", response_model=schemas.ReconciliationRun, status_code=status.HTTP_201_CREATED
)
async def create_run(
    request: Request, body: schemas.RunCreate, principal: Importer
) -> schemas.ReconciliationRun:
    """Propose matches between the account's unmatched bank lines and its open entries."""
    actor = _actor(request, principal)
    run_id = await reconciliation.create_run(
        actor, account_id=body.account_id, date_from=body.date_from, date_to=body.date_to
    )
    return await reconciliation.get_run(actor, run_id=run_id)


@reconciliation_router.get("/runs/{run_id}", response_model=schemas.ReconciliationRun)
async def get_run(
    request: Request, run_id: uuid.UUID, principal: Reader
) -> schemas.ReconciliationRun:
    """A run's matches (bank lines, entries, confidence, reasons, status) and totals."""
    return await reconciliation.get_run(_actor(request, principal), run_id=run_id)


@reconciliation_router.get(
    "/runs/{run_id}/report",
    response_model=schemas.ReconciliationRun,
    responses={200: {"content": {"text/csv": {}}}},
)
async def run_report(
    request: Request,
    run_id: uuid.UUID,
    principal: Reader,
    report_format: Annotated[str, Query(alias="format", pattern="^(json|csv)$")] = "json",
) -> Any:
    """The reconciliation report: matched, unmatched on each side, totals (JSON or CSV)."""
    actor = _actor(request, principal)
    if report_format == "csv":
        return PlainTextResponse(
            await reconciliation.report_csv(actor, run_id=run_id),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="reconciliation-{run_id}.csv"'},
        )
    return await reconciliation.get_run(actor, run_id=run_id)


@reconciliation_router.get("/lines", response_model=schemas.BankLineList)
async def open_lines(
    session: ReadSession,
    principal: Reader,
    account_id: uuid.UUID,
    line_status: Annotated[str, Query(alias="status")] = "unmatched",
    ids: Annotated[
        list[uuid.UUID] | None, Query(max_length=1000, description="Only these lines.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> schemas.BankLineList:
    """An account's bank lines of one status (default: unmatched), oldest first."""
    if ids:
        rows = [
            row
            for row in await repository.lines_by_id(session, org_id=principal.org_id, line_ids=ids)
            if row.account_id == account_id
        ]
        rows.sort(key=lambda row: (row.date, row.line_number))
    else:
        rows = await repository.account_lines(
            session,
            org_id=principal.org_id,
            account_id=account_id,
            date_from=None,
            date_to=None,
            statuses=[line_status],
            limit=limit,
        )
    return schemas.BankLineList(items=[render_line(row) for row in rows], next_cursor=None)


@reconciliation_router.post(
    "/runs/{run_id}/matches", response_model=schemas.MatchOut, status_code=status.HTTP_201_CREATED
)
async def manual_match(
    request: Request, run_id: uuid.UUID, body: schemas.ManualMatchCreate, principal: Importer
) -> schemas.MatchOut:
    """Match bank lines to entries by hand (their amounts must add up to the same)."""
    return await reconciliation.manual_match(
        _actor(request, principal),
        run_id=run_id,
        line_ids=body.bank_line_ids,
        entry_ids=body.entry_ids,
    )


@reconciliation_router.post("/matches/accept", response_model=schemas.BulkDecisionResult)
async def accept_many(
    request: Request, body: schemas.BulkDecision, principal: Importer
) -> schemas.BulkDecisionResult:
    """Accept many proposed matches at once (others are left as they are)."""
    changed = await reconciliation.decide(
        _actor(request, principal), match_ids=body.match_ids, accept=True
    )
    return schemas.BulkDecisionResult(accepted=changed)


async def _decide_one(
    request: Request, principal: Principal, match_id: uuid.UUID, *, accept: bool
) -> schemas.MatchOut:
    actor = _actor(request, principal)
    await reconciliation.decide(actor, match_ids=[match_id], accept=accept)
    async with actor.database.reading() as session:
        [row] = await repository.get_matches(session, org_id=actor.org_id, match_ids=[match_id])
    return reconciliation.render_match(row)


@reconciliation_router.post("/matches/{match_id}/accept", response_model=schemas.MatchOut)
async def accept_match(
    request: Request, match_id: uuid.UUID, principal: Importer
) -> schemas.MatchOut:
    """Accept a proposed match: its bank lines are reconciled with its entries."""
    return await _decide_one(request, principal, match_id, accept=True)


@reconciliation_router.post("/matches/{match_id}/reject", response_model=schemas.MatchOut)
async def reject_match(
    request: Request, match_id: uuid.UUID, principal: Importer
) -> schemas.MatchOut:
    """Reject a proposed match: its bank lines become unmatched."""
    return await _decide_one(request, principal, match_id, accept=False)


@reconciliation_router.post(
    "/lines/post", response_model=schemas.PostLinesResult, status_code=status.HTTP_201_CREATED
)
async def post_unmatched(
    request: Request, body: schemas.PostLinesCreate, principal: Importer
) -> schemas.PostLinesResult:
    """Post unmatched bank lines as new entries, all at once."""
    entry_ids = await reconciliation.post_unmatched(
        _actor(request, principal),
        line_ids=body.bank_line_ids,
        counter_id=body.counter_account_id,
    )
    return schemas.PostLinesResult(posted=len(entry_ids), entry_ids=entry_ids)


SERVICE = ServiceSpec(
    name="ingest",
    router=imports_router,
    outbox=outbox,
    workers=(imports.recover_interrupted,),
    mounts=(("imports", imports_router), ("reconciliation", reconciliation_router)),
)
