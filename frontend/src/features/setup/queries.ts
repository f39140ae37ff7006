import { mutationOptions, type QueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { sharedKeys, type Schemas } from '@/api/queries'

export const setupKeys = {
  all: sharedKeys.ledger,
}

export const setupMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async (body: Schemas['SetupRequest']) => unwrap(await api.POST('/api/v1/ledger/setup', { body })),
    meta: { inline: true, success: 'Your ledger is ready.' },
    onSuccess: async (result) => {
      // Seed the accounts list first so no screen still sees an empty ledger.
      client.setQueryData(sharedKeys.accounts(), result.accounts)
      client.setQueryData(sharedKeys.settings(), result.settings)
      await client.invalidateQueries({ queryKey: setupKeys.all, refetchType: 'none' })
    },
  })
