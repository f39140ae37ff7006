import { useMutation, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { Account } from '@/api/queries'
import { Button } from '@/components/ui/Button'
import { SelectField } from '@/components/ui/Field'
import { Card, EmptyState } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { Table, td, th } from '@/components/ui/Table'
import { toast } from '@/components/ui/toast'
import { accountLabel, counterAccounts, defaultCounterAccount } from '@/lib/bank-accounts'
import { formatDate } from '@/lib/dates'
import { sumAmounts } from '@/lib/money'
import { postLinesMutation, type BankLine, type Run } from './queries'

/** Bank lines of the run's dates that nothing matched (or whose proposal was rejected): post them as new entries. */
export function UnmatchedLines({ run, lines, accounts, manage }: { run: Run; lines: BankLine[]; accounts: Account[]; manage: boolean }) {
  const client = useQueryClient()
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set())
  const [counterId, setCounterId] = useState('')
  const post = useMutation(postLinesMutation(client))
  const inRange = lines.filter((l) => (!run.from || l.date >= run.from) && (!run.to || l.date <= run.to))
  const selected = inRange.filter((l) => chosen.has(l.id))
  const counters = counterAccounts(accounts, run.account_id)
  const fallback = defaultCounterAccount(accounts)
  const all = inRange.length > 0 && selected.length === inRange.length

  function toggle(id: string, on: boolean) {
    setChosen((current) => {
      const next = new Set(current)
      if (on) next.add(id)
      else next.delete(id)
      return next
    })
  }

  function onPost() {
    post.mutate(
      { bank_line_ids: selected.map((l) => l.id), counter_account_id: counterId || null },
      {
        onSuccess: (result) => {
          setChosen(new Set())
          toast(`Posted ${result.posted.toLocaleString()} new entr${result.posted === 1 ? 'y' : 'ies'}.`, 'success')
        },
      },
    )
  }

  return (
    <Card title={`Unmatched bank lines (${inRange.length.toLocaleString()})`} className="mt-4" bodyClass="p-0">
      {inRange.length === 0 ? (
        <EmptyState title="No unmatched bank lines">Every bank line of these dates is matched or posted.</EmptyState>
      ) : (
        <>
          <Table
            caption="Unmatched bank lines"
            head={
              <tr>
                {manage && (
                  <th className={`${th} w-10`} scope="col">
                    <input type="checkbox" className="size-4 accent-blue-700" aria-label="Select every unmatched line" checked={all} onChange={(e) => setChosen(e.target.checked ? new Set(inRange.map((l) => l.id)) : new Set())} />
                  </th>
                )}
                <th className={th} scope="col">Date</th>
                <th className={th} scope="col">Description</th>
                <th className={`${th} text-right`} scope="col">Amount</th>
              </tr>
            }
          >
            {inRange.map((line) => (
              <tr key={line.id} data-row data-testid="unmatched-line" className={chosen.has(line.id) ? 'bg-blue-50/60' : 'hover:bg-slate-50'}>
                {manage && (
                  <td className={td}>
                    <input type="checkbox" className="size-4 accent-blue-700" aria-label={`Select ${line.description || 'line'} of ${formatDate(line.date)}`} checked={chosen.has(line.id)} onChange={(e) => toggle(line.id, e.target.checked)} />
                  </td>
                )}
                <td className={`${td} whitespace-nowrap tabular-nums`}>{formatDate(line.date)}</td>
                <td className={td}>
                  <span className="text-slate-900">{line.description || '—'}</span>
                  {line.payee && line.payee !== line.description && <span className="block text-xs text-slate-600">{line.payee}</span>}
                </td>
                <td className={`${td} text-right`}>
                  <Money amount={line.amount} currency={line.currency} />
                </td>
              </tr>
            ))}
          </Table>
          {manage && (
            <div className="flex flex-wrap items-end gap-3 border-t border-slate-100 p-4">
              <div className="min-w-64">
                <SelectField label="Counter account" value={counterId} onChange={(e) => setCounterId(e.target.value)}>
                  <option value="">{fallback ? `${accountLabel(fallback)} (default)` : 'The default account'}</option>
                  {counters
                    .filter((a) => a.id !== fallback?.id)
                    .map((a) => (
                      <option key={a.id} value={a.id}>
                        {accountLabel(a)}
                      </option>
                    ))}
                </SelectField>
              </div>
              <Button busy={post.isPending} disabled={selected.length === 0} onClick={onPost}>
                {selected.length > 0 ? `Post ${selected.length.toLocaleString()} as new entries` : 'Post as new entries'}
              </Button>
              {selected.length > 0 && (
                <p className="pb-2 text-sm text-slate-600">
                  Together <Money amount={sumAmounts(selected.map((l) => l.amount))} currency={run.currency} />
                </p>
              )}
            </div>
          )}
        </>
      )}
    </Card>
  )
}
