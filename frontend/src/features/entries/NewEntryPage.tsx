import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useMemo, useState, type FormEvent } from 'react'
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom'
import { z } from 'zod'
import { accountsQuery, currenciesQuery, ledgerSettingsQuery, type Account } from '@/api/queries'
import { Button } from '@/components/ui/Button'
import { FormError, inputClass, TextField } from '@/components/ui/Field'
import { Card, Loading, PageHeader } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { useSession } from '@/lib/auth'
import { todayIso } from '@/lib/dates'
import { serverErrors, zodErrors, type FieldErrors } from '@/lib/forms'
import { hashText, randomId } from '@/lib/ids'
import { currencyDecimals } from '@/lib/money'
import { can } from '@/lib/permissions'
import { checkBalance, problemText, type LineInput } from './balance'
import { postEntryMutation } from './queries'

const header = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Pick a date.'),
  description: z.string().trim().min(1, 'Describe the entry.').max(500),
  payee: z.string().trim().max(200),
  reference: z.string().trim().max(200),
})

const TYPE_LABELS: Record<Account['type'], string> = { asset: 'Assets', liability: 'Liabilities', equity: 'Equity', income: 'Income', expense: 'Expenses' }

function blankLine(currency: string, accountId = ''): LineInput {
  return { accountId, currency, debit: '', credit: '', memo: '' }
}

export default function NewEntryPage() {
  const session = useSession()
  const accounts = useQuery(accountsQuery())
  const settings = useQuery(ledgerSettingsQuery())
  const currencies = useQuery(currenciesQuery())
  if (!can.post(session?.role)) return <Navigate to="/entries" replace />
  if (accounts.isLoading || settings.isLoading) return <Loading />
  return <EntryForm accounts={accounts.data ?? []} base={settings.data?.base_currency ?? 'EUR'} scales={new Map((currencies.data ?? []).map((c) => [c.code, c.scale]))} />
}

