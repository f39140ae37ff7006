import { describe, expect, test } from 'vitest'
import { afterDecision, bulkAcceptable, confidencePercent, confidenceTone, keyCommand, moveSelection, reasonLabel, reviewList, type Match } from './review'

const match = (id: string, status: string, confidence = 0.8): Match => ({ id, status, confidence, kind: 'fuzzy', reasons: [], bank_line_ids: [`line-${id}`], entry_ids: [`entry-${id}`] })

describe('confidence', () => {
  test('as a whole percent, never rounded up past a threshold', () => {
    expect(confidencePercent(0.9425)).toBe(94)
    expect(confidencePercent(0.899)).toBe(89)
    expect(confidencePercent(0.9)).toBe(90)
    expect(confidencePercent(0.29)).toBe(29)
    expect(confidencePercent(1)).toBe(100)
    expect(confidencePercent(1.2)).toBe(100)
  })

  test('tone by band', () => {
    expect([0.95, 0.9, 0.8, 0.5].map(confidenceTone)).toEqual(['green', 'green', 'amber', 'red'])
  })
})

describe('reasons in words', () => {
  test('the matcher reasons', () => {
    const label = (r: string) => reasonLabel(r, 'EUR').label
    expect(label('amount_equal')).toBe('Same amount')
    expect(label('date_delta_2d')).toBe('2 days apart')
    expect(label('date_delta_1d')).toBe('1 day apart')
    expect(label('date_delta_0d')).toBe('Same day')
    expect(label('date_delta_-1d')).toBe('Bank 1 day earlier')
    expect(label('text_similarity_87')).toBe('Text 87% alike')
    expect(label('text_similarity_0')).toBe('Texts differ')
    expect(label('rival_gap_12')).toBe('Next best 12 points behind')
    expect(label('rival_gap_0')).toBe('A rival scores the same')
    expect(label('no_rival')).toBe('No other candidate')
    expect(label('group_size_3')).toBe('3 items together')
    expect(label('date_delta_max_4d')).toBe('At most 4 days apart')
    expect(label('fee_1.5pct')).toBe('Bank fee 1.5%')
    expect(label('fee_35_plus_1.75pct')).toBe('Bank fee 1.75%')
    expect(label('fee_fixed_35')).toBe('Fixed bank fee')
    expect(reasonLabel('fee_minor_35', 'EUR').label).toMatch(/^Fee €0\.35$|^Fee 0,35/)
    expect(label('something_new')).toBe('something new')
  })

  test('warning reasons stand out', () => {
    expect(reasonLabel('ambiguous', 'EUR').tone).toBe('amber')
    expect(reasonLabel('rival_gap_3', 'EUR').tone).toBe('amber')
    expect(reasonLabel('amount_equal', 'EUR').tone).toBe('slate')
  })
})

describe('the review list', () => {
  test('holds what a person decides, in bank-line order, stable across decisions', () => {
    const matches = [match('b', 'proposed'), match('a', 'auto_accepted'), match('c', 'accepted'), match('d', 'rejected')]
    const order: Record<string, string> = { 'line-b': '2026-11-12|2', 'line-c': '2026-11-03|1', 'line-d': '2026-11-20|3' }
    const key = (m: Match) => order[m.bank_line_ids[0]!] ?? ''
    expect(reviewList(matches, key).map((m) => m.id)).toEqual(['c', 'b', 'd'])
    const decided = matches.map((m) => (m.id === 'b' ? { ...m, status: 'accepted' } : m))
    expect(reviewList(decided, key).map((m) => m.id)).toEqual(['c', 'b', 'd'])
  })

  test('bulk accepts only proposed matches at or above the threshold', () => {
    const matches = [match('a', 'proposed', 0.9425), match('b', 'proposed', 0.875), match('c', 'accepted', 0.99), match('d', 'proposed', 0.9)]
    expect(bulkAcceptable(matches).map((m) => m.id)).toEqual(['a', 'd'])
    expect(bulkAcceptable(matches, 0.8).map((m) => m.id)).toEqual(['a', 'b', 'd'])
  })
})

describe('the keyboard', () => {
  test('keys to commands', () => {
    expect(keyCommand({ key: 'j' })).toEqual({ move: 'next' })
    expect(keyCommand({ key: 'ArrowDown' })).toEqual({ move: 'next' })
    expect(keyCommand({ key: 'k' })).toEqual({ move: 'previous' })
    expect(keyCommand({ key: 'ArrowUp' })).toEqual({ move: 'previous' })
    expect(keyCommand({ key: 'Home' })).toEqual({ move: 'first' })
    expect(keyCommand({ key: 'End' })).toEqual({ move: 'last' })
    expect(keyCommand({ key: 'a' })).toEqual({ decide: 'accept' })
    expect(keyCommand({ key: 'r' })).toEqual({ decide: 'reject' })
    expect(keyCommand({ key: 'a', ctrlKey: true })).toBeNull()
    expect(keyCommand({ key: 'r', metaKey: true })).toBeNull()
    expect(keyCommand({ key: 'A' })).toBeNull()
    expect(keyCommand({ key: 'x' })).toBeNull()
  })

  test('moves stay inside the list', () => {
    expect(moveSelection(0, 3, 'next')).toBe(1)
    expect(moveSelection(2, 3, 'next')).toBe(2)
    expect(moveSelection(0, 3, 'previous')).toBe(0)
    expect(moveSelection(1, 3, 'last')).toBe(2)
    expect(moveSelection(2, 3, 'first')).toBe(0)
    expect(moveSelection(7, 3, 'previous')).toBe(1)
    expect(moveSelection(0, 0, 'next')).toBe(0)
  })

  test('after a decision the selection goes to the next open match', () => {
    const list = [{ status: 'accepted' }, { status: 'proposed' }, { status: 'rejected' }, { status: 'proposed' }]
    expect(afterDecision(list, 1)).toBe(3)
    expect(afterDecision(list, 3)).toBe(1)
    expect(afterDecision([{ status: 'proposed' }], 0)).toBe(0)
    expect(afterDecision([{ status: 'accepted' }, { status: 'proposed' }], 1)).toBe(1)
  })
})
