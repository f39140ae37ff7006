/** The API's one error shape, `{"error": {"code", "message", "details"}}`, as an exception. */

export interface FieldProblem {
  location: string[]
  message: string
  type?: string
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly details: Record<string, unknown>

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }

  /** Validation problems of the request body, keyed by their path without "body" ("postings.0.amount"). */
  get fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {}
    const fields = this.details.fields
    if (Array.isArray(fields)) {
      for (const raw of fields as FieldProblem[]) {
        const path = raw.location.filter((part, index) => !(index === 0 && (part === 'body' || part === 'query'))).join('.')
        const message = raw.message.replace(/^Value error, /, '')
        out[path || '_'] = out[path || '_'] ? `${out[path || '_']} ${message}` : message
      }
    }
    // Domain errors name their field or posting line in details.
    if (typeof this.details.field === 'string') out[this.details.field] = this.message
    if (typeof this.details.line === 'number') out[`postings.${this.details.line}`] = this.message
    return out
  }
}

export function toApiError(status: number, body: unknown, fallback = 'Something went wrong.'): ApiError {
  if (body && typeof body === 'object' && 'error' in body) {
    const error = (body as { error: { code?: string; message?: string; details?: Record<string, unknown> } }).error
    return new ApiError(status, error.code ?? 'error', error.message ?? fallback, error.details ?? {})
  }
  if (status === 0) return new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection.')
  return new ApiError(status, 'http_error', status >= 500 ? 'The server had a problem. Please try again.' : fallback)
}
