import type { KeyboardEvent, ReactNode } from 'react'

/**
 * Arrow keys move between rows (to the same column's link or button), Home/End to the
 * first/last row; Tab still walks every control.
 */
export function onRowKeys(event: KeyboardEvent<HTMLElement>): void {
  const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End']
  if (!keys.includes(event.key)) return
  const target = event.target as HTMLElement
  const row = target.closest('[data-row]')
  const container = event.currentTarget
  if (!row) return
  const rows = Array.from(container.querySelectorAll<HTMLElement>('[data-row]'))
  const index = rows.indexOf(row as HTMLElement)
  const focusables = (r: Element) => Array.from(r.querySelectorAll<HTMLElement>('a[href], button:not([disabled]), [tabindex="0"]'))
  const column = Math.max(0, focusables(row).indexOf(target))
  const nextIndex = event.key === 'ArrowDown' ? index + 1 : event.key === 'ArrowUp' ? index - 1 : event.key === 'Home' ? 0 : rows.length - 1
  const next = rows[nextIndex]
  if (!next) return
  const candidates = focusables(next)
  const focus = candidates[Math.min(column, candidates.length - 1)]
  if (focus) {
    event.preventDefault()
    focus.focus()
  }
}

export function Table({ caption, head, children, className = '' }: { caption: string; head: ReactNode; children: ReactNode; className?: string }) {
  return (
    <div className={`overflow-x-auto ${className}`}>
      <table className="w-full border-collapse text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="border-b border-slate-200 bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">{head}</thead>
        <tbody className="divide-y divide-slate-100" onKeyDown={onRowKeys}>
          {children}
        </tbody>
      </table>
    </div>
  )
}

export const th = 'px-3 py-2.5 font-semibold'
export const td = 'px-3 py-2.5 align-top'
