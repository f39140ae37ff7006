import { describe, expect, test } from 'vitest'
import { isBusy, lineStatusLabel, plural, progressText, statusLabel, stepOf } from './status'

describe('import status', () => {
  test('busy statuses are polled', () => {
    expect(['parsing', 'committing', 'undoing'].map(isBusy)).toEqual([true, true, true])
    expect(['previewed', 'committed', 'undone', 'failed', undefined].map(isBusy)).toEqual([false, false, false, false, false])
  })

  test('each status has a label and a step of the wizard', () => {
    expect(statusLabel('previewed')).toEqual({ label: 'Ready to commit', tone: 'amber' })
    expect(statusLabel('something-new')).toEqual({ label: 'something-new', tone: 'slate' })
    expect(lineStatusLabel('duplicate')).toEqual({ label: 'Duplicate', tone: 'amber' })
    expect(['parsing', 'previewed', 'failed', 'committing', 'committed', 'undone'].map(stepOf)).toEqual([2, 2, 2, 3, 3, 3])
  })

  test('progress says how far, in lines and percent', () => {
    expect(progressText({ status: 'parsing', progress: { done: 250_000, total: 1_000_000, percent: 25 } })).toEqual({
      label: 'Reading the file…',
      detail: `${(250_000).toLocaleString()} of ${(1_000_000).toLocaleString()} lines (25%)`,
      percent: 25,
    })
    expect(progressText({ status: 'committing', progress: { done: 3, total: 0, percent: 0 } })).toEqual({ label: 'Posting and matching…', detail: '0%', percent: 0 })
    // Never past the end, never 100% before it is done.
    expect(progressText({ status: 'undoing', progress: { done: 12, total: 10, percent: 120 } }).percent).toBe(100)
    expect(progressText({ status: 'parsing', progress: { done: 999, total: 1000, percent: 99.9 } }).detail).toMatch(/\(99%\)$/)
  })

  test('plurals', () => {
    expect(plural(1, 'line')).toBe('1 line')
    expect(plural(6, 'line')).toBe('6 lines')
    expect(plural(2, 'entry', 'entries')).toBe('2 entries')
  })
})
