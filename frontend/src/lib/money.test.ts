import { describe, expect, test } from 'vitest'
import { currencyDecimals, formatMoney, fromMinor, negateAmount, subtractAmounts, sumAmounts, toMinor } from './money'

describe('formatMoney', () => {
  test('uses the currency symbol and its own decimals', () => {
    expect(formatMoney('1234.5', 'EUR', { locale: 'en-US' })).toBe('€1,234.50')
    expect(formatMoney('1234', 'JPY', { locale: 'en-US' })).toBe('¥1,234')
    expect(formatMoney('1.234', 'KWD', { locale: 'en-US' })).toBe('KWD\u00a01.234')
  })

  test('follows the locale', () => {
    expect(formatMoney('1234.5', 'EUR', { locale: 'de-DE' })).toBe('1.234,50\u00a0€')
  })

  test('marks negatives with a real minus sign', () => {
    expect(formatMoney('-42.1', 'USD', { locale: 'en-US' })).toBe('\u2212$42.10')
    expect(formatMoney('-0.00', 'USD', { locale: 'en-US' })).toBe('$0.00')
  })

  test('formats exact decimal strings without float rounding', () => {
    expect(formatMoney('90071992547409.93', 'USD', { locale: 'en-US' })).toBe('$90,071,992,547,409.93')
  })

  test('shows a plus sign on request', () => {
    expect(formatMoney('5', 'EUR', { locale: 'en-US', signed: true })).toBe('+€5.00')
    expect(formatMoney('0', 'EUR', { locale: 'en-US', signed: true })).toBe('€0.00')
  })

  test('formats custom assets with their scale and code', () => {
    expect(formatMoney('12.5', 'VWRL', { locale: 'en-US', scale: 4 })).toBe('12.5000\u00a0VWRL')
  })

  test('compact form for chart axes', () => {
    expect(formatMoney(12000, 'EUR', { locale: 'en-US', compact: true })).toBe('€12K')
  })
})

describe('exact arithmetic on decimal strings', () => {
  test('currency decimals come from Intl', () => {
    expect(currencyDecimals('EUR')).toBe(2)
    expect(currencyDecimals('JPY')).toBe(0)
    expect(currencyDecimals('BHD')).toBe(3)
  })

  test('toMinor and fromMinor round-trip', () => {
    expect(toMinor('1,234.5', 2)).toBe(123450n)
    expect(toMinor('-0.01', 2)).toBe(-1n)
    expect(toMinor('1.234', 2)).toBeNull()
    expect(toMinor('abc', 2)).toBeNull()
    expect(fromMinor(-1n, 2)).toBe('-0.01')
    expect(fromMinor(5n, 0)).toBe('5')
  })

  test('sums and differences are exact', () => {
    expect(sumAmounts(['0.1', '0.2'])).toBe('0.3')
    expect(sumAmounts(['10.00', '-2.5'])).toBe('7.50')
    expect(subtractAmounts('100.00', '-20.00')).toBe('120.00')
    expect(negateAmount('-3.00')).toBe('3.00')
    expect(negateAmount('0.00')).toBe('0.00')
  })
})
