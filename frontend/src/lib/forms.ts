/** Form helpers: zod issues and server errors as one {field path: message} map. */
import type { ZodError } from 'zod'
import { ApiError } from '@/api/errors'
import { errorMessage } from './query-client'

export type FieldErrors = Record<string, string>

export function zodErrors(error: ZodError): FieldErrors {
  const out: FieldErrors = {}
  for (const issue of error.issues) {
    const key = issue.path.join('.') || '_'
    out[key] ??= issue.message
  }
  return out
}

/**
 * Split a server error into messages for known fields and a form-level message.
 * `aliases` maps server paths to the form's (e.g. "username" → "email").
 */
export function serverErrors(error: unknown, known: readonly string[], aliases: Record<string, string> = {}): { fields: FieldErrors; form?: string } {
  if (!(error instanceof ApiError)) return { fields: {}, form: errorMessage(error) }
  const fields: FieldErrors = {}
  const leftover: string[] = []
  for (const [path, message] of Object.entries(error.fieldErrors)) {
    const mapped = aliases[path] ?? path
    const match = known.find((k) => mapped === k || mapped.startsWith(`${k}.`))
    if (match) fields[match] = fields[match] ? `${fields[match]} ${message}` : message
    else leftover.push(message)
  }
  const claimed = Object.keys(fields).length > 0
  if (!claimed) return { fields, form: error.message }
  return leftover.length ? { fields, form: leftover.join(' ') } : { fields }
}
