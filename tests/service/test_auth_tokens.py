"""Access tokens, refresh-token rotation, sign-out and signing keys, over HTTP."""

import asyncio
import base64
import json
from datetime import timedelta

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from nexus.auth import domain, keys
from nexus.auth.client import AuthClient, AuthClientError
from nexus.auth.models import outbox
from nexus.core.clock import utc_now
from nexus.core.db import Database
from nexus.core.permissions import Role
from tests.support import sign_in, sign_up

ME = "/api/v1/auth/me"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
JWKS = "/api/v1/auth/.well-known/jwks.json"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def _database(app: FastAPI) -> Database:
    database: Database = app.state.databases["auth"]
    return database


async def test_access_token_has_the_documented_claims(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    tenant = await sign_up(client)
    header = jwt.get_unverified_header(tenant.access_token)
    claims = jwt.decode(tenant.access_token, options={"verify_signature": False})
    assert header["alg"] == "EdDSA"
    assert set(claims) >= {"sub", "org", "role", "exp", "iat", "jti", "iss", "aud"}
    assert claims["sub"] == str(tenant.user_id)
    assert claims["org"] == str(tenant.org_id)
    assert claims["role"] == "owner"
    assert claims["aud"] == "nexus"
    assert claims["iss"] == app.state.settings.jwt_issuer
    assert claims["exp"] - claims["iat"] == app.state.settings.access_token_ttl_seconds


async def test_jwks_contains_the_kid_of_an_issued_token(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    response = await client.get(JWKS)
    assert response.status_code == 200
    jwk_set = jwt.PyJWKSet.from_dict(response.json())
    kid = jwt.get_unverified_header(tenant.access_token)["kid"]
    assert kid in {key.key_id for key in jwk_set.keys}
    for key in response.json()["keys"]:
        assert key["kty"] == "OKP"
        assert key["use"] == "sig"
        assert "d" not in key  # never the private part


async def test_tampered_signature_is_401(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    header, payload, signature = tenant.access_token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    forged = ".".join([header, payload, signature[:middle] + flipped + signature[middle + 1 :]])
    response = await client.get(ME, headers=_bearer(forged))
    assert response.status_code == 401


async def test_tampered_claims_are_401(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    header, _, signature = tenant.access_token.split(".")
    claims = jwt.decode(tenant.access_token, options={"verify_signature": False})
    claims["role"] = "owner"
    claims["org"] = "00000000-0000-0000-0000-000000000001"
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = await client.get(ME, headers=_bearer(f"{header}.{payload}.{signature}"))
    assert response.status_code == 401


async def test_expired_token_is_401(client: httpx.AsyncClient, app: FastAPI) -> None:
    tenant = await sign_up(client)
    settings = app.state.settings
    claims = domain.build_access_claims(
        user_id=tenant.user_id,
        org_id=tenant.org_id,
        role=Role.OWNER,
        issuer=settings.jwt_issuer,
        now=utc_now() - timedelta(hours=1),
        ttl_seconds=settings.access_token_ttl_seconds,
        token_id="expired-token",
    )
    async with _database(app).transaction() as session:
        _, token = await keys.sign_access_token(session, claims)
    response = await client.get(ME, headers=_bearer(token))
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


async def test_key_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    tenant = await sign_up(client)
    old_kid = jwt.get_unverified_header(tenant.access_token)["kid"]

    new_kid = await keys.rotate_signing_key(_database(app))
    assert new_kid != old_kid
    # The verifier re-reads the JWKS at most every few seconds; a test cannot wait.
    app.state.token_verifier.forget_keys()

    assert (await client.get(ME, headers=tenant.headers)).status_code == 200
    published = {key["kid"] for key in (await client.get(JWKS)).json()["keys"]}
    assert {old_kid, new_kid} <= published

    tokens = await sign_in(client, tenant.email)
    assert jwt.get_unverified_header(tokens["access_token"])["kid"] == new_kid
    assert (await client.get(ME, headers=_bearer(tokens["access_token"]))).status_code == 200
    assert (await client.get(ME, headers=tenant.headers)).status_code == 200


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    tenant = await sign_up(client)
    first = await client.post(REFRESH, json={"refresh_token": tenant.refresh_token})
    assert first.status_code == 200, first.text
    pair = first.json()
    assert pair["refresh_token"] != tenant.refresh_token
    assert pair["org_id"] == str(tenant.org_id)
    assert pair["role"] == "owner"
    assert (await client.get(ME, headers=_bearer(pair["access_token"]))).status_code == 200

    reused = await client.post(REFRESH, json={"refresh_token": tenant.refresh_token})
    assert reused.status_code == 401
    assert _error_code(reused) == "refresh_token_reused"

    successor = await client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert successor.status_code == 401
    assert _error_code(successor) == "invalid_refresh_token"

    async with _database(app).reading() as session:
        rows = (
            (
                await session.execute(
                    select(outbox.c.data).where(outbox.c.type == "auth.refresh_token_reused")
                )
            )
            .scalars()
            .all()
        )
    assert any(row["user_id"] == str(tenant.user_id) for row in rows)


async def test_concurrent_refreshes_with_one_token_let_only_one_win(
    client: httpx.AsyncClient,
) -> None:
    tenant = await sign_up(client)
    responses = await asyncio.gather(
        *[client.post(REFRESH, json={"refresh_token": tenant.refresh_token}) for _ in range(3)]
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 401, 401]
    winner = next(response for response in responses if response.status_code == 200)
    # The losers prove a second holder exists: the winner's new token is revoked too.
    again = await client.post(REFRESH, json={"refresh_token": winner.json()["refresh_token"]})
    assert again.status_code == 401


async def test_unknown_refresh_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post(REFRESH, json={"refresh_token": "not-a-token"})
    assert response.status_code == 401
    assert _error_code(response) == "invalid_refresh_token"


async def test_refresh_can_switch_organisation(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    created = await client.post("/api/v1/auth/orgs", json={"name": "Side"}, headers=tenant.headers)
    other_org = created.json()["id"]
    stranger = await sign_up(client)
    refused = await client.post(
        REFRESH, json={"refresh_token": tenant.refresh_token, "org": str(stranger.org_id)}
    )
    assert refused.status_code == 404
    assert _error_code(refused) == "organisation_not_found"
    # A refused switch does not consume the token.
    switched = await client.post(
        REFRESH, json={"refresh_token": tenant.refresh_token, "org": other_org}
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["org_id"] == other_org


async def test_logout_revokes_the_family(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    rotated = (await client.post(REFRESH, json={"refresh_token": tenant.refresh_token})).json()
    response = await client.post(LOGOUT, json={"refresh_token": rotated["refresh_token"]})
    assert response.status_code == 204
    assert response.content == b""
    after = await client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401
    assert _error_code(after) == "invalid_refresh_token"


async def test_logout_with_an_unknown_token_is_still_204(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGOUT, json={"refresh_token": "never-issued"})
    assert response.status_code == 204


async def test_token_endpoint_takes_a_form_not_json(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    response = await client.post(
        "/api/v1/auth/token", json={"username": tenant.email, "password": "x"}
    )
    assert response.status_code == 422


async def test_auth_client_reads_jwks_and_me(client: httpx.AsyncClient) -> None:
    tenant = await sign_up(client)
    auth = AuthClient(client)
    jwks = await auth.jwks()
    assert jwt.get_unverified_header(tenant.access_token)["kid"] in {key.kid for key in jwks.keys}
    me = await auth.me(tenant.access_token)
    assert me.id == tenant.user_id
    assert me.active_org.id == tenant.org_id
    with pytest.raises(AuthClientError) as caught:
        await auth.me("not-a-token")
    assert caught.value.status == 401
