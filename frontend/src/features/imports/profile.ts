/**
 * The CSV mapping form and the API's CSV profile (`CsvProfileBody`), both ways.
 *
 * The form names a column by a string key: the header name when the file has a header
 * row, otherwise the column's 0-based index as text ("3"). The profile sends header
 * names as strings and indexes as numbers, which is what the server expects.
 * Fields the form does not edit (quote character, encoding, value date, direction,
 * currency columns…) are carried through untouched.
 */
import type { Schemas } from '@/api/queries'

export type CsvProfile = Schemas['CsvProfileBody']
type ColumnRef = string | number | null | undefined

export interface ProfileForm {
  delimiter: string
  hasHeader: boolean
  dateColumn: string
  dateFormat: string
  amountMode: 'single' | 'split'
  amountColumn: string
  debitColumn: string
  creditColumn: string
  decimalSeparator: string
  /** '' for none. */
  thousandsSeparator: string
  descriptionColumns: string[]
  payeeColumn: string
  referenceColumn: string
  /** Flip every sign (exports that show money out as positive). */
  negate: boolean
  /** What the form does not edit, sent back as it came. */
  rest: Omit<CsvProfile, EditedField>
}

type EditedField =
  | 'delimiter'
  | 'has_header'
  | 'date_column'
  | 'date_format'
  | 'amount_column'
  | 'debit_column'
  | 'credit_column'
  | 'decimal_separator'
  | 'thousands_separator'
  | 'description_columns'
  | 'payee_column'
  | 'reference_column'
  | 'negate'

/** The server's defaults of a profile (what it reads when a field is left out). */
export const DEFAULT_PROFILE: CsvProfile = {
  delimiter: ',',
  quotechar: '"',
  has_header: true,
  skip_rows: 0,
  date_format: '%Y-%m-%d',
  decimal_separator: '.',
  negate: false,
}

export const DELIMITERS = [
  { value: ',', label: 'Comma (,)' },
  { value: ';', label: 'Semicolon (;)' },
  { value: '\t', label: 'Tab' },
  { value: '|', label: 'Pipe (|)' },
] as const

/** Common date layouts in Python's strftime codes (what the server reads). */
export const DATE_FORMATS = [
  { value: '%Y-%m-%d', label: '2026-11-03' },
  { value: '%d.%m.%Y', label: '03.11.2026' },
  { value: '%d/%m/%Y', label: '03/11/2026 (day first)' },
  { value: '%m/%d/%Y', label: '11/03/2026 (month first)' },
  { value: '%d-%m-%Y', label: '03-11-2026' },
  { value: '%Y/%m/%d', label: '2026/11/03' },
  { value: '%d.%m.%y', label: '03.11.26' },
  { value: '%Y%m%d', label: '20261103' },
  { value: '%d %b %Y', label: '03 Nov 2026' },
] as const

export const THOUSANDS_SEPARATORS = [
  { value: '', label: 'None' },
  { value: ',', label: 'Comma (1,234)' },
  { value: '.', label: 'Dot (1.234)' },
  { value: ' ', label: 'Space (1 234)' },
  { value: "'", label: "Apostrophe (1'234)" },
] as const

/** The form's key of a profile column reference. */
export function columnKey(ref: ColumnRef, header: readonly string[], hasHeader: boolean): string {
  if (ref === null || ref === undefined || ref === '') return ''
  if (typeof ref === 'number') return hasHeader && header[ref] !== undefined ? header[ref] : String(ref)
  if (hasHeader) return ref
  const index = header.indexOf(ref)
  return index >= 0 ? String(index) : ref
}

/** The profile's column reference of a form key: a header name, an index, or null. */
export function columnRef(key: string, hasHeader: boolean): string | number | null {
  if (key === '') return null
  if (hasHeader) return key
  const index = Number(key)
  return Number.isInteger(index) && index >= 0 ? index : key
}

export function formFromProfile(profile: CsvProfile, header: readonly string[]): ProfileForm {
  const hasHeader = profile.has_header ?? true
  const key = (ref: ColumnRef) => columnKey(ref, header, hasHeader)
  const {
    delimiter,
    has_header: _hasHeader,
    date_column,
    date_format,
    amount_column,
    debit_column,
    credit_column,
    decimal_separator,
    thousands_separator,
    description_columns,
    payee_column,
    reference_column,
    negate,
    ...rest
  } = profile
  const split = (amount_column === null || amount_column === undefined) && (debit_column != null || credit_column != null)
  return {
    delimiter: delimiter ?? ',',
    hasHeader,
    dateColumn: key(date_column),
    dateFormat: date_format ?? '%Y-%m-%d',
    amountMode: split ? 'split' : 'single',
    amountColumn: key(amount_column),
    debitColumn: key(debit_column),
    creditColumn: key(credit_column),
    decimalSeparator: decimal_separator ?? '.',
    thousandsSeparator: thousands_separator ?? '',
    descriptionColumns: (description_columns ?? []).map(key).filter((k) => k !== ''),
    payeeColumn: key(payee_column),
    referenceColumn: key(reference_column),
    negate: negate ?? false,
    rest,
  }
}

