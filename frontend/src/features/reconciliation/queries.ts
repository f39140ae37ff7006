import { mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { sharedKeys, type Schemas } from '@/api/queries'

export type Run = Schemas['ReconciliationRun']
export type MatchOut = Schemas['MatchOut']
export type BankLine = Schemas['BankLineOut']

/** Bank line statuses the reconciliation shows: in a proposal, reconciled, or left open. */
export const LINE_STATUSES = ['proposed', 'matched', 'unmatched'] as const
export type LineStatus = (typeof LINE_STATUSES)[number]

export const reconciliationKeys = {
  all: [...sharedKeys.ingest, 'reconciliation'] as const,
  run: (id: string) => [...reconciliationKeys.all, 'run', id] as const,
  lines: (accountId: string, status: LineStatus) => [...reconciliationKeys.all, 'lines', accountId, status] as const,
}

export const runQuery = (id: string) =>
  queryOptions({
    queryKey: reconciliationKeys.run(id),
    queryFn: async () => unwrap(await api.GET('/api/v1/reconciliation/runs/{run_id}', { params: { path: { run_id: id } } })),
  })

export const accountLinesQuery = (accountId: string, status: LineStatus) =>
  queryOptions({
    queryKey: reconciliationKeys.lines(accountId, status),
    queryFn: async () => unwrap(await api.GET('/api/v1/reconciliation/lines', { params: { query: { account_id: accountId, status } } })).items,
  })

/** Decisions change the run, its lines and the imports' counts: refresh the ingest views. */
const invalidateIngest = (client: QueryClient) => client.invalidateQueries({ queryKey: sharedKeys.ingest })

/** Put a decided match into the cached run at once (the refetch brings the totals). */
function patchMatch(client: QueryClient, runId: string, changed: readonly { id: string; status: string }[]) {
  const byId = new Map(changed.map((m) => [m.id, m.status]))
  client.setQueryData<Run>(reconciliationKeys.run(runId), (run) => run && { ...run, matches: run.matches.map((m) => (byId.has(m.id) ? { ...m, status: byId.get(m.id)! } : m)) })
}

export const createRunMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async (body: Schemas['RunCreate']) => unwrap(await api.POST('/api/v1/reconciliation/runs', { body })),
    meta: { inline: true },
    onSuccess: (run) => {
      client.setQueryData(reconciliationKeys.run(run.id), run)
      return invalidateIngest(client)
    },
  })

export const decideMutation = (client: QueryClient, runId: string) =>
  mutationOptions({
    mutationFn: async ({ matchId, accept }: { matchId: string; accept: boolean }) =>
      unwrap(
        accept
          ? await api.POST('/api/v1/reconciliation/matches/{match_id}/accept', { params: { path: { match_id: matchId } } })
          : await api.POST('/api/v1/reconciliation/matches/{match_id}/reject', { params: { path: { match_id: matchId } } }),
      ),
    onSuccess: (match) => {
      patchMatch(client, runId, [match])
      return invalidateIngest(client)
    },
  })

export const acceptManyMutation = (client: QueryClient, runId: string) =>
  mutationOptions({
    mutationFn: async (matchIds: string[]) => ({ ...unwrap(await api.POST('/api/v1/reconciliation/matches/accept', { body: { match_ids: matchIds } })), matchIds }),
    onSuccess: ({ matchIds }) => {
      patchMatch(client, runId, matchIds.map((id) => ({ id, status: 'accepted' })))
      return invalidateIngest(client)
    },
  })

export const postLinesMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async (body: Schemas['PostLinesCreate']) => unwrap(await api.POST('/api/v1/reconciliation/lines/post', { body })),
    onSuccess: () => Promise.all([invalidateIngest(client), client.invalidateQueries({ queryKey: sharedKeys.ledger })]),
  })

/** The run's CSV report, fetched with the session's token (a plain link would carry none). */
export async function downloadReport(runId: string): Promise<{ blob: Blob; filename: string }> {
  const result = await api.GET('/api/v1/reconciliation/runs/{run_id}/report', { params: { path: { run_id: runId }, query: { format: 'csv' } }, parseAs: 'blob' })
  const blob = unwrap(result) as Blob
  const disposition = result.response.headers.get('Content-Disposition') ?? ''
  const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? `reconciliation-${runId}.csv`
  return { blob, filename }
}
