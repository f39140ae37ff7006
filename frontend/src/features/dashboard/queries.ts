import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { balancesQuery, sharedKeys } from '@/api/queries'
import { monthEnd, todayIso } from '@/lib/dates'

export const dashboardKeys = {
  all: [...sharedKeys.ledger, 'dashboard'] as const,
  recentEntries: (limit: number) => [...sharedKeys.ledger, 'entries', 'recent', limit] as const,
}

/** Month ends of the last `months` months, oldest first, then null for "now". */
export function trendDates(months = 12, today = todayIso()): (string | null)[] {
  const ends: (string | null)[] = []
  for (let i = months; i >= 1; i--) ends.push(monthEnd(today, -i))
  ends.push(null)
  return ends
}

export const trendQueries = (months = 12) => trendDates(months).map((asOf) => balancesQuery(asOf))

export const recentEntriesQuery = (limit = 8) =>
  queryOptions({
    queryKey: dashboardKeys.recentEntries(limit),
    queryFn: async () => unwrap(await api.GET('/api/v1/ledger/entries', { params: { query: { limit } } })).items,
  })
