/** The dashboard's figures, computed exactly (decimal strings) from balance sheets. */
import { type Account, type AccountType, type BalanceLine, type Schemas } from '@/api/queries'
import { isNegative, negateAmount, subtractAmounts, sumAmounts, toChartNumber, toMinor } from '@/lib/money'

type Sheet = Schemas['BalanceSheet']

function ownIn(line: BalanceLine, currency: string): string {
  return line.own.find((a) => a.currency === currency)?.amount ?? '0'
}

export function sumOfType(sheet: Sheet, types: readonly AccountType[], currency: string): string {
  return sumAmounts(sheet.items.filter((l) => types.includes(l.type)).map((l) => ownIn(l, currency)))
}

/** Assets plus liabilities (liabilities are credit balances, i.e. negative). */
export function netWorth(sheet: Sheet, currency: string): string {
  return sumOfType(sheet, ['asset', 'liability'], currency)
}

/** Other currencies that appear in asset/liability balances (shown, not converted). */
export function otherCurrencies(sheet: Sheet, base: string): string[] {
  const found = new Set<string>()
  for (const line of sheet.items) {
    if (line.type !== 'asset' && line.type !== 'liability') continue
    for (const amount of line.own) if (amount.currency !== base && /[1-9]/.test(amount.amount)) found.add(amount.currency)
  }
  return [...found].sort()
}

export interface MonthFlow {
  month: string // ISO date of the month end
  income: string
  expenses: string
  net: string
}

/** Income and expenses per month from consecutive month-end balance sheets. */
export function monthlyFlows(sheets: readonly { asOf: string; sheet: Sheet }[], currency: string): MonthFlow[] {
  const flows: MonthFlow[] = []
  for (let i = 1; i < sheets.length; i++) {
    const prev = sheets[i - 1]
    const cur = sheets[i]
    if (!prev || !cur) continue
    const income = negateAmount(subtractAmounts(sumOfType(cur.sheet, ['income'], currency), sumOfType(prev.sheet, ['income'], currency)))
    const expenses = subtractAmounts(sumOfType(cur.sheet, ['expense'], currency), sumOfType(prev.sheet, ['expense'], currency))
    flows.push({ month: cur.asOf, income, expenses, net: subtractAmounts(income, expenses) })
  }
  return flows
}

export interface Category {
  accountId: string
  name: string
  amount: string
}

/** Expense accounts by what they grew by between two sheets, largest first. */
export function topSpending(from: Sheet, to: Sheet, currency: string, limit = 5): Category[] {
  const before = new Map(from.items.map((l) => [l.account_id, ownIn(l, currency)]))
  return to.items
    .filter((l) => l.type === 'expense')
    .map((l) => ({ accountId: l.account_id, name: l.name, amount: subtractAmounts(ownIn(l, currency), before.get(l.account_id) ?? '0') }))
    .filter((c) => !isNegative(c.amount) && /[1-9]/.test(c.amount))
    .sort((a, b) => toChartNumber(b.amount) - toChartNumber(a.amount))
    .slice(0, limit)
}

export interface Attention {
  accountId: string
  name: string
  code: string
  reason: string
  amount: string
  currency: string
}

/** Accounts someone should look at: assets below zero, accounts at their floor. */
export function needingAttention(sheet: Sheet, accounts: readonly Account[]): Attention[] {
  const byId = new Map(accounts.map((a) => [a.id, a]))
  const out: Attention[] = []
  for (const line of sheet.items) {
    const account = byId.get(line.account_id)
    if (!account || account.is_closed) continue
    for (const { currency, amount } of line.own) {
      if (account.floor !== null && account.currency === currency) {
        const scale = Math.max(decimals(amount), decimals(account.floor))
        const bal = toMinor(amount, scale)
        const floor = toMinor(account.floor, scale)
        if (bal !== null && floor !== null && bal <= floor) {
          out.push({ accountId: account.id, name: account.name, code: account.code, reason: 'At its floor', amount, currency })
          continue
        }
      }
      if (line.type === 'asset' && isNegative(amount)) {
        out.push({ accountId: account.id, name: account.name, code: account.code, reason: 'Negative balance', amount, currency })
      } else if (line.type === 'liability' && !isNegative(amount) && /[1-9]/.test(amount)) {
        out.push({ accountId: account.id, name: account.name, code: account.code, reason: 'Overpaid (debit balance)', amount, currency })
      }
    }
  }
  return out
}

function decimals(amount: string): number {
  const dot = amount.indexOf('.')
  return dot < 0 ? 0 : amount.length - dot - 1
}
