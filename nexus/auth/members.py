"""Use cases of members and invitations: who belongs to an organisation, as what.

A *member* is a user with a role in an organisation; an *invitation* reserves a role
for an email that has no account yet and turns into a membership when someone
registers with it. The rules (who may grant which role, owners protected from admins,
never fewer than one owner) live in `domain`; here they are applied to rows read
under lock, so two concurrent changes cannot together break them. Like `service`,
every function only flushes, and the caller's role is read fresh from the database.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.auth import domain, events, schemas
from nexus.auth.models import Invitation, Membership, User
from nexus.auth.service import (
    caller_role,
    member_view,
    membership_of,
    publish_events,
    revoke_refresh_tokens,
    user_by_email,
)
from nexus.core.clock import utc_now
from nexus.core.ids import new_id
from nexus.core.permissions import Role
from nexus.core.security import Principal

MEMBERS_LISTED_MAX = 1000


async def list_members(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID
) -> schemas.MemberList:
    """Return the members and pending invitations of the caller's active organisation."""
    await caller_role(session, principal=principal, org_id=org_id)
    rows = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.org_id == org_id)
            .order_by(Membership.joined_at, User.email)
            .limit(MEMBERS_LISTED_MAX)
        )
    ).all()
    invitations = (
        (
            await session.execute(
                select(Invitation)
                .where(Invitation.org_id == org_id)
                .order_by(Invitation.created_at, Invitation.email)
                .limit(MEMBERS_LISTED_MAX)
            )
        )
        .scalars()
        .all()
    )
    return schemas.MemberList(
        items=[member_view(row[0], row[1]) for row in rows],
        invitations=[schemas.Invitation.model_validate(item) for item in invitations],
    )


async def add_member(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID, email: str, role: Role
) -> schemas.MemberAdded | schemas.MemberInvited:
    """Add the user with `email` to the org, or invite the email if nobody has it yet."""
    actor_role = await caller_role(session, principal=principal, org_id=org_id)
    domain.check_can_assign(actor_role=actor_role, role=role)
    email = domain.normalise_email(email)
    user = await user_by_email(session, email=email)
    if user is None:
        return await _invite(session, principal=principal, org_id=org_id, email=email, role=role)
    if await membership_of(session, org_id=org_id, user_id=user.id) is not None:
        raise domain.AlreadyMember(f"{email} is already a member of this organisation.")
    membership = Membership(org_id=org_id, user_id=user.id, role=role.value, joined_at=utc_now())
    session.add(membership)
    try:
        await session.flush()
    except IntegrityError:  # added concurrently
        raise domain.AlreadyMember(f"{email} is already a member of this organisation.") from None
    await publish_events(
        session,
        events.MemberAdded(
            user_id=user.id,
            role=role.value,
            added_by=principal.user_id,
            via="direct",
        ).envelope(org_id=org_id),
    )
    return schemas.MemberAdded(member=member_view(membership, user))


async def _invite(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID, email: str, role: Role
) -> schemas.MemberInvited:
    invitation = Invitation(
        id=new_id(),
        org_id=org_id,
        email=email,
        role=role.value,
        invited_by=principal.user_id,
        created_at=utc_now(),
    )
    session.add(invitation)
    try:
        await session.flush()
    except IntegrityError:
        raise domain.AlreadyInvited(f"{email} is already invited to this organisation.") from None
    await publish_events(
        session,
        events.MemberInvited(
            invitation_id=invitation.id,
            email=email,
            role=role.value,
            invited_by=principal.user_id,
        ).envelope(org_id=org_id),
    )
    return schemas.MemberInvited(invitation=schemas.Invitation.model_validate(invitation))


async def _target(
    session: AsyncSession, *, org_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Membership, int]:
    """Return the member to act on, locked, and the number of owners (rows locked too)."""
    target = await membership_of(session, org_id=org_id, user_id=user_id, lock=True)
    if target is None:
        raise domain.MemberNotFound(f"User {user_id} is not a member of this organisation.")
    # Locking the owner rows serialises concurrent demotions, so two owners demoting
    # each other cannot leave the organisation with none.
    owners = (
        (
            await session.execute(
                select(Membership.user_id)
                .where(Membership.org_id == org_id, Membership.role == Role.OWNER.value)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    return target, len(owners)


async def change_member_role(
    session: AsyncSession,
    *,
    principal: Principal,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    role: Role,
) -> schemas.Member:
    """Give a member another role, within what the caller may grant."""
    actor_role = await caller_role(session, principal=principal, org_id=org_id)
    target, owner_count = await _target(session, org_id=org_id, user_id=user_id)
    previous = Role(target.role)
    domain.check_can_change_role(
        actor_role=actor_role, target_role=previous, new_role=role, owner_count=owner_count
    )
    if role != previous:
        target.role = role.value
        await session.flush()
        await publish_events(
            session,
            events.MemberRoleChanged(
                user_id=user_id,
                role=role.value,
                previous_role=previous.value,
                changed_by=principal.user_id,
            ).envelope(org_id=org_id),
        )
    user = await session.get(User, user_id)
    assert user is not None, "a membership implies its user"
    return member_view(target, user)


async def remove_member(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Remove a member and revoke their refresh tokens for this organisation."""
    actor_role = await caller_role(session, principal=principal, org_id=org_id)
    target, owner_count = await _target(session, org_id=org_id, user_id=user_id)
    role = Role(target.role)
    domain.check_can_remove(actor_role=actor_role, target_role=role, owner_count=owner_count)
    await session.delete(target)
    await session.flush()
    await revoke_refresh_tokens(session, now=utc_now(), user_id=user_id, org_id=org_id)
    await publish_events(
        session,
        events.MemberRemoved(
            user_id=user_id,
            role=role.value,
            removed_by=principal.user_id,
        ).envelope(org_id=org_id),
    )


async def cancel_invitation(
    session: AsyncSession, *, principal: Principal, org_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    """Withdraw a pending invitation of the caller's active organisation."""
    actor_role = await caller_role(session, principal=principal, org_id=org_id)
    invitation = (
        await session.execute(
            select(Invitation).where(Invitation.id == invitation_id, Invitation.org_id == org_id)
        )
    ).scalar_one_or_none()
    if invitation is None:
        raise domain.InvitationNotFound(f"Invitation {invitation_id} was not found.")
    # Withdrawing an invitation is like removing a member: only for roles one may grant.
    domain.check_can_assign(actor_role=actor_role, role=Role(invitation.role))
    await session.delete(invitation)
    await session.flush()
