"""`nexus import`: upload a statement to a running Nexus, show progress, commit.

The command is a client of the public API, like the web app: it signs in (or uses
a token), streams the file up, follows the batch's progress with a Rich progress bar
while the server parses and commits, and prints what the commit did. Every refusal
is printed with the server's message and the command exits non-zero.
"""

import asyncio
import uuid
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from nexus.ingest.client import IngestClient, IngestError
from nexus.ingest.schemas import ImportBatch
from nexus.ledger.client import LedgerClient, LedgerError

POLL_SECONDS = 0.5
WORKING = {"parsing", "committing", "undoing"}


async def _token(http: httpx.AsyncClient, *, email: str, password: str) -> str:
    response = await http.post("/api/v1/auth/token", data={"username": email, "password": password})
    if response.status_code != 200:
        raise IngestError(response.status_code, "sign_in_failed", response.text[:300], {})
    token: str = response.json()["access_token"]
    return token


async def _account_id(ledger: LedgerClient, account: str) -> uuid.UUID:
    try:
        return uuid.UUID(account)
    except ValueError:
        pass
    for candidate in await ledger.accounts():
        if candidate.code == account:
            return candidate.id
    raise IngestError(422, "unknown_account", f"No account with code {account}.", {})


async def _follow(
    client: IngestClient, batch: ImportBatch, *, label: str, console: Console
) -> ImportBatch:
    """Poll the batch while the server works on it, with a progress bar."""
    columns = (TextColumn(label), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=max(batch.progress.total, 1))
        while batch.status in WORKING:
            progress.update(task, total=max(batch.progress.total, 1), completed=batch.progress.done)
            await asyncio.sleep(POLL_SECONDS)
            batch = await client.get(batch.id)
        progress.update(task, completed=max(batch.progress.total, 1))
    return batch


def _summary(batch: ImportBatch) -> Table:
    table = Table(title=f"Import {batch.id}", show_header=False)
    table.add_row("file", batch.filename or "")
    table.add_row("format", batch.format or "")
    table.add_row("status", batch.status)
    table.add_row("lines", str(batch.lines_total))
    table.add_row("duplicates", str(batch.lines_duplicate))
    if batch.result is not None:
        table.add_row("posted", str(batch.result.posted))
        table.add_row("matched", str(batch.result.matched))
        table.add_row("waiting for review", str(batch.result.proposed))
        check = batch.result.statement_check
        if check is not None:
            verdict = (
                "[green]agrees[/]" if check.matches else f"[red]differs by {check.difference}[/]"
            )
            table.add_row(
                "statement balance",
                f"{check.statement_balance} {check.currency} on {check.date}: {verdict}",
            )
    for warning in batch.warnings[:10]:
        table.add_row("warning", warning)
    return table


async def run_import(
    path: Path,
    *,
    account: str,
    url: str,
    token: str | None,
    email: str | None,
    password: str | None,
    profile_json: str | None,
    commit: bool,
    console: Console,
    errors: Console,
) -> int:
    """Run the whole import; return the process exit code."""
    async with httpx.AsyncClient(base_url=url, timeout=600) as http:
        try:
            if token is None:
                if not email or not password:
                    errors.print(
                        "[red]Give --token (or $NEXUS_TOKEN), or --email and a password.[/]"
                    )
                    return 2
                token = await _token(http, email=email, password=password)
            ledger = LedgerClient(http, access_token=token)
            client = IngestClient(http, access_token=token)
            account_id = await _account_id(ledger, account)
            console.print(f"Uploading [bold]{path.name}[/] ({path.stat().st_size:,} bytes)…")
            batch = await client.upload(path, account_id=account_id, profile_json=profile_json)
            batch = await _follow(client, batch, label="Parsing", console=console)
            if batch.status == "failed":
                message = (batch.error or {}).get("message", "the file could not be read")
                errors.print(f"[red]Refused:[/] {message}")
                return 1
            if commit:
                batch = await client.commit(batch.id)
                batch = await _follow(client, batch, label="Committing", console=console)
            console.print(_summary(batch))
            return 0 if batch.status in ("committed", "previewed") else 1
        except (IngestError, LedgerError) as error:
            message = getattr(error, "message", str(error))
            errors.print(f"[red]Refused ({error.code}):[/] {message}")
            return 1
        except httpx.HTTPError as error:
            errors.print(f"[red]Cannot reach Nexus at {url}:[/] {error}")
            return 1
