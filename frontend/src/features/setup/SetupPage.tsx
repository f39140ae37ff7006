import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Navigate } from 'react-router-dom'
import { accountsQuery, currenciesQuery } from '@/api/queries'
import { Button } from '@/components/ui/Button'
import { FormError, SelectField } from '@/components/ui/Field'
import { Card, ErrorState, Loading, PageHeader } from '@/components/ui/Layout'
import { useSession } from '@/lib/auth'
import { serverErrors, type FieldErrors } from '@/lib/forms'
import { can } from '@/lib/permissions'
import { setupMutation } from './queries'

const TEMPLATES = [
  { value: 'household', label: 'Household', description: 'Checking, savings, cards, salary and everyday spending categories.' },
  { value: 'small_business', label: 'Small business', description: 'Bank, receivables, payables, revenue, cost of sales and operating expenses.' },
  { value: 'empty', label: 'Empty', description: 'Only the top-level accounts; build your own chart.' },
] as const

export default function SetupPage() {
  const session = useSession()
  const client = useQueryClient()
  const accounts = useQuery(accountsQuery())
  const currencies = useQuery(currenciesQuery())
  const [template, setTemplate] = useState<(typeof TEMPLATES)[number]['value']>('household')
  const [currency, setCurrency] = useState('EUR')
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string>()
  const mutation = useMutation({
    ...setupMutation(client),
    onError: (error) => {
      const { fields, form } = serverErrors(error, ['template', 'base_currency'])
      setErrors(fields)
      setFormError(form)
    },
  })

  if (accounts.isLoading) return <Loading />
  if (accounts.error) return <ErrorState error={accounts.error} retry={() => void accounts.refetch()} />
  // Just set up: show the new chart; otherwise there is nothing to set up here.
  if (accounts.data && accounts.data.length > 0) return <Navigate to={mutation.isIdle ? '/' : '/accounts'} replace />

  function onSubmit(event: FormEvent) {
    event.preventDefault()
    setErrors({})
    setFormError(undefined)
    mutation.mutate({ template, base_currency: currency })
  }

  if (!can.manageAccounts(session?.role)) {
    return (
      <>
        <PageHeader title="Set up your ledger" />
        <Card>
          <p className="text-sm text-slate-700">This organisation has no accounts yet. Ask an owner, admin or accountant to set up the ledger.</p>
        </Card>
      </>
    )
  }

  const isoCurrencies = (currencies.data ?? []).filter((c) => !c.custom)
  return (
    <>
      <PageHeader title="Set up your ledger" description="Choose a chart of accounts to start from and the currency you report in. You can add, rename and close accounts later." />
      <Card className="max-w-2xl">
        <form onSubmit={onSubmit} className="space-y-5" noValidate>
          <FormError message={formError} />
          <fieldset>
            <legend className="mb-2 text-sm font-medium text-slate-800">Chart of accounts</legend>
            <div className="grid gap-2 sm:grid-cols-3">
              {TEMPLATES.map((t) => (
                <label key={t.value} className={`cursor-pointer rounded-lg border p-3 text-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-blue-700 ${template === t.value ? 'border-blue-700 bg-blue-50' : 'border-slate-300'}`}>
                  <input type="radio" name="template" value={t.value} checked={template === t.value} onChange={() => setTemplate(t.value)} className="sr-only" />
                  <span className="block font-medium text-slate-900">{t.label}</span>
                  <span className="mt-1 block text-slate-600">{t.description}</span>
                </label>
              ))}
            </div>
            {errors.template && <p className="mt-1 text-sm text-red-700">{errors.template}</p>}
          </fieldset>
          <SelectField label="Base currency" value={currency} onChange={(e) => setCurrency(e.target.value)} error={errors.base_currency} className="max-w-xs">
            {isoCurrencies.length === 0 && <option value="EUR">EUR</option>}
            {isoCurrencies.map((c) => (
              <option key={c.code} value={c.code}>
                {c.code} — {c.name}
              </option>
            ))}
          </SelectField>
          <Button type="submit" busy={mutation.isPending}>
            Set up ledger
          </Button>
        </form>
      </Card>
    </>
  )
}
