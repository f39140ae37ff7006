/** What an import's status means on screen: its label, tone, step, and the progress text. */
import type { Schemas } from '@/api/queries'

export type ImportBatch = Schemas['ImportBatch']
export type BankLine = Schemas['BankLineOut']
export type Tone = 'slate' | 'amber' | 'red' | 'green' | 'blue'

/** Statuses during which a task of the server is working on the batch: poll it. */
export const BUSY_STATUSES = ['parsing', 'committing', 'undoing'] as const
export const POLL_MS = 1000

export function isBusy(status: string | undefined): boolean {
  return status !== undefined && (BUSY_STATUSES as readonly string[]).includes(status)
}

const STATUS: Record<string, { label: string; tone: Tone }> = {
  parsing: { label: 'Reading file', tone: 'blue' },
  previewed: { label: 'Ready to commit', tone: 'amber' },
  committing: { label: 'Committing', tone: 'blue' },
  committed: { label: 'Committed', tone: 'green' },
  undoing: { label: 'Undoing', tone: 'blue' },
  undone: { label: 'Undone', tone: 'slate' },
  failed: { label: 'Failed', tone: 'red' },
}

export function statusLabel(status: string): { label: string; tone: Tone } {
  return STATUS[status] ?? { label: status, tone: 'slate' }
}

const LINE_STATUS: Record<string, { label: string; tone: Tone }> = {
  new: { label: 'New', tone: 'blue' },
  duplicate: { label: 'Duplicate', tone: 'amber' },
  matched: { label: 'Matched', tone: 'green' },
  proposed: { label: 'To review', tone: 'amber' },
  posted: { label: 'Posted', tone: 'green' },
  unmatched: { label: 'Unmatched', tone: 'red' },
  undone: { label: 'Undone', tone: 'slate' },
  preview: { label: 'Preview', tone: 'slate' },
}

export function lineStatusLabel(status: string): { label: string; tone: Tone } {
  return LINE_STATUS[status] ?? { label: status, tone: 'slate' }
}

/** The wizard's step of a batch: 2 while it is read and previewed, 3 once committing. */
export function stepOf(status: string): 1 | 2 | 3 {
  if (status === 'parsing' || status === 'previewed' || status === 'failed') return 2
  return 3
}

const count = (n: number) => n.toLocaleString()

/** "Reading the file… 250,000 of 1,000,000 lines" and the percent for the bar. */
export function progressText(batch: Pick<ImportBatch, 'status' | 'progress'>): { label: string; detail: string; percent: number } {
  const { done, total, percent } = batch.progress
  const label = batch.status === 'parsing' ? 'Reading the file…' : batch.status === 'undoing' ? 'Undoing the import…' : 'Posting and matching…'
  const clamped = Math.max(0, Math.min(100, percent))
  const detail = total > 0 ? `${count(Math.min(done, total))} of ${count(total)} lines (${Math.floor(clamped)}%)` : `${Math.floor(clamped)}%`
  return { label, detail, percent: clamped }
}

/** A plural that reads: "1 line", "6 lines". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`
}
