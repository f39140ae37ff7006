import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { useEffect, useState, type FormEvent } from 'react'
import { Link, useSearchParams } from 'react-router-dom'
import { accountsQuery } from '@/api/queries'
import { Button, ButtonLink } from '@/components/ui/Button'
import { SelectField, TextField } from '@/components/ui/Field'
import { Badge, Card, EmptyState, ErrorState, Loading, PageHeader } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { Table, td, th } from '@/components/ui/Table'
import { useSession } from '@/lib/auth'
import { formatDate } from '@/lib/dates'
import { sumAmounts } from '@/lib/money'
import { can } from '@/lib/permissions'
import { entriesQuery, type EntryFilters } from './queries'

const KEYS = ['q', 'from', 'to', 'account', 'min', 'max'] as const

function filtersFrom(params: URLSearchParams): EntryFilters {
  const out: EntryFilters = {}
  for (const key of KEYS) {
    const value = params.get(key)
    if (value) out[key] = value
  }
  return out
}

export default function EntriesPage() {
  const session = useSession()
  const [params, setParams] = useSearchParams()
  const filters = filtersFrom(params)
  const [draft, setDraft] = useState<Required<EntryFilters>>({ q: '', from: '', to: '', account: '', min: '', max: '', ...filters })
  useEffect(() => setDraft({ q: '', from: '', to: '', account: '', min: '', max: '', ...filtersFrom(params) }), [params])
  const accounts = useQuery(accountsQuery())
  const entries = useInfiniteQuery(entriesQuery(filters))
  const byId = new Map((accounts.data ?? []).map((a) => [a.id, a]))
  const rows = entries.data?.pages.flatMap((p) => p.items) ?? []
  const active = Object.keys(filters).length > 0

  function onSubmit(event: FormEvent) {
    event.preventDefault()
    const next = new URLSearchParams()
    for (const key of KEYS) if (draft[key].trim()) next.set(key, draft[key].trim())
    setParams(next)
  }

  const set = (key: (typeof KEYS)[number]) => (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value })

  return (
    <>
      <PageHeader title="Entries" description="Every journal entry, newest first." actions={can.post(session?.role) ? <ButtonLink to="/entries/new">New entry</ButtonLink> : undefined} />
      <Card className="mb-4">
        <form onSubmit={onSubmit} role="search" aria-label="Filter entries" className="grid gap-3 sm:grid-cols-2 lg:grid-cols-6 lg:items-end">
          <div className="sm:col-span-2">
            <TextField label="Search" type="search" placeholder="Description, payee or reference" value={draft.q} onChange={set('q')} />
          </div>
          <TextField label="From" type="date" value={draft.from} onChange={set('from')} />
          <TextField label="To" type="date" value={draft.to} onChange={set('to')} />
          <div className="sm:col-span-2">
            <SelectField label="Account" value={draft.account} onChange={set('account')}>
              <option value="">All accounts</option>
              {(accounts.data ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.code} {a.name}
                </option>
              ))}
            </SelectField>
          </div>
          <TextField label="Min amount" inputMode="decimal" value={draft.min} onChange={set('min')} />
          <TextField label="Max amount" inputMode="decimal" value={draft.max} onChange={set('max')} />
          <div className="flex gap-2 sm:col-span-2 lg:col-span-4 lg:justify-end">
            {active && (
              <Button variant="ghost" onClick={() => setParams(new URLSearchParams())}>
                Clear filters
              </Button>
            )}
            <Button type="submit">Apply filters</Button>
          </div>
        </form>
      </Card>
      <Card bodyClass="p-0">
        {entries.isLoading ? (
          <Loading />
        ) : entries.error ? (
          <ErrorState error={entries.error} retry={() => void entries.refetch()} />
        ) : rows.length === 0 ? (
          <EmptyState title={active ? 'No entries match these filters' : 'No entries yet'} action={can.post(session?.role) && !active ? <ButtonLink to="/entries/new">Record an entry</ButtonLink> : undefined}>
            {active ? 'Try a wider date range or another search.' : 'Posted entries appear here.'}
          </EmptyState>
        ) : (
          <>
            <Table
              caption="Journal entries"
              head={
                <tr>
                  <th className={th} scope="col">Date</th>
                  <th className={th} scope="col">Description</th>
                  <th className={`${th} hidden md:table-cell`} scope="col">Accounts</th>
                  <th className={`${th} text-right`} scope="col">Amount</th>
                </tr>
              }
            >
              {rows.map((entry) => {
                const debits = entry.postings.filter((p) => !p.amount.startsWith('-'))
                const currency = debits[0]?.currency ?? ''
                return (
                  <tr key={entry.id} data-row className="hover:bg-slate-50" data-testid="entry-row">
                    <td className={`${td} whitespace-nowrap tabular-nums text-slate-700`}>{formatDate(entry.date)}</td>
                    <td className={td}>
                      <Link to={`/entries/${entry.id}`} className="rounded font-medium text-slate-900 hover:underline focus-visible:outline-2 focus-visible:outline-blue-700">
                        {entry.description}
                      </Link>
                      <span className="ml-2 inline-flex gap-1 align-middle">
                        {entry.reverses_entry_id && <Badge tone="amber">Reversal</Badge>}
                        {entry.reversed_by_entry_id && <Badge>Reversed</Badge>}
                      </span>
                      {entry.payee && <span className="block text-xs text-slate-600">{entry.payee}</span>}
                    </td>
                    <td className={`${td} hidden text-slate-700 md:table-cell`}>
                      {[...new Set(entry.postings.map((p) => byId.get(p.account_id)?.name ?? '…'))].slice(0, 3).join(', ')}
                      {entry.postings.length > 3 ? '…' : ''}
                    </td>
                    <td className={`${td} text-right`}>{currency && <Money amount={sumAmounts(debits.filter((p) => p.currency === currency).map((p) => p.amount))} currency={currency} />}</td>
                  </tr>
                )
              })}
            </Table>
            {entries.hasNextPage && (
              <div className="flex justify-center border-t border-slate-100 p-3">
                <Button variant="secondary" busy={entries.isFetchingNextPage} onClick={() => void entries.fetchNextPage()}>
                  Load more
                </Button>
              </div>
            )}
          </>
        )}
      </Card>
    </>
  )
}