function EntryForm({ accounts, base, scales }: { accounts: Account[]; base: string; scales: Map<string, number> }) {
  const client = useQueryClient()
  const navigate = useNavigate()
  const [params] = useSearchParams()
  const byId = useMemo(() => new Map(accounts.map((a) => [a.id, a])), [accounts])
  const preset = params.get('account')
  const presetAccount = preset ? byId.get(preset) : undefined
  const [formId] = useState(randomId)
  const [head, setHead] = useState({ date: todayIso(), description: '', payee: '', reference: '' })
  const [lines, setLines] = useState<LineInput[]>(() => [blankLine(presetAccount?.currency ?? base, presetAccount?.id), blankLine(base)])
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string>()
  const [attempted, setAttempted] = useState(false)
  const mutation = useMutation({
    ...postEntryMutation(client),
    onError: (error) => {
      const known = ['date', 'description', 'payee', 'reference', ...lines.map((_, i) => `postings.${i}`)]
      const { fields, form } = serverErrors(error, known)
      setErrors(fields)
      setFormError(form)
    },
  })

  const scaleOf = (currency: string) => scales.get(currency) ?? currencyDecimals(currency)
  const report = checkBalance(lines, scaleOf)
  const open = accounts.filter((a) => !a.is_closed)
  const groups = (['asset', 'liability', 'equity', 'income', 'expense'] as const).map((type) => ({ type, accounts: open.filter((a) => a.type === type) }))

  function updateLine(index: number, patch: Partial<LineInput>) {
    setLines((current) => current.map((line, i) => (i === index ? { ...line, ...patch } : line)))
  }

  function chooseAccount(index: number, accountId: string) {
    const account = byId.get(accountId)
    updateLine(index, { accountId, currency: account?.currency ?? lines[index]?.currency ?? base })
  }

  /** Put the missing amount on the last empty line, so two clicks balance an entry. */
  function fillRemainder(index: number) {
    const line = lines[index]
    const cur = report.currencies.find((c) => c.currency === line?.currency)
    if (!line || !cur || cur.balanced) return
    const negative = cur.imbalance.startsWith('-')
    const magnitude = cur.imbalance.replace(/^-/, '')
    updateLine(index, negative ? { debit: magnitude, credit: '' } : { credit: magnitude, debit: '' })
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault()
    setAttempted(true)
    setFormError(undefined)
    const parsedHead = header.safeParse(head)
    const fieldErrors: FieldErrors = parsedHead.success ? {} : zodErrors(parsedHead.error)
    const used = lines.map((line, index) => ({ line, index })).filter(({ line }) => line.accountId || line.debit.trim() || line.credit.trim())
    for (const { line, index } of used) {
      const check = report.lines[index]
      if (!line.accountId) fieldErrors[`postings.${index}`] = 'Choose an account.'
      else if (check?.problem) fieldErrors[`postings.${index}`] = problemText(check.problem)
    }
    if (Object.keys(fieldErrors).length) return setErrors(fieldErrors)
    setErrors({})
    if (used.length < 2) return setFormError('An entry needs at least two lines.')
    if (!report.balanced) {
      const off = report.currencies.filter((c) => !c.balanced).map((c) => `${c.currency} ${c.imbalance}`).join(', ')
      return setFormError(`The entry does not balance (${off}). Debits must equal credits in each currency.`)
    }
    const body = {
      date: parsedHead.data!.date,
      description: parsedHead.data!.description,
      payee: parsedHead.data!.payee || null,
      reference: parsedHead.data!.reference || null,
      postings: used.map(({ line, index }) => ({ account_id: line.accountId, amount: report.lines[index]!.amount!, currency: line.currency, memo: line.memo?.trim() || null })),
    }
    // The same body from the same form is the same request: a retried click cannot post twice.
    const key = `web-${formId}-${hashText(JSON.stringify(body))}`
    mutation.mutate({ body, key }, { onSuccess: (entry) => navigate(`/entries/${entry.id}`) })
  }

  return (
    <>
      <PageHeader title="New entry" description="Each line is a debit or a credit; the entry can be posted once debits equal credits in every currency." />
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        <FormError message={formError} />
        <Card>
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <TextField label="Date" type="date" value={head.date} onChange={(e) => setHead({ ...head, date: e.target.value })} error={errors.date} required />
            <div className="lg:col-span-3">
              <TextField label="Description" value={head.description} onChange={(e) => setHead({ ...head, description: e.target.value })} error={errors.description} required autoFocus />
            </div>
            <TextField label="Payee (optional)" value={head.payee} onChange={(e) => setHead({ ...head, payee: e.target.value })} error={errors.payee} />
            <TextField label="Reference (optional)" value={head.reference} onChange={(e) => setHead({ ...head, reference: e.target.value })} error={errors.reference} />
          </div>
        </Card>
        <Card title="Lines" bodyClass="p-0">
          <div className="hidden grid-cols-[minmax(0,2fr)_8rem_8rem_minmax(0,1fr)_2.5rem] gap-2 border-b border-slate-200 bg-slate-50 px-4 py-2 text-xs font-semibold uppercase tracking-wide text-slate-600 md:grid">
            <span>Account</span>
            <span className="text-right">Debit</span>
            <span className="text-right">Credit</span>
            <span>Memo</span>
            <span className="sr-only">Remove</span>
          </div>
          <ol className="divide-y divide-slate-100">
            {lines.map((line, index) => {
              const problem = errors[`postings.${index}`] ?? (attempted && report.lines[index]?.problem ? problemText(report.lines[index]!.problem!) : undefined)
              const account = byId.get(line.accountId)
              const n = index + 1
              return (
                <li key={index} className="px-4 py-3" data-testid={`line-${index}`}>
                  <div className="grid grid-cols-2 gap-2 md:grid-cols-[minmax(0,2fr)_8rem_8rem_minmax(0,1fr)_2.5rem] md:items-start">
                    <div className="col-span-2 md:col-span-1">
                      <label htmlFor={`line-${index}-account`} className="mb-1 block text-xs font-medium text-slate-700 md:sr-only">Account, line {n}</label>
                      <div className="flex gap-2">
                        <select id={`line-${index}-account`} aria-label={`Account, line ${n}`} className={inputClass} value={line.accountId} onChange={(e) => chooseAccount(index, e.target.value)} aria-invalid={problem ? true : undefined} aria-describedby={problem ? `line-${index}-error` : undefined}>
                          <option value="">Choose an account…</option>
                          {groups.filter((g) => g.accounts.length).map((g) => (
                            <optgroup key={g.type} label={TYPE_LABELS[g.type]}>
                              {g.accounts.map((a) => (
                                <option key={a.id} value={a.id}>
                                  {a.code} {a.name}
                                </option>
                              ))}
                            </optgroup>
                          ))}
                        </select>
                        {account && account.currency === null ? (
                          <select aria-label={`Currency, line ${n}`} className={`${inputClass} w-24`} value={line.currency} onChange={(e) => updateLine(index, { currency: e.target.value })}>
                            {[...new Set([base, ...scales.keys()])].map((c) => (
                              <option key={c} value={c}>{c}</option>
                            ))}
                          </select>
                        ) : (
                          <span className="self-center text-xs font-medium text-slate-600">{line.currency}</span>
                        )}
                      </div>
                    </div>
                    <div>
                      <label htmlFor={`line-${index}-debit`} className="mb-1 block text-xs font-medium text-slate-700 md:sr-only">Debit, line {n}</label>
                      <input id={`line-${index}-debit`} inputMode="decimal" autoComplete="off" className={`${inputClass} text-right tabular-nums`} value={line.debit} onChange={(e) => updateLine(index, { debit: e.target.value })} onDoubleClick={() => fillRemainder(index)} aria-invalid={problem ? true : undefined} />
                    </div>
                    <div>
                      <label htmlFor={`line-${index}-credit`} className="mb-1 block text-xs font-medium text-slate-700 md:sr-only">Credit, line {n}</label>
                      <input id={`line-${index}-credit`} inputMode="decimal" autoComplete="off" className={`${inputClass} text-right tabular-nums`} value={line.credit} onChange={(e) => updateLine(index, { credit: e.target.value })} onDoubleClick={() => fillRemainder(index)} aria-invalid={problem ? true : undefined} />
                    </div>
                    <div className="col-span-2 md:col-span-1">
                      <label htmlFor={`line-${index}-memo`} className="mb-1 block text-xs font-medium text-slate-700 md:sr-only">Memo, line {n}</label>
                      <input id={`line-${index}-memo`} className={inputClass} value={line.memo ?? ''} onChange={(e) => updateLine(index, { memo: e.target.value })} />
                    </div>
                    <div className="col-span-2 flex justify-end md:col-span-1">
                      <button type="button" className="rounded-md px-2 py-2 text-slate-600 hover:bg-slate-100 hover:text-red-700 focus-visible:outline-2 focus-visible:outline-blue-700 disabled:opacity-40" onClick={() => setLines((c) => c.filter((_, i) => i !== index))} disabled={lines.length <= 2} aria-label={`Remove line ${n}`}>
                        ✕
                      </button>
                    </div>
                  </div>
                  {problem && (
                    <p id={`line-${index}-error`} role="alert" className="mt-1 text-sm text-red-700">{problem}</p>
                  )}
                </li>
              )
            })}
          </ol>
          <div className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-200 px-4 py-3">
            <div className="flex gap-2">
              <Button variant="secondary" onClick={() => setLines((c) => [...c, blankLine(base)])}>Add line</Button>
              {report.currencies.some((c) => !c.balanced) && (
                <Button variant="ghost" onClick={() => { const i = lines.findIndex((l) => !l.debit.trim() && !l.credit.trim()); if (i >= 0) fillRemainder(i); else { setLines((c) => [...c, blankLine(report.currencies.find((x) => !x.balanced)!.currency)]) } }}>
                  Balance with a new line
                </Button>
              )}
            </div>
            <BalanceSummary report={report} />
          </div>
        </Card>
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={() => navigate(-1)}>Cancel</Button>
          <Button type="submit" busy={mutation.isPending}>Post entry</Button>
        </div>
      </form>
    </>
  )
}

function BalanceSummary({ report }: { report: ReturnType<typeof checkBalance> }) {
  if (report.currencies.length === 0) return <p className="text-sm text-slate-600" role="status">Enter amounts to see the balance.</p>
  return (
    <div role="status" aria-live="polite" className="space-y-1 text-sm" data-testid="balance-summary">
      {report.currencies.map((c) => (
        <p key={c.currency} className="flex flex-wrap items-center justify-end gap-x-3">
          <span className="text-slate-600">Debits <Money amount={c.debits} currency={c.currency} /></span>
          <span className="text-slate-600">Credits <Money amount={c.credits} currency={c.currency} /></span>
          {c.balanced ? (
            <span className="font-medium text-emerald-800">✓ Balanced</span>
          ) : (
            <span className="font-medium text-red-700" data-testid="imbalance">Out of balance by <Money amount={c.imbalance} currency={c.currency} signed /></span>
          )}
        </p>
      ))}
    </div>
  )
}
