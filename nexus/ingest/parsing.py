"""Reading a statement into an import batch: upload, parse, preview.

The file is read as a stream (CSV) or whole (the other formats, which carry their own
structure) and stored as bank lines in chunks, each line keyed (`domain.LineKeyer`)
and checked against the account's earlier imports. A refusal leaves no line behind:
the batch fails with the error on it.
"""

import csv
import dataclasses
import hashlib
import io
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from nexus.core.clock import utc_now
from nexus.core.errors import NexusError
from nexus.core.heap import collector_paused
from nexus.core.ids import new_id
from nexus.ingest import domain, repository
from nexus.ingest.parsers import (
    CsvProfile,
    StatementParseError,
    iter_csv_lines,
    parse_statement,
    resolve_csv_profile,
)
from nexus.ingest.parsers.detect import HEAD_BYTES, detect_encoding, detect_format
from nexus.ingest.service import Actor, error_json
from nexus.ingest.statement import BankLine, ParsedStatement, StatementFormat
from nexus.ledger.client import Account

READ_CHUNK_BYTES = 1 << 20


# --- upload and parse --------------------------------------------------------------------


def file_digest(path: Path) -> str:
    """Return the SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


async def create_batch(
    actor: Actor,
    *,
    path: Path,
    filename: str | None,
    account: Account,
    counter_account_id: uuid.UUID | None,
) -> uuid.UUID:
    """Record an uploaded file as a batch waiting to be parsed."""
    size = path.stat().st_size
    if size > actor.settings.import_bytes_max:
        raise domain.FileTooLarge(
            f"The file is {size} bytes; the limit is {actor.settings.import_bytes_max}.",
            details={"bytes": size, "max": actor.settings.import_bytes_max},
        )
    if size == 0:
        raise StatementParseError("the file is empty", line=None, statement_format=None)
    batch_id = new_id()
    async with actor.database.transaction() as session:
        await repository.insert_batch(
            session,
            row={
                "id": batch_id,
                "org_id": actor.org_id,
                "account_id": account.id,
                "counter_account_id": counter_account_id,
                "currency": account.currency,
                "filename": (filename or "")[:300] or None,
                "format": None,
                "file_sha256": file_digest(path),
                "file_bytes": size,
                "status": domain.BatchStatus.PARSING,
                "lines_total": 0,
                "lines_duplicate": 0,
                "progress_done": 0,
                "progress_total": size,
                "warnings": [],
                "created_by": actor.user_id,
                "created_at": utc_now(),
                "updated_at": utc_now(),
            },
        )
    return batch_id


async def parse_batch(
    actor: Actor,
    *,
    batch_id: uuid.UUID,
    path: Path,
    filename: str | None,
    profile: CsvProfile | None,
    account_id: uuid.UUID,
    currency: str,
) -> None:
    """Parse the batch's file into bank lines; on any refusal leave no line behind."""
    try:
        await _parse_into(
            actor,
            batch_id=batch_id,
            path=path,
            filename=filename,
            profile=profile,
            account_id=account_id,
            currency=currency,
        )
    except NexusError as error:
        async with actor.database.transaction() as session:
            await repository.delete_lines(session, batch_id=batch_id)
            await repository.update_batch(
                session,
                batch_id=batch_id,
                values={"status": domain.BatchStatus.FAILED, "error": error_json(error)},
            )
        raise


class _ByteCounter(io.RawIOBase):
    """A binary file that remembers how far it was read, for progress."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._file.readinto(buffer)
        self.consumed += count or 0
        return count or 0

    def close(self) -> None:
        self._file.close()
        super().close()


def csv_encoding(head: bytes, profile: CsvProfile | None) -> str:
    """The encoding to read a CSV in: the profile's, else the one the head shows."""
    if profile is not None and profile.encoding:
        return profile.encoding
    return detect_encoding(head)


async def _parse_into(
    actor: Actor,
    *,
    batch_id: uuid.UUID,
    path: Path,
    filename: str | None,
    profile: CsvProfile | None,
    account_id: uuid.UUID,
    currency: str,
) -> None:
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    statement_format = detect_format(head, filename)
    warnings: list[str] = []
    statement: ParsedStatement | None = None
    counter: _ByteCounter | None = None
    used_profile: CsvProfile | None = None
    if statement_format is StatementFormat.CSV:
        encoding = csv_encoding(head, profile)
        head_text = head.decode(encoding, errors="replace")
        if profile is None:
            profile = await _saved_profile(actor, account_id=account_id, head_text=head_text)
            if profile is not None:
                warnings.append("read with the CSV profile saved for this account and header")
        whole_rows = head_text[: max(head_text.rfind("\n"), 0) + 1] or head_text
        used_profile = resolve_csv_profile(whole_rows, profile, currency=currency)
        used_profile.check_complete()
        counter = _ByteCounter(path)
        text = io.TextIOWrapper(io.BufferedReader(counter), encoding=encoding, newline="")
        lines: Iterator[BankLine] = _decoded(iter_csv_lines(text, used_profile, warnings=warnings))
    else:
        # A whole statement of small acyclic objects, held until stored: the collector
        # would rescan the growing list of lines at every pass.
        with collector_paused():
            statements = parse_statement(
                path.read_bytes(), filename=filename, default_currency=currency
            )
        statement = _pick_statement(statements, currency=currency, warnings=warnings)
        warnings.extend(statement.warnings)
        lines = iter(statement.lines)
    try:
        stored, duplicates = await _store_lines(
            actor,
            batch_id=batch_id,
            account_id=account_id,
            currency=currency,
            lines=lines,
            counter=counter,
        )
    finally:
        if counter is not None:
            counter.close()
    values: dict[str, Any] = {
        "status": domain.BatchStatus.PREVIEWED,
        "format": statement_format.value,
        "lines_total": stored,
        "lines_duplicate": duplicates,
        "progress_done": stored,
        "progress_total": stored,
        "warnings": warnings[:200],
        "profile": profile_json(used_profile) if used_profile is not None else None,
    }
    if statement is not None:
        for prefix, balance in (
            ("opening", statement.opening_balance),
            ("closing", statement.closing_balance),
        ):
            if balance is not None and balance.currency == currency:
                values[f"{prefix}_date"] = balance.date
                values[f"{prefix}_minor"] = balance.amount_minor
    async with actor.database.transaction() as session:
        await repository.update_batch(session, batch_id=batch_id, values=values)


