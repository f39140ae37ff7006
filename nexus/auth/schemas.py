"""Request and response bodies of the auth API, each with an example for the docs."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nexus.auth.domain import EMAIL_LENGTH_MAX, NAME_LENGTH_MAX, PASSWORD_LENGTH_MAX
from nexus.core.permissions import Role

USER_ID = "0190f5a2-6c1e-7b3a-9c55-1f0e8d2b4a61"
ORG_ID = "0190f5a2-6c1f-7d02-8e11-5b9c3a7f2e10"
INVITATION_ID = "0190f5a3-0a44-7c9e-b1d2-3e4f5a6b7c8d"
TIMESTAMP = "2025-01-15T09:30:00Z"
EXAMPLE_TOKEN = "eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl"
EXAMPLE_REFRESH = "q0V3n1hX2y9cKZ8Yt4mWbS7dLr5aFgJ6pE_uNvQiH3o"

Email = Annotated[
    str, Field(min_length=3, max_length=EMAIL_LENGTH_MAX, examples=["ada@example.com"])
]
Name = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH_MAX)]
# Longer than the policy allows, so an overlong password gets the policy's clear message.
Password = Annotated[str, Field(min_length=1, max_length=4 * PASSWORD_LENGTH_MAX)]


def _examples(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class Schema(BaseModel):
    """Base of every auth schema: built from ORM rows or dicts, unknown fields refused."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


# --- users and registration ------------------------------------------------------------


class RegisterRequest(Schema):
    model_config = _examples(
        {
            "email": "ada@example.com",
            "password": "correct horse battery staple 42",
            "org_name": "Lovelace Analytics",
            "name": "Ada Lovelace",
        }
    )

    email: Email
    password: Password
    org_name: Name
    name: Name | None = None


class User(Schema):
    model_config = _examples(
        {"id": USER_ID, "email": "ada@example.com", "name": "Ada Lovelace", "created_at": TIMESTAMP}
    )

    id: uuid.UUID
    email: str
    name: str | None
    created_at: datetime


class OrganisationRef(Schema):
    """An organisation as seen by one of its members."""

    model_config = _examples({"id": ORG_ID, "name": "Lovelace Analytics", "role": "owner"})

    id: uuid.UUID
    name: str
    role: Role


class Organisation(OrganisationRef):
    model_config = _examples(
        {"id": ORG_ID, "name": "Lovelace Analytics", "role": "owner", "created_at": TIMESTAMP}
    )

    created_at: datetime


class Registered(Schema):
    model_config = _examples(
        {
            "user": {
                "id": USER_ID,
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "created_at": TIMESTAMP,
            },
            "organisation": {
                "id": ORG_ID,
                "name": "Lovelace Analytics",
                "role": "owner",
                "created_at": TIMESTAMP,
            },
        }
    )

    user: User
    organisation: Organisation


class Me(User):
    model_config = _examples(
        {
            "id": USER_ID,
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "created_at": TIMESTAMP,
            "active_org": {"id": ORG_ID, "name": "Lovelace Analytics", "role": "owner"},
            "organisations": [{"id": ORG_ID, "name": "Lovelace Analytics", "role": "owner"}],
        }
    )

    active_org: OrganisationRef
    organisations: list[OrganisationRef]


class MeUpdate(Schema):
    model_config = _examples({"name": "Ada King"})

    name: Name


class PasswordChange(Schema):
    model_config = _examples(
        {
            "current_password": "correct horse battery staple 42",
            "new_password": "violet tuesday lantern orchestra 7",
        }
    )

    current_password: Password
    new_password: Password


# --- tokens ---------------------------------------------------------------------------


class TokenPair(Schema):
    """An access token (short-lived JWT) and the refresh token that renews it."""

    model_config = _examples(
        {
            "access_token": EXAMPLE_TOKEN,
            "refresh_token": EXAMPLE_REFRESH,
            "token_type": "bearer",
            "expires_in": 900,
            "org_id": ORG_ID,
            "role": "owner",
        }
    )

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    org_id: uuid.UUID = Field(description="The organisation the access token acts in.")
    role: Role


