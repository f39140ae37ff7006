"""Plain async helpers that build test data through the public API."""

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "correct horse battery staple 42"


@dataclass
class Tenant:
    """A signed-in user acting in the organisation they own."""

    email: str
    user_id: uuid.UUID
    org_id: uuid.UUID
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def sign_in(
    client: httpx.AsyncClient, email: str, *, password: str = PASSWORD, org: uuid.UUID | None = None
) -> dict[str, Any]:
    """Return the token response for `email`, asserting success."""
    form = {"username": email, "password": password}
    if org is not None:
        form["org"] = str(org)
    response = await client.post("/api/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def sign_up(
    client: httpx.AsyncClient, *, email: str | None = None, org_name: str | None = None
) -> Tenant:
    """Register a new user and organisation and sign in as its owner."""
    email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "org_name": org_name or f"Org {email}"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    tokens = await sign_in(client, email)
    return Tenant(
        email=email,
        user_id=uuid.UUID(body["user"]["id"]),
        org_id=uuid.UUID(body["organisation"]["id"]),
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


async def add_member(client: httpx.AsyncClient, owner: Tenant, *, role: str) -> Tenant:
    """Create a user, add them to `owner`'s organisation with `role`, sign them in there."""
    member = await sign_up(client)
    response = await client.post(
        f"/api/v1/auth/orgs/{owner.org_id}/members",
        json={"email": member.email, "role": role},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    tokens = await sign_in(client, member.email, org=owner.org_id)
    return Tenant(
        email=member.email,
        user_id=member.user_id,
        org_id=owner.org_id,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


async def set_up_ledger(
    client: httpx.AsyncClient, tenant: Tenant, *, template: str = "household", currency: str = "EUR"
) -> dict[str, str]:
    """Open a chart of accounts from `template`; return {account code: id}."""
    response = await client.post(
        "/api/v1/ledger/setup",
        json={"template": template, "base_currency": currency},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text
    return {account["code"]: account["id"] for account in response.json()["accounts"]}


def entry(
    day: str, description: str, *lines: tuple[str, str], currency: str = "EUR", **extra: Any
) -> dict[str, Any]:
    """Build an entry body from (account id, amount) pairs."""
    return {
        "date": day,
        "description": description,
        "postings": [
            {"account_id": account, "amount": amount, "currency": currency}
            for account, amount in lines
        ],
        **extra,
    }


async def post(
    client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any], *, key: str | None = None
) -> httpx.Response:
    """POST an entry, optionally with an Idempotency-Key."""
    headers = dict(tenant.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post("/api/v1/ledger/entries", json=body, headers=headers)
