import { infiniteQueryOptions, mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { sharedKeys, type Schemas } from '@/api/queries'
import type { CsvProfile } from './profile'
import { isBusy, POLL_MS, type ImportBatch } from './status'

export const LINES_PAGE_SIZE = 500
/** The CSV preview only reads the start of a file; send no more than the server looks at. */
export const PREVIEW_BYTES = 64 * 1024

/** A file's identity in query keys (the File object itself does not serialise). */
export function fileKey(file: File): string {
  return `${file.name}|${file.size}|${file.lastModified}`
}

export const importKeys = {
  all: [...sharedKeys.ingest, 'imports'] as const,
  list: () => [...importKeys.all, 'list'] as const,
  detail: (id: string) => [...importKeys.all, 'detail', id] as const,
  lines: (id: string, status: string | null) => [...importKeys.all, 'lines', id, status ?? 'all'] as const,
  suggestions: () => [...importKeys.all, 'csv-suggestion'] as const,
  suggestion: (file: string, accountId: string) => [...importKeys.suggestions(), file, accountId] as const,
  preview: (file: string, accountId: string, profile: CsvProfile) => [...importKeys.all, 'csv-preview', file, accountId, profile] as const,
  profiles: (accountId: string) => [...importKeys.all, 'profiles', accountId] as const,
}

/**
 * A multipart body. openapi-typescript types binary parts as `string`; the serializer
 * hands the real FormData (with the File) to fetch.
 */
function multipart<T>(fields: Record<string, string | Blob | null | undefined>, filename?: string) {
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) {
    if (value === null || value === undefined) continue
    if (typeof value === 'string') form.append(name, value)
    else form.append(name, value, filename ?? (value instanceof File ? value.name : 'upload'))
  }
  return { body: fields as unknown as T, bodySerializer: () => form }
}

export const importsQuery = () =>
  queryOptions({
    queryKey: importKeys.list(),
    queryFn: async () => unwrap(await api.GET('/api/v1/imports', { params: { query: { limit: 100 } } })).items,
    // A batch somebody is working on moves on by itself.
    refetchInterval: (query) => (query.state.data?.some((b) => isBusy(b.status)) ? POLL_MS * 2 : false),
  })

export const importQuery = (id: string) =>
  queryOptions({
    queryKey: importKeys.detail(id),
    queryFn: async () => unwrap(await api.GET('/api/v1/imports/{import_id}', { params: { path: { import_id: id } } })),
    refetchInterval: (query) => (isBusy(query.state.data?.status) ? POLL_MS : false),
  })

export const importLinesQuery = (id: string, status: string | null) =>
  infiniteQueryOptions({
    queryKey: importKeys.lines(id, status),
    initialPageParam: 0,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await api.GET('/api/v1/imports/{import_id}/lines', {
          params: { path: { import_id: id }, query: { limit: LINES_PAGE_SIZE, cursor: pageParam, ...(status ? { status } : {}) } },
        }),
      ),
    getNextPageParam: (last) => (last.next_cursor === null ? undefined : Number(last.next_cursor)),
  })

type PreviewBody = Schemas['Body_csv_preview_api_v1_imports_csv_preview_post']

async function csvPreview(file: File, fields: { profile?: CsvProfile; accountId?: string }) {
  return unwrap(
    await api.POST('/api/v1/imports/csv-preview', {
      ...multipart<PreviewBody>(
        {
          file: file.slice(0, PREVIEW_BYTES),
          profile: fields.profile ? JSON.stringify(fields.profile) : undefined,
          account_id: fields.accountId,
        },
        file.name,
      ),
    }),
  )
}

/** The server's guess of a CSV's layout (or the profile saved for this header and account). */
export const csvSuggestionQuery = (file: File, accountId: string) =>
  queryOptions({
    queryKey: importKeys.suggestion(fileKey(file), accountId),
    queryFn: () => csvPreview(file, { accountId }),
    staleTime: Infinity,
    meta: { silent: true },
  })

/** The first rows of a CSV read with `profile` (in the account's currency): what the mapping produces, or where it fails. */
export const csvPreviewQuery = (file: File, accountId: string, profile: CsvProfile) =>
  queryOptions({
    queryKey: importKeys.preview(fileKey(file), accountId, profile),
    queryFn: () => csvPreview(file, { profile, accountId }),
    staleTime: Infinity,
    meta: { silent: true },
  })

/** The CSV mappings saved for an account. */
export const savedProfilesQuery = (accountId: string) =>
  queryOptions({
    queryKey: importKeys.profiles(accountId),
    queryFn: async () => unwrap(await api.GET('/api/v1/imports/profiles', { params: { query: { account_id: accountId } } })).items,
  })

type UploadBody = Schemas['Body_upload_api_v1_imports_post']

export interface UploadInput {
  file: File
  accountId: string
  counterAccountId: string | null
  profile: CsvProfile | null
}

/** A commit or an undo changes balances, registers, entries and the reconciliation. */
function invalidateAfterBooking(client: QueryClient) {
  return Promise.all([client.invalidateQueries({ queryKey: sharedKeys.ledger }), client.invalidateQueries({ queryKey: sharedKeys.ingest })])
}

export const uploadMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async ({ file, accountId, counterAccountId, profile }: UploadInput) =>
      unwrap(
        await api.POST('/api/v1/imports', {
          ...multipart<UploadBody>({
            file,
            account_id: accountId,
            counter_account_id: counterAccountId,
            profile: profile ? JSON.stringify(profile) : null,
          }),
        }),
      ),
    meta: { inline: true },
    onSuccess: (batch) => {
      client.setQueryData(importKeys.detail(batch.id), batch)
      return client.invalidateQueries({ queryKey: importKeys.list() })
    },
  })

export const saveProfileMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async (body: Schemas['SavedProfileCreate']) => unwrap(await api.POST('/api/v1/imports/profiles', { body })),
    meta: { success: 'Mapping saved for this account.' },
    // The next file with these columns should come up with the saved mapping, not the cached guess.
    onSuccess: (saved) =>
      Promise.all([client.invalidateQueries({ queryKey: importKeys.suggestions() }), client.invalidateQueries({ queryKey: importKeys.profiles(saved.account_id) })]),
  })

function afterBatchChange(client: QueryClient, batch: ImportBatch) {
  client.setQueryData(importKeys.detail(batch.id), batch)
  return invalidateAfterBooking(client)
}

export const commitMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async (id: string) => unwrap(await api.POST('/api/v1/imports/{import_id}/commit', { params: { path: { import_id: id } } })),
    onSuccess: (batch) => afterBatchChange(client, batch),
  })

export const undoMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async (id: string) => unwrap(await api.POST('/api/v1/imports/{import_id}/undo', { params: { path: { import_id: id } } })),
    onSuccess: (batch) => afterBatchChange(client, batch),
  })

/** When a batch a task worked on settles (parsed, committed, undone), refresh what it changed. */
export const onBatchSettled = invalidateAfterBooking
