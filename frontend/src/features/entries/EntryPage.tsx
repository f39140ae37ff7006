import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router-dom'
import { accountsQuery, entryQuery } from '@/api/queries'
import { Button } from '@/components/ui/Button'
import { Dialog } from '@/components/ui/Dialog'
import { TextField } from '@/components/ui/Field'
import { Badge, Card, ErrorState, Loading, PageHeader } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { Table, td, th } from '@/components/ui/Table'
import { useSession } from '@/lib/auth'
import { formatDate, formatDateTime } from '@/lib/dates'
import { randomId } from '@/lib/ids'
import { negateAmount } from '@/lib/money'
import { can } from '@/lib/permissions'
import { reverseEntryMutation } from './queries'

export default function EntryPage() {
  const { entryId = '' } = useParams()
  const session = useSession()
  const client = useQueryClient()
  const navigate = useNavigate()
  const entry = useQuery(entryQuery(entryId))
  const accounts = useQuery(accountsQuery())
  const [confirming, setConfirming] = useState(false)
  const [reverseDate, setReverseDate] = useState('')
  const [key] = useState(randomId)
  const reverse = useMutation(reverseEntryMutation(client))
  const byId = new Map((accounts.data ?? []).map((a) => [a.id, a]))

  if (entry.isLoading) return <Loading />
  if (entry.error || !entry.data) return <ErrorState error={entry.error} retry={() => void entry.refetch()} />
  const e = entry.data
  const mayReverse = can.post(session?.role) && !e.reversed_by_entry_id && !e.reverses_entry_id

  return (
    <>
      <PageHeader
        title={e.description}
        description={
          <span className="flex flex-wrap items-center gap-2">
            <span>{formatDate(e.date)}</span>
            {e.payee && <span>· {e.payee}</span>}
            {e.reference && <span>· Ref. {e.reference}</span>}
            {e.reverses_entry_id && <Badge tone="amber">Reversal</Badge>}
            {e.reversed_by_entry_id && <Badge>Reversed</Badge>}
          </span>
        }
        actions={mayReverse ? <Button variant="secondary" onClick={() => setConfirming(true)}>Reverse entry</Button> : undefined}
      />
      <Card title="Postings" bodyClass="p-0">
        <Table
          caption="Postings of this entry"
          head={
            <tr>
              <th className={th} scope="col">Account</th>
              <th className={`${th} hidden sm:table-cell`} scope="col">Memo</th>
              <th className={`${th} text-right`} scope="col">Debit</th>
              <th className={`${th} text-right`} scope="col">Credit</th>
            </tr>
          }
        >
          {e.postings.map((p) => {
            const account = byId.get(p.account_id)
            const credit = p.amount.startsWith('-')
            return (
              <tr key={p.line} data-row>
                <td className={td}>
                  <Link to={`/accounts/${p.account_id}`} className="rounded text-slate-900 hover:underline focus-visible:outline-2 focus-visible:outline-blue-700">
                    {account ? `${account.code} ${account.name}` : p.account_id}
                  </Link>
                </td>
                <td className={`${td} hidden text-slate-700 sm:table-cell`}>{p.memo ?? ''}</td>
                <td className={`${td} text-right`}>{!credit && <Money amount={p.amount} currency={p.currency} />}</td>
                <td className={`${td} text-right`}>{credit && <Money amount={negateAmount(p.amount)} currency={p.currency} />}</td>
              </tr>
            )
          })}
        </Table>
      </Card>
      <dl className="mt-4 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[auto_1fr]">
        <dt className="text-slate-600">Recorded</dt>
        <dd>{formatDateTime(e.recorded_at)}</dd>
        {e.reverses_entry_id && (
          <>
            <dt className="text-slate-600">Reverses</dt>
            <dd><Link className="text-blue-700 underline" to={`/entries/${e.reverses_entry_id}`}>the original entry</Link></dd>
          </>
        )}
        {e.reversed_by_entry_id && (
          <>
            <dt className="text-slate-600">Reversed by</dt>
            <dd><Link className="text-blue-700 underline" to={`/entries/${e.reversed_by_entry_id}`}>the reversing entry</Link></dd>
          </>
        )}
        <dt className="text-slate-600">Entry id</dt>
        <dd className="break-all font-mono text-xs">{e.id}</dd>
      </dl>
      <Dialog open={confirming} onClose={() => setConfirming(false)} title="Reverse this entry?">
        <p className="mb-4 text-sm text-slate-700">A new entry with every posting negated is posted and linked to this one. Posted entries are never changed.</p>
        <TextField label="Date of the reversal (optional)" type="date" value={reverseDate} onChange={(ev) => setReverseDate(ev.target.value)} hint="Defaults to the original's date." />
        <div className="mt-5 flex justify-end gap-2">
          <Button variant="secondary" onClick={() => setConfirming(false)}>Cancel</Button>
          <Button
            variant="danger"
            busy={reverse.isPending}
            onClick={() =>
              reverse.mutate(
                { id: e.id, body: reverseDate ? { date: reverseDate } : {}, key: `web-reverse-${key}` },
                { onSuccess: (created) => (setConfirming(false), navigate(`/entries/${created.id}`)) },
              )
            }
          >
            Reverse entry
          </Button>
        </div>
      </Dialog>
    </>
  )
}
