"""Typed REST client of the ledger, for other services and tools.

The transport decides where the ledger is: an `httpx.ASGITransport` on the embedded
app, or a base URL in distributed mode. Errors come back as `LedgerError` carrying the
server's error code.
"""

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import date
from typing import Any

import httpx
import orjson

from nexus.core.errors import error_of_response
from nexus.ledger import schemas

# The request and response types of this client, for services that call the ledger.
Account = schemas.Account
BatchEntryCreate = schemas.BatchEntryCreate
Entry = schemas.Entry
PostingIn = schemas.PostingIn
ReversalItem = schemas.ReversalItem

PREFIX = "/api/v1/ledger"


class LedgerError(Exception):
    """A non-2xx answer of the ledger, with its machine-readable code."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.details = details


class LedgerClient:
    """Calls the ledger API with one organisation's access token."""

    def __init__(self, http: httpx.AsyncClient, *, access_token: str) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {access_token}"}

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = await self._http.request(
            method,
            PREFIX + path,
            json=json,
            params=params,
            headers={**self._headers, **(headers or {})},
        )
        return self._checked(response)

    @staticmethod
    def _checked(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            code, message, details = error_of_response(response.status_code, response.content)
            raise LedgerError(response.status_code, code, message, details)
        return response.json()

    async def setup(self, *, template: str, base_currency: str) -> schemas.SetupResult:
        """Open a chart of accounts from a template."""
        body = {"template": template, "base_currency": base_currency}
        return schemas.SetupResult.model_validate(await self._call("POST", "/setup", json=body))

    async def accounts(self) -> list[schemas.Account]:
        """Return every account."""
        return schemas.AccountList.model_validate(await self._call("GET", "/accounts")).items

    async def account(self, account_id: uuid.UUID) -> schemas.Account:
        """Return one account."""
        return schemas.Account.model_validate(await self._call("GET", f"/accounts/{account_id}"))

    async def settings(self) -> schemas.LedgerSettings:
        """Return the base currency and the closed period."""
        return schemas.LedgerSettings.model_validate(await self._call("GET", "/settings"))

    async def account_balance(
        self, account_id: uuid.UUID, *, as_of: date | None = None
    ) -> schemas.AccountBalance:
        """Return one account's balance, now or at the end of `as_of`."""
        params = {"as_of": as_of.isoformat()} if as_of else None
        data = await self._call("GET", f"/accounts/{account_id}/balance", params=params)
        return schemas.AccountBalance.model_validate(data)

    async def account_entries(
        self,
        account_id: uuid.UUID,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        page_size: int = 500,
    ) -> AsyncIterator[schemas.Entry]:
        """Yield every entry touching `account_id` in the date range, page by page."""
        params: dict[str, Any] = {"account_id": str(account_id), "limit": page_size}
        if date_from:
            params["from"] = date_from.isoformat()
        if date_to:
            params["to"] = date_to.isoformat()
        while True:
            page = schemas.EntryList.model_validate(
                await self._call("GET", "/entries", params=params)
            )
            for entry in page.items:
                yield entry
            if page.next_cursor is None:
                return
            params["cursor"] = page.next_cursor

    async def create_account(self, body: schemas.AccountCreate) -> schemas.Account:
        """Open an account."""
        data = await self._call(
            "POST", "/accounts", json=body.model_dump(mode="json", exclude_none=True)
        )
        return schemas.Account.model_validate(data)

    async def post_entry(
        self, body: schemas.EntryCreate, *, idempotency_key: str | None = None
    ) -> schemas.Entry:
        """Post one entry."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        data = await self._call(
            "POST",
            "/entries",
            json=body.model_dump(mode="json", exclude_none=True),
            headers=headers,
        )
        return schemas.Entry.model_validate(data)

    async def post_batch_rows(self, entries: Sequence[Mapping[str, Any]]) -> schemas.BatchResult:
        """Post entries given as plain JSON-ready dicts (the bulk path: no models built)."""
        response = await self._http.post(
            PREFIX + "/entries/batch",
            content=orjson.dumps({"entries": entries}),
            headers={**self._headers, "Content-Type": "application/json"},
        )
        return schemas.BatchResult.model_validate(self._checked(response))

    async def post_batch(self, entries: list[schemas.BatchEntryCreate]) -> schemas.BatchResult:
        """Post entries all-or-nothing, each under its own idempotency key."""
        body = {"entries": [e.model_dump(mode="json", exclude_none=True) for e in entries]}
        return schemas.BatchResult.model_validate(
            await self._call("POST", "/entries/batch", json=body)
        )

    async def entry(self, entry_id: uuid.UUID) -> schemas.Entry:
        """Return one entry."""
        return schemas.Entry.model_validate(await self._call("GET", f"/entries/{entry_id}"))

    async def reverse(
        self, entry_id: uuid.UUID, *, idempotency_key: str | None = None
    ) -> schemas.Entry:
        """Reverse an entry (a retry under the same key returns the first reversal)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return schemas.Entry.model_validate(
            await self._call("POST", f"/entries/{entry_id}/reverse", json={}, headers=headers)
        )

    async def reverse_batch(
        self, items: Sequence[schemas.ReversalItem], *, skip_already_reversed: bool = False
    ) -> schemas.ReversalBatchResult:
        """Reverse entries all-or-nothing (each item's key replays its first reversal)."""
        body = schemas.ReversalBatch(
            items=list(items), skip_already_reversed=skip_already_reversed
        ).model_dump(mode="json", exclude_none=True)
        return schemas.ReversalBatchResult.model_validate(
            await self._call("POST", "/entries/reversals", json=body)
        )

    async def balances(self, *, as_of: str | None = None) -> schemas.BalanceSheet:
        """Return every account's balance."""
        params = {"as_of": as_of} if as_of else None
        return schemas.BalanceSheet.model_validate(
            await self._call("GET", "/balances", params=params)
        )

    async def verify_chain(self) -> schemas.ChainReport:
        """Recompute the hash chain."""
        return schemas.ChainReport.model_validate(await self._call("GET", "/chain/verify"))
