"""Token verification against a JWKS: valid, tampered, expired (also once cached), rotated."""

import asyncio
import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from nexus.core.errors import Unauthenticated
from nexus.core.security import AUDIENCE, TokenVerifier

ISSUER = "nexus-test"


class KeyServer:
    """An in-memory JWKS endpoint, with a count of how often it was asked."""

    def __init__(self) -> None:
        self.keys: dict[str, Ed25519PrivateKey] = {}
        self.fetches = 0

    def add_key(self, kid: str) -> None:
        self.keys[kid] = Ed25519PrivateKey.generate()

    def handle(self, _: httpx.Request) -> httpx.Response:
        self.fetches += 1
        jwks = [
            {
                **jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key(), as_dict=True),
                "kid": kid,
                "use": "sig",
                "alg": "EdDSA",
            }
            for kid, key in self.keys.items()
        ]
        return httpx.Response(200, json={"keys": jwks})

    def token(self, kid: str, *, ttl_seconds: float = 60) -> str:
        now = time.time()
        claims = {
            "sub": str(uuid.uuid4()),
            "org": str(uuid.uuid4()),
            "role": "viewer",
            "jti": "t",
            "iat": int(now),
            "exp": now + ttl_seconds,
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        return jwt.encode(claims, self.keys[kid], algorithm="EdDSA", headers={"kid": kid})


def verifier_for(server: KeyServer) -> TokenVerifier:
    client = httpx.AsyncClient(transport=httpx.MockTransport(server.handle), base_url="http://auth")
    return TokenVerifier(client=client, jwks_url="/jwks", issuer=ISSUER)


async def test_valid_token_is_verified_once_then_served_from_cache() -> None:
    server = KeyServer()
    server.add_key("k1")
    verifier = verifier_for(server)
    token = server.token("k1")
    first = await verifier.verify(token)
    assert first.role == "viewer"
    assert await verifier.verify(token) == first
    assert server.fetches == 1


async def test_tampered_token_is_refused() -> None:
    server = KeyServer()
    server.add_key("k1")
    verifier = verifier_for(server)
    header, payload, signature = server.token("k1").split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(Unauthenticated):
        await verifier.verify(forged)


async def test_a_cached_token_is_refused_once_it_expires() -> None:
    server = KeyServer()
    server.add_key("k1")
    verifier = verifier_for(server)
    token = server.token("k1", ttl_seconds=1)
    await verifier.verify(token)
    await asyncio.sleep(1.2)
    with pytest.raises(Unauthenticated, match="expired"):
        await verifier.verify(token)


async def test_a_new_key_id_is_fetched_at_once_and_a_forged_one_is_throttled() -> None:
    server = KeyServer()
    server.add_key("k1")
    verifier = verifier_for(server)
    await verifier.verify(server.token("k1"))
    server.add_key("k2")
    await verifier.verify(server.token("k2"))
    assert server.fetches == 2
    for _ in range(5):
        with pytest.raises(Unauthenticated, match="unknown key"):
            await verifier.verify(
                jwt.encode(
                    {"sub": "x"},
                    Ed25519PrivateKey.generate(),
                    algorithm="EdDSA",
                    headers={"kid": "forged"},
                )
            )
    assert server.fetches == 3


async def test_concurrent_first_requests_share_one_fetch_and_all_pass() -> None:
    server = KeyServer()
    server.add_key("k1")
    verifier = verifier_for(server)
    tokens = [server.token("k1") for _ in range(20)]
    principals = await asyncio.gather(*(verifier.verify(token) for token in tokens))
    assert len(principals) == 20
    assert server.fetches == 1
