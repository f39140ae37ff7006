import { useQueries, useQuery } from '@tanstack/react-query'
import { lazy, Suspense, useMemo } from 'react'
import { Link } from 'react-router-dom'
import { accountsQuery, ledgerSettingsQuery } from '@/api/queries'
import { ButtonLink } from '@/components/ui/Button'
import { Badge, Card, EmptyState, ErrorState, PageHeader, Skeleton } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { useSession } from '@/lib/auth'
import { formatDate, formatMonth, todayIso } from '@/lib/dates'
import { formatMoney, subtractAmounts, sumAmounts, toChartNumber } from '@/lib/money'
import { can } from '@/lib/permissions'
import { monthlyFlows, needingAttention, netWorth, otherCurrencies, topSpending } from './compute'
import { recentEntriesQuery, trendDates, trendQueries } from './queries'

// Fetch the chart code alongside the data instead of after it.
const chartsModule = import('./Charts')
const Charts = lazy(() => chartsModule)

export default function DashboardPage() {
  const session = useSession()
  const settings = useQuery(ledgerSettingsQuery())
  const accounts = useQuery(accountsQuery())
  const recent = useQuery(recentEntriesQuery())
  const dates = useMemo(() => trendDates(12, todayIso()), [])
  const sheets = useQueries({ queries: trendQueries(12) })
  const base = settings.data?.base_currency
  const sheetsReady = sheets.every((s) => s.data !== undefined)
  const sheetError = sheets.find((s) => s.error)?.error

  const figures = useMemo(() => {
    if (!base || !sheetsReady) return null
    const series = sheets.map((s, i) => ({ asOf: dates[i] ?? todayIso(), sheet: s.data! }))
    const current = series[series.length - 1]!.sheet
    const flows = monthlyFlows(series, base)
    const worth = series.slice(1).map((p) => ({ month: p.asOf, value: netWorth(p.sheet, base) }))
    const lastMonthEnd = series[series.length - 2]!.sheet
    const threeMonthsAgo = series[series.length - 4]!.sheet
    return {
      now: netWorth(current, base),
      change: subtractAmounts(netWorth(current, base), netWorth(lastMonthEnd, base)),
      others: otherCurrencies(current, base).map((c) => ({ currency: c, amount: netWorth(current, c) })),
      flows,
      worth,
      top: topSpending(threeMonthsAgo, current, base),
      attention: accounts.data ? needingAttention(current, accounts.data) : [],
      thisMonth: flows[flows.length - 1],
      yearIncome: sumAmounts(flows.map((f) => f.income)),
      yearExpenses: sumAmounts(flows.map((f) => f.expenses)),
    }
  }, [base, sheetsReady, sheets, dates, accounts.data])

  const ready = figures !== null && recent.data !== undefined && accounts.data !== undefined
  const chartData = figures
    ? {
        flows: figures.flows.map((f) => ({ label: formatMonth(f.month), income: toChartNumber(f.income), expenses: toChartNumber(f.expenses) })),
        worth: figures.worth.map((w) => ({ label: formatMonth(w.month), value: toChartNumber(w.value) })),
      }
    : null
  const byId = new Map((accounts.data ?? []).map((a) => [a.id, a]))

  return (
    <div data-dashboard-ready={ready ? 'true' : undefined}>
      <PageHeader
        title="Dashboard"
        description={base ? `Figures in ${base}, the organisation's base currency.` : undefined}
        actions={can.post(session?.role) ? <ButtonLink to="/entries/new">New entry</ButtonLink> : undefined}
      />
      {sheetError ? <ErrorState error={sheetError} retry={() => sheets.forEach((s) => void s.refetch())} /> : null}
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Kpi label="Net worth" testId="kpi-net-worth" value={figures && base ? <Money amount={figures.now} currency={base} /> : null}
          sub={figures && base ? <>{formatMoney(figures.change, base, { signed: true })} since last month end</> : null} />
        <Kpi label="Income this month" testId="kpi-income" value={figures?.thisMonth && base ? <Money amount={figures.thisMonth.income} currency={base} /> : null}
          sub={figures && base ? <>{formatMoney(figures.yearIncome, base)} over 12 months</> : null} />
        <Kpi label="Expenses this month" testId="kpi-expenses" value={figures?.thisMonth && base ? <Money amount={figures.thisMonth.expenses} currency={base} /> : null}
          sub={figures && base ? <>{formatMoney(figures.yearExpenses, base)} over 12 months</> : null} />
        <Kpi label="Saved this month" testId="kpi-net" value={figures?.thisMonth && base ? <Money amount={figures.thisMonth.net} currency={base} /> : null}
          sub={figures && figures.others.length > 0 ? <>Also held: {figures.others.map((o) => formatMoney(o.amount, o.currency)).join(', ')}</> : <>Income minus expenses</>} />
      </div>

      <div className="mt-4 grid gap-4 lg:grid-cols-2">
        <Card title="Income vs expenses by month">
          <div className="h-64" data-testid="income-expense-chart">
            {chartData && base ? (
              <Suspense fallback={<Skeleton className="h-full" />}>
                <Charts kind="flows" data={chartData.flows} currency={base} />
              </Suspense>
            ) : (
              <Skeleton className="h-full" />
            )}
          </div>
        </Card>
        <Card title="Net worth trend">
          <div className="h-64" data-testid="net-worth-chart">
            {chartData && base ? (
              <Suspense fallback={<Skeleton className="h-full" />}>
                <Charts kind="worth" data={chartData.worth} currency={base} />
              </Suspense>
            ) : (
              <Skeleton className="h-full" />
            )}
          </div>
        </Card>
      </div>

      <div className="mt-4 grid gap-4 lg:grid-cols-3">
        <Card title="Top spending, last 3 months" bodyClass="p-0">
          {!figures || !base ? (
            <ListSkeleton />
          ) : figures.top.length === 0 ? (
            <EmptyState title="No spending yet">Expenses you record show up here.</EmptyState>
          ) : (
            <ul className="divide-y divide-slate-100">
              {figures.top.map((c) => {
                const max = toChartNumber(figures.top[0]!.amount) || 1
                return (
                  <li key={c.accountId} className="px-4 py-2.5">
                    <div className="flex items-center justify-between gap-2 text-sm">
                      <Link to={`/accounts/${c.accountId}`} className="truncate text-slate-800 hover:underline">{c.name}</Link>
                      <Money amount={c.amount} currency={base} className="font-medium" />
                    </div>
                    <div className="mt-1 h-1.5 rounded bg-slate-100" aria-hidden="true">
                      <div className="h-1.5 rounded bg-blue-700" style={{ width: `${Math.max(2, (toChartNumber(c.amount) / max) * 100)}%` }} />
                    </div>
                  </li>
                )
              })}
            </ul>
          )}
        </Card>
        <Card title="Recent entries" bodyClass="p-0" actions={<Link to="/entries" className="text-sm font-medium text-blue-700 hover:underline">All entries</Link>}>
          {recent.isLoading ? (
            <ListSkeleton />
          ) : recent.error ? (
            <ErrorState error={recent.error} retry={() => void recent.refetch()} />
          ) : !recent.data?.length ? (
            <EmptyState title="No entries yet" action={can.post(session?.role) ? <ButtonLink to="/entries/new" variant="secondary">Record the first one</ButtonLink> : undefined} />
          ) : (
            <ul className="divide-y divide-slate-100" data-testid="recent-entries">
              {recent.data.map((entry) => {
                const debit = entry.postings.filter((p) => !p.amount.startsWith('-'))
                const first = debit[0]
                return (
                  <li key={entry.id}>
                    <Link to={`/entries/${entry.id}`} className="flex items-center justify-between gap-3 px-4 py-2.5 text-sm hover:bg-slate-50 focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-blue-700">
                      <span className="min-w-0">
                        <span className="block truncate font-medium text-slate-800">{entry.description}</span>
                        <span className="block truncate text-xs text-slate-600">
                          {formatDate(entry.date)}
                          {first ? ` · ${byId.get(first.account_id)?.name ?? ''}` : ''}
                        </span>
                      </span>
                      {first && <Money amount={sumAmounts(debit.filter((p) => p.currency === first.currency).map((p) => p.amount))} currency={first.currency} />}
                    </Link>
                  </li>
                )
              })}
            </ul>
          )}
        </Card>
        <Card title="Accounts needing attention" bodyClass="p-0">
          {!figures ? (
            <ListSkeleton />
          ) : figures.attention.length === 0 ? (
            <EmptyState title="All clear">No account is below zero or at its floor.</EmptyState>
          ) : (
            <ul className="divide-y divide-slate-100" data-testid="attention">
              {figures.attention.map((a) => (
                <li key={`${a.accountId}-${a.currency}`}>
                  <Link to={`/accounts/${a.accountId}`} className="flex items-center justify-between gap-2 px-4 py-2.5 text-sm hover:bg-slate-50">
                    <span className="min-w-0">
                      <span className="block truncate font-medium text-slate-800">{a.code} {a.name}</span>
                      <Badge tone={a.reason === 'Negative balance' ? 'red' : 'amber'}>{a.reason}</Badge>
                    </span>
                    <Money amount={a.amount} currency={a.currency} />
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </div>
  )
}

function Kpi({ label, value, sub, testId }: { label: string; value: React.ReactNode; sub: React.ReactNode; testId: string }) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-xs" data-testid={testId}>
      <p className="text-sm text-slate-600">{label}</p>
      <p className="mt-1 text-2xl font-semibold text-slate-900">{value ?? <Skeleton className="h-8 w-32" />}</p>
      <p className="mt-1 text-xs text-slate-600">{sub ?? <Skeleton className="h-3 w-24" />}</p>
    </div>
  )
}

function ListSkeleton() {
  return (
    <div className="space-y-3 p-4" role="status" aria-label="Loading">
      <Skeleton className="h-4 w-3/4" />
      <Skeleton className="h-4 w-2/3" />
      <Skeleton className="h-4 w-1/2" />
    </div>
  )
}
