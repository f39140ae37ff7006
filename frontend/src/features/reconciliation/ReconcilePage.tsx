import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { useNavigate, useSearchParams } from 'react-router-dom'
import { accountsQuery } from '@/api/queries'
import { Button, ButtonLink } from '@/components/ui/Button'
import { FormError, SelectField, TextField } from '@/components/ui/Field'
import { Card, Loading, PageHeader } from '@/components/ui/Layout'
import { useSession } from '@/lib/auth'
import { accountLabel, importableAccounts } from '@/lib/bank-accounts'
import { serverErrors, type FieldErrors } from '@/lib/forms'
import { can } from '@/lib/permissions'
import { createRunMutation } from './queries'

/** "Reconcile account": match an account's open bank lines with its open entries in a date range. */
export default function ReconcilePage() {
  const session = useSession()
  const client = useQueryClient()
  const navigate = useNavigate()
  const [params] = useSearchParams()
  const accounts = useQuery(accountsQuery())
  const targets = importableAccounts(accounts.data ?? [])
  const preset = params.get('account')
  const [accountId, setAccountId] = useState(preset ?? '')
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string>()
  const create = useMutation({
    ...createRunMutation(client),
    onError: (error) => {
      const { fields, form } = serverErrors(error, ['account_id', 'from', 'to'])
      setErrors(fields)
      setFormError(form)
    },
  })

  if (accounts.isLoading) return <Loading />
  const chosen = targets.some((a) => a.id === accountId) ? accountId : (targets[0]?.id ?? '')

  if (!can.manageImports(session?.role)) {
    return (
      <>
        <PageHeader title="Reconcile an account" />
        <Card>
          <p className="text-sm text-slate-700">An owner, admin or accountant can start a reconciliation. The reconciliations of imports are linked from the imports page.</p>
          <ButtonLink className="mt-3" variant="secondary" to="/imports">
            Go to the imports
          </ButtonLink>
        </Card>
      </>
    )
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault()
    setErrors({})
    setFormError(undefined)
    if (from && to && from > to) return setErrors({ to: 'The end is before the start.' })
    create.mutate({ account_id: chosen, ...(from ? { from } : {}), ...(to ? { to } : {}) }, { onSuccess: (run) => navigate(`/reconciliation/${run.id}`) })
  }

  return (
    <>
      <PageHeader title="Reconcile an account" description="Match the account's imported bank lines that are still open with the ledger entries nothing has claimed yet." />
      <Card className="max-w-2xl">
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          <FormError message={formError} />
          <SelectField label="Account" value={chosen} onChange={(e) => setAccountId(e.target.value)} error={errors.account_id}>
            {targets.map((a) => (
              <option key={a.id} value={a.id}>
                {accountLabel(a)} ({a.currency})
              </option>
            ))}
          </SelectField>
          <div className="grid gap-4 sm:grid-cols-2">
            <TextField label="From (optional)" type="date" value={from} onChange={(e) => setFrom(e.target.value)} error={errors.from} />
            <TextField label="To (optional)" type="date" value={to} onChange={(e) => setTo(e.target.value)} error={errors.to} />
          </div>
          <div className="flex gap-2">
            <Button type="submit" busy={create.isPending} disabled={!chosen}>
              Find matches
            </Button>
            <ButtonLink variant="secondary" to="/imports">
              Cancel
            </ButtonLink>
          </div>
        </form>
      </Card>
    </>
  )
}
