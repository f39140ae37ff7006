import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState, type ReactNode } from 'react'
import { Link, useParams } from 'react-router-dom'
import { accountsQuery, type Schemas } from '@/api/queries'
import { Button, ButtonLink } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { Badge, Card, ErrorState, Loading, PageHeader } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { ProgressBar } from '@/components/ui/Progress'
import { useSession } from '@/lib/auth'
import { accountLabel, defaultCounterAccount } from '@/lib/bank-accounts'
import { formatDate, formatDateTime } from '@/lib/dates'
import { isNegative } from '@/lib/money'
import { can } from '@/lib/permissions'
import { LinesTable } from './LinesTable'
import { commitMutation, importQuery, onBatchSettled, undoMutation } from './queries'
import { Stepper } from './Stepper'
import { isBusy, plural, progressText, statusLabel, stepOf, type ImportBatch } from './status'

type Tone = 'slate' | 'amber' | 'red' | 'green' | 'blue'

function Stat({ value, label, tone = 'slate', testId }: { value: number; label: string; tone?: Tone; testId: string }) {
  const tones: Record<Tone, string> = {
    slate: 'border-slate-200',
    amber: 'border-amber-300 bg-amber-50',
    red: 'border-red-300 bg-red-50',
    green: 'border-emerald-300 bg-emerald-50',
    blue: 'border-blue-200 bg-blue-50',
  }
  return (
    <p className={`rounded-lg border px-4 py-3 ${tones[tone]}`} data-testid={testId}>
      <span className="block text-2xl font-semibold tabular-nums text-slate-900">{value.toLocaleString()}</span> <span className="text-sm text-slate-700">{label}</span>
    </p>
  )
}

function Balance({ label, balance }: { label: string; balance: Schemas['StatementBalanceOut'] | null }) {
  if (!balance) return null
  return (
    <div className="rounded-lg border border-slate-200 px-4 py-3" data-testid={`balance-${label.toLowerCase().replace(/\W+/g, '-')}`}>
      <p className="text-sm text-slate-600">
        {label} on {formatDate(balance.date)}
      </p>
      <p className="text-xl font-semibold">
        <Money amount={balance.amount} currency={balance.currency} />
      </p>
    </div>
  )
}

