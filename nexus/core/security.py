"""Access-token verification, done locally by every service with the auth JWKS.

The auth service signs short-lived JWTs with an asymmetric key (EdDSA) and publishes
its public keys as JWKS. Any service verifies a token without calling auth: the keys
are fetched once, cached, and fetched again only when a token names an unknown key id
(key rotation). Each endpoint declares its permission with `require(...)`; an endpoint
open to anyone says so with `public()`.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from fastapi import Request

from nexus.core.errors import Forbidden, ServiceUnavailable, Unauthenticated
from nexus.core.permissions import Permission, Role, role_allows

ALGORITHM = "EdDSA"
AUDIENCE = "nexus"
JWKS_REFRESH_SECONDS_MIN = 5.0
JWKS_MISSES_REMEMBERED_MAX = 1000
VERIFIED_TOKENS_CACHED_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user acting in one organisation with one role."""

    user_id: uuid.UUID
    org_id: uuid.UUID
    role: Role
    token_id: str


class TokenVerifier:
    """Verifies access tokens against the JWKS served by the auth service."""

    def __init__(self, *, client: httpx.AsyncClient, jwks_url: str, issuer: str) -> None:
        self._client = client
        self._jwks_url = jwks_url
        self._issuer = issuer
        self._keys: dict[str, jwt.PyJWK] = {}
        # Verified tokens until they expire: checking an EdDSA signature costs about a
        # millisecond, and a client sends the same token with every request.
        self._verified: dict[str, tuple[Principal, float]] = {}
        # Unknown key ids and when they were last looked up: a new kid (rotation) is
        # fetched at once, but a forged kid cannot make every request refetch.
        self._misses: dict[str, float] = {}
        self._refreshing = asyncio.Lock()

    async def _refresh(self, key_id: str) -> None:
        # Concurrent first requests wait for one fetch instead of failing meanwhile.
        async with self._refreshing:
            if key_id not in self._keys:
                await self._fetch(key_id)

    async def _fetch(self, key_id: str) -> None:
        now = time.monotonic()
        if now - self._misses.get(key_id, -JWKS_REFRESH_SECONDS_MIN) < JWKS_REFRESH_SECONDS_MIN:
            return
        if len(self._misses) > JWKS_MISSES_REMEMBERED_MAX:
            self._misses.clear()
        self._misses[key_id] = now
        try:
            response = await self._client.get(self._jwks_url)
            response.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(response.json()).keys
        except (httpx.HTTPError, jwt.PyJWKSetError, ValueError) as error:
            raise ServiceUnavailable(
                "The token signing keys cannot be fetched right now."
            ) from error
        self._keys = {key.key_id: key for key in keys if key.key_id}

    def forget_keys(self) -> None:
        """Drop cached keys and verified tokens so the next token is checked afresh."""
        self._keys = {}
        self._misses = {}
        self._verified = {}

    async def verify(self, token: str) -> Principal:
        """Return the principal of a valid access token or raise Unauthenticated."""
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        principal, expires_at = await self._verify_signature(token)
        if len(self._verified) >= VERIFIED_TOKENS_CACHED_MAX:
            self._verified.clear()
        self._verified[token] = (principal, expires_at)
        return principal

    async def _verify_signature(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("The access token is malformed.") from None
        key_id = header.get("kid")
        if not isinstance(key_id, str):
            raise Unauthenticated("The access token names no key.")
        if key_id not in self._keys:
            await self._refresh(key_id)
        key = self._keys.get(key_id)
        if key is None:
            raise Unauthenticated("The access token was signed by an unknown key.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "jti", "org", "role"]},
            )
            principal = Principal(
                user_id=uuid.UUID(claims["sub"]),
                org_id=uuid.UUID(claims["org"]),
                role=Role(claims["role"]),
                token_id=str(claims["jti"]),
            )
            return principal, float(claims["exp"])
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("The access token has expired.") from None
        except (jwt.PyJWTError, ValueError):
            raise Unauthenticated("The access token is not valid.") from None


def bearer_token(request: Request) -> str:
    """Return the bearer token of `request` or raise Unauthenticated."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("Sign in first: send 'Authorization: Bearer <access token>'.")
    return token.strip()


async def authenticate(request: Request) -> Principal:
    """Return the verified principal of `request`."""
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(bearer_token(request))
    request.state.principal = principal
    return principal


class require:
    """A dependency that authenticates the caller and checks one permission."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal:
        principal = await authenticate(request)
        if not role_allows(principal.role, self.permission):
            raise Forbidden(
                f"Your role '{principal.role}' may not do this ({self.permission}).",
                details={"permission": str(self.permission), "role": str(principal.role)},
            )
        return principal


class public:
    """A dependency that marks an endpoint as open to anyone, on purpose."""

    async def __call__(self) -> None:
        return None
