"""The events auth publishes, one Pydantic model per type.

Each travels in an `EventEnvelope` whose `type` is the model's `TYPE` and whose
`org_id` is the organisation concerned. Sign-in events concern a user rather than an
organisation: their `org_id` is the organisation the token was issued for, or the
user's oldest one for a failure, or the nil UUID (`NO_ORGANISATION`) when the email
belongs to nobody. Payloads never carry passwords or tokens; an email appears only
where no user id exists yet (a failed sign-in for an unknown email, an invitation).
Consumers (threat detection, notifications) import this module, never auth's models.
"""

import uuid
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from nexus.core.events import EventEnvelope

NO_ORGANISATION = uuid.UUID(int=0)


class AuthEvent(BaseModel):
    """Base of the payloads; `envelope()` wraps one for the outbox."""

    model_config = ConfigDict(frozen=True)

    TYPE: ClassVar[str]

    def envelope(self, *, org_id: uuid.UUID) -> EventEnvelope:
        """Return this payload wrapped for the outbox, about `org_id`."""
        return EventEnvelope(type=self.TYPE, org_id=org_id, data=self.model_dump(mode="json"))


class UserRegistered(AuthEvent):
    """A person created an account (and with it their first organisation)."""

    TYPE = "auth.user_registered"
    user_id: uuid.UUID
    org_id: uuid.UUID = Field(description="The organisation created with the account.")


class OrganisationCreated(AuthEvent):
    """A new organisation exists; its creator is its first owner."""

    TYPE = "auth.organisation_created"
    org_id: uuid.UUID
    name: str
    owner_id: uuid.UUID


class MemberInvited(AuthEvent):
    """Someone without an account was invited; they join when they register."""

    TYPE = "auth.member_invited"
    invitation_id: uuid.UUID
    email: str
    role: str
    invited_by: uuid.UUID


class MemberAdded(AuthEvent):
    """A user joined an organisation, directly or by accepting an invitation."""

    TYPE = "auth.member_added"
    user_id: uuid.UUID
    role: str
    added_by: uuid.UUID
    via: Literal["direct", "invitation", "creation"]


class MemberRoleChanged(AuthEvent):
    """A member's role changed; their next access token carries the new role."""

    TYPE = "auth.member_role_changed"
    user_id: uuid.UUID
    role: str
    previous_role: str
    changed_by: uuid.UUID


class MemberRemoved(AuthEvent):
    """A member left or was removed; their refresh tokens for the org are revoked."""

    TYPE = "auth.member_removed"
    user_id: uuid.UUID
    role: str
    removed_by: uuid.UUID


class SignedIn(AuthEvent):
    """A user proved their password and received tokens for one organisation."""

    TYPE = "auth.signed_in"
    user_id: uuid.UUID
    ip_address: str | None = None


class SignInFailed(AuthEvent):
    """A sign-in was refused: wrong password, or an email that matches nobody."""

    TYPE = "auth.sign_in_failed"
    user_id: uuid.UUID | None = Field(default=None, description="Set when the email is known.")
    email: str | None = Field(default=None, description="Set only when the email is unknown.")
    reason: Literal["invalid_credentials"] = "invalid_credentials"
    ip_address: str | None = None


class PasswordChanged(AuthEvent):
    """A user changed their password; every refresh token they had is revoked."""

    TYPE = "auth.password_changed"
    user_id: uuid.UUID


class RefreshTokenReused(AuthEvent):
    """A used refresh token came back (likely stolen): its whole family was revoked."""

    TYPE = "auth.refresh_token_reused"
    user_id: uuid.UUID
    family_id: uuid.UUID