function StatementCheck({ check }: { check: Schemas['StatementCheckOut'] }) {
  const off = !check.matches || /[1-9]/.test(check.difference)
  return (
    <div className={`rounded-lg border px-4 py-3 ${off ? 'border-red-300 bg-red-50' : 'border-emerald-300 bg-emerald-50'}`} data-testid="statement-check" data-matches={!off}>
      <p className={`font-medium ${off ? 'text-red-800' : 'text-emerald-800'}`}>{off ? 'The ledger does not agree with the statement' : 'The ledger agrees with the statement'}</p>
      <dl className="mt-2 grid gap-x-6 gap-y-1 text-sm sm:grid-cols-3">
        <div>
          <dt className="text-slate-600">Statement balance on {formatDate(check.date)}</dt>
          <dd className="font-medium">
            <Money amount={check.statement_balance} currency={check.currency} />
          </dd>
        </div>
        <div>
          <dt className="text-slate-600">Ledger balance on {formatDate(check.date)}</dt>
          <dd className="font-medium">
            <Money amount={check.ledger_balance} currency={check.currency} />
          </dd>
        </div>
        <div>
          <dt className="text-slate-600">Difference</dt>
          <dd className={`font-semibold ${off ? 'text-red-700' : 'text-emerald-800'}`} data-testid="statement-difference">
            <Money amount={check.difference} currency={check.currency} signed className={off && !isNegative(check.difference) ? 'text-red-700' : ''} />
          </dd>
        </div>
      </dl>
      {off && <p className="mt-2 text-sm text-red-800">Entries before this date are missing, doubled or wrong. Review the proposed matches and the account's register.</p>}
    </div>
  )
}

function Filters({ options, value, onChange }: { options: { value: string | null; label: string }[]; value: string | null; onChange: (value: string | null) => void }) {
  return (
    <div role="group" aria-label="Show lines" className="flex flex-wrap gap-1">
      {options.map((o) => (
        <button
          key={o.label}
          type="button"
          aria-pressed={value === o.value}
          onClick={() => onChange(o.value)}
          className={`rounded-md px-2.5 py-1 text-sm font-medium focus-visible:outline-2 focus-visible:outline-blue-700 ${value === o.value ? 'bg-blue-700 text-white' : 'text-slate-700 hover:bg-slate-100'}`}
        >
          {o.label}
        </button>
      ))}
    </div>
  )
}

export default function ImportPage() {
  const { importId = '' } = useParams()
  const session = useSession()
  const client = useQueryClient()
  const batch = useQuery(importQuery(importId))
  const accounts = useQuery(accountsQuery())
  const commit = useMutation(commitMutation(client))
  const undo = useMutation(undoMutation(client))
  const [filter, setFilter] = useState<string | null>(null)
  const [confirming, setConfirming] = useState(false)
  const previous = useRef<string | undefined>(undefined)
  const status = batch.data?.status

  useEffect(() => {
    // A task of the server finished (parsed, committed, undone): what it changed is stale here.
    if (isBusy(previous.current) && status !== undefined && !isBusy(status)) void onBatchSettled(client)
    previous.current = status
  }, [status, client])

  if (batch.isLoading) return <Loading />
  if (batch.error || !batch.data) return <ErrorState error={batch.error} retry={() => void batch.refetch()} />
  const b = batch.data
  const byId = new Map((accounts.data ?? []).map((a) => [a.id, a]))
  const account = byId.get(b.account_id)
  const counter = b.counter_account_id ? byId.get(b.counter_account_id) : defaultCounterAccount(accounts.data ?? [])
  const manage = can.manageImports(session?.role)
  const tag = statusLabel(b.status)
  const fresh = b.lines_total - b.lines_duplicate
  const filters =
    b.status === 'previewed' || b.status === 'parsing' || b.status === 'failed'
      ? [
          { value: null, label: `All (${b.lines_total.toLocaleString()})` },
          { value: 'new', label: `New (${fresh.toLocaleString()})` },
          { value: 'duplicate', label: `Duplicates (${b.lines_duplicate.toLocaleString()})` },
        ]
      : [
          { value: null, label: 'All' },
          { value: 'posted', label: 'Posted' },
          { value: 'matched', label: 'Matched' },
          { value: 'proposed', label: 'To review' },
          { value: 'unmatched', label: 'Unmatched' },
          { value: 'duplicate', label: 'Duplicates' },
        ]

  return (
    <>
      <PageHeader
        title={b.filename ? `Import of ${b.filename}` : 'Import'}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <Badge tone={tag.tone}>{tag.label}</Badge>
            {account && (
              <Link className="text-blue-700 underline" to={`/accounts/${account.id}`}>
                {accountLabel(account)}
              </Link>
            )}
            {b.format && <span className="uppercase">· {b.format}</span>}
            <span>· uploaded {formatDateTime(b.created_at)}</span>
          </span>
        }
        actions={
          <>
            <ButtonLink variant="secondary" to="/imports">
              All imports
            </ButtonLink>
            {manage && b.status === 'committed' && (
              <Button variant="danger" onClick={() => setConfirming(true)}>
                Undo import
              </Button>
            )}
          </>
        }
      />
      <Stepper current={stepOf(b.status)} />

      {isBusy(b.status) && (
        <Card className="mb-4">
          <ProgressBar {...progressText(b)} />
          <p className="mt-2 text-xs text-slate-600">You can leave this page; the import carries on and this page picks it up again.</p>
        </Card>
      )}

      {b.status === 'failed' && (
        <Card className="mb-4">
          <div role="alert" className="text-sm text-red-800" data-testid="import-error">
            <p className="font-semibold">The file could not be imported.</p>
            <p className="mt-1">{typeof b.error?.message === 'string' ? b.error.message : 'Something went wrong.'}</p>
          </div>
          {manage && (
            <ButtonLink className="mt-3" to={`/imports/new?account=${b.account_id}`}>
              Import another file
            </ButtonLink>
          )}
        </Card>
      )}

      {b.status === 'previewed' && (
        <Card title="Check the lines" className="mb-4">
          <div className="grid gap-3 sm:grid-cols-3">
            <Stat value={b.lines_total} label={b.lines_total === 1 ? 'line in the file' : 'lines in the file'} testId="count-total" />
            <Stat value={fresh} label="new" tone="blue" testId="count-new" />
            <Stat value={b.lines_duplicate} label={b.lines_duplicate === 1 ? 'duplicate (already imported)' : 'duplicates (already imported)'} tone={b.lines_duplicate ? 'amber' : 'slate'} testId="count-duplicates" />
          </div>
          <Balances batch={b} />
          <Warnings warnings={b.warnings} />
          {manage ? (
            <div className="mt-4 flex flex-wrap items-center gap-3 border-t border-slate-100 pt-4">
              <Button busy={commit.isPending} onClick={() => commit.mutate(b.id)}>
                {fresh > 0 ? `Commit ${plural(fresh, 'new line')}` : 'Commit (nothing new to post)'}
              </Button>
              <p className="text-sm text-slate-600">
                New lines are matched with the entries already in the ledger; the others are posted against {counter ? accountLabel(counter) : 'the default account'}. Duplicates are skipped.
              </p>
            </div>
          ) : (
            <p className="mt-4 text-sm text-slate-600">An owner, admin or accountant can commit this import.</p>
          )}
        </Card>
      )}

      {(b.status === 'committed' || b.status === 'undone') && b.result && <Result batch={b} result={b.result} />}

      <Card title="Lines" bodyClass="p-0" actions={<Filters options={filters} value={filter} onChange={setFilter} />}>
        {b.status === 'parsing' ? <Loading label="The lines appear once the file is read." /> : <LinesTable key={`${b.status}-${filter ?? 'all'}`} importId={b.id} status={filter} label={`Lines of ${b.filename ?? 'the import'}`} />}
      </Card>

      {/* Open only while there is something to undo: it closes as soon as the batch moves on. */}
      <Dialog open={confirming && b.status === 'committed'} onClose={() => setConfirming(false)} title="Undo this import?">
        <p className="text-sm text-slate-700">
          The {plural(b.result?.posted ?? 0, 'entry', 'entries')} it posted are reversed by new entries (posted entries are never changed), its matches are released, and its lines can be imported again.
        </p>
        <div className="mt-5 flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setConfirming(false)}>
            Keep it
          </Button>
          <Button variant="danger" busy={undo.isPending} onClick={() => undo.mutate(b.id, { onSuccess: () => setConfirming(false) })}>
            Undo import
          </Button>
        </div>
      </Dialog>
    </>
  )
}

