import { useInfiniteQuery } from '@tanstack/react-query'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef } from 'react'
import { Badge, EmptyState, ErrorState, Loading } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { formatDate } from '@/lib/dates'
import { importLinesQuery } from './queries'
import { lineStatusLabel } from './status'

const ROW_HEIGHT = 52
const GRID = 'grid grid-cols-[3rem_6.5rem_1fr_7rem] gap-3 sm:grid-cols-[3.5rem_7.5rem_1fr_9rem_7.5rem]'

/** An import's bank lines in file order, virtualised (a statement can hold a million). */
export function LinesTable({ importId, status, label }: { importId: string; status: string | null; label: string }) {
  const lines = useInfiniteQuery(importLinesQuery(importId, status))
  const rows = useMemo(() => lines.data?.pages.flatMap((p) => p.items) ?? [], [lines.data])
  const scrollRef = useRef<HTMLDivElement>(null)
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 })
  const items = virtualizer.getVirtualItems()
  const lastIndex = items[items.length - 1]?.index ?? -1

  useEffect(() => {
    // Fetch the next page before the reader reaches the end of what is loaded.
    if (lastIndex >= rows.length - 100 && lines.hasNextPage && !lines.isFetchingNextPage) void lines.fetchNextPage()
  }, [lastIndex, rows.length, lines])

  if (lines.isLoading) return <Loading />
  if (lines.error) return <ErrorState error={lines.error} retry={() => void lines.refetch()} />
  if (rows.length === 0) return <EmptyState title="No lines here">No line of this import has this status.</EmptyState>

  return (
    <div role="table" aria-label={label} aria-rowcount={rows.length + 1} className="text-sm" data-testid="import-lines">
      <div role="rowgroup">
        <div role="row" className={`${GRID} border-b border-slate-200 bg-slate-50 px-3 py-2.5 text-xs font-semibold uppercase tracking-wide text-slate-600`}>
          <span role="columnheader">Line</span>
          <span role="columnheader">Date</span>
          <span role="columnheader">Description</span>
          <span role="columnheader" className="text-right">Amount</span>
          <span role="columnheader" className="hidden sm:block">Status</span>
        </div>
      </div>
      <div ref={scrollRef} className="max-h-[min(60vh,36rem)] overflow-auto" role="rowgroup" tabIndex={0} aria-label={`${label}, scrollable`} data-testid="import-lines-scroll">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const line = rows[item.index]
            if (!line) return null
            const duplicate = line.status === 'duplicate'
            const tag = lineStatusLabel(line.status)
            return (
              <div
                key={item.key}
                role="row"
                data-row
                data-status={line.status}
                data-testid="import-line"
                aria-rowindex={item.index + 2}
                className={`${GRID} absolute left-0 right-0 items-center border-b border-slate-100 px-3 ${duplicate ? 'bg-amber-50/70 text-slate-600' : 'hover:bg-slate-50'}`}
                style={{ top: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
              >
                <span role="cell" className="tabular-nums text-slate-600">{line.line_number}</span>
                <span role="cell" className="tabular-nums">{formatDate(line.date)}</span>
                <span role="cell" className="min-w-0">
                  <span className={`block truncate ${duplicate ? 'line-through decoration-amber-700/60' : 'text-slate-900'}`}>{line.description || '—'}</span>
                  <span className="block truncate text-xs text-slate-600">
                    {[line.payee !== line.description && line.payee, line.reference && `Ref. ${line.reference}`].filter(Boolean).join(' · ')}
                    <span className="sm:hidden"> {tag.label}</span>
                  </span>
                </span>
                <span role="cell" className="text-right">
                  <Money amount={line.amount} currency={line.currency} />
                </span>
                <span role="cell" className="hidden sm:block">
                  <Badge tone={tag.tone}>{tag.label}</Badge>
                </span>
              </div>
            )
          })}
        </div>
      </div>
      {lines.isFetchingNextPage && <Loading label="Loading more lines…" />}
    </div>
  )
}
