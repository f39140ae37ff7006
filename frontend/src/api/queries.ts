/**
 * Query keys and options for resources several features read (the caller, accounts,
 * ledger settings, currencies, balances). Feature-specific queries live in
 * `features/<x>/queries.ts`; mutations anywhere invalidate through these factories.
 */
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from './client'
import type { components } from './schema'

export type Schemas = components['schemas']
export type Account = Schemas['Account']
export type AccountType = Account['type']
export type BalanceLine = Schemas['BalanceLine']
export type CurrencyAmount = Schemas['CurrencyAmount']
export type Me = Schemas['Me']
export type Asset = Schemas['Asset']
export type Entry = Schemas['Entry']

export const sharedKeys = {
  me: ['me'] as const,
  ledger: ['ledger'] as const,
  accounts: () => [...sharedKeys.ledger, 'accounts'] as const,
  settings: () => [...sharedKeys.ledger, 'settings'] as const,
  currencies: () => [...sharedKeys.ledger, 'currencies'] as const,
  balances: (asOf: string | null) => [...sharedKeys.ledger, 'balances', asOf ?? 'now'] as const,
  entries: () => [...sharedKeys.ledger, 'entries'] as const,
  entry: (id: string) => [...sharedKeys.entries(), 'detail', id] as const,
  /** Imports and reconciliation (the ingest service): both features key under this root. */
  ingest: ['ingest'] as const,
}

export const meQuery = () =>
  queryOptions({
    queryKey: sharedKeys.me,
    queryFn: async () => unwrap(await api.GET('/api/v1/auth/me')),
    staleTime: 5 * 60_000,
  })

export const accountsQuery = () =>
  queryOptions({
    queryKey: sharedKeys.accounts(),
    queryFn: async () => unwrap(await api.GET('/api/v1/ledger/accounts')).items,
  })

export const ledgerSettingsQuery = () =>
  queryOptions({
    queryKey: sharedKeys.settings(),
    queryFn: async () => unwrap(await api.GET('/api/v1/ledger/settings')),
    staleTime: 5 * 60_000,
  })

export const currenciesQuery = () =>
  queryOptions({
    queryKey: sharedKeys.currencies(),
    queryFn: async () => unwrap(await api.GET('/api/v1/ledger/currencies')).items,
    staleTime: 60 * 60_000,
  })

export const balancesQuery = (asOf: string | null = null) =>
  queryOptions({
    queryKey: sharedKeys.balances(asOf),
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/ledger/balances', { params: { query: asOf ? { as_of: asOf } : {} } })),
  })

/** One journal entry (its page, and the ledger side of a reconciliation match). */
export const entryQuery = (id: string) =>
  queryOptions({
    queryKey: sharedKeys.entry(id),
    queryFn: async () => unwrap(await api.GET('/api/v1/ledger/entries/{entry_id}', { params: { path: { entry_id: id } } })),
  })

/** Debit-normal accounts show their balance as is; the others are shown sign-flipped. */
export function isCreditNormal(type: AccountType): boolean {
  return type === 'liability' || type === 'equity' || type === 'income'
}
