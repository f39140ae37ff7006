/**
 * The new-entry form's arithmetic: each line has a debit or a credit; an entry balances
 * when, in every currency, debits equal credits. Exact, in minor units (bigint).
 */
import { fromMinor, toMinor } from '@/lib/money'

export interface LineInput {
  accountId: string
  currency: string
  debit: string
  credit: string
  memo?: string
}

export type LineProblem = 'both' | 'neither' | 'invalid' | 'zero' | 'too_precise'

export interface LineCheck {
  index: number
  problem?: LineProblem
  /** Signed amount as the API wants it (debit > 0), when the line is valid. */
  amount?: string
}

export interface CurrencyBalance {
  currency: string
  debits: string
  credits: string
  /** Debits minus credits; "0…" when balanced. */
  imbalance: string
  balanced: boolean
}

export interface BalanceReport {
  lines: LineCheck[]
  currencies: CurrencyBalance[]
  balanced: boolean
  /** Lines with an account and an amount (an entry needs at least two). */
  complete: number
}

const PROBLEM_TEXT: Record<LineProblem, string> = {
  both: 'Enter a debit or a credit, not both.',
  neither: 'Enter a debit or a credit.',
  invalid: 'Enter an amount such as 12.34.',
  zero: 'The amount cannot be zero.',
  too_precise: 'Too many decimals for this currency.',
}

export function problemText(problem: LineProblem): string {
  return PROBLEM_TEXT[problem]
}

function isBlank(text: string): boolean {
  return text.trim() === ''
}

function hasMoreDecimals(text: string, scale: number): boolean {
  const cleaned = text.replace(/[\s,_']/g, '')
  const dot = cleaned.indexOf('.')
  return dot >= 0 && cleaned.length - dot - 1 > scale
}

/** Check every line and sum debits and credits per currency. */
export function checkBalance(lines: readonly LineInput[], scaleOf: (currency: string) => number): BalanceReport {
  const totals = new Map<string, { debits: bigint; credits: bigint; scale: number }>()
  const checks: LineCheck[] = []
  let complete = 0
  lines.forEach((line, index) => {
    const blankDebit = isBlank(line.debit)
    const blankCredit = isBlank(line.credit)
    if (blankDebit && blankCredit) {
      checks.push(line.accountId ? { index, problem: 'neither' } : { index })
      return
    }
    if (!blankDebit && !blankCredit) return void checks.push({ index, problem: 'both' })
    const scale = scaleOf(line.currency)
    const text = blankDebit ? line.credit : line.debit
    if (hasMoreDecimals(text, scale)) return void checks.push({ index, problem: 'too_precise' })
    const minor = toMinor(text, scale)
    if (minor === null || minor < 0n) return void checks.push({ index, problem: 'invalid' })
    if (minor === 0n) return void checks.push({ index, problem: 'zero' })
    const signed = blankDebit ? -minor : minor
    const total = totals.get(line.currency) ?? { debits: 0n, credits: 0n, scale }
    if (signed > 0n) total.debits += signed
    else total.credits -= signed
    totals.set(line.currency, total)
    if (line.accountId) complete++
    checks.push({ index, amount: fromMinor(signed, scale) })
  })
  const currencies = [...totals.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, t]) => ({
      currency,
      debits: fromMinor(t.debits, t.scale),
      credits: fromMinor(t.credits, t.scale),
      imbalance: fromMinor(t.debits - t.credits, t.scale),
      balanced: t.debits === t.credits,
    }))
  const lineProblems = checks.some((c) => c.problem !== undefined)
  const balanced = !lineProblems && currencies.length > 0 && currencies.every((c) => c.balanced)
  return { lines: checks, currencies, balanced, complete }
}
