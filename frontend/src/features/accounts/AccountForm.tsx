import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { z } from 'zod'
import { currenciesQuery, type Account, type AccountType } from '@/api/queries'
import { Button } from '@/components/ui/Button'
import { FormError, SelectField, TextAreaField, TextField } from '@/components/ui/Field'
import { serverErrors, zodErrors, type FieldErrors } from '@/lib/forms'
import { createAccountMutation, updateAccountMutation } from './queries'
import { descendantsOf } from './tree'

const TYPES: { value: AccountType; label: string }[] = [
  { value: 'asset', label: 'Asset' },
  { value: 'liability', label: 'Liability' },
  { value: 'equity', label: 'Equity' },
  { value: 'income', label: 'Income' },
  { value: 'expense', label: 'Expense' },
]

const schema = z.object({
  code: z.string().trim().min(1, 'Give the account a code, e.g. 1010.').max(32).regex(/^[A-Za-z0-9][A-Za-z0-9.:_-]*$/, 'Letters, digits and . : _ - only, starting with a letter or digit.'),
  name: z.string().trim().min(1, 'Give the account a name.').max(200),
  type: z.enum(['asset', 'liability', 'equity', 'income', 'expense']),
  parent_id: z.string().optional(),
  currency: z.string().optional(),
  floor: z.string().trim().regex(/^(-?\d+(\.\d+)?)?$/, 'A number such as 0 or -500.00.').optional(),
  description: z.string().max(2000).optional(),
})
const FIELDS = ['code', 'name', 'type', 'parent_id', 'currency', 'floor', 'description'] as const

export function AccountForm({ account, accounts, onDone, defaultCurrency }: { account?: Account; accounts: readonly Account[]; onDone: () => void; defaultCurrency: string }) {
  const client = useQueryClient()
  const currencies = useQuery(currenciesQuery())
  const editing = account !== undefined
  const [values, setValues] = useState({
    code: account?.code ?? '',
    name: account?.name ?? '',
    type: account?.type ?? ('asset' as AccountType),
    parent_id: account?.parent_id ?? '',
    currency: account ? (account.currency ?? '') : defaultCurrency,
    floor: account?.floor ?? '',
    description: account?.description ?? '',
  })
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string>()
  const onError = (error: unknown) => {
    const { fields, form } = serverErrors(error, FIELDS)
    setErrors(fields)
    setFormError(form)
  }
  const create = useMutation({ ...createAccountMutation(client), onError })
  const update = useMutation({ ...updateAccountMutation(client), onError })

  const excluded = account ? descendantsOf(accounts, account.id).add(account.id) : new Set<string>()
  const parents = accounts.filter((a) => a.type === values.type && !a.is_closed && !excluded.has(a.id))

  function onSubmit(event: FormEvent) {
    event.preventDefault()
    setFormError(undefined)
    const parsed = schema.safeParse(values)
    if (!parsed.success) return setErrors(zodErrors(parsed.error))
    setErrors({})
    const v = parsed.data
    const common = {
      code: v.code,
      name: v.name,
      parent_id: v.parent_id || null,
      floor: v.floor ? v.floor : null,
      description: v.description?.trim() ? v.description.trim() : null,
    }
    if (editing) update.mutate({ id: account.id, body: common }, { onSuccess: onDone })
    else create.mutate({ ...common, type: v.type, currency: v.currency || null }, { onSuccess: onDone })
  }

  const set = (key: keyof typeof values) => (e: { target: { value: string } }) => setValues({ ...values, [key]: e.target.value })
  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      <FormError message={formError} />
      <div className="grid gap-4 sm:grid-cols-[8rem_1fr]">
        <TextField label="Code" value={values.code} onChange={set('code')} error={errors.code} autoFocus />
        <TextField label="Name" value={values.name} onChange={set('name')} error={errors.name} />
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <SelectField label="Type" value={values.type} onChange={(e) => setValues({ ...values, type: e.target.value as AccountType, parent_id: '' })} error={errors.type} disabled={editing} hint={editing ? 'The type of an account is fixed.' : undefined}>
          {TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </SelectField>
        <SelectField label="Parent account" value={values.parent_id} onChange={set('parent_id')} error={errors.parent_id}>
          <option value="">None (top level)</option>
          {parents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.code} {a.name}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <SelectField label="Currency" value={values.currency} onChange={set('currency')} error={errors.currency} disabled={editing} hint={editing ? 'The currency of an account is fixed.' : undefined}>
          <option value="">Any (multi-currency)</option>
          {(currencies.data ?? [{ code: defaultCurrency, name: defaultCurrency, scale: 2, custom: false }]).map((c) => (
            <option key={c.code} value={c.code}>
              {c.code} — {c.name}
            </option>
          ))}
        </SelectField>
        <TextField label="Floor (optional)" inputMode="decimal" value={values.floor} onChange={set('floor')} error={errors.floor} hint="The balance may never go below this, e.g. 0." disabled={!values.currency} />
      </div>
      <TextAreaField label="Description (optional)" rows={2} value={values.description} onChange={set('description')} error={errors.description} />
      <div className="flex justify-end gap-2">
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" busy={create.isPending || update.isPending}>
          {editing ? 'Save account' : 'Create account'}
        </Button>
      </div>
    </form>
  )
}
