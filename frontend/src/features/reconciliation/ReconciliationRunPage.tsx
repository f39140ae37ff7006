import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { Link, useParams } from 'react-router-dom'
import { accountsQuery, entryQuery, type Account } from '@/api/queries'
import { Button, ButtonLink } from '@/components/ui/Button'
import { Card, EmptyState, ErrorState, Kbd, Loading, PageHeader } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { toast } from '@/components/ui/toast'
import { useSession } from '@/lib/auth'
import { accountLabel } from '@/lib/bank-accounts'
import { formatDate, formatDateTime } from '@/lib/dates'
import { can } from '@/lib/permissions'
import { errorMessage } from '@/lib/query-client'
import { MatchRow } from './MatchRow'
import { acceptManyMutation, accountLinesQuery, decideMutation, downloadReport, runQuery, type BankLine, type Run } from './queries'
import { afterDecision, BULK_CONFIDENCE_MIN, bulkAcceptable, confidencePercent, keyCommand, moveSelection, reviewList, type Match } from './review'
import { UnmatchedLines } from './UnmatchedLines'

const AUTO_PAGE = 50
/** Matches rendered at once (each fetches its entries); the keyboard brings in more. */
const REVIEW_PAGE = 100

export default function ReconciliationRunPage() {
  const { runId = '' } = useParams()
  const run = useQuery(runQuery(runId))
  const accounts = useQuery(accountsQuery())
  if (run.isLoading || accounts.isLoading) return <Loading />
  if (run.error || !run.data) return <ErrorState error={run.error} retry={() => void run.refetch()} />
  return <RunView run={run.data} accounts={accounts.data ?? []} />
}

/**
 * The account's bank lines by id. Lines move between statuses as matches are decided;
 * the map keeps the last copy of each so a line never blinks out between two refetches.
 */
function useBankLines(accountId: string, withMatched: boolean) {
  const proposed = useQuery(accountLinesQuery(accountId, 'proposed'))
  const unmatched = useQuery(accountLinesQuery(accountId, 'unmatched'))
  const matched = useQuery({ ...accountLinesQuery(accountId, 'matched'), enabled: withMatched })
  const known = useRef(new Map<string, BankLine>())
  const byId = useMemo(() => {
    const next = new Map(known.current)
    for (const line of [...(matched.data ?? []), ...(unmatched.data ?? []), ...(proposed.data ?? [])]) next.set(line.id, line)
    known.current = next
    return next
  }, [proposed.data, unmatched.data, matched.data])
  return { byId, ready: proposed.data !== undefined && unmatched.data !== undefined, unmatched: unmatched.data ?? [], error: proposed.error ?? unmatched.error }
}

function Totals({ run }: { run: Run }) {
  const t = run.totals
  const items = [
    { label: 'Bank lines reconciled', value: t.matched_lines },
    { label: 'Entries matched', value: t.matched_entries },
    { label: 'Waiting for review', value: t.proposed, tone: t.proposed ? 'text-amber-800' : '' },
    { label: 'Open bank lines', value: t.unmatched_lines, amount: t.unmatched_lines_amount },
    { label: 'Open ledger entries', value: t.unmatched_entries, amount: t.unmatched_entries_amount },
  ]
  return (
    <Card title="Totals" className="mb-4">
      <dl className="grid gap-3 sm:grid-cols-3 lg:grid-cols-5" data-testid="run-totals">
        {items.map((item) => (
          <div key={item.label} className="rounded-lg border border-slate-200 px-3 py-2" data-testid={`total-${item.label.toLowerCase().replace(/\W+/g, '-')}`}>
            <dt className="text-xs text-slate-600">{item.label}</dt>
            <dd className={`text-xl font-semibold tabular-nums ${item.tone ?? 'text-slate-900'}`}>{item.value.toLocaleString()}</dd>
            {item.amount !== undefined && (
              <dd className="text-sm">
                <Money amount={item.amount} currency={run.currency} />
              </dd>
            )}
          </div>
        ))}
      </dl>
    </Card>
  )
}

