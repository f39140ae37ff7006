/**
 * The one place money becomes text. Amounts arrive from the API as exact decimal strings
 * ("-1234.5"); they are never turned into floats for display.
 */

const MINUS = '\u2212'
const formatters = new Map<string, Intl.NumberFormat>()

function isIsoCurrency(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false
  try {
    new Intl.NumberFormat('en', { style: 'currency', currency: code })
    return true
  } catch {
    return false
  }
}

function formatter(locale: string | undefined, currency: string, scale: number | undefined, compact: boolean) {
  const key = `${locale ?? ''}|${currency}|${scale ?? ''}|${compact ? 'c' : ''}`
  let cached = formatters.get(key)
  if (cached === undefined) {
    const options: Intl.NumberFormatOptions = compact ? { notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 } : {}
    if (isIsoCurrency(currency)) {
      cached = new Intl.NumberFormat(locale, { style: 'currency', currency, ...options })
      if (scale !== undefined && !compact) {
        cached = new Intl.NumberFormat(locale, {
          style: 'currency',
          currency,
          minimumFractionDigits: scale,
          maximumFractionDigits: scale,
        })
      }
    } else {
      // A custom asset (shares, points): its own number of decimals, code after the number.
      const digits = scale ?? 2
      cached = new Intl.NumberFormat(locale, compact ? options : { minimumFractionDigits: digits, maximumFractionDigits: digits })
    }
    formatters.set(key, cached)
  }
  return cached
}

/** Decimals of an ISO 4217 currency as Intl knows them (JPY 0, EUR 2, KWD 3); 2 otherwise. */
export function currencyDecimals(currency: string): number {
  if (!isIsoCurrency(currency)) return 2
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
}

export function isNegative(amount: string): boolean {
  return /^\s*-/.test(amount) && /[1-9]/.test(amount)
}

export interface FormatOptions {
  locale?: string
  /** Decimals of a custom asset; ISO currencies use their own. */
  scale?: number
  /** Short form for chart axes: "€12K". */
  compact?: boolean
  /** Show "+" on positive amounts (changes, imbalances). */
  signed?: boolean
}

/**
 * Format a decimal string (or a number for chart axes) in `currency`.
 * Negative amounts carry a real minus sign (U+2212), never just a colour.
 */
export function formatMoney(amount: string | number, currency: string, options: FormatOptions = {}): string {
  const text = typeof amount === 'number' ? String(amount) : amount.trim()
  const negative = typeof amount === 'number' ? amount < 0 : isNegative(text)
  const magnitude = text.replace(/^[-+]/, '')
  const fmt = formatter(options.locale, currency, isIsoCurrency(currency) ? undefined : options.scale, options.compact ?? false)
  // Intl formats a decimal string exactly (no float rounding on the way).
  const body = fmt.format(magnitude as Intl.StringNumericLiteral)
  const withCode = isIsoCurrency(currency) ? body : `${body}\u00a0${currency}`
  if (negative) return `${MINUS}${withCode}`
  if (options.signed && /[1-9]/.test(magnitude)) return `+${withCode}`
  return withCode
}

/** Parse a user-typed amount ("1,234.50", "12") into minor units, or null when not a number. */
export function toMinor(text: string, scale: number): bigint | null {
  const cleaned = text.replace(/[\s,_']/g, '')
  const match = /^([-+]?)(\d*)(?:\.(\d*))?$/.exec(cleaned)
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return null
  const [, sign, whole = '', frac = ''] = match
  if (frac.length > scale) return null
  const digits = (whole || '0') + frac.padEnd(scale, '0')
  const value = BigInt(digits)
  return sign === '-' ? -value : value
}

/** Minor units back to an API decimal string ("-12.30"). */
export function fromMinor(minor: bigint, scale: number): string {
  const negative = minor < 0n
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, '0')
  const whole = scale === 0 ? digits : digits.slice(0, -scale)
  const frac = scale === 0 ? '' : `.${digits.slice(-scale)}`
  return `${negative ? '-' : ''}${whole}${frac}`
}

/** Add decimal strings exactly (for sums shown on screen, e.g. net worth). */
export function sumAmounts(amounts: readonly string[], scale = 0): string {
  const common = amounts.reduce((most, amount) => Math.max(most, decimalsOf(amount)), scale)
  let total = 0n
  for (const amount of amounts) total += toMinor(amount, common) ?? 0n
  return fromMinor(total, common)
}

/** Subtract exactly: a - b. */
export function subtractAmounts(a: string, b: string): string {
  return sumAmounts([a, negateAmount(b)])
}

/** Flip the sign of a decimal string exactly. */
export function negateAmount(amount: string): string {
  const text = amount.trim()
  if (!/[1-9]/.test(text)) return text.replace(/^[-+]/, '')
  return text.startsWith('-') ? text.slice(1) : `-${text.replace(/^\+/, '')}`
}

function decimalsOf(amount: string): number {
  const dot = amount.indexOf('.')
  return dot < 0 ? 0 : amount.length - dot - 1
}

/** A decimal string as a float, only for chart geometry — never for display or arithmetic. */
export function toChartNumber(amount: string): number {
  return Number(amount)
}
