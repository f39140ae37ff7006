import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { z } from 'zod'
import { meQuery } from '@/api/queries'
import type { Role } from '@/api/session'
import { Button } from '@/components/ui/Button'
import { FormError, inputClass, SelectField, TextField } from '@/components/ui/Field'
import { Badge, Card, EmptyState, ErrorState, Loading, PageHeader } from '@/components/ui/Layout'
import { Table, td, th } from '@/components/ui/Table'
import { toast } from '@/components/ui/toast'
import { useSession } from '@/lib/auth'
import { formatDate } from '@/lib/dates'
import { serverErrors, zodErrors, type FieldErrors } from '@/lib/forms'
import { assignableRoles, can, ROLES } from '@/lib/permissions'
import { addMemberMutation, cancelInvitationMutation, changeRoleMutation, membersQuery, removeMemberMutation } from './queries'

const ROLE_HELP: Record<Role, string> = {
  owner: 'Everything, including handing out ownership.',
  admin: 'Everything except making owners.',
  accountant: 'Posts entries, manages accounts, closes periods.',
  viewer: 'Reads the books.',
  auditor: 'Reads the books and verifies the chain.',
}

const addSchema = z.object({ email: z.string().trim().min(1, 'Enter an email.').email('Enter a valid email.'), role: z.enum(['owner', 'admin', 'accountant', 'viewer', 'auditor']) })

export default function MembersPage() {
  const session = useSession()
  const orgId = session?.orgId ?? ''
  const client = useQueryClient()
  const me = useQuery(meQuery())
  const members = useQuery({ ...membersQuery(orgId), enabled: can.readMembers(session?.role) })
  const manage = can.manageMembers(session?.role)
  const grantable = assignableRoles(session?.role)
  const [form, setForm] = useState({ email: '', role: 'viewer' as Role })
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string>()
  const add = useMutation({
    ...addMemberMutation(client, orgId),
    onError: (error) => {
      const r = serverErrors(error, ['email', 'role'])
      setErrors(r.fields)
      setFormError(r.form)
    },
    onSuccess: (result) => {
      void client.invalidateQueries({ queryKey: ['orgs', orgId, 'members'] })
      toast(result.status === 'added' ? `${result.member.email} is now a ${result.member.role}.` : `Invited ${result.invitation.email}; they join when they sign up.`, 'success')
      setForm({ email: '', role: form.role })
    },
  })
  const changeRole = useMutation(changeRoleMutation(client, orgId))
  const remove = useMutation(removeMemberMutation(client, orgId))
  const cancel = useMutation(cancelInvitationMutation(client, orgId))

  if (!can.readMembers(session?.role)) return <EmptyState title="Members are visible to owners, admins, accountants and auditors." />

  function onAdd(event: FormEvent) {
    event.preventDefault()
    setFormError(undefined)
    const parsed = addSchema.safeParse(form)
    if (!parsed.success) return setErrors(zodErrors(parsed.error))
    setErrors({})
    add.mutate(parsed.data)
  }

  return (
    <>
      <PageHeader title="Members" description="Who can use this organisation, and what each may do." />
      {manage && (
        <Card title="Add a member" className="mb-4">
          <form onSubmit={onAdd} noValidate className="grid gap-3 sm:grid-cols-[1fr_12rem_auto] sm:items-start">
            <div className="sm:col-span-3"><FormError message={formError} /></div>
            <TextField label="Email" type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} error={errors.email} hint="People without an account are invited and join when they sign up." />
            <SelectField label="Role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })} error={errors.role} hint={ROLE_HELP[form.role]}>
              {grantable.map((r) => (
                <option key={r} value={r}>{r}</option>
              ))}
            </SelectField>
            <Button type="submit" busy={add.isPending} className="sm:mt-6">Add member</Button>
          </form>
        </Card>
      )}
      <Card title="Members" bodyClass="p-0">
        {members.isLoading ? (
          <Loading />
        ) : members.error ? (
          <ErrorState error={members.error} retry={() => void members.refetch()} />
        ) : (
          <Table
            caption="Members of this organisation"
            head={
              <tr>
                <th className={th} scope="col">Member</th>
                <th className={th} scope="col">Role</th>
                <th className={`${th} hidden sm:table-cell`} scope="col">Joined</th>
                {manage && <th className={`${th} text-right`} scope="col"><span className="sr-only">Actions</span></th>}
              </tr>
            }
          >
            {(members.data?.items ?? []).map((m) => {
              const self = m.user_id === me.data?.id
              const editable = manage && !self && (session?.role === 'owner' || m.role !== 'owner')
              return (
                <tr key={m.user_id} data-row data-testid="member-row">
                  <td className={td}>
                    <span className="block font-medium text-slate-900">{m.name ?? m.email}{self && <span className="ml-2"><Badge tone="blue">You</Badge></span>}</span>
                    {m.name && <span className="block text-xs text-slate-600">{m.email}</span>}
                  </td>
                  <td className={td}>
                    {editable ? (
                      <select aria-label={`Role of ${m.email}`} className={`${inputClass} w-36`} value={m.role} disabled={changeRole.isPending} onChange={(e) => changeRole.mutate({ userId: m.user_id, role: e.target.value as Role })}>
                        {ROLES.filter((r) => grantable.includes(r) || r === m.role).map((r) => (
                          <option key={r} value={r}>{r}</option>
                        ))}
                      </select>
                    ) : (
                      <span className="capitalize">{m.role}</span>
                    )}
                  </td>
                  <td className={`${td} hidden text-slate-700 sm:table-cell`}>{formatDate(m.joined_at.slice(0, 10))}</td>
                  {manage && (
                    <td className={`${td} text-right`}>
                      {editable && (
                        <button type="button" className="rounded px-2 py-1 text-red-700 hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-blue-700" onClick={() => { if (window.confirm(`Remove ${m.email} from this organisation?`)) remove.mutate(m.user_id) }}>
                          Remove<span className="sr-only"> {m.email}</span>
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              )
            })}
            {(members.data?.invitations ?? []).map((inv) => (
              <tr key={inv.id} data-row className="bg-slate-50/60">
                <td className={td}>
                  <span className="block text-slate-900">{inv.email}</span>
                  <Badge tone="amber">Invited</Badge>
                </td>
                <td className={`${td} capitalize`}>{inv.role}</td>
                <td className={`${td} hidden text-slate-700 sm:table-cell`}>Invited {formatDate(inv.created_at.slice(0, 10))}</td>
                {manage && (
                  <td className={`${td} text-right`}>
                    <button type="button" className="rounded px-2 py-1 text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-blue-700" onClick={() => cancel.mutate(inv.id)}>
                      Withdraw<span className="sr-only"> invitation of {inv.email}</span>
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </>
  )
}
