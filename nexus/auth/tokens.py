"""Sign-in, refresh-token rotation and sign-out.

Signing in trades an email and password for a *token pair*: a short-lived access token
(a JWT every service verifies alone) and an opaque refresh token that buys the next
pair. Refresh tokens are stored only as SHA-256 hashes and belong to a *family*: the
chain of tokens descended from one sign-in. Each refresh marks the presented token
used and issues its successor in the same family. A used token presented again means
two parties hold it — the user and a thief — so the whole family is revoked and both
must sign in again (OAuth 2.0 Security BCP, "refresh token rotation").

These use cases manage their own transactions (through `Database.transaction()`,
which commits) because some outcomes must be saved *and* answered with a 401: a failed
sign-in is recorded for threat detection, and a reused token's family stays revoked.
Passwords are verified outside any write transaction, so a slow argon2 check never
holds SQLite's single writer.
"""

import asyncio
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.auth import domain, events, keys, schemas
from nexus.auth.models import RefreshToken, User, outbox
from nexus.auth.service import (
    membership_of,
    memberships_of_user,
    revoke_refresh_tokens,
    user_by_email,
)
from nexus.core.clock import utc_now
from nexus.core.config import Settings
from nexus.core.db import Database
from nexus.core.events import publish
from nexus.core.ids import new_id
from nexus.core.permissions import Role

INVALID_CREDENTIALS = "The email or password is incorrect."


async def sign_in(
    database: Database,
    *,
    settings: Settings,
    email: str,
    password: str,
    org_id: uuid.UUID | None,
    ip_address: str | None,
) -> schemas.TokenPair:
    """Return a token pair for valid credentials; record and refuse invalid ones."""
    try:
        email = domain.normalise_email(email)
    except domain.InvalidEmail:
        email = email.strip().lower()  # nobody has it; fail like any unknown email
    async with database.reading() as session:
        user = await user_by_email(session, email=email)
        # The read session ends with a rollback, which expires the row: copy what we need.
        user_id, password_hash = (user.id, user.password_hash) if user else (None, None)
    verified = await asyncio.to_thread(domain.verify_password, password_hash, password)
    if user_id is None or password_hash is None or not verified:
        async with database.transaction() as session:
            await _record_failure(session, user_id=user_id, email=email, ip_address=ip_address)
        raise domain.InvalidCredentials(INVALID_CREDENTIALS)
    async with database.transaction() as session:
        org_id, role = await _sign_in_membership(session, user_id=user_id, org_id=org_id)
        if domain.password_needs_rehash(password_hash):
            new_hash = await asyncio.to_thread(domain.hash_password, password)
            await session.execute(
                update(User).where(User.id == user_id).values(password_hash=new_hash)
            )
        now = utc_now()
        pair = await _issue(
            session,
            settings=settings,
            user_id=user_id,
            org_id=org_id,
            role=role,
            family_id=new_id(),
            now=now,
        )
        envelope = events.SignedIn(user_id=user_id, ip_address=ip_address).envelope(org_id=org_id)
        await publish(session, outbox, [envelope])
    return pair


async def _record_failure(
    session: AsyncSession, *, user_id: uuid.UUID | None, email: str, ip_address: str | None
) -> None:
    if user_id is None:
        payload = events.SignInFailed(email=email, ip_address=ip_address)
        org_id = events.NO_ORGANISATION
    else:
        payload = events.SignInFailed(user_id=user_id, ip_address=ip_address)
        memberships = await memberships_of_user(session, user_id=user_id)
        org_id = memberships[0][0].org_id if memberships else events.NO_ORGANISATION
    await publish(session, outbox, [payload.envelope(org_id=org_id)])


async def _sign_in_membership(
    session: AsyncSession, *, user_id: uuid.UUID, org_id: uuid.UUID | None
) -> tuple[uuid.UUID, Role]:
    """Return the organisation and role to sign in with: `org_id`, or the oldest."""
    if org_id is not None:
        membership = await membership_of(session, org_id=org_id, user_id=user_id)
        if membership is None:
            raise domain.OrganisationNotFound(f"Organisation {org_id} was not found.")
        return membership.org_id, Role(membership.role)
    memberships = await memberships_of_user(session, user_id=user_id)
    if not memberships:
        raise domain.NoMembership(
            "You belong to no organisation any more; ask an administrator to add you."
        )
    oldest = memberships[0][0]
    return oldest.org_id, Role(oldest.role)


