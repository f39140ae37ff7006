"""Typed REST client of imports and reconciliation, for the CLI and other services."""

import uuid
from pathlib import Path
from typing import Any

import httpx

from nexus.core.errors import error_of_response
from nexus.ingest import schemas

IMPORTS = "/api/v1/imports"
RECONCILIATION = "/api/v1/reconciliation"


class IngestError(Exception):
    """A non-2xx answer, with the server's machine-readable code and details."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def _checked(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        code, message, details = error_of_response(response.status_code, response.content)
        raise IngestError(response.status_code, code, message, details)
    return response.json()


class IngestClient:
    """Calls the import API with one organisation's access token."""

    def __init__(self, http: httpx.AsyncClient, *, access_token: str) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {access_token}"}

    async def upload(
        self,
        path: Path,
        *,
        account_id: uuid.UUID,
        counter_account_id: uuid.UUID | None = None,
        profile_json: str | None = None,
    ) -> schemas.ImportBatch:
        """Upload a statement file (streamed from disk); the batch may still be parsing."""
        form: dict[str, str] = {"account_id": str(account_id)}
        if counter_account_id is not None:
            form["counter_account_id"] = str(counter_account_id)
        if profile_json:
            form["profile"] = profile_json
        with path.open("rb") as handle:
            response = await self._http.post(
                IMPORTS,
                files={"file": (path.name, handle, "application/octet-stream")},
                data=form,
                headers=self._headers,
            )
        return schemas.ImportBatch.model_validate(_checked(response))

    async def get(self, import_id: uuid.UUID) -> schemas.ImportBatch:
        """Return one import with its status and progress."""
        response = await self._http.get(f"{IMPORTS}/{import_id}", headers=self._headers)
        return schemas.ImportBatch.model_validate(_checked(response))

    async def commit(self, import_id: uuid.UUID) -> schemas.ImportBatch:
        """Commit (or resume committing) an import."""
        response = await self._http.post(f"{IMPORTS}/{import_id}/commit", headers=self._headers)
        return schemas.ImportBatch.model_validate(_checked(response))

    async def undo(self, import_id: uuid.UUID) -> schemas.ImportBatch:
        """Undo an import."""
        response = await self._http.post(f"{IMPORTS}/{import_id}/undo", headers=self._headers)
        return schemas.ImportBatch.model_validate(_checked(response))
