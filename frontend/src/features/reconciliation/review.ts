/**
 * Reviewing a run's matches: what the matcher's reasons say in words, which matches a
 * person still decides, and the keyboard's moves through them.
 */
import type { Schemas } from '@/api/queries'
import { currencyDecimals, formatMoney, fromMinor } from '@/lib/money'

export type Match = Schemas['MatchOut']
export type Tone = 'slate' | 'amber' | 'red' | 'green' | 'blue'

/** The bulk action's threshold: proposed matches at least this sure are accepted together. */
export const BULK_CONFIDENCE_MIN = 0.9

/** Confidence (0..1, a score) as a whole percent, rounded down so 0.899 never shows as 90. */
export function confidencePercent(confidence: number): number {
  return Math.floor(Math.max(0, Math.min(1, confidence)) * 100 + 1e-9)
}

export function confidenceTone(confidence: number): Tone {
  if (confidence >= BULK_CONFIDENCE_MIN) return 'green'
  if (confidence >= 0.75) return 'amber'
  return 'red'
}

const FIXED: Record<string, { label: string; tone?: Tone }> = {
  amount_equal: { label: 'Same amount' },
  amount_sum_equal: { label: 'Amounts add up' },
  amount_rare: { label: 'Rare amount' },
  reference_equal: { label: 'Same reference' },
  no_rival: { label: 'No other candidate' },
  ambiguous: { label: 'Ambiguous: a look-alike fits as well', tone: 'amber' },
  amount_and_date_only: { label: 'Only amount and date agree', tone: 'amber' },
  text_conflict: { label: 'The bank names another payee', tone: 'red' },
  manual: { label: 'Matched by hand' },
}

function days(n: number): string {
  return `${n} day${Math.abs(n) === 1 ? '' : 's'}`
}

/** A reason of the matcher ("date_delta_2d", "text_similarity_87") as a short phrase. */
export function reasonLabel(reason: string, currency: string): { label: string; tone: Tone } {
  const fixed = FIXED[reason]
  if (fixed) return { label: fixed.label, tone: fixed.tone ?? 'slate' }
  let m: RegExpExecArray | null
  if ((m = /^date_delta_max_(-?\d+)d$/.exec(reason))) return { label: `At most ${days(Number(m[1]))} apart`, tone: 'slate' }
  if ((m = /^date_delta_(-?\d+)d$/.exec(reason))) {
    const n = Number(m[1])
    if (n === 0) return { label: 'Same day', tone: 'slate' }
    return { label: n > 0 ? `${days(n)} apart` : `Bank ${days(-n)} earlier`, tone: 'slate' }
  }
  if ((m = /^text_similarity_(\d+)$/.exec(reason))) {
    const n = Number(m[1])
    return { label: n === 0 ? 'Texts differ' : `Text ${n}% alike`, tone: n === 0 ? 'amber' : 'slate' }
  }
  if ((m = /^rival_gap_(\d+)$/.exec(reason))) {
    const gap = Number(m[1])
    return { label: gap === 0 ? 'A rival scores the same' : `Next best ${gap} points behind`, tone: gap < 10 ? 'amber' : 'slate' }
  }
  if ((m = /^group_size_(\d+)$/.exec(reason))) return { label: `${m[1]} items together`, tone: 'slate' }
  if ((m = /^fee_minor_(\d+)$/.exec(reason))) return { label: `Fee ${formatMoney(fromMinor(BigInt(m[1] ?? '0'), currencyDecimals(currency)), currency)}`, tone: 'slate' }
  if ((m = /^fee_fixed_(\d+)$/.exec(reason))) return { label: 'Fixed bank fee', tone: 'slate' }
  if ((m = /^fee_(?:\d+_plus_)?([\d.]+)pct$/.exec(reason))) return { label: `Bank fee ${m[1]}%`, tone: 'slate' }
  return { label: reason.replace(/_/g, ' '), tone: 'slate' }
}

const STATUS: Record<string, { label: string; tone: Tone }> = {
  proposed: { label: 'To review', tone: 'amber' },
  accepted: { label: 'Accepted', tone: 'green' },
  auto_accepted: { label: 'Auto-accepted', tone: 'blue' },
  rejected: { label: 'Rejected', tone: 'red' },
}

export function matchStatusLabel(status: string): { label: string; tone: Tone } {
  return STATUS[status] ?? { label: status, tone: 'slate' }
}

/**
 * The matches a person looks at: the proposed ones and those already decided by hand,
 * in a stable order (decisions do not reorder the list under the keyboard).
 * `firstLineOf` gives a sort key of a match's first bank line (its date and line).
 */
export function reviewList(matches: readonly Match[], firstLineOf: (match: Match) => string): Match[] {
  return matches.filter((m) => m.status !== 'auto_accepted').sort((a, b) => firstLineOf(a).localeCompare(firstLineOf(b)) || a.id.localeCompare(b.id))
}

/** Proposed matches the bulk action accepts. */
export function bulkAcceptable(matches: readonly Match[], threshold = BULK_CONFIDENCE_MIN): Match[] {
  return matches.filter((m) => m.status === 'proposed' && m.confidence >= threshold)
}

// --- keyboard -----------------------------------------------------------------------------

export type Move = 'next' | 'previous' | 'first' | 'last'
export type KeyCommand = { move: Move } | { decide: 'accept' | 'reject' }

/** The review list's keys: j/k or the arrows move, Home/End jump, a accepts, r rejects. */
export function keyCommand(event: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean }): KeyCommand | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null
  switch (event.key) {
    case 'j':
    case 'ArrowDown':
      return { move: 'next' }
    case 'k':
    case 'ArrowUp':
      return { move: 'previous' }
    case 'Home':
      return { move: 'first' }
    case 'End':
      return { move: 'last' }
    case 'a':
      return { decide: 'accept' }
    case 'r':
      return { decide: 'reject' }
    default:
      return null
  }
}

/** The selection after a move, kept inside 0..count-1 (no wrapping). */
export function moveSelection(index: number, count: number, move: Move): number {
  if (count <= 0) return 0
  const current = Math.max(0, Math.min(count - 1, index))
  if (move === 'first') return 0
  if (move === 'last') return count - 1
  return Math.max(0, Math.min(count - 1, current + (move === 'next' ? 1 : -1)))
}

/**
 * Where the selection goes once the match at `index` is decided: the next match still
 * proposed after it, else the nearest one before it, else it stays.
 */
export function afterDecision(list: readonly Pick<Match, 'status'>[], index: number): number {
  for (let i = index + 1; i < list.length; i++) if (list[i]?.status === 'proposed') return i
  for (let i = index - 1; i >= 0; i--) if (list[i]?.status === 'proposed') return i
  return index
}