/** The profile to send (the amounts' currency is the import account's; the server knows it). */
export function profileFromForm(form: ProfileForm): CsvProfile {
  const ref = (key: string) => columnRef(key, form.hasHeader)
  const single = form.amountMode === 'single'
  return {
    ...form.rest,
    delimiter: form.delimiter,
    has_header: form.hasHeader,
    date_column: ref(form.dateColumn),
    date_format: form.dateFormat,
    amount_column: single ? ref(form.amountColumn) : null,
    debit_column: single ? null : ref(form.debitColumn),
    credit_column: single ? null : ref(form.creditColumn),
    decimal_separator: form.decimalSeparator,
    thousands_separator: form.thousandsSeparator === '' ? null : form.thousandsSeparator,
    description_columns: form.descriptionColumns.map(ref).filter((r): r is string | number => r !== null),
    payee_column: ref(form.payeeColumn),
    reference_column: ref(form.referenceColumn),
    negate: form.negate,
  }
}

/**
 * Switch "the first row is a header" on or off, renaming the chosen columns between
 * header names and indexes. `firstRow` is the file's first row (the header when it is
 * one, otherwise the first data row).
 */
export function withHeader(form: ProfileForm, hasHeader: boolean, firstRow: readonly string[]): ProfileForm {
  if (hasHeader === form.hasHeader) return form
  const convert = (key: string): string => {
    if (key === '') return ''
    if (hasHeader) {
      const name = firstRow[Number(key)]
      return name !== undefined && /^\d+$/.test(key) ? name : key
    }
    const index = firstRow.indexOf(key)
    return index >= 0 ? String(index) : key
  }
  return {
    ...form,
    hasHeader,
    dateColumn: convert(form.dateColumn),
    amountColumn: convert(form.amountColumn),
    debitColumn: convert(form.debitColumn),
    creditColumn: convert(form.creditColumn),
    descriptionColumns: form.descriptionColumns.map(convert),
    payeeColumn: convert(form.payeeColumn),
    referenceColumn: convert(form.referenceColumn),
  }
}

export interface ColumnOption {
  key: string
  label: string
}

/** The columns to choose from: header names, or "Column 3 (sample)" without a header. */
export function columnOptions(header: readonly string[], rows: readonly (readonly string[])[]): ColumnOption[] {
  if (header.length > 0) return header.map((name, index) => ({ key: name, label: name || `Column ${index + 1}` }))
  const width = rows.reduce((most, row) => Math.max(most, row.length), 0)
  return Array.from({ length: width }, (_, index) => {
    const sample = rows[0]?.[index]?.trim()
    return { key: String(index), label: sample ? `Column ${index + 1} (${sample.length > 24 ? `${sample.slice(0, 24).trimEnd()}…` : sample})` : `Column ${index + 1}` }
  })
}

/** Which mapping fields are still missing for the file to be read (shown before the server says so). */
export function missingFields(form: ProfileForm): string[] {
  const missing: string[] = []
  if (!form.dateColumn) missing.push('the date column')
  if (form.amountMode === 'single' && !form.amountColumn) missing.push('the amount column')
  if (form.amountMode === 'split' && !form.debitColumn && !form.creditColumn) missing.push('a debit or credit column')
  return missing
}

/** Whether a file should go through the CSV mapping step: by its name, then its first bytes. */
export function looksLikeCsv(filename: string, head: string): boolean {
  const text = head.replace(/^\uFEFF/, '').trimStart()
  if (/^</.test(text) || /OFXHEADER|<OFX>|camt\.05/i.test(text)) return false
  if (/^(:20:|\{1:)/.test(text) || /^!(Type|Account|Option)/i.test(text)) return false
  const name = filename.toLowerCase()
  if (/\.(csv|tsv)$/.test(name)) return true
  if (/\.(ofx|qfx|xml|sta|mt940|940|qif)$/.test(name)) return false
  // Something else (.txt, no extension): delimited text if its first line splits into columns.
  const firstLine = text.split(/\r?\n/, 1)[0] ?? ''
  return /[,;\t|]/.test(firstLine)
}

/** Server messages start in lower case ("line 5: …"); as a sentence they start with a capital. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** The preview's problem (a bad date, a missing column) and the line it names, if any. */
export function problemOf(preview: Pick<Schemas['CsvPreview'], 'error'> | undefined): { message: string; line: number | null } | null {
  const error = preview?.error
  if (!error) return null
  const message = typeof error.message === 'string' ? error.message : 'The file cannot be read with this mapping.'
  const details = error.details as Record<string, unknown> | undefined
  return { message: sentence(message), line: typeof details?.line === 'number' ? details.line : null }
}
