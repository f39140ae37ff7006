"""The rules of auth, as pure functions: passwords, roles and token claims.

*Passwords* must be long (at least `PASSWORD_LENGTH_MIN` characters) and hard to guess:
zxcvbn estimates how many guesses an attacker needs, knowing common passwords, names,
keyboard patterns and what the user typed elsewhere (their email, their organisation's
name); a score of at least `PASSWORD_SCORE_MIN` out of 4 is required.

*Roles* are handed out downwards only: one may grant the roles in
`ASSIGNABLE_ROLES[my_role]`. Owners are protected from admins, and an organisation
always keeps at least one owner (otherwise nobody could manage it).

*Access tokens* are JWTs whose claims say who (`sub`), where (`org`), as what
(`role`), until when (`exp`, seconds since the epoch), issued by whom (`iss`) for whom
(`aud`). They are short-lived; the refresh token is what lasts.

Nothing here touches the database or the network, so every rule is tested with
literals.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import email_validator
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from zxcvbn import zxcvbn

from nexus.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from nexus.core.permissions import ASSIGNABLE_ROLES, Role
from nexus.core.security import AUDIENCE

EMAIL_LENGTH_MAX = 320  # RFC 5321 path limit, rounded up as everyone does
NAME_LENGTH_MAX = 200
PASSWORD_LENGTH_MIN = 10
PASSWORD_LENGTH_MAX = 256
PASSWORD_SCORE_MIN = 3  # zxcvbn: 3 = "safely unguessable", about 10^8 guesses
ZXCVBN_INPUT_LENGTH_MAX = 72  # zxcvbn refuses longer input; the rest adds strength anyway
USER_INPUT_LENGTH_MIN = 4  # shorter fragments of an email are not worth refusing
REFRESH_TOKEN_BYTES = 32


# --- errors ---------------------------------------------------------------------------


class InvalidEmail(InvalidInput):
    code = "invalid_email"


class WeakPassword(InvalidInput):
    code = "weak_password"


class EmailTaken(Conflict):
    code = "email_taken"


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"


class CurrentPasswordIncorrect(InvalidInput):
    code = "current_password_incorrect"


class InvalidRefreshToken(Unauthenticated):
    code = "invalid_refresh_token"


class RefreshTokenReused(Unauthenticated):
    code = "refresh_token_reused"


class MembershipRevoked(Unauthenticated):
    code = "membership_revoked"


class NoMembership(Forbidden):
    code = "no_membership"


class OrganisationNotFound(NotFound):
    code = "organisation_not_found"


class MemberNotFound(NotFound):
    code = "member_not_found"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"


class AlreadyMember(Conflict):
    code = "already_member"


class AlreadyInvited(Conflict):
    code = "already_invited"


class RoleNotAssignable(Forbidden):
    code = "role_not_assignable"


class OwnerProtected(Forbidden):
    code = "owner_protected"


class LastOwner(InvalidInput):
    code = "last_owner"


# --- emails and passwords --------------------------------------------------------------

# Self-hosted teams sign in with internal mail domains (.local on a LAN, the demo's
# demo@nexus.local). email-validator refuses special-use names unless removed from its
# documented, module-level list; the others (.invalid, .onion, .test, ...) stay refused.
email_validator.SPECIAL_USE_DOMAIN_NAMES = [
    name for name in email_validator.SPECIAL_USE_DOMAIN_NAMES if name != "local"
]


def normalise_email(raw: str) -> str:
    """Return `raw` validated and in lower case, or raise InvalidEmail."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as error:
        raise InvalidEmail(f"'{raw}' is not a valid email address: {error}") from None
    return result.normalized.lower()


def check_password(password: str, *, email: str, related: tuple[str, ...] = ()) -> None:
    """Raise WeakPassword unless `password` is long and hard to guess for this user.

    `related` are other words a guesser would try first (the user's name, their
    organisation's name); zxcvbn counts them as cheap guesses.
    """
    if len(password) < PASSWORD_LENGTH_MIN:
        raise WeakPassword(
            f"The password must have at least {PASSWORD_LENGTH_MIN} characters.",
            details={"length_min": PASSWORD_LENGTH_MIN, "length": len(password)},
        )
    if len(password) > PASSWORD_LENGTH_MAX:
        raise WeakPassword(
            f"The password must have at most {PASSWORD_LENGTH_MAX} characters.",
            details={"length_max": PASSWORD_LENGTH_MAX, "length": len(password)},
        )
    local_part = email.partition("@")[0]
    if len(local_part) >= USER_INPUT_LENGTH_MIN and local_part.lower() in password.lower():
        raise WeakPassword(
            "The password must not contain your email address.",
            details={"warning": "Contains your email address.", "suggestions": []},
        )
    user_inputs = [value for value in (email, local_part, *related) if value]
    result: dict[str, Any] = zxcvbn(password[:ZXCVBN_INPUT_LENGTH_MAX], user_inputs=user_inputs)
    score = int(result["score"])
    if score < PASSWORD_SCORE_MIN:
        feedback: dict[str, Any] = result.get("feedback") or {}
        warning = str(feedback.get("warning") or "")
        suggestions = [str(item) for item in feedback.get("suggestions") or []]
        raise WeakPassword(
            "The password is too easy to guess. " + (warning or "Add more words or characters."),
            details={
                "score": score,
                "score_min": PASSWORD_SCORE_MIN,
                "warning": warning,
                "suggestions": suggestions,
            },
        )


# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 50 ms a
# hash here. Parameters live in each hash, so raising them later rehashes on sign-in.
PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """Return the argon2id hash (PHC string) of `password`. CPU-bound: ~50 ms."""
    return PASSWORD_HASHER.hash(password)


@cache
def _dummy_hash() -> str:
    return PASSWORD_HASHER.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Tell whether `password` matches; with no hash, spend the same time and say no."""
    try:
        return PASSWORD_HASHER.verify(password_hash or _dummy_hash(), password) and (
            password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    """Tell whether `password_hash` was made with weaker parameters than today's."""
    return PASSWORD_HASHER.check_needs_rehash(password_hash)


# --- roles ----------------------------------------------------------------------------


def check_can_assign(*, actor_role: Role, role: Role) -> None:
    """Raise RoleNotAssignable unless `actor_role` may hand out `role`."""
    if role not in ASSIGNABLE_ROLES[actor_role]:
        allowed = sorted(str(r) for r in ASSIGNABLE_ROLES[actor_role])
        raise RoleNotAssignable(
            f"Your role '{actor_role}' may not grant the role '{role}'.",
            details={"role": str(role), "assignable_roles": allowed},
        )


def check_can_change_role(
    *, actor_role: Role, target_role: Role, new_role: Role, owner_count: int
) -> None:
    """Raise unless `actor_role` may turn a `target_role` member into `new_role`."""
    _check_can_touch(actor_role=actor_role, target_role=target_role)
    check_can_assign(actor_role=actor_role, role=new_role)
    if target_role == Role.OWNER and new_role != Role.OWNER and owner_count <= 1:
        raise LastOwner("The last owner cannot be demoted; make someone else owner first.")


def check_can_remove(*, actor_role: Role, target_role: Role, owner_count: int) -> None:
    """Raise unless `actor_role` may remove a `target_role` member."""
    _check_can_touch(actor_role=actor_role, target_role=target_role)
    if target_role == Role.OWNER and owner_count <= 1:
        raise LastOwner("The last owner cannot be removed; make someone else owner first.")


def _check_can_touch(*, actor_role: Role, target_role: Role) -> None:
    if target_role == Role.OWNER and actor_role != Role.OWNER:
        raise OwnerProtected("Only an owner may change or remove an owner.")
    if not ASSIGNABLE_ROLES[actor_role]:
        raise RoleNotAssignable(f"Your role '{actor_role}' may not manage members.")


# --- tokens ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What an access token asserts; `to_jwt()` gives the registered claim names."""

    user_id: uuid.UUID
    org_id: uuid.UUID
    role: Role
    issuer: str
    issued_at: datetime
    expires_at: datetime
    token_id: str

    def to_jwt(self) -> dict[str, Any]:
        """Return the JWT claims set (times as integer seconds since the epoch)."""
        return {
            "sub": str(self.user_id),
            "org": str(self.org_id),
            "role": str(self.role),
            "iss": self.issuer,
            "aud": AUDIENCE,
            "iat": int(self.issued_at.timestamp()),
            "exp": int(self.expires_at.timestamp()),
            "jti": self.token_id,
        }


def build_access_claims(
    *,
    user_id: uuid.UUID,
    org_id: uuid.UUID,
    role: Role,
    issuer: str,
    now: datetime,
    ttl_seconds: int,
    token_id: str,
) -> AccessClaims:
    """Return the claims of an access token issued at `now` for `ttl_seconds`."""
    assert now.tzinfo is not None, "token times are aware UTC"
    assert ttl_seconds > 0
    return AccessClaims(
        user_id=user_id,
        org_id=org_id,
        role=role,
        issuer=issuer,
        issued_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
        token_id=token_id,
    )


def new_refresh_token() -> str:
    """Return a fresh opaque refresh token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def hash_refresh_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a refresh token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RefreshState:
    """The stored state of one refresh token, as the rotation rule sees it."""

    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


def check_refresh_usable(state: RefreshState, *, now: datetime) -> None:
    """Raise RefreshTokenReused for a used token, InvalidRefreshToken if dead."""
    if state.used_at is not None:
        raise RefreshTokenReused(
            "This refresh token was already used; its session has been revoked. Sign in again."
        )
    if state.revoked_at is not None or state.expires_at <= now:
        raise InvalidRefreshToken("The refresh token is invalid or has expired. Sign in again.")