async def _issue(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: uuid.UUID,
    org_id: uuid.UUID,
    role: Role,
    family_id: uuid.UUID,
    now: datetime,
) -> schemas.TokenPair:
    """Sign an access token and store the hash of a new refresh token of `family_id`."""
    claims = domain.build_access_claims(
        user_id=user_id,
        org_id=org_id,
        role=role,
        issuer=settings.jwt_issuer,
        now=now,
        ttl_seconds=settings.access_token_ttl_seconds,
        token_id=str(new_id()),
    )
    _, access_token = await keys.sign_access_token(session, claims)
    refresh_token = domain.new_refresh_token()
    session.add(
        RefreshToken(
            id=new_id(),
            token_hash=domain.hash_refresh_token(refresh_token),
            family_id=family_id,
            user_id=user_id,
            org_id=org_id,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
            used_at=None,
            revoked_at=None,
        )
    )
    await session.flush()
    return schemas.TokenPair(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in=settings.access_token_ttl_seconds,
        org_id=org_id,
        role=role,
    )


async def _stored(session: AsyncSession, *, refresh_token: str) -> RefreshToken | None:
    token_hash = domain.hash_refresh_token(refresh_token)
    query = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    return (await session.execute(query)).scalar_one_or_none()


async def _mark_used(session: AsyncSession, *, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark a token used unless someone else did first; tell whether we won."""
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == token_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
    )
    return int(getattr(result, "rowcount", 0)) == 1


async def refresh(
    database: Database, *, settings: Settings, refresh_token: str, org_id: uuid.UUID | None
) -> schemas.TokenPair:
    """Rotate `refresh_token` into a new pair; a reused token revokes its family."""
    async with database.transaction() as session:
        now = utc_now()
        stored = await _stored(session, refresh_token=refresh_token)
        if stored is None:
            raise domain.InvalidRefreshToken("The refresh token is invalid or has expired.")
        try:
            domain.check_refresh_usable(
                domain.RefreshState(
                    expires_at=stored.expires_at,
                    used_at=stored.used_at,
                    revoked_at=stored.revoked_at,
                ),
                now=now,
            )
            target_org = org_id or stored.org_id
            membership = await membership_of(session, org_id=target_org, user_id=stored.user_id)
            if membership is None and org_id is not None:
                raise domain.OrganisationNotFound(f"Organisation {org_id} was not found.")
            if membership is None:
                raise domain.MembershipRevoked(
                    "You are no longer a member of this organisation. Sign in again."
                )
            if not await _mark_used(session, token_id=stored.id, now=now):
                raise domain.RefreshTokenReused("This refresh token was already used.")
        except domain.RefreshTokenReused as error:
            await _revoke_reused_family(session, stored=stored, now=now)
            reused = error
        else:
            return await _issue(
                session,
                settings=settings,
                user_id=stored.user_id,
                org_id=target_org,
                role=Role(membership.role),
                family_id=stored.family_id,
                now=now,
            )
    raise reused  # after the commit: the family stays revoked


async def _revoke_reused_family(
    session: AsyncSession, *, stored: RefreshToken, now: datetime
) -> None:
    await revoke_refresh_tokens(session, now=now, family_id=stored.family_id)
    envelope = events.RefreshTokenReused(
        user_id=stored.user_id, family_id=stored.family_id
    ).envelope(org_id=stored.org_id)
    await publish(session, outbox, [envelope])


async def logout(session: AsyncSession, *, refresh_token: str) -> None:
    """Revoke the family of `refresh_token`; say nothing about unknown tokens."""
    stored = await _stored(session, refresh_token=refresh_token)
    if stored is not None:
        await revoke_refresh_tokens(session, now=utc_now(), family_id=stored.family_id)
