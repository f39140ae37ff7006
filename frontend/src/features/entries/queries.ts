import { infiniteQueryOptions, mutationOptions, type QueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { sharedKeys, type Schemas } from '@/api/queries'

export interface EntryFilters {
  q?: string
  from?: string
  to?: string
  account?: string
  min?: string
  max?: string
}

export const ENTRIES_PAGE_SIZE = 50

export const entryKeys = {
  all: sharedKeys.entries(),
  list: (filters: EntryFilters) => [...entryKeys.all, 'list', filters] as const,
  detail: sharedKeys.entry,
}

export const entriesQuery = (filters: EntryFilters) =>
  infiniteQueryOptions({
    queryKey: entryKeys.list(filters),
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET('/api/v1/ledger/entries', {
          params: {
            query: {
              limit: ENTRIES_PAGE_SIZE,
              ...(pageParam ? { cursor: pageParam } : {}),
              ...(filters.q ? { q: filters.q } : {}),
              ...(filters.from ? { from: filters.from } : {}),
              ...(filters.to ? { to: filters.to } : {}),
              ...(filters.account ? { account_id: filters.account } : {}),
              ...(filters.min ? { min_amount: filters.min } : {}),
              ...(filters.max ? { max_amount: filters.max } : {}),
            },
          },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
  })

/** A posted or reversed entry changes balances, histories and lists: refresh the ledger. */
const invalidateLedger = (client: QueryClient) => client.invalidateQueries({ queryKey: sharedKeys.ledger })

export const postEntryMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async ({ body, key }: { body: Schemas['EntryCreate']; key: string }) =>
      unwrap(await api.POST('/api/v1/ledger/entries', { body, headers: { 'Idempotency-Key': key } })),
    meta: { inline: true, success: 'Entry posted.' },
    onSuccess: () => invalidateLedger(client),
  })

export const reverseEntryMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async ({ id, body, key }: { id: string; body: Schemas['ReverseRequest']; key: string }) =>
      unwrap(await api.POST('/api/v1/ledger/entries/{entry_id}/reverse', { params: { path: { entry_id: id } }, body, headers: { 'Idempotency-Key': key } })),
    meta: { success: 'Entry reversed.' },
    onSuccess: () => invalidateLedger(client),
  })
