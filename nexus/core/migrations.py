"""Each service's Alembic history, run against its own database.

A service keeps its history in `nexus/<service>/migrations/`; its `env.py` calls
`run_env` here. `upgrade` runs a history to head on a live `Database` from inside a
running event loop (start-up, tests); the `alembic` command line also works.
"""

import asyncio
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine

from nexus.core.db import Database


def alembic_config(service: str, url: str) -> Config:
    """Return the Alembic configuration of `service` pointed at `url`."""
    config = Config()
    config.set_main_option("script_location", f"nexus.{service}:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(database: Database, *, revision: str = "head") -> None:
    """Run `database`'s service history up to `revision`."""
    config = alembic_config(database.name, database.url)
    async with database.write_engine.begin() as connection:

        def _upgrade(sync_connection: Connection) -> None:
            config.attributes["connection"] = sync_connection
            command.upgrade(config, revision)

        await connection.run_sync(_upgrade)


def _configure_and_run(context: Any, connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_env(context: Any, metadata: MetaData) -> None:
    """Body of every service's `env.py`: offline SQL, a given connection, or a URL."""
    config = context.config
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(context, connection, metadata)
        return

    async def _run() -> None:
        engine = create_async_engine(
            config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool
        )
        async with engine.begin() as async_connection:
            await async_connection.run_sync(lambda c: _configure_and_run(context, c, metadata))
        await engine.dispose()

    asyncio.run(_run())
