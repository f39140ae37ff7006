"""Roles and what each may do: the one permission matrix of Nexus.

Every endpoint declares the single permission it needs (`require(Permission.X)`); a
role grants a fixed set of permissions. Changing who may do what is an edit here and
nowhere else.
"""

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    ACCOUNTANT = "accountant"
    VIEWER = "viewer"
    AUDITOR = "auditor"


class Permission(StrEnum):
    PROFILE = "profile"  # read and change one's own user
    ORG_READ = "org.read"
    ORG_UPDATE = "org.update"
    MEMBERS_READ = "members.read"
    MEMBERS_MANAGE = "members.manage"
    LEDGER_READ = "ledger.read"
    LEDGER_POST = "ledger.post"
    LEDGER_ACCOUNTS_MANAGE = "ledger.accounts.manage"
    LEDGER_PERIODS_CLOSE = "ledger.periods.close"
    LEDGER_AUDIT = "ledger.audit"
    IMPORTS_MANAGE = "imports.manage"  # upload, commit and undo imports; decide matches


_READ = {Permission.PROFILE, Permission.ORG_READ, Permission.LEDGER_READ}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ADMIN: frozenset(Permission),
    Role.ACCOUNTANT: frozenset(
        _READ
        | {
            Permission.MEMBERS_READ,
            Permission.LEDGER_POST,
            Permission.LEDGER_ACCOUNTS_MANAGE,
            Permission.LEDGER_PERIODS_CLOSE,
            Permission.IMPORTS_MANAGE,
        }
    ),
    Role.VIEWER: frozenset(_READ),
    Role.AUDITOR: frozenset(_READ | {Permission.MEMBERS_READ, Permission.LEDGER_AUDIT}),
}

# Who may hand out which role: nobody grants a role above their own.
ASSIGNABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.OWNER: frozenset(Role),
    Role.ADMIN: frozenset({Role.ADMIN, Role.ACCOUNTANT, Role.VIEWER, Role.AUDITOR}),
    Role.ACCOUNTANT: frozenset(),
    Role.VIEWER: frozenset(),
    Role.AUDITOR: frozenset(),
}


def role_allows(role: Role, permission: Permission) -> bool:
    """Tell whether `role` grants `permission`."""
    return permission in ROLE_PERMISSIONS[role]
