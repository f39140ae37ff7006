import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useState, type FormEvent } from 'react'
import { z } from 'zod'
import { ledgerSettingsQuery, meQuery } from '@/api/queries'
import { Button } from '@/components/ui/Button'
import { FormError, TextField } from '@/components/ui/Field'
import { Card, Loading, PageHeader } from '@/components/ui/Layout'
import { toast } from '@/components/ui/toast'
import { signIn, useSession } from '@/lib/auth'
import { formatDate } from '@/lib/dates'
import { serverErrors, zodErrors, type FieldErrors } from '@/lib/forms'
import { can } from '@/lib/permissions'
import { changePasswordMutation, organisationQuery, renameOrgMutation, updateProfileMutation } from './queries'

export default function SettingsPage() {
  return (
    <>
      <PageHeader title="Settings" />
      <div className="grid gap-4 lg:grid-cols-2">
        <ProfileForm />
        <PasswordForm />
        <OrganisationForm />
      </div>
    </>
  )
}

function useFormErrors(known: readonly string[]) {
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string>()
  const onServerError = (error: unknown) => {
    const r = serverErrors(error, known)
    setErrors(r.fields)
    setFormError(r.form)
  }
  return { errors, setErrors, formError, setFormError, onServerError }
}

function ProfileForm() {
  const client = useQueryClient()
  const me = useQuery(meQuery())
  const [name, setName] = useState('')
  useEffect(() => setName(me.data?.name ?? ''), [me.data?.name])
  const f = useFormErrors(['name'])
  const save = useMutation({ ...updateProfileMutation(client), onError: f.onServerError })
  function onSubmit(event: FormEvent) {
    event.preventDefault()
    f.setFormError(undefined)
    const parsed = z.object({ name: z.string().trim().min(1, 'Enter your name.').max(200) }).safeParse({ name })
    if (!parsed.success) return f.setErrors(zodErrors(parsed.error))
    f.setErrors({})
    save.mutate(parsed.data)
  }
  return (
    <Card title="Profile">
      {me.isLoading ? <Loading /> : (
        <form onSubmit={onSubmit} noValidate className="space-y-4">
          <FormError message={f.formError} />
          <TextField label="Email" value={me.data?.email ?? ''} readOnly disabled hint="Your sign-in email cannot be changed here." />
          <TextField label="Name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={f.errors.name} />
          <Button type="submit" busy={save.isPending}>Save profile</Button>
        </form>
      )}
    </Card>
  )
}

function PasswordForm() {
  const session = useSession()
  const me = useQuery(meQuery())
  const [values, setValues] = useState({ current_password: '', new_password: '', confirm: '' })
  const f = useFormErrors(['current_password', 'new_password'])
  const change = useMutation({
    ...changePasswordMutation(),
    onError: (error) => {
      f.onServerError(error)
      const r = serverErrors(error, ['current_password', 'new_password'])
      // Policy and wrong-password refusals name no field: put them where they belong.
      if (r.form && /current/i.test(r.form)) (f.setErrors({ current_password: r.form }), f.setFormError(undefined))
      else if (r.form && /password/i.test(r.form)) (f.setErrors({ new_password: r.form }), f.setFormError(undefined))
    },
    onSuccess: async () => {
      // Changing the password revokes every refresh token: sign in again with the new one.
      if (me.data) await signIn(me.data.email, values.new_password, session?.orgId).catch(() => undefined)
      setValues({ current_password: '', new_password: '', confirm: '' })
      toast('Password changed. Other devices are signed out.', 'success')
    },
  })
  function onSubmit(event: FormEvent) {
    event.preventDefault()
    f.setFormError(undefined)
    const parsed = z
      .object({ current_password: z.string().min(1, 'Enter your current password.'), new_password: z.string().min(1, 'Choose a new password.'), confirm: z.string() })
      .refine((v) => v.new_password === v.confirm, { message: 'The passwords do not match.', path: ['confirm'] })
      .safeParse(values)
    if (!parsed.success) return f.setErrors(zodErrors(parsed.error))
    f.setErrors({})
    change.mutate({ current_password: parsed.data.current_password, new_password: parsed.data.new_password })
  }
  return (
    <Card title="Password">
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        <FormError message={f.formError} />
        <input type="text" autoComplete="username" value={me.data?.email ?? ''} readOnly hidden />
        <TextField label="Current password" type="password" autoComplete="current-password" value={values.current_password} onChange={(e) => setValues({ ...values, current_password: e.target.value })} error={f.errors.current_password} />
        <TextField label="New password" type="password" autoComplete="new-password" value={values.new_password} onChange={(e) => setValues({ ...values, new_password: e.target.value })} error={f.errors.new_password} hint="At least 10 characters and hard to guess." />
        <TextField label="Repeat the new password" type="password" autoComplete="new-password" value={values.confirm} onChange={(e) => setValues({ ...values, confirm: e.target.value })} error={f.errors.confirm} />
        <Button type="submit" busy={change.isPending}>Change password</Button>
      </form>
    </Card>
  )
}

function OrganisationForm() {
  const session = useSession()
  const orgId = session?.orgId ?? ''
  const client = useQueryClient()
  const org = useQuery(organisationQuery(orgId))
  const ledger = useQuery(ledgerSettingsQuery())
  const [name, setName] = useState('')
  useEffect(() => setName(org.data?.name ?? ''), [org.data?.name])
  const f = useFormErrors(['name'])
  const rename = useMutation({ ...renameOrgMutation(client, orgId), onError: f.onServerError })
  const editable = can.updateOrg(session?.role)
  function onSubmit(event: FormEvent) {
    event.preventDefault()
    f.setFormError(undefined)
    const parsed = z.object({ name: z.string().trim().min(1, 'Name the organisation.').max(200) }).safeParse({ name })
    if (!parsed.success) return f.setErrors(zodErrors(parsed.error))
    f.setErrors({})
    rename.mutate(parsed.data)
  }
  return (
    <Card title="Organisation">
      {org.isLoading ? <Loading /> : (
        <form onSubmit={onSubmit} noValidate className="space-y-4">
          <FormError message={f.formError} />
          <TextField label="Organisation name" value={name} onChange={(e) => setName(e.target.value)} error={f.errors.name} disabled={!editable} hint={editable ? undefined : 'Only owners and admins can rename the organisation.'} />
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-600">Your role</dt>
            <dd className="capitalize">{org.data?.role}</dd>
            <dt className="text-slate-600">Base currency</dt>
            <dd>{ledger.data?.base_currency ?? '—'}</dd>
            <dt className="text-slate-600">Books closed through</dt>
            <dd>{ledger.data?.closed_through ? formatDate(ledger.data.closed_through) : 'Not closed'}</dd>
            <dt className="text-slate-600">Created</dt>
            <dd>{org.data ? formatDate(org.data.created_at.slice(0, 10)) : ''}</dd>
          </dl>
          {editable && <Button type="submit" busy={rename.isPending}>Save organisation</Button>}
        </form>
      )}
    </Card>
  )
}
