"""The `nexus` command: run, migrate and check a Nexus installation."""

import asyncio
import os
import uuid
from pathlib import Path
from typing import Annotated

import httpx
import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from nexus.core.clock import utc_now
from nexus.core.config import SERVICES, Settings

app = typer.Typer(
    help="Nexus: financial operations on a double-entry ledger.", no_args_is_help=True
)
ledger_app = typer.Typer(help="Ledger maintenance.", no_args_is_help=True)
auth_app = typer.Typer(help="Authentication maintenance.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(auth_app, name="auth")
console = Console()
errors = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Where embedded data lives (default: $NEXUS_DATA_DIR or ./nexus-data)."
    ),
]


def _settings(data_dir: Path | None) -> Settings:
    if data_dir is not None:
        os.environ["NEXUS_DATA_DIR"] = str(data_dir)
    return Settings()


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: DataDir = None,
    demo: Annotated[bool, typer.Option("--demo", help="Seed a demo organisation first.")] = False,
) -> None:
    """Start every service in one process (embedded mode, SQLite by default)."""
    settings = _settings(data_dir)
    if demo:
        asyncio.run(_seed_demo(settings))
    console.print(
        f"Nexus is starting on [bold]http://{host}:{port}[/] "
        f"(data in {settings.data_dir.resolve()}); API docs at /api/docs"
    )
    uvicorn.run(
        "nexus.gateway.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
    )


async def _seed_demo(settings: Settings) -> None:
    from nexus.gateway import demo
    from nexus.gateway.app import create_app

    application = create_app(settings, run_workers=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://nexus", timeout=600
        ) as http:
            with console.status("Seeding the demo organisation (two years of household books)…"):
                seeded = await demo.seed(http, today=utc_now().date())
    if seeded is None:
        console.print(
            f"The demo organisation exists already: sign in as [bold]{demo.DEMO_EMAIL}[/] "
            "with the password printed when it was created."
        )
        return
    password, count = seeded
    console.print(
        f"Demo organisation ready with {count} entries. Sign in as [bold]{demo.DEMO_EMAIL}[/] "
        f"with password [bold]{password}[/]",
        soft_wrap=True,  # a wrapped password cannot be copied
    )


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}.")],
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Start one service on its own (distributed mode; set NEXUS_<SERVICE>_DATABASE_URL)."""
    if service not in SERVICES:
        errors.print(f"[red]Unknown service '{service}'.[/] Choose one of: {', '.join(SERVICES)}.")
        raise typer.Exit(2)
    os.environ["NEXUS_SERVE_SERVICES"] = service
    uvicorn.run(
        "nexus.gateway.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


@app.command("import")
def import_file(
    path: Annotated[
        Path, typer.Argument(help="The statement file (CSV, OFX/QFX, CAMT.053, MT940, QIF).")
    ],
    account: Annotated[str, typer.Option("--account", help="Ledger account code or id.")],
    url: Annotated[str, typer.Option(help="The running Nexus.")] = "http://127.0.0.1:8000",
    token: Annotated[
        str | None, typer.Option(envvar="NEXUS_TOKEN", help="An access token ($NEXUS_TOKEN).")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Sign in as this user instead.")] = None,
    password: Annotated[
        str | None, typer.Option(envvar="NEXUS_PASSWORD", help="Password ($NEXUS_PASSWORD).")
    ] = None,
    profile: Annotated[
        Path | None, typer.Option(help="A CSV profile as a JSON file (columns, formats).")
    ] = None,
    commit: Annotated[bool, typer.Option(help="Commit after the preview.")] = True,
) -> None:
    """Import a bank statement into an account, with progress, then commit it."""
    from nexus.cli_import import run_import

    if not path.is_file():
        errors.print(f"[red]No such file:[/] {path}")
        raise typer.Exit(2)
    code = asyncio.run(
        run_import(
            path,
            account=account,
            url=url,
            token=token,
            email=email,
            password=password,
            profile_json=profile.read_text() if profile else None,
            commit=commit,
            console=console,
            errors=errors,
        )
    )
    raise typer.Exit(code)


@app.command()
def migrate(data_dir: DataDir = None) -> None:
    """Bring every service's database to the latest schema."""
    settings = _settings(data_dir)

    async def run() -> None:
        from nexus.core import migrations
        from nexus.core.db import Database

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            database = Database(service, settings.database_url(service))
            try:
                await migrations.upgrade(database)
            finally:
                await database.dispose()
            console.print(f"[green]✓[/] {service} is at the latest schema")

    asyncio.run(run())


@app.command()
def openapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Print the OpenAPI document of every service (the web app's client is generated from it)."""
    import json

    from nexus.gateway.app import create_app

    document = json.dumps(create_app(Settings()).openapi(), indent=2, sort_keys=True) + "\n"
    if output is None:
        typer.echo(document, nl=False)
    else:
        output.write_text(document)


@ledger_app.command("verify")
def ledger_verify(
    data_dir: DataDir = None,
    org: Annotated[str | None, typer.Option(help="Only this organisation id.")] = None,
) -> None:
    """Seal pending entries, then recompute every organisation's hash chain."""
    settings = _settings(data_dir)
    from nexus.core.db import Database
    from nexus.ledger import chain

    async def run() -> bool:
        database = Database("ledger", settings.database_url("ledger"))
        try:
            await chain.seal_all(database)
            async with database.reading() as session:
                orgs = [uuid.UUID(org)] if org else await chain.org_ids(session)
                table = Table("organisation", "sealed entries", "result")
                healthy = True
                for org_id in orgs:
                    report = await chain.verify(session, org_id=org_id)
                    if report.first_broken is None:
                        table.add_row(str(org_id), str(report.checked), "[green]intact[/]")
                    else:
                        healthy = False
                        broken = report.first_broken
                        table.add_row(
                            str(org_id),
                            str(report.checked),
                            f"[red]BROKEN at link {broken.seq} (entry {broken.entry_id}): "
                            f"{broken.reason}[/]",
                        )
                console.print(table)
                return healthy
        finally:
            await database.dispose()

    if not asyncio.run(run()):
        raise typer.Exit(1)


@auth_app.command("rotate-keys")
def rotate_keys(data_dir: DataDir = None) -> None:
    """Create a new token-signing key; tokens signed by the old one stay valid until they expire."""
    settings = _settings(data_dir)
    from nexus.auth.keys import rotate_signing_key
    from nexus.core import migrations
    from nexus.core.db import Database

    async def run() -> str:
        database = Database("auth", settings.database_url("auth"))
        try:
            await migrations.upgrade(database)
            return await rotate_signing_key(database)
        finally:
            await database.dispose()

    console.print(f"New signing key: [bold]{asyncio.run(run())}[/]")


if __name__ == "__main__":
    app()