function RunView({ run, accounts }: { run: Run; accounts: Account[] }) {
  const session = useSession()
  const client = useQueryClient()
  const manage = can.manageImports(session?.role)
  const account = accounts.find((a) => a.id === run.account_id)
  const [tab, setTab] = useState<'review' | 'auto'>('review')
  const [autoShown, setAutoShown] = useState(AUTO_PAGE)
  const [reviewShown, setReviewShown] = useState(REVIEW_PAGE)
  const [selected, setSelected] = useState(0)
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set())
  const [downloading, setDownloading] = useState(false)
  const decide = useMutation(decideMutation(client, run.id))
  const acceptMany = useMutation(acceptManyMutation(client, run.id))
  const rowRefs = useRef(new Map<string, HTMLLIElement>())
  const listRef = useRef<HTMLUListElement>(null)

  const auto = run.matches.filter((m) => m.status === 'auto_accepted')
  const decidedBefore = run.matches.some((m) => m.status === 'accepted')
  const lines = useBankLines(run.account_id, tab === 'auto' || decidedBefore)
  const sortKey = (match: Match) => {
    const line = lines.byId.get(match.bank_line_ids[0] ?? '')
    return line ? `${line.date}|${String(line.line_number).padStart(9, '0')}` : `~${match.id}`
  }
  const review = reviewList(run.matches, sortKey)
  const shown = tab === 'review' ? review.slice(0, Math.max(reviewShown, selected + 1)) : auto.slice(0, autoShown)
  const bulk = bulkAcceptable(run.matches)
  const current = review[Math.min(selected, review.length - 1)]

  const entryIds = [...new Set(shown.flatMap((m) => m.entry_ids))]
  const entries = useQueries({ queries: entryIds.map((id) => entryQuery(id)) })
  const entriesById = new Map(entries.flatMap((q) => (q.data ? [[q.data.id, q.data] as const] : [])))

  // Keep keyboard focus on the selected match once the reader is in the list.
  useEffect(() => {
    if (!current || tab !== 'review') return
    const row = rowRefs.current.get(current.id)
    if (row && listRef.current?.contains(document.activeElement) && !row.contains(document.activeElement)) row.focus()
  }, [current, tab])

  function onDecide(match: Match, accept: boolean) {
    if (!manage || match.status !== 'proposed' || pending.has(match.id)) return
    const index = review.findIndex((m) => m.id === match.id)
    setPending((p) => new Set(p).add(match.id))
    if (index >= 0) setSelected(afterDecision(review, index))
    decide.mutate(
      { matchId: match.id, accept },
      {
        onSettled: () =>
          setPending((p) => {
            const next = new Set(p)
            next.delete(match.id)
            return next
          }),
      },
    )
  }

  function onListKey(event: KeyboardEvent<HTMLUListElement>) {
    const target = event.target as HTMLElement
    if (target.closest('input, select, textarea')) return
    const command = keyCommand(event)
    if (!command || review.length === 0) return
    event.preventDefault()
    if ('move' in command) return setSelected((i) => moveSelection(i, review.length, command.move))
    if (current) onDecide(current, command.decide === 'accept')
  }

  async function onDownload() {
    setDownloading(true)
    try {
      const { blob, filename } = await downloadReport(run.id)
      const url = URL.createObjectURL(blob)
      const link = document.createElement('a')
      link.href = url
      link.download = filename
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    } catch (error) {
      toast(errorMessage(error), 'error')
    } finally {
      setDownloading(false)
    }
  }

  function onBulk() {
    acceptMany.mutate(
      bulk.map((m) => m.id),
      { onSuccess: (result) => toast(`Accepted ${result.accepted.toLocaleString()} match${result.accepted === 1 ? '' : 'es'}.`, 'success') },
    )
  }

  const range = run.from || run.to ? `${run.from ? formatDate(run.from) : '…'} – ${run.to ? formatDate(run.to) : '…'}` : 'All dates'

  return (
    <>
      <PageHeader
        title={`Reconciliation of ${accountLabel(account)}`}
        description={
          <span>
            {range} · {run.currency} · run {formatDateTime(run.created_at)}
            {account && (
              <>
                {' · '}
                <Link className="text-blue-700 underline" to={`/accounts/${account.id}`}>
                  register
                </Link>
              </>
            )}
          </span>
        }
        actions={
          <>
            <ButtonLink variant="secondary" to="/imports">
              Imports
            </ButtonLink>
            <Button variant="secondary" busy={downloading} onClick={() => void onDownload()}>
              Download CSV report
            </Button>
            {manage && (
              <Button busy={acceptMany.isPending} disabled={bulk.length === 0} onClick={onBulk} data-testid="bulk-accept">
                Accept all proposed ≥ {Math.round(BULK_CONFIDENCE_MIN * 100)}% ({bulk.length})
              </Button>
            )}
          </>
        }
      />
      <Totals run={run} />

      <Card
        bodyClass="p-3"
        title="Matches"
        actions={
          <span role="tablist" aria-label="Matches" className="flex flex-wrap gap-1">
            {(
              [
                ['review', `To review (${review.filter((m) => m.status === 'proposed').length} open)`],
                ['auto', `Auto-accepted (${auto.length})`],
              ] as const
            ).map(([value, label]) => (
              <button
                key={value}
                type="button"
                role="tab"
                aria-selected={tab === value}
                aria-controls="matches-panel"
                onClick={() => setTab(value)}
                className={`rounded-md px-2.5 py-1 text-sm font-medium focus-visible:outline-2 focus-visible:outline-blue-700 ${tab === value ? 'bg-blue-700 text-white' : 'text-slate-700 hover:bg-slate-100'}`}
              >
                {label}
              </button>
            ))}
          </span>
        }
      >
        <div id="matches-panel" role="tabpanel" aria-label={tab === 'review' ? 'Matches to review' : 'Auto-accepted matches'}>
          {lines.error ? (
            <ErrorState error={lines.error} />
          ) : !lines.ready ? (
            <Loading />
          ) : shown.length === 0 ? (
            <EmptyState title={tab === 'review' ? 'Nothing to review' : 'No automatic matches'}>
              {tab === 'review' ? 'The matcher was sure of every match it found, or found none.' : 'No match was sure enough to be accepted without a person.'}
            </EmptyState>
          ) : (
            <>
              {tab === 'review' && manage && (
                <p id="review-keys" className="mb-3 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm text-slate-700" data-testid="keyboard-hint">
                  <span className="font-medium">Keyboard:</span>
                  <span>
                    <Kbd>j</Kbd> / <Kbd>↓</Kbd> next
                  </span>
                  <span>
                    <Kbd>k</Kbd> / <Kbd>↑</Kbd> previous
                  </span>
                  <span>
                    <Kbd>a</Kbd> accept
                  </span>
                  <span>
                    <Kbd>r</Kbd> reject
                  </span>
                  <span className="text-slate-600">(click a match or Tab into the list first)</span>
                </p>
              )}
              <ul ref={listRef} className="space-y-2" onKeyDown={tab === 'review' ? onListKey : undefined} aria-describedby={tab === 'review' && manage ? 'review-keys' : undefined} data-testid="match-list">
                {shown.map((match, index) => (
                  <MatchRow
                    key={match.id}
                    ref={(node) => {
                      if (node) rowRefs.current.set(match.id, node)
                      else rowRefs.current.delete(match.id)
                    }}
                    match={match}
                    lines={match.bank_line_ids.map((id) => lines.byId.get(id))}
                    entries={match.entry_ids.map((id) => entriesById.get(id))}
                    accountId={run.account_id}
                    currency={run.currency}
                    roving={tab === 'review'}
                    selected={tab === 'review' && current?.id === match.id}
                    canDecide={manage}
                    busy={pending.has(match.id)}
                    onSelect={() => tab === 'review' && setSelected(index)}
                    onDecide={(accept) => onDecide(match, accept)}
                  />
                ))}
              </ul>
              {tab === 'review' && review.length > shown.length && (
                <div className="mt-3 flex justify-center">
                  <Button variant="secondary" onClick={() => setReviewShown((n) => n + REVIEW_PAGE)}>
                    Show more ({(review.length - shown.length).toLocaleString()} left)
                  </Button>
                </div>
              )}
              {tab === 'auto' && auto.length > autoShown && (
                <div className="mt-3 flex justify-center">
                  <Button variant="secondary" onClick={() => setAutoShown((n) => n + AUTO_PAGE)}>
                    Show more
                  </Button>
                </div>
              )}
              {tab === 'review' && bulk.length > 0 && (
                <p className="mt-3 text-sm text-slate-600">
                  {bulk.length.toLocaleString()} proposed match{bulk.length === 1 ? ' is' : 'es are'} at least {confidencePercent(BULK_CONFIDENCE_MIN)}% sure.
                </p>
              )}
            </>
          )}
        </div>
      </Card>

      <UnmatchedLines run={run} lines={lines.unmatched} accounts={accounts} manage={manage} />
    </>
  )
}