def header_of(head_text: str) -> list[str]:
    """The first row of a CSV, split on whichever of , ; tab | it holds most of."""
    first = head_text.splitlines()[:1]
    if not first:
        return []
    delimiter = max(",;\t|", key=first[0].count)
    return [
        cell.strip().lstrip("\ufeff") for cell in next(csv.reader(first, delimiter=delimiter), [])
    ]


async def _saved_profile(
    actor: Actor, *, account_id: uuid.UUID, head_text: str
) -> CsvProfile | None:
    """The profile saved for this account and this file's header, if there is one."""
    header = header_of(head_text)
    if not header:
        return None
    async with actor.database.reading() as session:
        saved = await repository.profile_for_header(
            session,
            org_id=actor.org_id,
            account_id=account_id,
            signature=domain.header_signature(header),
        )
    if saved is None:
        return None
    values = dict(saved.profile)
    values["description_columns"] = tuple(values.get("description_columns") or ())
    return CsvProfile(**values)


def _decoded(lines: Iterator[BankLine]) -> Iterator[BankLine]:
    """Turn a decoding failure deep in a stream into an error naming the problem."""
    try:
        yield from lines
    except UnicodeDecodeError as error:
        raise StatementParseError(
            f"the file is not valid {error.encoding}: byte {error.object[error.start]:#04x} "
            "cannot be decoded; name the file's encoding in the CSV profile",
            line=None,
            statement_format=StatementFormat.CSV,
        ) from None


def _pick_statement(
    statements: Sequence[ParsedStatement], *, currency: str, warnings: list[str]
) -> ParsedStatement:
    if len(statements) == 1:
        return statements[0]
    same = [s for s in statements if (s.account.currency or currency) == currency]
    chosen = same[0] if same else statements[0]
    warnings.append(
        f"the file holds {len(statements)} accounts; imported the first in {currency} "
        f"({chosen.account.iban_or_number or 'unnamed'})"
    )
    return chosen


def profile_json(profile: CsvProfile) -> dict[str, Any]:
    """A CSV profile as the API shows it (marker lists stay at their defaults)."""
    values = dataclasses.asdict(profile)
    values["description_columns"] = list(profile.description_columns)
    values.pop("debit_markers", None)
    values.pop("credit_markers", None)
    return values


async def _store_lines(
    actor: Actor,
    *,
    batch_id: uuid.UUID,
    account_id: uuid.UUID,
    currency: str,
    lines: Iterator[BankLine],
    counter: _ByteCounter | None,
) -> tuple[int, int]:
    keyer = domain.LineKeyer(account_id=account_id)
    org_id = actor.org_id
    stored = duplicates = 0
    chunk: list[BankLine] = []
    limit = actor.settings.import_lines_max

    async def flush() -> None:
        nonlocal stored, duplicates
        keys = [keyer.key(line) for line in chunk]
        async with actor.database.transaction() as session:
            known = await repository.existing_keys(
                session, org_id=actor.org_id, account_id=account_id, keys=keys
            )
            rows = [
                _line_row(
                    org_id,
                    batch_id,
                    account_id,
                    line,
                    key,
                    position=stored + offset,
                    duplicate=key in known,
                )
                for offset, (line, key) in enumerate(zip(chunk, keys, strict=True), start=1)
            ]
            await repository.copy_lines(session, rows=rows)
            stored += len(rows)
            duplicates += sum(1 for key in keys if key in known) if known else 0
            await repository.update_batch(
                session,
                batch_id=batch_id,
                values={"progress_done": counter.consumed if counter else stored},
            )
        chunk.clear()

    for line in lines:
        if line.currency != currency:
            raise domain.CurrencyMismatch(
                f"line {line.line_number}: the amount is in {line.currency}, the account holds "
                f"{currency}",
                details={"line": line.line_number, "currency": line.currency},
            )
        if stored + len(chunk) >= limit:
            raise domain.TooManyLines(
                f"The file holds more than {limit} lines; split it.", details={"max": limit}
            )
        chunk.append(line)
        if len(chunk) >= actor.settings.import_chunk_lines:
            await flush()
    if chunk:
        await flush()
    return stored, duplicates


def _line_row(
    org_id: uuid.UUID,
    batch_id: uuid.UUID,
    account_id: uuid.UUID,
    line: BankLine,
    key: str,
    *,
    position: int,
    duplicate: bool,
) -> tuple[Any, ...]:
    """A parsed line as the row `repository.copy_lines` stores (`LINE_COLUMNS` order)."""
    payee = line.payee
    reference = line.reference
    counterparty = line.counterparty_account
    return (
        new_id(),
        org_id,
        account_id,
        batch_id,
        line.line_number,
        position,
        line.date,
        line.value_date,
        line.amount_minor,
        line.currency,
        (line.description or payee or "(no description)")[:1000],
        payee[:300] if payee else None,
        reference[:200] if reference else None,
        counterparty[:100] if counterparty else None,
        line.raw[:4000],
        key,
        domain.LineStatus.DUPLICATE if duplicate else domain.LineStatus.NEW,
    )
