import { useQuery } from '@tanstack/react-query'
import { Link } from 'react-router-dom'
import { accountsQuery } from '@/api/queries'
import { ButtonLink } from '@/components/ui/Button'
import { Badge, Card, EmptyState, ErrorState, Loading, PageHeader } from '@/components/ui/Layout'
import { ProgressBar } from '@/components/ui/Progress'
import { Table, td, th } from '@/components/ui/Table'
import { useSession } from '@/lib/auth'
import { accountLabel } from '@/lib/bank-accounts'
import { formatDateTime } from '@/lib/dates'
import { can } from '@/lib/permissions'
import { importsQuery } from './queries'
import { isBusy, progressText, statusLabel } from './status'

export default function ImportsPage() {
  const session = useSession()
  const imports = useQuery(importsQuery())
  const accounts = useQuery(accountsQuery())
  const byId = new Map((accounts.data ?? []).map((a) => [a.id, a]))
  const manage = can.manageImports(session?.role)

  return (
    <>
      <PageHeader
        title="Imports"
        description="Bank statements read into the ledger: matched with what is already there, the rest posted."
        actions={
          manage ? (
            <>
              <ButtonLink variant="secondary" to="/reconciliation">
                Reconcile account
              </ButtonLink>
              <ButtonLink to="/imports/new">Import a statement</ButtonLink>
            </>
          ) : undefined
        }
      />
      <Card bodyClass="p-0">
        {imports.isLoading ? (
          <Loading />
        ) : imports.error ? (
          <ErrorState error={imports.error} retry={() => void imports.refetch()} />
        ) : (imports.data ?? []).length === 0 ? (
          <EmptyState title="No imports yet" action={manage ? <ButtonLink to="/imports/new">Import a statement</ButtonLink> : undefined}>
            Upload a CSV, OFX, CAMT.053, MT940 or QIF file from your bank to post its lines.
          </EmptyState>
        ) : (
          <Table
            caption="Imports, newest first"
            head={
              <tr>
                <th className={th} scope="col">File</th>
                <th className={`${th} hidden md:table-cell`} scope="col">Account</th>
                <th className={th} scope="col">Status</th>
                <th className={`${th} text-right`} scope="col">Lines</th>
                <th className={`${th} hidden text-right lg:table-cell`} scope="col">Result</th>
                <th className={th} scope="col"><span className="sr-only">Reconciliation</span></th>
              </tr>
            }
          >
            {(imports.data ?? []).map((batch) => {
              const tag = statusLabel(batch.status)
              const result = batch.result
              return (
                <tr key={batch.id} data-row className="hover:bg-slate-50" data-testid="import-row" data-status={batch.status}>
                  <td className={`${td} max-w-72`}>
                    <Link to={`/imports/${batch.id}`} className="block truncate rounded font-medium text-slate-900 hover:underline focus-visible:outline-2 focus-visible:outline-blue-700">
                      {batch.filename ?? 'Statement'}
                    </Link>
                    <span className="block text-xs text-slate-600">
                      {batch.format ? `${batch.format.toUpperCase()} · ` : ''}
                      {formatDateTime(batch.created_at)}
                    </span>
                  </td>
                  <td className={`${td} hidden whitespace-nowrap text-slate-700 md:table-cell`}>{accountLabel(byId.get(batch.account_id))}</td>
                  <td className={td}>
                    {isBusy(batch.status) ? (
                      <div className="min-w-36">
                        <ProgressBar label={tag.label} percent={progressText(batch).percent} />
                      </div>
                    ) : (
                      <Badge tone={tag.tone}>{tag.label}</Badge>
                    )}
                  </td>
                  <td className={`${td} whitespace-nowrap text-right tabular-nums`}>
                    {batch.lines_total.toLocaleString()}
                    {batch.lines_duplicate > 0 && <span className="block text-xs text-amber-800">{batch.lines_duplicate.toLocaleString()} duplicate{batch.lines_duplicate === 1 ? '' : 's'}</span>}
                  </td>
                  <td className={`${td} hidden text-right text-slate-700 lg:table-cell`}>
                    {result ? (
                      <>
                        <span className="whitespace-nowrap">{result.posted.toLocaleString()} posted · {result.matched.toLocaleString()} matched</span>{' '}
                        <span className={`block whitespace-nowrap text-xs ${result.proposed ? 'text-amber-800' : 'text-slate-600'}`}>{result.proposed.toLocaleString()} to review</span>
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className={`${td} whitespace-nowrap text-right`}>
                    {result?.reconciliation_run_id && batch.status === 'committed' && (
                      <Link to={`/reconciliation/${result.reconciliation_run_id}`} className="rounded text-blue-700 hover:underline focus-visible:outline-2 focus-visible:outline-blue-700" aria-label={`Reconciliation of ${batch.filename ?? 'this import'}`}>
                        {result.proposed ? 'Review matches' : 'Reconciliation'}
                      </Link>
                    )}
                  </td>
                </tr>
              )
            })}
          </Table>
        )}
      </Card>
    </>
  )
}
