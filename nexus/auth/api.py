"""HTTP routes of the auth service, mounted at `/api/v1/auth`.

Routes parse, call one use case and return its schema. Each declares who may call it:
`require(Permission.X)` for signed-in callers, `public()` for the few open ones
(register, token, refresh, logout, JWKS).
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.auth import keys, members, schemas, service, tokens
from nexus.auth.models import outbox
from nexus.core.config import Settings
from nexus.core.db import Database, database_of, read_session, write_session
from nexus.core.permissions import Permission
from nexus.core.security import Principal, public, require
from nexus.core.service import ServiceSpec

NAME = "auth"

WriteSession = Annotated[AsyncSession, write_session(NAME)]
ReadSession = Annotated[AsyncSession, read_session(NAME)]


def _database(request: Request) -> Database:
    return database_of(request, NAME)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AuthDatabase = Annotated[Database, Depends(_database)]
SettingsDep = Annotated[Settings, Depends(_settings)]
Profile = Annotated[Principal, Depends(require(Permission.PROFILE))]
OrgReader = Annotated[Principal, Depends(require(Permission.ORG_READ))]
OrgUpdater = Annotated[Principal, Depends(require(Permission.ORG_UPDATE))]
MembersReader = Annotated[Principal, Depends(require(Permission.MEMBERS_READ))]
MembersManager = Annotated[Principal, Depends(require(Permission.MEMBERS_MANAGE))]
PUBLIC = [Depends(public())]

router = APIRouter(tags=["auth"])


# --- registration and tokens ----------------------------------------------------------


@router.post("/register", status_code=status.HTTP_201_CREATED, dependencies=PUBLIC)
async def register(body: schemas.RegisterRequest, session: WriteSession) -> schemas.Registered:
    """Create an account and its first organisation (and join any invitations)."""
    return await service.register(
        session, email=body.email, password=body.password, org_name=body.org_name, name=body.name
    )


@router.post("/token", dependencies=PUBLIC)
async def token(
    request: Request,
    form: Annotated[schemas.TokenForm, Form()],
    database: AuthDatabase,
    settings: SettingsDep,
) -> schemas.TokenPair:
    """Sign in with the OAuth2 password flow: email as `username`, optional `org`."""
    return await tokens.sign_in(
        database,
        settings=settings,
        email=form.username,
        password=form.password,
        org_id=form.org,
        ip_address=request.client.host if request.client else None,
    )


@router.post("/refresh", dependencies=PUBLIC)
async def refresh(
    body: schemas.RefreshRequest, database: AuthDatabase, settings: SettingsDep
) -> schemas.TokenPair:
    """Trade a refresh token for a new pair; a reused token revokes its whole family."""
    return await tokens.refresh(
        database, settings=settings, refresh_token=body.refresh_token, org_id=body.org
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, dependencies=PUBLIC)
async def logout(body: schemas.LogoutRequest, session: WriteSession) -> Response:
    """Revoke the refresh token's family (always 204, even for unknown tokens)."""
    await tokens.logout(session, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/.well-known/jwks.json", dependencies=PUBLIC)
async def jwks(session: ReadSession, database: AuthDatabase, settings: SettingsDep) -> schemas.Jwks:
    """Publish the public keys that verify access tokens."""
    ttl = settings.access_token_ttl_seconds
    published = await keys.published_jwks(session, access_token_ttl_seconds=ttl)
    if not published["keys"]:  # before the first sign-in: create the first key now
        async with database.transaction() as write_session:
            await keys.signing_key(write_session)
            published = await keys.published_jwks(write_session, access_token_ttl_seconds=ttl)
    return schemas.Jwks.model_validate(published)


# --- the caller's account -------------------------------------------------------------


@router.get("/me")
async def me(principal: Profile, session: ReadSession) -> schemas.Me:
    """Return the caller, their active organisation and all their organisations."""
    return await service.get_me(session, principal=principal)


@router.patch("/me")
async def update_me(
    body: schemas.MeUpdate, principal: Profile, session: WriteSession
) -> schemas.Me:
    """Change the caller's name."""
    return await service.update_me(session, principal=principal, name=body.name)


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: schemas.PasswordChange, principal: Profile, session: WriteSession
) -> Response:
    """Change the caller's password; every refresh token they hold is revoked."""
    await service.change_password(
        session,
        principal=principal,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- organisations --------------------------------------------------------------------


@router.get("/orgs")
async def list_organisations(
    principal: OrgReader, session: ReadSession
) -> schemas.OrganisationList:
    """List the organisations the caller belongs to."""
    return await service.list_organisations(session, principal=principal)


@router.post("/orgs", status_code=status.HTTP_201_CREATED)
async def create_organisation(
    body: schemas.OrganisationCreate, principal: Profile, session: WriteSession
) -> schemas.Organisation:
    """Create another organisation owned by the caller."""
    return await service.create_organisation(session, principal=principal, name=body.name)


@router.get("/orgs/{org_id}")
async def get_organisation(
    org_id: uuid.UUID, principal: OrgReader, session: ReadSession
) -> schemas.Organisation:
    """Return the caller's active organisation."""
    return await service.get_organisation(session, principal=principal, org_id=org_id)


@router.patch("/orgs/{org_id}")
async def rename_organisation(
    org_id: uuid.UUID,
    body: schemas.OrganisationUpdate,
    principal: OrgUpdater,
    session: WriteSession,
) -> schemas.Organisation:
    """Rename the caller's active organisation."""
    return await service.rename_organisation(
        session, principal=principal, org_id=org_id, name=body.name
    )


# --- members --------------------------------------------------------------------------


@router.get("/orgs/{org_id}/members")
async def list_members(
    org_id: uuid.UUID, principal: MembersReader, session: ReadSession
) -> schemas.MemberList:
    """List the members and pending invitations of the organisation."""
    return await members.list_members(session, principal=principal, org_id=org_id)


@router.post("/orgs/{org_id}/members", status_code=status.HTTP_201_CREATED)
async def add_member(
    org_id: uuid.UUID, body: schemas.MemberAdd, principal: MembersManager, session: WriteSession
) -> schemas.MemberAddResult:
    """Add a registered user, or invite an email that has no account yet."""
    return await members.add_member(
        session, principal=principal, org_id=org_id, email=body.email, role=body.role
    )


@router.patch("/orgs/{org_id}/members/{user_id}")
async def change_member_role(
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    body: schemas.MemberUpdate,
    principal: MembersManager,
    session: WriteSession,
) -> schemas.Member:
    """Change a member's role (only to roles the caller may grant)."""
    return await members.change_member_role(
        session, principal=principal, org_id=org_id, user_id=user_id, role=body.role
    )


@router.delete("/orgs/{org_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    org_id: uuid.UUID, user_id: uuid.UUID, principal: MembersManager, session: WriteSession
) -> Response:
    """Remove a member; their refresh tokens for this organisation stop working."""
    await members.remove_member(session, principal=principal, org_id=org_id, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/orgs/{org_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_invitation(
    org_id: uuid.UUID, invitation_id: uuid.UUID, principal: MembersManager, session: WriteSession
) -> Response:
    """Withdraw a pending invitation."""
    await members.cancel_invitation(
        session, principal=principal, org_id=org_id, invitation_id=invitation_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


SERVICE = ServiceSpec(name=NAME, router=router, outbox=outbox)
