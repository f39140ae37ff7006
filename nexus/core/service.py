"""What a service hands to the process that hosts it.

The gateway (embedded mode) or `nexus serve <service>` (distributed mode) builds an
app from `ServiceSpec`s: it mounts each router at `/api/v1/<name>`, opens the
service's own database, migrates it, dispatches its outbox and runs its background
workers. The same spec serves both ways of running.
"""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import Table

from nexus.core.config import Settings
from nexus.core.db import Database

BackgroundWorker = Callable[[Database, Settings], Coroutine[None, None, None]]


@dataclass(frozen=True)
class ServiceSpec:
    """A service's router, its outbox and the loops it needs running.

    A service answers under `/api/v1/<name>` unless it names its own mount points
    (`mounts`: path under `/api/v1` and the router served there).
    """

    name: str
    router: APIRouter
    outbox: Table | None = None
    workers: tuple[BackgroundWorker, ...] = field(default_factory=tuple)
    mounts: tuple[tuple[str, APIRouter], ...] = ()
    # Bodies a route reads itself (declared with `openapi_extra`), for the document.
    documented_models: tuple[type[BaseModel], ...] = ()

    def routers(self) -> tuple[tuple[str, APIRouter], ...]:
        """Return (path under /api/v1, router) of everything this service serves."""
        return self.mounts or ((self.name, self.router),)
