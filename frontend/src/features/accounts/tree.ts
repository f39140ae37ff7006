/** The chart of accounts as a tree (parents before children, ordered by code). */
import type { Account, BalanceLine } from '@/api/queries'

export interface TreeRow {
  account: Account
  depth: number
  hasChildren: boolean
  balance: BalanceLine | undefined
}

export function buildTree(accounts: readonly Account[], balances: readonly BalanceLine[] = []): TreeRow[] {
  const byParent = new Map<string | null, Account[]>()
  const ids = new Set(accounts.map((a) => a.id))
  for (const account of accounts) {
    const parent = account.parent_id && ids.has(account.parent_id) ? account.parent_id : null
    const list = byParent.get(parent) ?? []
    list.push(account)
    byParent.set(parent, list)
  }
  const balanceOf = new Map(balances.map((b) => [b.account_id, b]))
  const rows: TreeRow[] = []
  const walk = (parent: string | null, depth: number) => {
    const children = (byParent.get(parent) ?? []).sort((a, b) => a.code.localeCompare(b.code, undefined, { numeric: true }))
    for (const account of children) {
      rows.push({ account, depth, hasChildren: byParent.has(account.id), balance: balanceOf.get(account.id) })
      walk(account.id, depth + 1)
    }
  }
  walk(null, 0)
  return rows
}

/** Every descendant of `id` (to keep an account from becoming its own ancestor). */
export function descendantsOf(accounts: readonly Account[], id: string): Set<string> {
  const out = new Set<string>()
  const stack = [id]
  while (stack.length) {
    const current = stack.pop()!
    for (const a of accounts) if (a.parent_id === current && !out.has(a.id)) (out.add(a.id), stack.push(a.id))
  }
  return out
}
