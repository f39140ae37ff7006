/**
 * The one QueryClient: retries, error toasts and what a final 401 means (signed out).
 * Mutations opt in to a success toast with `meta.success`, and forms that show the
 * server's message next to their fields opt out of the error toast with `meta.inline`.
 */
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query'
import { ApiError } from '@/api/errors'
import { setSession } from '@/api/session'
import { toast } from '@/components/ui/toast'

declare module '@tanstack/react-query' {
  interface Register {
    queryMeta: { silent?: boolean }
    mutationMeta: { success?: string; inline?: boolean }
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof TypeError) return 'Cannot reach the server. Check your connection.'
  return 'Something went wrong.'
}

function handleUnauthenticated(error: unknown): boolean {
  if (error instanceof ApiError && error.status === 401) {
    // The client already tried a silent refresh; it failed, so the session is over.
    setSession(null)
    toast('Your session has ended. Please sign in again.', 'info')
    return true
  }
  return false
}

export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (handleUnauthenticated(error) || query.meta?.silent) return
        if (query.state.data !== undefined) toast(`Could not refresh: ${errorMessage(error)}`, 'error')
      },
    }),
    mutationCache: new MutationCache({
      onError: (error, _v, _c, mutation) => {
        if (handleUnauthenticated(error)) return
        if (!mutation.meta?.inline) toast(errorMessage(error), 'error')
      },
      onSuccess: (_d, _v, _c, mutation) => {
        if (mutation.meta?.success) toast(mutation.meta.success, 'success')
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      },
      mutations: { retry: false },
    },
  })
  return client
}

/** The app's one client (the router prefetches into it before a screen's code arrives). */
export const queryClient = createQueryClient()
