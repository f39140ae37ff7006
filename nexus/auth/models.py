"""The tables of the auth database.

A *user* is a person who signs in with an email and a password. An *organisation* is a
tenant: every business row of Nexus belongs to exactly one. A *membership* joins a user
to an organisation with one role; an *invitation* is a membership waiting for its user
to register. *Refresh tokens* are stored only as SHA-256 hashes and grouped in
families: each rotation adds a token to its family, and presenting a used one revokes
the whole family. *Signing keys* are the Ed25519 keys access tokens are signed with;
the newest active one signs, retired ones stay published for a while so tokens they
signed stay verifiable until they expire.
"""

import uuid
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from nexus.auth.domain import EMAIL_LENGTH_MAX, NAME_LENGTH_MAX
from nexus.core.db import JSONType, UTCDateTime, UUIDType, new_metadata
from nexus.core.events import outbox_table
from nexus.core.permissions import Role

metadata = new_metadata()
outbox = outbox_table(metadata)

ROLE_VALUES = ", ".join(f"'{role.value}'" for role in Role)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map: ClassVar[dict[Any, Any]] = {uuid.UUID: UUIDType, datetime: UTCDateTime}


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH_MAX), unique=True)  # lower case
    name: Mapped[str | None] = mapped_column(String(NAME_LENGTH_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id PHC string
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH_MAX))
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint(f"role IN ({ROLE_VALUES})", name="role_known"),
        Index("ix_memberships_user_id", "user_id"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20))
    joined_at: Mapped[datetime]


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(f"role IN ({ROLE_VALUES})", name="role_known"),
        UniqueConstraint("org_id", "email", name="uq_invitations_org_id_email"),
        Index("ix_invitations_email", "email"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH_MAX))  # lower case
    role: Mapped[str] = mapped_column(String(20))
    invited_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = (
        Index("ix_refresh_tokens_family_id", "family_id"),
        Index("ix_refresh_tokens_user_id_org_id", "user_id", "org_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex
    family_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)  # RFC 7638 thumbprint
    # Unique so two processes creating "the first key" at once cannot both succeed.
    generation: Mapped[int] = mapped_column(Integer, unique=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
