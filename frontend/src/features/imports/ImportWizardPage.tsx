import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useMemo, useState, type FormEvent } from 'react'
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom'
import { accountsQuery, type Account } from '@/api/queries'
import { Button, ButtonLink } from '@/components/ui/Button'
import { FieldShell, FormError, inputClass, SelectField, TextField } from '@/components/ui/Field'
import { Card, Loading, PageHeader } from '@/components/ui/Layout'
import { useSession } from '@/lib/auth'
import { accountLabel, counterAccounts, defaultCounterAccount, importableAccounts } from '@/lib/bank-accounts'
import { can } from '@/lib/permissions'
import { errorMessage } from '@/lib/query-client'
import { CsvMapping } from './CsvMapping'
import { DEFAULT_PROFILE, formFromProfile, looksLikeCsv, missingFields, profileFromForm, sentence, type ProfileForm } from './profile'
import { csvPreviewQuery, csvSuggestionQuery, fileKey, savedProfilesQuery, saveProfileMutation, uploadMutation } from './queries'
import { Stepper } from './Stepper'

const SNIFF_BYTES = 4096
const PREVIEW_DEBOUNCE_MS = 250
/** Stands in for the file in the (disabled) preview queries before one is chosen. */
const NO_FILE = new File([], 'none')

/** `value`, once it has not changed for `ms` (compared by content). */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value)
  const json = JSON.stringify(value)
  useEffect(() => {
    const timer = setTimeout(() => setSettled(JSON.parse(json) as T), ms)
    return () => clearTimeout(timer)
  }, [json, ms])
  return settled
}

export default function ImportWizardPage() {
  const session = useSession()
  const accounts = useQuery(accountsQuery())
  if (!can.manageImports(session?.role)) return <Navigate to="/imports" replace />
  if (accounts.isLoading) return <Loading />
  return <Wizard accounts={accounts.data ?? []} />
}

