import { useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef } from 'react'
import { Link, useParams } from 'react-router-dom'
import { balancesQuery, isCreditNormal } from '@/api/queries'
import { ButtonLink } from '@/components/ui/Button'
import { Badge, Card, EmptyState, ErrorState, Loading, PageHeader } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { onRowKeys } from '@/components/ui/Table'
import { useSession } from '@/lib/auth'
import { formatDate } from '@/lib/dates'
import { negateAmount } from '@/lib/money'
import { can } from '@/lib/permissions'
import { accountQuery, historyQuery } from './queries'

const ROW_HEIGHT = 48

export default function RegisterPage() {
  const { accountId = '' } = useParams()
  const session = useSession()
  const account = useQuery(accountQuery(accountId))
  const balances = useQuery(balancesQuery())
  const history = useInfiniteQuery(historyQuery(accountId))
  const rows = useMemo(() => history.data?.pages.flatMap((p) => p.items) ?? [], [history.data])
  const scrollRef = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  })
  const items = virtualizer.getVirtualItems()
  const lastIndex = items[items.length - 1]?.index ?? -1

  useEffect(() => {
    // Fetch the next page before the reader reaches the end of what is loaded.
    if (lastIndex >= rows.length - 50 && history.hasNextPage && !history.isFetchingNextPage) void history.fetchNextPage()
  }, [lastIndex, rows.length, history])

  if (account.isLoading) return <Loading />
  if (account.error || !account.data) return <ErrorState error={account.error} retry={() => void account.refetch()} />
  const a = account.data
  const flip = isCreditNormal(a.type)
  const show = (amount: string) => (flip ? negateAmount(amount) : amount)
  const current = balances.data?.items.find((b) => b.account_id === a.id)

  return (
    <>
      <PageHeader
        title={`${a.code} ${a.name}`}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <Badge>{a.type}</Badge>
            {a.currency ? <Badge tone="blue">{a.currency}</Badge> : <Badge tone="blue">Multi-currency</Badge>}
            {a.is_closed && <Badge tone="amber">Closed</Badge>}
            {a.floor !== null && a.currency && <span>Floor <Money amount={a.floor} currency={a.currency} /></span>}
            {a.description && <span>{a.description}</span>}
          </span>
        }
        actions={
          <>
            <ButtonLink variant="secondary" to={`/entries?account=${a.id}`}>Search entries</ButtonLink>
            {can.manageImports(session?.role) && !a.is_closed && a.currency && (a.type === 'asset' || a.type === 'liability') && (
              <>
                <ButtonLink variant="secondary" to={`/reconciliation?account=${a.id}`}>Reconcile</ButtonLink>
                <ButtonLink variant="secondary" to={`/imports/new?account=${a.id}`}>Import statement</ButtonLink>
              </>
            )}
            {can.post(session?.role) && !a.is_closed && <ButtonLink to={`/entries/new?account=${a.id}`}>New entry</ButtonLink>}
          </>
        }
      />
      <div className="mb-4 flex flex-wrap gap-4">
        {(current?.own ?? []).map((b) => (
          <div key={b.currency} className="rounded-xl border border-slate-200 bg-white px-4 py-3 shadow-xs">
            <p className="text-sm text-slate-600">Balance ({b.currency})</p>
            <p className="text-xl font-semibold" data-testid="register-balance"><Money amount={show(b.amount)} currency={b.currency} /></p>
          </div>
        ))}
      </div>
      <Card title="Register" bodyClass="p-0" actions={<span className="text-xs text-slate-600">{rows.length.toLocaleString()} loaded{history.hasNextPage ? ', more as you scroll' : ''}</span>}>
        {history.isLoading ? (
          <Loading />
        ) : history.error ? (
          <ErrorState error={history.error} retry={() => void history.refetch()} />
        ) : rows.length === 0 ? (
          <EmptyState title="No postings yet">Entries that touch this account show up here, oldest first, with the running balance.</EmptyState>
        ) : (
          <div role="table" aria-label={`Register of ${a.name}`} aria-rowcount={rows.length + 1} className="text-sm">
            <div role="rowgroup">
              <div role="row" className="grid grid-cols-[6.5rem_1fr_7rem] gap-3 border-b border-slate-200 bg-slate-50 px-3 py-2.5 text-xs font-semibold uppercase tracking-wide text-slate-600 sm:grid-cols-[8rem_1fr_9rem_9rem]">
                <span role="columnheader">Date</span>
                <span role="columnheader">Description</span>
                <span role="columnheader" className="text-right">Amount</span>
                <span role="columnheader" className="hidden text-right sm:block">Balance</span>
              </div>
            </div>
            <div ref={scrollRef} className="max-h-[min(65vh,40rem)] overflow-auto" data-testid="register-scroll" role="rowgroup" onKeyDown={onRowKeys}>
              <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
                {items.map((item) => {
                  const line = rows[item.index]
                  if (!line) return null
                  return (
                    <div
                      key={item.key}
                      role="row"
                      data-row
                      aria-rowindex={item.index + 2}
                      className="absolute left-0 right-0 grid grid-cols-[6.5rem_1fr_7rem] items-center gap-3 border-b border-slate-100 px-3 hover:bg-slate-50 sm:grid-cols-[8rem_1fr_9rem_9rem]"
                      style={{ top: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                    >
                      <span role="cell" className="tabular-nums text-slate-700">{formatDate(line.date)}</span>
                      <span role="cell" className="min-w-0">
                        <Link to={`/entries/${line.entry_id}`} className="block truncate rounded text-slate-900 hover:underline focus-visible:outline-2 focus-visible:outline-blue-700">
                          {line.description}
                        </Link>
                        {line.payee && <span className="block truncate text-xs text-slate-600">{line.payee}</span>}
                      </span>
                      <span role="cell" className="text-right"><Money amount={show(line.amount)} currency={line.currency} /></span>
                      <span role="cell" className="hidden text-right font-medium sm:block"><Money amount={show(line.balance)} currency={line.currency} /></span>
                    </div>
                  )
                })}
              </div>
            </div>
            {history.isFetchingNextPage && <Loading label="Loading more…" />}
          </div>
        )}
      </Card>
    </>
  )
}
