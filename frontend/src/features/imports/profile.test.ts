import { describe, expect, test } from 'vitest'
import { columnKey, columnOptions, columnRef, DEFAULT_PROFILE, formFromProfile, looksLikeCsv, missingFields, problemOf, profileFromForm, withHeader, type CsvProfile } from './profile'

const header = ['Booking date', 'Value date', 'Text', 'Payee', 'Amount']
const suggested: CsvProfile = {
  ...DEFAULT_PROFILE,
  delimiter: ';',
  encoding: 'utf-8',
  date_column: 'Booking date',
  date_format: '%d.%m.%Y',
  value_date_column: 'Value date',
  amount_column: 'Amount',
  decimal_separator: ',',
  thousands_separator: '.',
  description_columns: ['Text'],
  payee_column: 'Payee',
  reference_column: null,
}

describe('the CSV mapping form', () => {
  test('reads a suggested profile and sends it back unchanged', () => {
    const form = formFromProfile(suggested, header)
    expect(form).toMatchObject({ delimiter: ';', dateColumn: 'Booking date', amountMode: 'single', amountColumn: 'Amount', descriptionColumns: ['Text'], payeeColumn: 'Payee', referenceColumn: '', thousandsSeparator: '.' })
    const profile = profileFromForm(form)
    expect(profile).toEqual({ ...suggested, debit_column: null, credit_column: null })
  })

  test('carries the fields it does not edit (encoding, value date) through', () => {
    const profile = profileFromForm(formFromProfile({ ...suggested, currency: 'CHF' }, header))
    expect(profile.encoding).toBe('utf-8')
    expect(profile.value_date_column).toBe('Value date')
    expect(profile.currency).toBe('CHF')
  })

  test('one edit changes exactly its field', () => {
    const form = formFromProfile(suggested, header)
    expect(profileFromForm({ ...form, dateColumn: 'Value date' }).date_column).toBe('Value date')
    expect(profileFromForm({ ...form, negate: true }).negate).toBe(true)
    expect(profileFromForm({ ...form, thousandsSeparator: '' }).thousands_separator).toBeNull()
    expect(profileFromForm({ ...form, payeeColumn: '' }).payee_column).toBeNull()
  })

  test('debit and credit columns replace the amount column', () => {
    const form = { ...formFromProfile(suggested, header), amountMode: 'split' as const, debitColumn: 'Amount', creditColumn: 'Text' }
    const profile = profileFromForm(form)
    expect(profile).toMatchObject({ amount_column: null, debit_column: 'Amount', credit_column: 'Text' })
    expect(formFromProfile(profile, header).amountMode).toBe('split')
  })

  test('without a header columns go by index, sent as numbers', () => {
    const profile: CsvProfile = { ...DEFAULT_PROFILE, has_header: false, date_column: 0, amount_column: 2, description_columns: [1] }
    const form = formFromProfile(profile, [])
    expect(form).toMatchObject({ hasHeader: false, dateColumn: '0', amountColumn: '2', descriptionColumns: ['1'] })
    expect(profileFromForm(form)).toMatchObject({ has_header: false, date_column: 0, amount_column: 2, description_columns: [1] })
  })

  test('indexes in a profile with a header show as the header names', () => {
    expect(columnKey(4, header, true)).toBe('Amount')
    expect(columnKey(9, header, true)).toBe('9')
    expect(columnKey('Amount', header, false)).toBe('4')
    expect(columnKey(null, header, true)).toBe('')
    expect(columnRef('3', false)).toBe(3)
    expect(columnRef('3', true)).toBe('3')
    expect(columnRef('', true)).toBeNull()
  })

  test('switching the header row off and on renames the chosen columns', () => {
    const form = formFromProfile(suggested, header)
    const off = withHeader(form, false, header)
    expect(off).toMatchObject({ hasHeader: false, dateColumn: '0', amountColumn: '4', descriptionColumns: ['2'], payeeColumn: '3' })
    expect(withHeader(off, true, header)).toMatchObject({ hasHeader: true, dateColumn: 'Booking date', amountColumn: 'Amount', descriptionColumns: ['Text'] })
    expect(withHeader(form, true, header)).toBe(form)
  })

  test('column options name header columns, or number them with a sample', () => {
    expect(columnOptions(['Date', ''], [])).toEqual([
      { key: 'Date', label: 'Date' },
      { key: '', label: 'Column 2' },
    ])
    expect(columnOptions([], [['2026-11-03', 'A very long description of a payment here', '-4.50']])).toEqual([
      { key: '0', label: 'Column 1 (2026-11-03)' },
      { key: '1', label: 'Column 2 (A very long description…)' },
      { key: '2', label: 'Column 3 (-4.50)' },
    ])
  })

  test('says which required columns are missing', () => {
    const form = formFromProfile(suggested, header)
    expect(missingFields(form)).toEqual([])
    expect(missingFields({ ...form, dateColumn: '', amountColumn: '' })).toEqual(['the date column', 'the amount column'])
    expect(missingFields({ ...form, amountMode: 'split', debitColumn: '', creditColumn: '' })).toEqual(['a debit or credit column'])
  })
})

describe('the preview problem', () => {
  test('names the line of the server error as a sentence', () => {
    const error = { code: 'statement_unreadable', message: "line 5: column 'Date': date '2026-13-45' is not a date like %Y-%m-%d", details: { line: 5 } }
    expect(problemOf({ error })).toEqual({ message: "Line 5: column 'Date': date '2026-13-45' is not a date like %Y-%m-%d", line: 5 })
    expect(problemOf({ error: { message: 'no amount column' } })).toEqual({ message: 'No amount column', line: null })
    expect(problemOf({ error: null })).toBeNull()
  })
})

describe('telling CSV files from the structured formats', () => {
  test('by name and by their first bytes', () => {
    expect(looksLikeCsv('export.csv', 'Date,Amount\n')).toBe(true)
    expect(looksLikeCsv('EXPORT.TSV', 'Date\tAmount\n')).toBe(true)
    expect(looksLikeCsv('bank.txt', 'Datum;Betrag\n')).toBe(true)
    expect(looksLikeCsv('statement.ofx', 'OFXHEADER:100\n')).toBe(false)
    expect(looksLikeCsv('download.csv', 'OFXHEADER:100\nDATA:OFXSGML')).toBe(false)
    expect(looksLikeCsv('camt.xml', '<?xml version="1.0"?><Document>')).toBe(false)
    expect(looksLikeCsv('mt940.txt', ':20:STARTUMSE\n:25:1234')).toBe(false)
    expect(looksLikeCsv('money.qif', '!Type:Bank\n')).toBe(false)
    expect(looksLikeCsv('notes', 'just words\n')).toBe(false)
  })
})
