import { forwardRef } from 'react'
import { Link } from 'react-router-dom'
import type { Entry } from '@/api/queries'
import { Badge } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { formatDate } from '@/lib/dates'
import { sumAmounts } from '@/lib/money'
import type { BankLine } from './queries'
import { confidencePercent, confidenceTone, matchStatusLabel, reasonLabel, type Match } from './review'

interface MatchRowProps {
  match: Match
  lines: (BankLine | undefined)[]
  entries: (Entry | undefined)[]
  accountId: string
  currency: string
  /** Rows of the review list take turns in the tab order (the keyboard moves the selection). */
  roving: boolean
  selected: boolean
  canDecide: boolean
  busy: boolean
  onSelect: () => void
  onDecide: (accept: boolean) => void
}

const meter: Record<string, string> = { green: 'bg-emerald-600', amber: 'bg-amber-500', red: 'bg-red-600', slate: 'bg-slate-400', blue: 'bg-blue-600' }

/** One match: the bank's lines on the left, the ledger's entries on the right, the evidence between. */
export const MatchRow = forwardRef<HTMLLIElement, MatchRowProps>(function MatchRow({ match, lines, entries, accountId, currency, roving, selected, canDecide, busy, onSelect, onDecide }, ref) {
  const percent = confidencePercent(match.confidence)
  const tone = confidenceTone(match.confidence)
  const status = matchStatusLabel(match.status)
  const proposed = match.status === 'proposed'
  const firstLine = lines[0]
  const innerTab = roving && !selected ? -1 : undefined
  const summary = `${firstLine ? `${formatDate(firstLine.date)} ${firstLine.description}` : 'Bank line'}, ${percent}% sure, ${status.label}`

  return (
    <li
      ref={ref}
      tabIndex={roving ? (selected ? 0 : -1) : undefined}
      aria-current={selected ? 'true' : undefined}
      aria-label={summary}
      data-testid="match"
      data-match-id={match.id}
      data-status={match.status}
      data-selected={selected}
      onClick={onSelect}
      onFocus={onSelect}
      className={`rounded-lg border p-3 outline-none transition-colors focus-visible:ring-2 focus-visible:ring-blue-700 focus-visible:ring-offset-2 ${
        selected ? 'border-blue-600 bg-blue-50/60 shadow-sm' : 'border-slate-200 bg-white hover:border-slate-300'
      }`}
    >
      <div className="grid gap-3 md:grid-cols-[1fr_9rem_1fr] md:items-start">
        <section aria-label="Bank" className="min-w-0">
          <p className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-600">Bank</p>
          {lines.map((line, index) =>
            line ? (
              <div key={line.id} className="flex items-start justify-between gap-3 text-sm" data-testid="match-bank-line">
                <div className="min-w-0">
                  <p className="truncate font-medium text-slate-900">{line.description || '—'}</p>
                  <p className="truncate text-xs text-slate-600">
                    {formatDate(line.date)}
                    {line.payee && line.payee !== line.description ? ` · ${line.payee}` : ''}
                    {line.reference ? ` · Ref. ${line.reference}` : ''}
                  </p>
                </div>
                <Money amount={line.amount} currency={line.currency} className="font-medium" />
              </div>
            ) : (
              <p key={match.bank_line_ids[index]} className="text-sm text-slate-600">
                Loading the bank line…
              </p>
            ),
          )}
        </section>

        <div className="flex flex-row items-center gap-3 md:flex-col md:items-stretch md:text-center">
          <p className="text-lg font-semibold tabular-nums text-slate-900" data-testid="match-confidence">
            {percent}%<span className="sr-only"> confidence</span>
          </p>
          <div className="h-1.5 w-24 overflow-hidden rounded-full bg-slate-200 md:w-full" aria-hidden="true">
            <div className={`h-full ${meter[tone]}`} style={{ width: `${percent}%` }} />
          </div>
          <span>
            <Badge tone={status.tone}>{status.label}</Badge>
          </span>
        </div>

        <section aria-label="Ledger" className="min-w-0">
          <p className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-600">Ledger</p>
          {entries.map((entry, index) => {
            if (!entry)
              return (
                <p key={match.entry_ids[index]} className="text-sm text-slate-600">
                  Loading the entry…
                </p>
              )
            const own = entry.postings.filter((p) => p.account_id === accountId && p.currency === currency)
            return (
              <div key={entry.id} className="flex items-start justify-between gap-3 text-sm" data-testid="match-entry">
                <div className="min-w-0">
                  <Link to={`/entries/${entry.id}`} tabIndex={innerTab} className="block truncate rounded font-medium text-slate-900 hover:underline focus-visible:outline-2 focus-visible:outline-blue-700" onClick={(e) => e.stopPropagation()}>
                    {entry.description}
                  </Link>
                  <p className="truncate text-xs text-slate-600">
                    {formatDate(entry.date)}
                    {entry.payee ? ` · ${entry.payee}` : ''}
                    {entry.reference ? ` · Ref. ${entry.reference}` : ''}
                  </p>
                </div>
                <Money amount={sumAmounts(own.map((p) => p.amount))} currency={currency} className="font-medium" />
              </div>
            )
          })}
        </section>
      </div>

      <div className="mt-2 flex flex-wrap items-center justify-between gap-2 border-t border-slate-100 pt-2">
        <ul className="flex flex-wrap gap-1" aria-label="Why">
          {match.reasons.map((reason) => {
            const chip = reasonLabel(reason, currency)
            return (
              <li key={reason} title={reason}>
                <Badge tone={chip.tone}>{chip.label}</Badge>
              </li>
            )
          })}
        </ul>
        {canDecide && proposed && (
          <div className="flex gap-2">
            <button
              type="button"
              tabIndex={innerTab}
              disabled={busy}
              onClick={(e) => (e.stopPropagation(), onDecide(true))}
              className="rounded-md bg-emerald-700 px-2.5 py-1 text-sm font-medium text-white hover:bg-emerald-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-700 disabled:opacity-60"
            >
              Accept
            </button>
            <button
              type="button"
              tabIndex={innerTab}
              disabled={busy}
              onClick={(e) => (e.stopPropagation(), onDecide(false))}
              className="rounded-md border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-800 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-700 disabled:opacity-60"
            >
              Reject
            </button>
          </div>
        )}
      </div>
    </li>
  )
})