class TokenForm(BaseModel):
    """The OAuth2 password grant, sent as `application/x-www-form-urlencoded`."""

    # OAuth2 clients may add fields such as client_id or scope: ignore them.
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"username": "ada@example.com", "password": "correct horse battery staple 42"},
                {
                    "username": "ada@example.com",
                    "password": "correct horse battery staple 42",
                    "org": ORG_ID,
                    "grant_type": "password",
                },
            ]
        },
    )

    username: str = Field(max_length=EMAIL_LENGTH_MAX, description="The account's email.")
    password: Password
    org: uuid.UUID | None = Field(
        default=None, description="Organisation to act in (default: the oldest membership)."
    )
    grant_type: Literal["password"] | None = None


class RefreshRequest(Schema):
    model_config = _examples(
        {"refresh_token": EXAMPLE_REFRESH}, {"refresh_token": EXAMPLE_REFRESH, "org": ORG_ID}
    )

    refresh_token: str = Field(min_length=1, max_length=200)
    org: uuid.UUID | None = Field(
        default=None, description="Switch the new access token to this organisation."
    )


class LogoutRequest(Schema):
    model_config = _examples({"refresh_token": EXAMPLE_REFRESH})

    refresh_token: str = Field(min_length=1, max_length=200)


class Jwk(BaseModel):
    """A public Ed25519 key (RFC 8037 OKP JWK)."""

    model_config = _examples(
        {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
            "use": "sig",
            "alg": "EdDSA",
        }
    )

    kty: str
    crv: str
    x: str
    kid: str
    use: str
    alg: str


class Jwks(BaseModel):
    model_config = _examples(
        {
            "keys": [
                {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                    "kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
                    "use": "sig",
                    "alg": "EdDSA",
                }
            ]
        }
    )

    keys: list[Jwk]


# --- organisations and members --------------------------------------------------------


class OrganisationCreate(Schema):
    model_config = _examples({"name": "Lovelace Holdings"})

    name: Name


class OrganisationUpdate(Schema):
    model_config = _examples({"name": "Lovelace Analytics Ltd"})

    name: Name


class OrganisationList(Schema):
    model_config = _examples(
        {
            "items": [
                {
                    "id": ORG_ID,
                    "name": "Lovelace Analytics",
                    "role": "owner",
                    "created_at": TIMESTAMP,
                }
            ]
        }
    )

    items: list[Organisation]


class Member(Schema):
    model_config = _examples(
        {
            "user_id": USER_ID,
            "email": "grace@example.com",
            "name": "Grace Hopper",
            "role": "accountant",
            "joined_at": TIMESTAMP,
        }
    )

    user_id: uuid.UUID
    email: str
    name: str | None
    role: Role
    joined_at: datetime


class Invitation(Schema):
    model_config = _examples(
        {
            "id": INVITATION_ID,
            "email": "alan@example.com",
            "role": "viewer",
            "created_at": TIMESTAMP,
        }
    )

    id: uuid.UUID
    email: str
    role: Role
    created_at: datetime


class MemberList(Schema):
    model_config = _examples(
        {
            "items": [
                {
                    "user_id": USER_ID,
                    "email": "ada@example.com",
                    "name": "Ada Lovelace",
                    "role": "owner",
                    "joined_at": TIMESTAMP,
                }
            ],
            "invitations": [
                {
                    "id": INVITATION_ID,
                    "email": "alan@example.com",
                    "role": "viewer",
                    "created_at": TIMESTAMP,
                }
            ],
        }
    )

    items: list[Member]
    invitations: list[Invitation]


class MemberAdd(Schema):
    model_config = _examples({"email": "grace@example.com", "role": "accountant"})

    email: Email
    role: Role


class MemberUpdate(Schema):
    model_config = _examples({"role": "admin"})

    role: Role


class MemberAdded(Schema):
    """The user had an account and is now a member."""

    model_config = _examples(
        {
            "status": "added",
            "member": {
                "user_id": USER_ID,
                "email": "grace@example.com",
                "name": "Grace Hopper",
                "role": "accountant",
                "joined_at": TIMESTAMP,
            },
        }
    )

    status: Literal["added"] = "added"
    member: Member


class MemberInvited(Schema):
    """Nobody has this email yet: they join when they register with it."""

    model_config = _examples(
        {
            "status": "invited",
            "invitation": {
                "id": INVITATION_ID,
                "email": "alan@example.com",
                "role": "viewer",
                "created_at": TIMESTAMP,
            },
        }
    )

    status: Literal["invited"] = "invited"
    invitation: Invitation


MemberAddResult = Annotated[MemberAdded | MemberInvited, Field(discriminator="status")]
