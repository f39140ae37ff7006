import { describe, expect, test } from 'vitest'
import { checkBalance, type LineInput } from './balance'

const scaleOf = (currency: string) => (currency === 'JPY' ? 0 : 2)
const line = (accountId: string, debit: string, credit: string, currency = 'EUR'): LineInput => ({ accountId, currency, debit, credit })

describe('checkBalance', () => {
  test('a debit and an equal credit balance', () => {
    const report = checkBalance([line('a', '42.10', ''), line('b', '', '42.1')], scaleOf)
    expect(report.balanced).toBe(true)
    expect(report.lines.map((l) => l.amount)).toEqual(['42.10', '-42.10'])
    expect(report.currencies).toEqual([{ currency: 'EUR', debits: '42.10', credits: '42.10', imbalance: '0.00', balanced: true }])
  })

  test('reports the imbalance exactly', () => {
    const report = checkBalance([line('a', '0.1', ''), line('b', '0.2', ''), line('c', '', '0.31')], scaleOf)
    expect(report.balanced).toBe(false)
    expect(report.currencies[0]?.imbalance).toBe('-0.01')
  })

  test('balances each currency on its own', () => {
    const lines = [line('a', '100', ''), line('b', '', '100'), line('c', '1000', '', 'JPY'), line('d', '', '999', 'JPY')]
    const report = checkBalance(lines, scaleOf)
    expect(report.balanced).toBe(false)
    expect(report.currencies.map((c) => [c.currency, c.balanced, c.imbalance])).toEqual([
      ['EUR', true, '0.00'],
      ['JPY', false, '1'],
    ])
  })

  test('flags lines with both, neither, zero, bad or too precise amounts', () => {
    const report = checkBalance(
      [line('a', '1', '1'), line('b', '', ''), line('c', '0', ''), line('d', 'x', ''), line('e', '1.234', ''), line('f', '5', '', 'JPY'), line('g', '-3', '')],
      scaleOf,
    )
    expect(report.lines.map((l) => l.problem)).toEqual(['both', 'neither', 'zero', 'invalid', 'too_precise', undefined, 'invalid'])
    expect(report.balanced).toBe(false)
  })

  test('an empty trailing line without an account is ignored', () => {
    const report = checkBalance([line('a', '5', ''), line('b', '', '5'), line('', '', '')], scaleOf)
    expect(report.balanced).toBe(true)
    expect(report.complete).toBe(2)
  })

  test('nothing entered is not balanced', () => {
    expect(checkBalance([line('', '', ''), line('', '', '')], scaleOf).balanced).toBe(false)
  })
})
