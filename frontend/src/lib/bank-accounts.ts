/** Which ledger accounts a statement can go into, and which can take the other side (imports and reconciliation). */
import type { Account } from '@/api/queries'

/** Open asset or liability accounts of one currency that hold no sub-accounts (a bank, card or cash account). */
export function importableAccounts(accounts: readonly Account[]): Account[] {
  const parents = new Set(accounts.map((a) => a.parent_id).filter((id): id is string => id !== null))
  return accounts
    .filter((a) => (a.type === 'asset' || a.type === 'liability') && a.currency !== null && !a.is_closed && !parents.has(a.id))
    .sort((a, b) => a.code.localeCompare(b.code))
}

/** Accounts new entries may be booked against: open leaves other than the statement's own. */
export function counterAccounts(accounts: readonly Account[], statementAccountId: string): Account[] {
  const parents = new Set(accounts.map((a) => a.parent_id).filter((id): id is string => id !== null))
  return accounts.filter((a) => a.id !== statementAccountId && !a.is_closed && !parents.has(a.id)).sort((a, b) => a.code.localeCompare(b.code))
}

/** The account the server books against when none is chosen ("Uncategorized"). */
export function defaultCounterAccount(accounts: readonly Account[]): Account | undefined {
  return accounts.find((a) => a.name.toLowerCase() === 'uncategorized' && !a.is_closed)
}

export function accountLabel(account: Pick<Account, 'code' | 'name'> | undefined): string {
  return account ? `${account.code} ${account.name}` : '…'
}
