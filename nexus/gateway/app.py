"""The process that hosts services: one app, every router under `/api/v1/<service>`.

In embedded mode (`nexus up`) it hosts every service; `nexus serve <service>` hosts one.
On start it opens and migrates each service's own database, starts the outbox
dispatcher and each service's background workers, and points token verification at
the auth JWKS (in process, or at `NEXUS_JWKS_URL`).
"""

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import text
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope

from nexus import __version__
from nexus.core import migrations
from nexus.core.config import Settings
from nexus.core.db import Database
from nexus.core.errors import error_body, install_error_handlers
from nexus.core.events import Dispatcher
from nexus.core.heap import settle_heap
from nexus.core.observability import EdgeMiddleware, configure_logging, metrics_response
from nexus.core.security import TokenVerifier
from nexus.core.service import ServiceSpec
from nexus.gateway.web import mount_web

API_PREFIX = "/api/v1"
JWKS_PATH = f"{API_PREFIX}/auth/.well-known/jwks.json"


def all_services() -> list[ServiceSpec]:
    """Return the spec of every service, in start-up order."""
    from nexus.auth.api import SERVICE as AUTH
    from nexus.ingest.api import SERVICE as INGEST
    from nexus.ledger.api import SERVICE as LEDGER

    return [AUTH, LEDGER, INGEST]


def create_app(
    settings: Settings,
    *,
    services: Sequence[ServiceSpec] | None = None,
    migrate: bool = True,
    run_workers: bool = True,
) -> FastAPI:
    """Build the app hosting `services` (all of them by default)."""
    specs = list(services) if services is not None else all_services()
    configure_logging(level=settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        databases = {
            spec.name: Database(
                spec.name, settings.database_url(spec.name), echo=settings.database_echo
            )
            for spec in specs
        }
        app.state.databases = databases
        if migrate:
            for database in databases.values():
                await migrations.upgrade(database)
        if settings.jwks_url:
            client = httpx.AsyncClient(timeout=10)
            jwks_url = settings.jwks_url
        else:
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://nexus"
            )
            jwks_url = JWKS_PATH
        app.state.token_verifier = TokenVerifier(
            client=client, jwks_url=jwks_url, issuer=settings.jwt_issuer
        )
        # How services reach each other's REST APIs: in process, or at a configured URL.
        internal = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://nexus", timeout=300
        )
        app.state.ledger_http = (
            httpx.AsyncClient(base_url=settings.ledger_url, timeout=300)
            if settings.ledger_url
            else internal
        )
        dispatcher: Dispatcher = app.state.dispatcher
        for spec in specs:
            if spec.outbox is not None:
                dispatcher.add_source(databases[spec.name], spec.outbox)
        tasks: list[asyncio.Task[None]] = []
        if run_workers:
            tasks.append(
                asyncio.create_task(
                    dispatcher.run_forever(
                        interval_ms=settings.outbox_interval_ms, batch_max=settings.outbox_batch_max
                    )
                )
            )
            for spec in specs:
                for worker in spec.workers:
                    tasks.append(asyncio.create_task(worker(databases[spec.name], settings)))
        settle_heap()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await client.aclose()
            await internal.aclose()
            if app.state.ledger_http is not internal:
                await app.state.ledger_http.aclose()
            for database in databases.values():
                await database.dispose()

    app = FastAPI(
        title="Nexus",
        version=__version__,
        description="Self-hosted financial operations on a double-entry ledger.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.dispatcher = Dispatcher()
    install_error_handlers(app)
    app.add_middleware(
        EdgeMiddleware,
        body_bytes_max=settings.request_body_bytes_max,
        upload_bytes_max=settings.import_bytes_max,
        upload_prefixes=(f"{API_PREFIX}/imports",),
    )
    documented = APIRouter()
    for spec in specs:
        for path, router in spec.routers():
            app.router.routes.append(
                _ServiceMount(f"{API_PREFIX}/{path}", app=_service_app(router, parent=app))
            )
            documented.include_router(router, prefix=f"{API_PREFIX}/{path}")
    _document(
        app,
        routes=documented.routes,
        models=[model for spec in specs for model in spec.documented_models],
    )
    _add_operations_routes(app)
    mount_web(app, dist_dir=settings.web_dir)
    return app


class _ServiceMount(Mount):
    """A mount that also answers its own path: `POST /api/v1/imports`, not only `.../`."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and get_route_path(scope) == self.path:
            root_path = scope.get("root_path", "")
            return Match.FULL, {
                "path_params": dict(scope.get("path_params", {})),
                "app_root_path": scope.get("app_root_path", root_path),
                "root_path": root_path + self.path,
                "endpoint": self.app,
            }
        return super().matches(scope)


def _service_app(router: APIRouter, *, parent: FastAPI) -> FastAPI:
    """Return one service's routes as an app of their own, mounted under its prefix.

    Requests are routed by prefix first, then among this service's routes only: an
    included router is matched route by route across every service, which cost more
    than posting an entry. The sub-app shares the parent's state (settings, databases,
    token verifier) and renders errors the same way.
    """
    sub = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, routes=list(router.routes))
    sub.state = parent.state
    install_error_handlers(sub)
    return sub


def _document(
    app: FastAPI, *, routes: Sequence[BaseRoute], models: Sequence[type[BaseModel]]
) -> None:
    """Generate the app's OpenAPI document from every service's routes and models."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=routes,
            )
            components = document.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                for name, definition in schema.pop("$defs", {}).items():
                    components.setdefault(name, definition)
                components.setdefault(model.__name__, schema)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_operations_routes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        databases: dict[str, Database] = app.state.databases
        checks: dict[str, str] = {}
        for name, database in databases.items():
            try:
                async with database.reading() as session:
                    await session.execute(text("SELECT 1"))
                checks[name] = "ok"
            except Exception as exc:  # report, never raise: this is a probe
                checks[name] = f"unavailable: {type(exc).__name__}"
        if all(value == "ok" for value in checks.values()):
            return JSONResponse({"status": "ready", "checks": checks})
        body = error_body("not_ready", "A dependency is unavailable.", {"checks": checks})
        return JSONResponse(body, status_code=503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return metrics_response()


def app_from_env() -> FastAPI:
    """Build the app from the environment (uvicorn factory for `nexus up` and `nexus serve`)."""
    settings = Settings()
    wanted = os.environ.get("NEXUS_SERVE_SERVICES")
    services = all_services()
    if wanted:
        names = set(wanted.split(","))
        services = [spec for spec in services if spec.name in names]
    return create_app(settings, services=services)
