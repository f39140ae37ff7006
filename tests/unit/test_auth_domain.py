"""The pure rules of auth: password policy, role assignment, token claims."""

import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel

from nexus.auth import domain, keys, schemas
from nexus.core.permissions import Role
from nexus.core.security import AUDIENCE

EMAIL = "grace.hopper@example.com"
NOW = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)


# --- passwords ------------------------------------------------------------------------


def test_strong_password_is_accepted() -> None:
    domain.check_password("correct horse battery staple 42", email=EMAIL)


def test_short_password_is_refused_with_the_minimum() -> None:
    with pytest.raises(domain.WeakPassword) as caught:
        domain.check_password("x7#Qp!2", email=EMAIL)
    assert caught.value.details["length_min"] == domain.PASSWORD_LENGTH_MIN
    assert caught.value.code == "weak_password"


def test_common_password_is_refused_with_feedback() -> None:
    with pytest.raises(domain.WeakPassword) as caught:
        domain.check_password("password123", email=EMAIL)
    assert caught.value.details["score"] < domain.PASSWORD_SCORE_MIN
    assert "warning" in caught.value.details
    assert "suggestions" in caught.value.details


def test_keyboard_pattern_is_refused() -> None:
    with pytest.raises(domain.WeakPassword):
        domain.check_password("qwertyuiop1", email=EMAIL)


def test_password_containing_the_email_is_refused() -> None:
    with pytest.raises(domain.WeakPassword) as caught:
        domain.check_password("Grace.Hopper-1906-Navy!", email=EMAIL)
    assert "email" in caught.value.message


def test_password_built_from_the_organisation_name_is_refused() -> None:
    with pytest.raises(domain.WeakPassword):
        domain.check_password("lovelaceanalytics", email=EMAIL, related=("Lovelace Analytics",))


def test_overlong_password_is_refused() -> None:
    with pytest.raises(domain.WeakPassword) as caught:
        domain.check_password("a b c d " * 40, email=EMAIL)
    assert caught.value.details["length_max"] == domain.PASSWORD_LENGTH_MAX


def test_email_is_normalised_to_lower_case() -> None:
    assert domain.normalise_email("  Grace.Hopper@Example.COM ") == EMAIL


@pytest.mark.parametrize("raw", ["not-an-email", "a@", "@example.com", "a b@example.com"])
def test_invalid_email_is_refused(raw: str) -> None:
    with pytest.raises(domain.InvalidEmail):
        domain.normalise_email(raw)


def test_password_hash_verifies_only_the_right_password() -> None:
    password_hash = domain.hash_password("correct horse battery staple 42")
    assert password_hash.startswith("$argon2id$")
    assert domain.verify_password(password_hash, "correct horse battery staple 42")
    assert not domain.verify_password(password_hash, "correct horse battery staple 43")
    assert not domain.verify_password(None, "anything at all")
    assert not domain.verify_password("not a hash", "anything at all")


# --- roles ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_owner_may_grant_every_role(role: Role) -> None:
    domain.check_can_assign(actor_role=Role.OWNER, role=role)


def test_admin_may_not_grant_owner() -> None:
    with pytest.raises(domain.RoleNotAssignable) as caught:
        domain.check_can_assign(actor_role=Role.ADMIN, role=Role.OWNER)
    assert caught.value.status == 403
    assert "owner" not in caught.value.details["assignable_roles"]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ACCOUNTANT, Role.VIEWER, Role.AUDITOR])
def test_admin_may_grant_roles_below_owner(role: Role) -> None:
    domain.check_can_assign(actor_role=Role.ADMIN, role=role)


@pytest.mark.parametrize("actor", [Role.ACCOUNTANT, Role.VIEWER, Role.AUDITOR])
def test_non_managers_may_grant_nothing(actor: Role) -> None:
    with pytest.raises(domain.RoleNotAssignable):
        domain.check_can_assign(actor_role=actor, role=Role.VIEWER)


def test_admin_may_not_change_an_owner() -> None:
    with pytest.raises(domain.OwnerProtected):
        domain.check_can_change_role(
            actor_role=Role.ADMIN, target_role=Role.OWNER, new_role=Role.VIEWER, owner_count=2
        )


def test_admin_may_not_remove_an_owner() -> None:
    with pytest.raises(domain.OwnerProtected):
        domain.check_can_remove(actor_role=Role.ADMIN, target_role=Role.OWNER, owner_count=2)


def test_admin_may_change_an_accountant() -> None:
    domain.check_can_change_role(
        actor_role=Role.ADMIN, target_role=Role.ACCOUNTANT, new_role=Role.VIEWER, owner_count=1
    )


def test_last_owner_cannot_be_demoted() -> None:
    with pytest.raises(domain.LastOwner) as caught:
        domain.check_can_change_role(
            actor_role=Role.OWNER, target_role=Role.OWNER, new_role=Role.ADMIN, owner_count=1
        )
    assert caught.value.status == 422


