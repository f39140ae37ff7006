import { formatMoney, isNegative } from '@/lib/money'

/** An amount, right-aligned in tables, negative in red *and* with a minus sign. */
export function Money({ amount, currency, signed, className = '' }: { amount: string; currency: string; signed?: boolean; className?: string }) {
  const negative = isNegative(amount)
  return (
    <span className={`tabular-nums whitespace-nowrap ${negative ? 'text-red-700' : ''} ${className}`}>
      {formatMoney(amount, currency, { signed: signed ?? false })}
    </span>
  )
}
