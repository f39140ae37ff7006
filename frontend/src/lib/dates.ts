/** Dates shown in the user's locale; API dates are ISO "YYYY-MM-DD" (calendar dates, no zone). */

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' })
const monthFmt = new Intl.DateTimeFormat(undefined, { month: 'short', year: '2-digit', timeZone: 'UTC' })
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })

function parseIsoDate(iso: string): Date {
  const [y, m, d] = iso.split('-').map(Number)
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1))
}

export function formatDate(iso: string): string {
  return dateFmt.format(parseIsoDate(iso))
}

export function formatMonth(iso: string): string {
  return monthFmt.format(parseIsoDate(iso))
}

export function formatDateTime(iso: string): string {
  return dateTimeFmt.format(new Date(iso))
}

/** Today in the user's zone as "YYYY-MM-DD". */
export function todayIso(now = new Date()): string {
  const y = now.getFullYear()
  const m = String(now.getMonth() + 1).padStart(2, '0')
  const d = String(now.getDate()).padStart(2, '0')
  return `${y}-${m}-${d}`
}

/** The last day of the month `offset` months from the month of `iso` ("2025-03-14", -1 → "2025-02-28"). */
export function monthEnd(iso: string, offset = 0): string {
  const date = parseIsoDate(iso)
  const end = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset + 1, 0))
  return end.toISOString().slice(0, 10)
}