def test_last_owner_cannot_be_removed() -> None:
    with pytest.raises(domain.LastOwner):
        domain.check_can_remove(actor_role=Role.OWNER, target_role=Role.OWNER, owner_count=1)


def test_one_of_two_owners_may_be_demoted_and_removed() -> None:
    domain.check_can_change_role(
        actor_role=Role.OWNER, target_role=Role.OWNER, new_role=Role.ADMIN, owner_count=2
    )
    domain.check_can_remove(actor_role=Role.OWNER, target_role=Role.OWNER, owner_count=2)


def test_owner_keeping_owner_role_is_not_a_demotion() -> None:
    domain.check_can_change_role(
        actor_role=Role.OWNER, target_role=Role.OWNER, new_role=Role.OWNER, owner_count=1
    )


# --- tokens ---------------------------------------------------------------------------


def _claims(**overrides: object) -> domain.AccessClaims:
    values: dict[str, object] = {
        "user_id": uuid.UUID(int=1),
        "org_id": uuid.UUID(int=2),
        "role": Role.ACCOUNTANT,
        "issuer": "nexus",
        "now": NOW,
        "ttl_seconds": 900,
        "token_id": "t-1",
    }
    values.update(overrides)
    return domain.build_access_claims(**values)  # type: ignore[arg-type]


def test_access_claims_carry_who_where_and_until_when() -> None:
    claims = _claims().to_jwt()
    assert claims == {
        "sub": str(uuid.UUID(int=1)),
        "org": str(uuid.UUID(int=2)),
        "role": "accountant",
        "iss": "nexus",
        "aud": AUDIENCE,
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 900,
        "jti": "t-1",
    }


def test_access_claims_expire_after_the_ttl() -> None:
    claims = _claims(ttl_seconds=60)
    assert claims.expires_at - claims.issued_at == timedelta(seconds=60)


def test_access_claims_refuse_naive_times() -> None:
    with pytest.raises(AssertionError):
        _claims(now=datetime(2025, 1, 15, 9, 30))  # noqa: DTZ001 - the point of the test


def test_signed_claims_verify_with_the_published_jwk() -> None:
    private_key = Ed25519PrivateKey.generate()
    jwk = keys.public_jwk(private_key)
    now = datetime.now(UTC)
    token = jwt.encode(
        _claims(now=now).to_jwt(), private_key, algorithm="EdDSA", headers={"kid": jwk["kid"]}
    )
    key = jwt.PyJWKSet.from_dict({"keys": [jwk]}).keys[0]
    decoded = jwt.decode(token, key.key, algorithms=["EdDSA"], audience=AUDIENCE, issuer="nexus")
    assert decoded["role"] == "accountant"
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]


def test_key_id_is_the_rfc7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 public key.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey as Key

    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    jwk = keys.public_jwk(Key.from_private_bytes(seed))
    assert jwk["x"] == "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    assert jwk["kid"] == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_refresh_tokens_are_random_and_stored_as_sha256() -> None:
    first, second = domain.new_refresh_token(), domain.new_refresh_token()
    assert first != second
    assert len(first) >= 43
    assert len(domain.hash_refresh_token(first)) == 64
    assert domain.hash_refresh_token(first) == domain.hash_refresh_token(first)


def test_used_refresh_token_is_reuse() -> None:
    state = domain.RefreshState(expires_at=NOW + timedelta(days=1), used_at=NOW, revoked_at=None)
    with pytest.raises(domain.RefreshTokenReused):
        domain.check_refresh_usable(state, now=NOW)


@pytest.mark.parametrize(
    "state",
    [
        domain.RefreshState(expires_at=NOW, used_at=None, revoked_at=None),
        domain.RefreshState(expires_at=NOW + timedelta(days=1), used_at=None, revoked_at=NOW),
    ],
    ids=["expired", "revoked"],
)
def test_dead_refresh_token_is_invalid(state: domain.RefreshState) -> None:
    with pytest.raises(domain.InvalidRefreshToken):
        domain.check_refresh_usable(state, now=NOW)


def test_live_refresh_token_is_usable() -> None:
    state = domain.RefreshState(
        expires_at=NOW + timedelta(seconds=1), used_at=None, revoked_at=None
    )
    domain.check_refresh_usable(state, now=NOW)


# --- schemas --------------------------------------------------------------------------


def _schema_classes() -> list[type[BaseModel]]:
    return [
        value
        for value in vars(schemas).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == schemas.__name__
        and value is not schemas.Schema
    ]


@pytest.mark.parametrize("schema", _schema_classes(), ids=lambda schema: schema.__name__)
def test_every_schema_has_a_valid_example(schema: type[BaseModel]) -> None:
    examples = schema.model_json_schema().get("examples")
    assert examples, f"{schema.__name__} has no example"
    for example in examples:
        schema.model_validate(example)


def test_internal_domains_of_self_hosted_teams_are_valid_emails() -> None:
    assert domain.normalise_email("Demo@Nexus.Local") == "demo@nexus.local"
    assert domain.normalise_email("ops@finance.internal") == "ops@finance.internal"
