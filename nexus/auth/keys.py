"""Signing keys: the Ed25519 keys access tokens are signed with, and their JWKS.

Keys live in the auth database so every auth process signs with the same key. The
newest active key (highest `generation`) signs; rotating adds a newer one and retires
the others. A retired key stays in the published JWKS for the longest lifetime of a
token it signed plus a margin (`access_token_ttl_seconds + RETIRED_KEY_GRACE_SECONDS`),
so tokens issued just before a rotation remain verifiable until they expire.

The first key is created lazily by the first sign-in. `generation` is unique, so when
two processes race to create it one insert fails and that process uses the winner's.
Parsed private keys are cached per process by key id; each signature checks which key
is newest with one indexed query, so a rotation done elsewhere is noticed at once.
"""

import base64
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.auth.domain import AccessClaims
from nexus.auth.models import SigningKey
from nexus.core.clock import utc_now
from nexus.core.db import Database
from nexus.core.security import ALGORITHM

RETIRED_KEY_GRACE_SECONDS = 60
PRIVATE_KEYS_CACHED_MAX = 16

# kid -> parsed private key. Keys are immutable once written, so entries never go stale.
_private_keys: dict[str, Ed25519PrivateKey] = {}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(private_key: Ed25519PrivateKey) -> dict[str, str]:
    """Return the public half of `private_key` as an OKP JWK with its RFC 7638 kid."""
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    required = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":")).encode()
    kid = _b64url(hashlib.sha256(canonical).digest())
    return {**required, "kid": kid, "use": "sig", "alg": ALGORITHM}


def _new_key_row(*, generation: int, now: datetime) -> tuple[SigningKey, Ed25519PrivateKey]:
    private_key = Ed25519PrivateKey.generate()
    jwk = public_jwk(private_key)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    row = SigningKey(
        kid=jwk["kid"],
        generation=generation,
        private_key_pem=pem,
        public_jwk=jwk,
        created_at=now,
        retired_at=None,
    )
    return row, private_key


def _remember(kid: str, private_key: Ed25519PrivateKey) -> None:
    if len(_private_keys) >= PRIVATE_KEYS_CACHED_MAX:
        _private_keys.clear()
    _private_keys[kid] = private_key


async def _newest_active_kid(session: AsyncSession) -> str | None:
    query = (
        select(SigningKey.kid)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.generation.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def _create_first_key(session: AsyncSession) -> None:
    row, private_key = _new_key_row(generation=1, now=utc_now())
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return  # another process created it first; the caller reads theirs
    _remember(row.kid, private_key)


async def signing_key(session: AsyncSession) -> tuple[str, Ed25519PrivateKey]:
    """Return the kid and private key new tokens are signed with (creating the first)."""
    kid = await _newest_active_kid(session)
    if kid is None:
        await _create_first_key(session)
        kid = await _newest_active_kid(session)
        assert kid is not None
    cached = _private_keys.get(kid)
    if cached is not None:
        return kid, cached
    pem = await session.execute(select(SigningKey.private_key_pem).where(SigningKey.kid == kid))
    private_key = serialization.load_pem_private_key(pem.scalar_one().encode(), password=None)
    assert isinstance(private_key, Ed25519PrivateKey)
    _remember(kid, private_key)
    return kid, private_key


async def sign_access_token(session: AsyncSession, claims: AccessClaims) -> tuple[str, str]:
    """Return `(kid, jwt)`: `claims` signed with the newest key."""
    kid, private_key = await signing_key(session)
    token = jwt.encode(claims.to_jwt(), private_key, algorithm=ALGORITHM, headers={"kid": kid})
    return kid, token


async def rotate(session: AsyncSession) -> str:
    """Add a newer signing key, retire the others, and return the new kid."""
    now = utc_now()
    generation_max = (await session.execute(select(func.max(SigningKey.generation)))).scalar()
    row, private_key = _new_key_row(generation=(generation_max or 0) + 1, now=now)
    await session.execute(
        update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now)
    )
    session.add(row)
    await session.flush()
    _remember(row.kid, private_key)
    return row.kid


async def rotate_signing_key(database: Database) -> str:
    """Rotate the signing key of `database` in its own transaction; return the new kid."""
    async with database.transaction() as session:
        return await rotate(session)


async def published_jwks(session: AsyncSession, *, access_token_ttl_seconds: int) -> dict[str, Any]:
    """Return the JWKS: active keys and keys retired too recently to forget."""
    retired_after = utc_now() - timedelta(
        seconds=access_token_ttl_seconds + RETIRED_KEY_GRACE_SECONDS
    )
    query = (
        select(SigningKey.public_jwk)
        .where(or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > retired_after))
        .order_by(SigningKey.generation.desc())
    )
    return {"keys": [dict(jwk) for jwk in (await session.execute(query)).scalars()]}
