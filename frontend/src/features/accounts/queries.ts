import { infiniteQueryOptions, mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { sharedKeys, type Schemas } from '@/api/queries'

export const REGISTER_PAGE_SIZE = 500

export const accountKeys = {
  all: sharedKeys.accounts(),
  detail: (id: string) => [...sharedKeys.accounts(), id] as const,
  history: (id: string) => [...sharedKeys.ledger, 'history', id] as const,
}

export const accountQuery = (id: string) =>
  queryOptions({
    queryKey: accountKeys.detail(id),
    queryFn: async () => unwrap(await api.GET('/api/v1/ledger/accounts/{account_id}', { params: { path: { account_id: id } } })),
  })

export const historyQuery = (id: string) =>
  infiniteQueryOptions({
    queryKey: accountKeys.history(id),
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET('/api/v1/ledger/accounts/{account_id}/history', {
          params: { path: { account_id: id }, query: { limit: REGISTER_PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    getNextPageParam: (last) => last.next_cursor,
  })

/** Creating, editing or closing an account changes the tree and every balance view. */
const invalidateLedger = (client: QueryClient) => client.invalidateQueries({ queryKey: sharedKeys.ledger })

export const createAccountMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async (body: Schemas['AccountCreate']) => unwrap(await api.POST('/api/v1/ledger/accounts', { body })),
    meta: { inline: true, success: 'Account created.' },
    onSuccess: () => invalidateLedger(client),
  })

export const updateAccountMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async ({ id, body }: { id: string; body: Schemas['AccountUpdate'] }) =>
      unwrap(await api.PATCH('/api/v1/ledger/accounts/{account_id}', { params: { path: { account_id: id } }, body })),
    meta: { inline: true, success: 'Account saved.' },
    onSuccess: () => invalidateLedger(client),
  })

export const closeAccountMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async ({ id, close }: { id: string; close: boolean }) =>
      unwrap(
        close
          ? await api.POST('/api/v1/ledger/accounts/{account_id}/close', { params: { path: { account_id: id } } })
          : await api.POST('/api/v1/ledger/accounts/{account_id}/reopen', { params: { path: { account_id: id } } }),
      ),
    onSuccess: (account) => invalidateLedger(client).then(() => account),
  })
