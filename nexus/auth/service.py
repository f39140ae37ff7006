"""Use cases of accounts and organisations: load, apply the rules, save.

Every function takes the request's session and only flushes: the session dependency
commits when the request succeeds, so the change and its outbox events land together
or not at all. An organisation is addressed through the caller's token: a path naming
any other organisation is answered as if it did not exist (404), never with a 403
that would confirm it does. Authorisation decisions about members read the caller's
role fresh from the database rather than trusting the (up to 15 minutes old) token.
"""

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.auth import domain, events, schemas
from nexus.auth.models import Invitation, Membership, Organisation, RefreshToken, User, outbox
from nexus.core.clock import utc_now
from nexus.core.events import EventEnvelope, publish
from nexus.core.ids import new_id
from nexus.core.permissions import Role
from nexus.core.security import Principal

ORGANISATIONS_LISTED_MAX = 1000


# --- queries shared by the use cases --------------------------------------------------


async def user_by_email(session: AsyncSession, *, email: str) -> User | None:
    """Return the user with this (normalised) email, if any."""
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def membership_of(
    session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID, lock: bool = False
) -> Membership | None:
    """Return the membership of `user_id` in `org_id`, locked for update if asked."""
    query = select(Membership).where(Membership.org_id == org_id, Membership.user_id == user_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def memberships_of_user(
    session: AsyncSession, *, user_id: uuid.UUID
) -> Sequence[tuple[Membership, Organisation]]:
    """Return the user's memberships with their organisations, oldest first."""
    query = (
        select(Membership, Organisation)
        .join(Organisation, Organisation.id == Membership.org_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.joined_at, Membership.org_id)
        .limit(ORGANISATIONS_LISTED_MAX)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def revoke_refresh_tokens(
    session: AsyncSession,
    *,
    now: datetime,
    user_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    family_id: uuid.UUID | None = None,
) -> None:
    """Revoke every live refresh token matching all the given filters."""
    assert user_id or family_id, "refuse to revoke every token of the service"
    query = update(RefreshToken).where(RefreshToken.revoked_at.is_(None))
    if user_id is not None:
        query = query.where(RefreshToken.user_id == user_id)
    if org_id is not None:
        query = query.where(RefreshToken.org_id == org_id)
    if family_id is not None:
        query = query.where(RefreshToken.family_id == family_id)
    await session.execute(query.values(revoked_at=now))


async def publish_events(session: AsyncSession, *envelopes: EventEnvelope) -> None:
    """Write `envelopes` to the auth outbox in the caller's transaction."""
    await publish(session, outbox, envelopes)


def _organisation(org: Organisation, role: Role | str) -> schemas.Organisation:
    return schemas.Organisation(
        id=org.id, name=org.name, role=Role(role), created_at=org.created_at
    )


def member_view(membership: Membership, user: User) -> schemas.Member:
    """Return a membership and its user as the API shows a member."""
    return schemas.Member(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=Role(membership.role),
        joined_at=membership.joined_at,
    )


# --- registration and the caller's own account -----------------------------------------


async def register(
    session: AsyncSession, *, email: str, password: str, org_name: str, name: str | None
) -> schemas.Registered:
    """Create a user, their first organisation, and accept their pending invitations."""
    email = domain.normalise_email(email)
    domain.check_password(password, email=email, related=(org_name, name or ""))
    password_hash = await asyncio.to_thread(domain.hash_password, password)
    if await user_by_email(session, email=email) is not None:
        raise domain.EmailTaken(f"An account with the email {email} already exists.")
    now = utc_now()
    user = User(
        id=new_id(),
        email=email,
        name=name,
        password_hash=password_hash,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:  # registered concurrently
        raise domain.EmailTaken(f"An account with the email {email} already exists.") from None
    org = await _create_organisation(session, owner_id=user.id, name=org_name, now=now)
    await _accept_invitations(session, user=user, now=now)
    await publish_events(
        session, events.UserRegistered(user_id=user.id, org_id=org.id).envelope(org_id=org.id)
    )
    return schemas.Registered(
        user=schemas.User.model_validate(user), organisation=_organisation(org, Role.OWNER)
    )


async def _create_organisation(
    session: AsyncSession, *, owner_id: uuid.UUID, name: str, now: datetime
) -> Organisation:
    org = Organisation(id=new_id(), name=name, created_at=now, created_by=owner_id)
    session.add(org)
    await session.flush()
    session.add(Membership(org_id=org.id, user_id=owner_id, role=Role.OWNER.value, joined_at=now))
    await session.flush()
    await publish_events(
        session,
        events.OrganisationCreated(org_id=org.id, name=name, owner_id=owner_id).envelope(
            org_id=org.id
        ),
        events.MemberAdded(
            user_id=owner_id, role=Role.OWNER.value, added_by=owner_id, via="creation"
        ).envelope(org_id=org.id),
    )
    return org


async def _accept_invitations(session: AsyncSession, *, user: User, now: datetime) -> None:
    invitations = (
        (await session.execute(select(Invitation).where(Invitation.email == user.email)))
        .scalars()
        .all()
    )
    for invitation in invitations:
        session.add(
            Membership(
                org_id=invitation.org_id,
                user_id=user.id,
                role=invitation.role,
                joined_at=now,
            )
        )
        await session.delete(invitation)
        await publish_events(
            session,
            events.MemberAdded(
                user_id=user.id,
                role=invitation.role,
                added_by=invitation.invited_by,
                via="invitation",
            ).envelope(org_id=invitation.org_id),
        )
    await session.flush()


async def get_me(session: AsyncSession, *, principal: Principal) -> schemas.Me:
    """Return the caller's account, active organisation and all their organisations."""
    user = await session.get(User, principal.user_id)
    if user is None:
        raise domain.MembershipRevoked("This account no longer exists.")
    memberships = await memberships_of_user(session, user_id=user.id)
    organisations = [
        schemas.OrganisationRef(id=org.id, name=org.name, role=Role(membership.role))
        for membership, org in memberships
    ]
    active = next((org for org in organisations if org.id == principal.org_id), None)
    if active is None:
        raise domain.MembershipRevoked(
            "You are no longer a member of this organisation. Sign in again."
        )
    return schemas.Me(
        id=user.id,
        email=user.email,
        name=user.name,
        created_at=user.created_at,
        active_org=active,
        organisations=organisations,
    )


async def update_me(session: AsyncSession, *, principal: Principal, name: str) -> schemas.Me:
    """Change the caller's display name."""
    await session.execute(update(User).where(User.id == principal.user_id).values(name=name))
    return await get_me(session, principal=principal)


async def change_password(
    session: AsyncSession, *, principal: Principal, current_password: str, new_password: str
) -> None:
    """Replace the caller's password and sign them out everywhere (refresh tokens)."""
    user = await session.get(User, principal.user_id)
    if user is None:
        raise domain.MembershipRevoked("This account no longer exists.")
    verified = await asyncio.to_thread(domain.verify_password, user.password_hash, current_password)
    if not verified:
        raise domain.CurrentPasswordIncorrect("The current password is incorrect.")
    domain.check_password(new_password, email=user.email, related=(user.name or "",))
    now = utc_now()
    user.password_hash = await asyncio.to_thread(domain.hash_password, new_password)
    user.password_changed_at = now
    await session.flush()
    await revoke_refresh_tokens(session, now=now, user_id=user.id)
    await publish_events(
        session, events.PasswordChanged(user_id=user.id).envelope(org_id=principal.org_id)
    )


# --- organisations --------------------------------------------------------------------


async def list_organisations(
    session: AsyncSession, *, principal: Principal
) -> schemas.OrganisationList:
    """Return the organisations the caller belongs to, oldest membership first."""
    memberships = await memberships_of_user(session, user_id=principal.user_id)
    return schemas.OrganisationList(
        items=[_organisation(org, membership.role) for membership, org in memberships]
    )


async def create_organisation(
    session: AsyncSession, *, principal: Principal, name: str
) -> schemas.Organisation:
    """Create another organisation owned by the caller."""
    org = await _create_organisation(session, owner_id=principal.user_id, name=name, now=utc_now())
    return _organisation(org, Role.OWNER)


async def caller_role(session: AsyncSession, *, principal: Principal, org_id: uuid.UUID) -> Role:
    """Return the caller's current role in `org_id`, which must be their active org."""
    if org_id != principal.org_id:
        raise domain.OrganisationNotFound(f"Organisation {org_id} was not found.")
    membership = await membership_of(session, org_id=org_id, user_id=principal.user_id)
    if membership is None:
        raise domain.OrganisationNotFound(f"Organisation {org_id} was not found.")
    return Role(membership.role)


async def get_organisation(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID
) -> schemas.Organisation:
    """Return the caller's active organisation."""
    role = await caller_role(session, principal=principal, org_id=org_id)
    org = await session.get(Organisation, org_id)
    assert org is not None, "a membership implies its organisation"
    return _organisation(org, role)


async def rename_organisation(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID, name: str
) -> schemas.Organisation:
    """Rename the caller's active organisation."""
    role = await caller_role(session, principal=principal, org_id=org_id)
    org = await session.get(Organisation, org_id)
    assert org is not None, "a membership implies its organisation"
    org.name = name
    await session.flush()
    return _organisation(org, role)
