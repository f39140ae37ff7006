/** What each role may do in the UI: mirrors nexus/core/permissions.py (the server decides). */
import type { Role } from '@/api/session'

const POSTERS: readonly Role[] = ['owner', 'admin', 'accountant']
const MANAGERS: readonly Role[] = ['owner', 'admin']
const MEMBER_READERS: readonly Role[] = ['owner', 'admin', 'accountant', 'auditor']

export const can = {
  post: (role: Role | undefined) => role !== undefined && POSTERS.includes(role),
  manageAccounts: (role: Role | undefined) => role !== undefined && POSTERS.includes(role),
  /** imports.manage: upload, commit and undo imports; create reconciliation runs and decide matches. */
  manageImports: (role: Role | undefined) => role !== undefined && POSTERS.includes(role),
  readMembers: (role: Role | undefined) => role !== undefined && MEMBER_READERS.includes(role),
  manageMembers: (role: Role | undefined) => role !== undefined && MANAGERS.includes(role),
  updateOrg: (role: Role | undefined) => role !== undefined && MANAGERS.includes(role),
}

export const ROLES: readonly Role[] = ['owner', 'admin', 'accountant', 'viewer', 'auditor']

/** Roles `role` may hand out (ASSIGNABLE_ROLES on the server). */
export function assignableRoles(role: Role | undefined): Role[] {
  if (role === 'owner') return [...ROLES]
  if (role === 'admin') return ['admin', 'accountant', 'viewer', 'auditor']
  return []
}