function Balances({ batch }: { batch: ImportBatch }) {
  if (!batch.opening_balance && !batch.closing_balance) {
    return <p className="mt-3 text-sm text-slate-600">The file carries no balances (CSV exports rarely do), so the import cannot be checked against the bank's closing balance.</p>
  }
  return (
    <div className="mt-3 grid gap-3 sm:grid-cols-2">
      <Balance label="Opening balance" balance={batch.opening_balance} />
      <Balance label="Closing balance" balance={batch.closing_balance} />
    </div>
  )
}

function Warnings({ warnings }: { warnings: string[] }): ReactNode {
  if (warnings.length === 0) return null
  return (
    <div className="mt-3 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900" data-testid="import-warnings">
      <p className="font-medium">{plural(warnings.length, 'warning')}</p>
      <ul className="mt-1 list-disc pl-5">
        {warnings.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  )
}

function Result({ batch, result }: { batch: ImportBatch; result: Schemas['CommitResult'] }) {
  return (
    <Card title={batch.status === 'undone' ? 'Result (undone)' : 'Result'} className="mb-4">
      {batch.status === 'undone' && (
        <p className="mb-3 rounded-md border border-slate-300 bg-slate-50 px-3 py-2 text-sm text-slate-800" data-testid="undone-note">
          Undone{batch.undone_at ? ` on ${formatDateTime(batch.undone_at)}` : ''}: the entries it posted were reversed and its matches released.
        </p>
      )}
      <div className="grid gap-3 sm:grid-cols-4" data-testid="import-result">
        <Stat value={result.posted} label="posted" tone="green" testId="result-posted" />
        <Stat value={result.matched} label="matched" tone="green" testId="result-matched" />
        <Stat value={result.proposed} label="waiting for review" tone={result.proposed ? 'amber' : 'slate'} testId="result-proposed" />
        <Stat value={result.duplicates} label={result.duplicates === 1 ? 'duplicate skipped' : 'duplicates skipped'} tone={result.duplicates ? 'amber' : 'slate'} testId="result-duplicates" />
      </div>
      <div className="mt-3">
        {result.statement_check ? (
          <StatementCheck check={result.statement_check} />
        ) : (
          <p className="text-sm text-slate-600">The file carries no closing balance, so there is nothing to check the ledger against.</p>
        )}
      </div>
      {result.reconciliation_run_id && batch.status === 'committed' && (
        <div className="mt-4 flex flex-wrap items-center gap-3 border-t border-slate-100 pt-4">
          <ButtonLink to={`/reconciliation/${result.reconciliation_run_id}`} variant={result.proposed ? 'primary' : 'secondary'}>
            {result.proposed ? `Review ${plural(result.proposed, 'proposed match', 'proposed matches')}` : 'Open the reconciliation'}
          </ButtonLink>
        </div>
      )}
    </Card>
  )
}
