import { describe, expect, test } from 'vitest'
import type { Account } from '@/api/queries'
import { counterAccounts, defaultCounterAccount, importableAccounts } from './bank-accounts'

const account = (code: string, name: string, type: Account['type'], extra: Partial<Account> = {}): Account =>
  ({ id: code, code, name, type, currency: 'EUR', parent_id: null, is_closed: false, description: null, floor: null, ...extra }) as Account

const chart = [
  account('1000', 'Assets', 'asset'),
  account('1010', 'Checking account', 'asset', { parent_id: '1000' }),
  account('1100', 'Investments', 'asset', { currency: null }),
  account('1200', 'Old savings', 'asset', { is_closed: true }),
  account('2010', 'Credit card', 'liability'),
  account('5020', 'Groceries', 'expense'),
  account('5900', 'Uncategorized', 'expense'),
]

describe('accounts for imports', () => {
  test('statements go into open one-currency asset or liability leaves', () => {
    expect(importableAccounts(chart).map((a) => a.code)).toEqual(['1010', '2010'])
  })

  test('the other side: any open leaf but the statement account', () => {
    expect(counterAccounts(chart, '1010').map((a) => a.code)).toEqual(['1100', '2010', '5020', '5900'])
  })

  test('the default counter account is "Uncategorized"', () => {
    expect(defaultCounterAccount(chart)?.code).toBe('5900')
    expect(defaultCounterAccount(chart.slice(0, 6))).toBeUndefined()
  })
})
