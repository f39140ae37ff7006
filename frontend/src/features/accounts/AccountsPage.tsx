import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link } from 'react-router-dom'
import { accountsQuery, balancesQuery, isCreditNormal, ledgerSettingsQuery, type Account, type CurrencyAmount } from '@/api/queries'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { Badge, Card, EmptyState, ErrorState, Loading, PageHeader } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { Table, td, th } from '@/components/ui/Table'
import { toast } from '@/components/ui/toast'
import { useSession } from '@/lib/auth'
import { negateAmount } from '@/lib/money'
import { can } from '@/lib/permissions'
import { AccountForm } from './AccountForm'
import { closeAccountMutation } from './queries'
import { buildTree } from './tree'

function Amounts({ amounts, flip }: { amounts: readonly CurrencyAmount[]; flip: boolean }) {
  if (amounts.length === 0) return <span className="text-slate-500">—</span>
  return (
    <span className="flex flex-col items-end">
      {amounts.map((a) => (
        <Money key={a.currency} amount={flip ? negateAmount(a.amount) : a.amount} currency={a.currency} />
      ))}
    </span>
  )
}

export default function AccountsPage() {
  const session = useSession()
  const client = useQueryClient()
  const accounts = useQuery(accountsQuery())
  const balances = useQuery(balancesQuery())
  const settings = useQuery(ledgerSettingsQuery())
  const [showClosed, setShowClosed] = useState(false)
  const [editing, setEditing] = useState<Account | 'new' | null>(null)
  const close = useMutation({
    ...closeAccountMutation(client),
    onSuccess: (account) => toast(account.is_closed ? `Closed ${account.name}.` : `Reopened ${account.name}.`, 'success'),
  })
  const manage = can.manageAccounts(session?.role)

  const rows = buildTree(accounts.data ?? [], balances.data?.items ?? []).filter((r) => showClosed || !r.account.is_closed)

  return (
    <>
      <PageHeader
        title="Accounts"
        description="Balances per currency; liability, equity and income accounts show credit balances as positive."
        actions={manage ? <Button onClick={() => setEditing('new')}>New account</Button> : undefined}
      />
      <Card
        bodyClass="p-0"
        title={<span>Chart of accounts</span>}
        actions={
          <label className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" checked={showClosed} onChange={(e) => setShowClosed(e.target.checked)} className="size-4 accent-blue-700" />
            Show closed
          </label>
        }
      >
        {accounts.isLoading ? (
          <Loading />
        ) : accounts.error ? (
          <ErrorState error={accounts.error} retry={() => void accounts.refetch()} />
        ) : rows.length === 0 ? (
          <EmptyState title="No accounts">Create your first account to start recording.</EmptyState>
        ) : (
          <Table
            caption="Accounts with their balances"
            head={
              <tr>
                <th className={th} scope="col">Account</th>
                <th className={`${th} hidden md:table-cell`} scope="col">Type</th>
                <th className={`${th} hidden text-right sm:table-cell`} scope="col">Own balance</th>
                <th className={`${th} text-right`} scope="col">Total</th>
                {manage && <th className={`${th} text-right`} scope="col"><span className="sr-only">Actions</span></th>}
              </tr>
            }
          >
            {rows.map(({ account, depth, hasChildren, balance }) => {
              const flip = isCreditNormal(account.type)
              return (
                <tr key={account.id} data-row className={account.is_closed ? 'bg-slate-50 text-slate-600' : 'hover:bg-slate-50'} data-testid={`account-row-${account.code}`}>
                  <td className={td}>
                    <div style={{ paddingLeft: `${depth * 1.25}rem` }} className="flex items-center gap-2">
                      <Link to={`/accounts/${account.id}`} className={`rounded hover:underline focus-visible:outline-2 focus-visible:outline-blue-700 ${hasChildren ? 'font-semibold text-slate-900' : 'text-slate-800'}`}>
                        <span className="tabular-nums text-slate-600">{account.code}</span> {account.name}
                      </Link>
                      {account.is_closed && <Badge>Closed</Badge>}
                      {account.currency === null && <Badge tone="blue">Multi-currency</Badge>}
                    </div>
                  </td>
                  <td className={`${td} hidden capitalize md:table-cell`}>{account.type}</td>
                  <td className={`${td} hidden text-right sm:table-cell`}>
                    {balances.isLoading ? '…' : <Amounts amounts={balance?.own ?? []} flip={flip} />}
                  </td>
                  <td className={`${td} text-right font-medium`}>{balances.isLoading ? '…' : <Amounts amounts={balance?.total ?? []} flip={flip} />}</td>
                  {manage && (
                    <td className={`${td} whitespace-nowrap text-right`}>
                      <button type="button" className="rounded px-2 py-1 text-blue-700 hover:bg-blue-50 focus-visible:outline-2 focus-visible:outline-blue-700" onClick={() => setEditing(account)} aria-label={`Edit ${account.name}`}>
                        Edit
                      </button>
                      <button
                        type="button"
                        className="rounded px-2 py-1 text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-blue-700 disabled:opacity-50"
                        disabled={close.isPending}
                        onClick={() => close.mutate({ id: account.id, close: !account.is_closed })}
                        aria-label={`${account.is_closed ? 'Reopen' : 'Close'} ${account.name}`}
                      >
                        {account.is_closed ? 'Reopen' : 'Close'}
                      </button>
                    </td>
                  )}
                </tr>
              )
            })}
          </Table>
        )}
      </Card>
      <Dialog open={editing !== null} onClose={() => setEditing(null)} title={editing === 'new' ? 'New account' : 'Edit account'}>
        {editing !== null && (
          <AccountForm account={editing === 'new' ? undefined : editing} accounts={accounts.data ?? []} defaultCurrency={settings.data?.base_currency ?? 'EUR'} onDone={() => setEditing(null)} />
        )}
      </Dialog>
    </>
  )
}
