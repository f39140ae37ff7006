"""Accounts and the chart of accounts: open, change, close, and start from a template."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from nexus.core.clock import utc_now
from nexus.core.errors import Conflict, InvalidInput
from nexus.core.events import event_row
from nexus.core.ids import new_id
from nexus.core.money import (
    format_amount,
    parse_amount,
)
from nexus.ledger import domain, events, repository, schemas, templates
from nexus.ledger.models import outbox
from nexus.ledger.service import get_account, render_settings, scales_of


class AccountCodeTaken(Conflict):
    code = "account_code_taken"


class AlreadySetUp(Conflict):
    code = "ledger_already_set_up"


class AccountNotEmpty(InvalidInput):
    code = "account_balance_not_zero"


class AccountHasChildren(InvalidInput):
    code = "account_has_open_children"


class InvalidParent(InvalidInput):
    code = "invalid_parent"


class InvalidFloor(InvalidInput):
    code = "invalid_floor"


# --- accounts --------------------------------------------------------------------------


def render_account(row: Row[Any], *, custom_scales: Mapping[str, int]) -> schemas.Account:
    """Render an account row."""
    floor = None
    if row.floor_minor is not None and row.currency is not None:
        floor = format_amount(
            row.floor_minor, scale=domain.scale_of(row.currency, custom_scales=custom_scales)
        )
    return schemas.Account(
        id=row.id,
        code=row.code,
        name=row.name,
        type=domain.AccountType(row.type),
        parent_id=row.parent_id,
        currency=row.currency,
        floor=floor,
        is_closed=row.is_closed,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
    )


async def _check_parent(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    parent_id: uuid.UUID,
    account_type: str,
    account_id: uuid.UUID | None,
) -> None:
    node: uuid.UUID | None = parent_id
    first = True
    while node is not None:
        if node == account_id:
            raise InvalidParent("An account cannot be its own ancestor.")
        parent = await repository.get_account(session, org_id=org_id, account_id=node)
        if parent is None:
            raise InvalidParent(
                "The parent account does not exist.", details={"parent_id": str(node)}
            )
        if first and parent.type != account_type:
            raise InvalidParent(
                f"A {account_type} account cannot sit under a {parent.type} account."
            )
        if first and parent.is_closed:
            raise InvalidParent(f"Account {parent.code} is closed; reopen it first.")
        first = False
        node = parent.parent_id


def _parse_floor(floor: str | None, currency: str | None, custom: Mapping[str, int]) -> int | None:
    if floor is None:
        return None
    if currency is None:
        raise InvalidFloor("Only a single-currency account can have a floor.")
    return parse_amount(floor, scale=domain.scale_of(currency, custom_scales=custom), field="floor")


async def create_account(
    session: AsyncSession, *, org_id: uuid.UUID, body: schemas.AccountCreate
) -> schemas.Account:
    """Open an account."""
    await repository.ensure_org(session, org_id=org_id)
    custom = await scales_of(session, org_id=org_id)
    if body.currency is not None:
        domain.scale_of(body.currency, custom_scales=custom)
    floor_minor = _parse_floor(body.floor, body.currency, custom)
    if floor_minor is not None and floor_minor > 0:
        raise InvalidFloor("A new account starts at zero, so its floor cannot be above zero.")
    if await repository.account_by_code(session, org_id=org_id, code=body.code):
        raise AccountCodeTaken(
            f"Account code {body.code} is already used.", details={"code": body.code}
        )
    if body.parent_id is not None:
        await _check_parent(
            session,
            org_id=org_id,
            parent_id=body.parent_id,
            account_type=body.type,
            account_id=None,
        )
    row = _account_row(
        org_id=org_id,
        code=body.code,
        name=body.name,
        account_type=body.type,
        parent_id=body.parent_id,
        currency=body.currency,
        floor_minor=floor_minor,
        description=body.description,
    )
    await _insert_accounts(session, org_id=org_id, rows=[row])
    created = await repository.get_account(session, org_id=org_id, account_id=row["id"])
    assert created is not None
    return render_account(created, custom_scales=custom)


def _account_row(
    *,
    org_id: uuid.UUID,
    code: str,
    name: str,
    account_type: str,
    parent_id: uuid.UUID | None,
    currency: str | None,
    floor_minor: int | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    now = utc_now()
    return {
        "id": new_id(),
        "org_id": org_id,
        "code": code,
        "name": name,
        "type": str(account_type),
        "parent_id": parent_id,
        "currency": currency,
        "floor_minor": floor_minor,
        "is_closed": False,
        "description": description,
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
    }


async def _insert_accounts(
    session: AsyncSession, *, org_id: uuid.UUID, rows: Sequence[dict[str, Any]]
) -> None:
    await repository.insert_accounts(session, rows=rows)
    await repository.insert_rows(
        session,
        outbox,
        [
            event_row(
                event_type=events.ACCOUNT_CREATED,
                org_id=org_id,
                data={
                    "account_id": str(row["id"]),
                    "code": row["code"],
                    "name": row["name"],
                    "type": row["type"],
                    "currency": row["currency"],
                    "parent_id": str(row["parent_id"]) if row["parent_id"] else None,
                },
            )
            for row in rows
        ],
    )


async def update_account(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID, body: schemas.AccountUpdate
) -> schemas.Account:
    """Change an account's code, name, parent, floor or description."""
    row = await get_account(session, org_id=org_id, account_id=account_id)
    custom = await scales_of(session, org_id=org_id)
    changes = body.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    if "code" in changes and changes["code"] != row.code:
        if await repository.account_by_code(session, org_id=org_id, code=changes["code"]):
            raise AccountCodeTaken(f"Account code {changes['code']} is already used.")
        values["code"] = changes["code"]
    for field in ("name", "description"):
        if field in changes:
            values[field] = changes[field]
    if "parent_id" in changes:
        if changes["parent_id"] is not None:
            await _check_parent(
                session,
                org_id=org_id,
                parent_id=changes["parent_id"],
                account_type=row.type,
                account_id=row.id,
            )
        values["parent_id"] = changes["parent_id"]
    if "floor" in changes:
        floor_minor = _parse_floor(changes["floor"], row.currency, custom)
        if floor_minor is not None:
            current = (
                (
                    await repository.balances(
                        session, org_id=org_id, as_of=None, known_at=None, account_id=row.id
                    )
                )
                .get(row.id, {})
                .get(row.currency, 0)
            )
            if current < floor_minor:
                raise InvalidFloor("The account's balance is already below this floor.")
        values["floor_minor"] = floor_minor
    if values:
        values["updated_at"] = utc_now()
        await repository.update_account(session, org_id=org_id, account_id=row.id, values=values)
    updated = await get_account(session, org_id=org_id, account_id=account_id)
    return render_account(updated, custom_scales=custom)