function Wizard({ accounts }: { accounts: Account[] }) {
  const client = useQueryClient()
  const navigate = useNavigate()
  const [params] = useSearchParams()
  const targets = useMemo(() => importableAccounts(accounts), [accounts])
  const preset = params.get('account')
  const [accountId, setAccountId] = useState(targets.some((a) => a.id === preset) ? (preset ?? '') : (targets[0]?.id ?? ''))
  const [counterId, setCounterId] = useState('')
  const [file, setFile] = useState<File | null>(null)
  const [isCsv, setIsCsv] = useState(false)
  const [mapping, setMapping] = useState<{ key: string; form: ProfileForm; savedId?: string } | null>(null)
  const [saveMapping, setSaveMapping] = useState(false)
  const [mappingName, setMappingName] = useState('')
  const [formError, setFormError] = useState<string>()
  const upload = useMutation(uploadMutation(client))
  const saveProfile = useMutation(saveProfileMutation(client))

  const account = targets.find((a) => a.id === accountId)
  const mappingKey = file && account ? `${fileKey(file)}|${account.id}` : ''
  const form = mapping?.key === mappingKey ? mapping.form : null
  const counters = account ? counterAccounts(accounts, account.id) : []
  const fallbackCounter = defaultCounterAccount(accounts)

  // The server's guess of the layout first (or this account's saved mapping), then the
  // file read with the mapping on screen, every time it changes.
  const saved = useQuery({ ...savedProfilesQuery(accountId), enabled: isCsv && accountId !== '' })
  const suggestion = useQuery({ ...csvSuggestionQuery(file ?? NO_FILE, accountId), enabled: isCsv && file !== null && accountId !== '' })
  useEffect(() => {
    if (suggestion.data && mappingKey && mapping?.key !== mappingKey) {
      setMapping({ key: mappingKey, form: formFromProfile(suggestion.data.profile, suggestion.data.header) })
    }
  }, [suggestion.data, mappingKey, mapping?.key])
  const profile = form ? profileFromForm(form) : null
  const settledProfile = useDebounced(profile, PREVIEW_DEBOUNCE_MS)
  const preview = useQuery({
    ...csvPreviewQuery(file ?? NO_FILE, accountId, settledProfile ?? DEFAULT_PROFILE),
    enabled: isCsv && file !== null && settledProfile !== null && form !== null,
    placeholderData: keepPreviousData,
  })
  const header = preview.data?.header ?? suggestion.data?.header ?? []

  function applySaved(id: string) {
    const chosen = saved.data?.find((p) => p.id === id)
    if (chosen) setMapping({ key: mappingKey, form: formFromProfile(chosen.profile, header), savedId: id })
    else if (suggestion.data) setMapping({ key: mappingKey, form: formFromProfile(suggestion.data.profile, suggestion.data.header) })
  }
  const previewStale = preview.isFetching || JSON.stringify(profile) !== JSON.stringify(settledProfile)

  async function onFile(next: File | null) {
    setFile(next)
    setFormError(undefined)
    setMapping(null)
    if (!next) return setIsCsv(false)
    const head = await next.slice(0, SNIFF_BYTES).text()
    setIsCsv(looksLikeCsv(next.name, head))
    setMappingName(`${next.name.replace(/\.[^.]+$/, '')} layout`)
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault()
    setFormError(undefined)
    if (!account) return setFormError('Choose the account this statement belongs to.')
    if (!file) return setFormError('Choose the statement file.')
    // Without the server's first reading (it failed), the upload lets the server guess the layout itself.
    if (isCsv && !form && !suggestion.error) return setFormError('Wait for the preview of the columns.')
    if (form && missingFields(form).length) return setFormError(`Choose ${missingFields(form).join(' and ')}.`)
    const chosen = isCsv && form ? profile : null
    upload.mutate(
      { file, accountId: account.id, counterAccountId: counterId || null, profile: chosen },
      {
        onSuccess: (batch) => {
          if (chosen && saveMapping && mappingName.trim()) {
            saveProfile.mutate({ account_id: account.id, name: mappingName.trim(), header: header.length ? header : null, profile: chosen })
          }
          navigate(`/imports/${batch.id}`)
        },
        onError: (error) => setFormError(`The server refused the file. ${sentence(errorMessage(error))}`),
      },
    )
  }

  if (targets.length === 0) {
    return (
      <>
        <PageHeader title="Import a statement" />
        <Card>
          <p className="text-sm text-slate-700">There is no bank, card or cash account to import into: statements go into an open asset or liability account with one currency.</p>
          <ButtonLink className="mt-3" variant="secondary" to="/accounts">
            Go to the accounts
          </ButtonLink>
        </Card>
      </>
    )
  }

  return (
    <>
      <PageHeader title="Import a statement" description="CSV, OFX/QFX, CAMT.053, MT940 or QIF from your bank. Nothing is posted until you commit." />
      <Stepper current={1} />
      <form onSubmit={onSubmit} noValidate>
        <Card title="Statement">
          <div className="grid gap-4 md:grid-cols-3">
            <SelectField label="Account" value={accountId} onChange={(e) => (setAccountId(e.target.value), setMapping(null))} hint="The bank, card or cash account the statement is of.">
              {targets.map((a) => (
                <option key={a.id} value={a.id}>
                  {accountLabel(a)} ({a.currency})
                </option>
              ))}
            </SelectField>
            <FieldShell label="Statement file" id="statement-file" hint={file ? `${file.name} · ${(file.size / 1024).toFixed(1)} KB${isCsv ? ' · CSV' : ''}` : 'Up to 512 MB.'}>
              <input
                id="statement-file"
                type="file"
                accept=".csv,.tsv,.txt,.ofx,.qfx,.xml,.sta,.mt940,.940,.qif,text/csv,application/xml"
                className={`${inputClass} file:mr-3 file:rounded file:border-0 file:bg-slate-100 file:px-2 file:py-1 file:text-sm file:font-medium`}
                aria-describedby="statement-file-hint"
                onChange={(e) => void onFile(e.target.files?.[0] ?? null)}
              />
            </FieldShell>
            <SelectField label="Book new lines against" value={counterId} onChange={(e) => setCounterId(e.target.value)} hint="Lines that match no entry are posted against this account.">
              <option value="">{fallbackCounter ? `${accountLabel(fallbackCounter)} (default)` : 'The default account'}</option>
              {counters
                .filter((a) => a.id !== fallbackCounter?.id)
                .map((a) => (
                  <option key={a.id} value={a.id}>
                    {accountLabel(a)}
                  </option>
                ))}
            </SelectField>
          </div>
        </Card>

        {isCsv && file && account && (
          <>
            {!form ? (
              <Card className="mt-4">{suggestion.error ? <FormError message={errorMessage(suggestion.error)} /> : <Loading label="Looking at the columns…" />}</Card>
            ) : (
              <>
                {(saved.data ?? []).length > 0 && (
                  <Card className="mt-4">
                    <SelectField
                      label="Use a saved mapping"
                      className="max-w-md"
                      value={mapping?.savedId ?? ''}
                      onChange={(e) => applySaved(e.target.value)}
                      hint="Mappings saved for this account; the server also picks one by itself when a file has the same columns."
                    >
                      <option value="">The server's reading of this file</option>
                      {(saved.data ?? []).map((p) => (
                        <option key={p.id} value={p.id}>
                          {p.name}
                        </option>
                      ))}
                    </SelectField>
                  </Card>
                )}
                <CsvMapping form={form} onChange={(next) => setMapping({ key: mappingKey, form: next, ...(mapping?.savedId ? { savedId: mapping.savedId } : {}) })} preview={preview.data} updating={previewStale} previewError={preview.error} />
                <Card className="mt-4">
                  <label className="flex items-center gap-2 text-sm text-slate-800">
                    <input type="checkbox" className="size-4 accent-blue-700" checked={saveMapping} onChange={(e) => setSaveMapping(e.target.checked)} />
                    Save this mapping for {accountLabel(account)} (files with the same columns use it next time)
                  </label>
                  {saveMapping && <TextField className="mt-2 max-w-sm" label="Name of the mapping" value={mappingName} onChange={(e) => setMappingName(e.target.value)} />}
                </Card>
              </>
            )}
          </>
        )}

        <div className="mt-4 space-y-3">
          <FormError message={formError} />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" busy={upload.isPending} disabled={!file || !account}>
              Read the file
            </Button>
            <ButtonLink variant="secondary" to="/imports">
              Cancel
            </ButtonLink>
          </div>
        </div>
      </form>
    </>
  )
}
