"""Registration, sign-in, the caller's account and organisations, over HTTP."""

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from nexus.auth.models import outbox
from nexus.core.db import Database
from tests.support import PASSWORD, sign_in, sign_up

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"
ORGS = "/api/v1/auth/orgs"


def _error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


async def _outbox_rows(app: FastAPI, *, event_type: str) -> list[dict[str, Any]]:
    database: Database = app.state.databases["auth"]
    async with database.reading() as session:
        rows = (await session.execute(select(outbox).where(outbox.c.type == event_type))).all()
    return [dict(row._mapping) for row in rows]


async def test_register_sign_in_and_me(client: httpx.AsyncClient, unique: str) -> None:
    response = await client.post(
        REGISTER,
        json={
            "email": f"Ada-{unique}@Example.com",
            "password": PASSWORD,
            "org_name": "Lovelace",
            "name": "Ada",
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"]["email"] == f"ada-{unique}@example.com"
    assert body["user"]["name"] == "Ada"
    assert body["organisation"]["role"] == "owner"
    assert body["organisation"]["name"] == "Lovelace"
    assert body["user"]["created_at"].endswith(("Z", "+00:00"))

    tokens = await sign_in(client, f"ADA-{unique}@example.com")
    assert tokens["token_type"] == "bearer"
    assert tokens["role"] == "owner"
    assert tokens["org_id"] == body["organisation"]["id"]
    assert 0 < tokens["expires_in"] <= 900

    me = await client.get(ME, headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["id"] == body["user"]["id"]
    assert me.json()["active_org"] == {
        "id": body["organisation"]["id"],
        "name": "Lovelace",
        "role": "owner",
    }
    assert me.json()["organisations"] == [me.json()["active_org"]]


async def test_wrong_password_is_401_invalid_credentials(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    response = await client.post(TOKEN, data={"username": tenant.email, "password": "nope nope"})
    assert response.status_code == 401
    assert _error_code(response) == "invalid_credentials"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_unknown_email_is_401_with_the_same_message(
    client: httpx.AsyncClient, unique: str
) -> None:
    tenant = await sign_up(client)
    wrong = await client.post(TOKEN, data={"username": tenant.email, "password": "nope nope"})
    unknown = await client.post(
        TOKEN, data={"username": f"ghost-{unique}@example.com", "password": "nope nope"}
    )
    assert unknown.status_code == 401
    assert unknown.json() == wrong.json()


async def test_failed_sign_in_is_recorded_in_the_outbox(
    client: httpx.AsyncClient, app: FastAPI, unique: str
) -> None:
    tenant = await sign_up(client)
    await client.post(TOKEN, data={"username": tenant.email, "password": "wrong password"})
    await client.post(TOKEN, data={"username": f"ghost-{unique}@example.com", "password": "x"})
    rows = await _outbox_rows(app, event_type="auth.sign_in_failed")
    known = [row for row in rows if row["data"].get("user_id") == str(tenant.user_id)]
    assert len(known) == 1
    assert known[0]["org_id"] == tenant.org_id
    assert known[0]["data"]["email"] is None
    ghost = [row for row in rows if row["data"].get("email") == f"ghost-{unique}@example.com"]
    assert len(ghost) == 1
    assert "password" not in str(rows)


async def test_registration_writes_its_events_to_the_outbox(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    tenant = await sign_up(client)
    registered = await _outbox_rows(app, event_type="auth.user_registered")
    mine = [row for row in registered if row["data"]["user_id"] == str(tenant.user_id)]
    assert len(mine) == 1
    assert mine[0]["org_id"] == tenant.org_id
    created = await _outbox_rows(app, event_type="auth.organisation_created")
    assert any(row["org_id"] == tenant.org_id for row in created)
    signed_in = await _outbox_rows(app, event_type="auth.signed_in")
    assert any(row["data"]["user_id"] == str(tenant.user_id) for row in signed_in)


async def test_duplicate_email_is_409(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    response = await client.post(
        REGISTER,
        json={
            "email": tenant.email.upper(),
            "password": PASSWORD,
            "org_name": "Another",
        },
    )
    assert response.status_code == 409
    assert _error_code(response) == "email_taken"


async def test_weak_password_is_422_with_feedback(client: httpx.AsyncClient, unique: str) -> None:
    response = await client.post(
        REGISTER,
        json={
            "email": f"weak-{unique}@example.com",
            "password": "password123",
            "org_name": "Weak Ltd",
        },
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "weak_password"
    assert error["details"]["score"] < 3
    assert "suggestions" in error["details"]


async def test_short_password_is_422(client: httpx.AsyncClient, unique: str) -> None:
    response = await client.post(
        REGISTER,
        json={
            "email": f"short-{unique}@example.com",
            "password": "Xq7#vL2!",
            "org_name": "Short Ltd",
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["length_min"] == 10


async def test_invalid_email_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER,
        json={
            "email": "not-an-email",
            "password": PASSWORD,
            "org_name": "Nobody",
        },
    )
    assert response.status_code == 422
    assert _error_code(response) == "invalid_email"


async def test_me_without_a_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(ME)
    assert response.status_code == 401


async def test_rename_me(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    response = await client.patch(ME, json={"name": "Grace"}, headers=tenant.headers)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Grace"


async def test_change_password_revokes_refresh_tokens(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    new_password = "violet tuesday lantern orchestra 7"
    wrong = await client.post(
        f"{ME}/password",
        headers=tenant.headers,
        json={"current_password": "not it at all", "new_password": new_password},
    )
    assert wrong.status_code == 422
    assert _error_code(wrong) == "current_password_incorrect"
    weak = await client.post(
        f"{ME}/password",
        headers=tenant.headers,
        json={"current_password": PASSWORD, "new_password": "password1234"},
    )
    assert _error_code(weak) == "weak_password"

    response = await client.post(
        f"{ME}/password",
        headers=tenant.headers,
        json={"current_password": PASSWORD, "new_password": new_password},
    )
    assert response.status_code == 204, response.text
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tenant.refresh_token}
    )
    assert refreshed.status_code == 401
    old = await client.post(TOKEN, data={"username": tenant.email, "password": PASSWORD})
    assert old.status_code == 401
    await sign_in(client, tenant.email, password=new_password)


async def test_create_list_get_and_rename_organisations(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client, org_name="First")
    created = await client.post(ORGS, json={"name": "Second"}, headers=tenant.headers)
    assert created.status_code == 201, created.text
    second = created.json()
    assert second["role"] == "owner"

    listed = await client.get(ORGS, headers=tenant.headers)
    assert [item["name"] for item in listed.json()["items"]] == ["First", "Second"]

    got = await client.get(f"{ORGS}/{tenant.org_id}", headers=tenant.headers)
    assert got.status_code == 200
    assert got.json()["name"] == "First"
    renamed = await client.patch(
        f"{ORGS}/{tenant.org_id}", json={"name": "First Ltd"}, headers=tenant.headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "First Ltd"

    # The second organisation is reachable after switching to it.
    tokens = await sign_in(client, tenant.email, org=second["id"])
    assert tokens["org_id"] == second["id"]
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = await client.get(ME, headers=headers)
    assert me.json()["active_org"]["id"] == second["id"]
    assert (await client.get(f"{ORGS}/{second['id']}", headers=headers)).status_code == 200


async def test_sign_in_to_an_organisation_one_is_not_in_is_404(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    other = await sign_up(client)
    response = await client.post(
        TOKEN, data={"username": tenant.email, "password": PASSWORD, "org": str(other.org_id)}
    )
    assert response.status_code == 404
    assert _error_code(response) == "organisation_not_found"