async def set_account_closed(
    session: AsyncSession, *, org_id: uuid.UUID, account_id: uuid.UUID, closed: bool
) -> schemas.Account:
    """Close an account with a zero balance and no open children, or reopen it."""
    row = await get_account(session, org_id=org_id, account_id=account_id)
    if not closed and row.parent_id is not None:
        parent = await get_account(session, org_id=org_id, account_id=row.parent_id)
        if parent.is_closed:
            raise InvalidParent(f"Account {parent.code} is closed; reopen it first.")
    if closed and not row.is_closed:
        own = (
            await repository.balances(
                session, org_id=org_id, as_of=None, known_at=None, account_id=row.id
            )
        ).get(row.id, {})
        if any(own.values()):
            raise AccountNotEmpty(
                "Move the balance out before closing the account.", details={"balances_minor": own}
            )
        if await repository.has_children(session, org_id=org_id, account_id=row.id, open_only=True):
            raise AccountHasChildren("Close the account's sub-accounts first.")
    now = utc_now()
    await repository.update_account(
        session,
        org_id=org_id,
        account_id=row.id,
        values={"is_closed": closed, "closed_at": now if closed else None, "updated_at": now},
    )
    return render_account(
        await get_account(session, org_id=org_id, account_id=account_id),
        custom_scales=await scales_of(session, org_id=org_id),
    )


async def list_accounts(
    session: AsyncSession, *, org_id: uuid.UUID, include_closed: bool
) -> list[schemas.Account]:
    """Return the org's accounts ordered by code."""
    custom = await scales_of(session, org_id=org_id)
    rows = await repository.list_accounts(session, org_id=org_id, include_closed=include_closed)
    return [render_account(row, custom_scales=custom) for row in rows]


async def setup(
    session: AsyncSession, *, org_id: uuid.UUID, body: schemas.SetupRequest
) -> schemas.SetupResult:
    """Set the base currency and open a chart of accounts from a template, once."""
    custom = await scales_of(session, org_id=org_id)
    domain.scale_of(body.base_currency, custom_scales=custom)
    existing = await repository.org_settings(session, org_id=org_id)
    if existing is not None and existing.template is not None:
        raise AlreadySetUp("The ledger of this organisation is already set up.")
    if await repository.list_accounts(session, org_id=org_id):
        raise AlreadySetUp("This organisation already has accounts; add more one by one.")
    await repository.ensure_org(session, org_id=org_id, base_currency=body.base_currency)
    await repository.update_org(
        session, org_id=org_id, base_currency=body.base_currency, template=body.template
    )
    rows: list[dict[str, Any]] = []
    ids_by_code: dict[str, uuid.UUID] = {}
    for spec in templates.TEMPLATES[body.template]:
        currency = None if spec.multi_currency else body.base_currency
        row = _account_row(
            org_id=org_id,
            code=spec.code,
            name=spec.name,
            account_type=spec.type,
            parent_id=ids_by_code.get(spec.parent) if spec.parent else None,
            currency=currency,
        )
        ids_by_code[spec.code] = row["id"]
        rows.append(row)
    await _insert_accounts(session, org_id=org_id, rows=rows)
    settings_row = await repository.org_settings(session, org_id=org_id)
    assert settings_row is not None
    return schemas.SetupResult(
        settings=render_settings(settings_row),
        accounts=await list_accounts(session, org_id=org_id, include_closed=True),
    )
