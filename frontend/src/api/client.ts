/**
 * The typed API client (openapi-fetch over the generated schema) and the one place that
 * adds the access token, refreshes it silently on a 401 and retries once.
 */
import createClient from 'openapi-fetch'
import type { paths } from './schema'
import { toApiError } from './errors'
import { getSession, sessionFromTokens, setSession, type Session } from './session'

const REFRESH_PATH = '/api/v1/auth/refresh'
const NO_AUTH = ['/api/v1/auth/token', '/api/v1/auth/register', REFRESH_PATH, '/api/v1/auth/logout']

let inflight: Promise<Session | null> | null = null

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  // Serialise refreshes across tabs: refresh tokens rotate, and a reused one revokes its family.
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
  if (locks) return locks.request('nexus.refresh', fn) as Promise<T>
  return fn()
}

/**
 * Trade the refresh token for a new pair (single flight per tab). `staleAccess` is the token
 * that was refused: if another tab already replaced it, use theirs instead of refreshing.
 * Returns null (and signs out) when the refresh token is no longer accepted.
 */
export function refreshSession(staleAccess?: string, org?: string, baseFetch: typeof fetch = (...a) => fetch(...a)): Promise<Session | null> {
  if (inflight && org === undefined) return inflight
  const run = withLock(async () => {
    const current = getSession()
    if (!current) return null
    if (org === undefined && staleAccess !== undefined && current.accessToken !== staleAccess && current.expiresAt > Date.now()) {
      return current
    }
    let response: Response
    try {
      response = await baseFetch(new Request(new URL(REFRESH_PATH, baseUrl()), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(org === undefined ? { refresh_token: current.refreshToken } : { refresh_token: current.refreshToken, org }),
      }))
    } catch {
      return null // offline: keep the session, the request fails as a network error
    }
    if (!response.ok) {
      if (org !== undefined) {
        throw toApiError(response.status, await response.json().catch(() => null))
      }
      setSession(null)
      return null
    }
    const session = sessionFromTokens((await response.json()) as Parameters<typeof sessionFromTokens>[0])
    setSession(session)
    return session
  })
  if (org === undefined) {
    inflight = run.finally(() => {
      inflight = null
    })
    return inflight
  }
  return run
}

function baseUrl(): string {
  return typeof window !== 'undefined' ? window.location.origin : 'http://localhost'
}

function isPublic(url: string): boolean {
  const path = new URL(url).pathname
  return NO_AUTH.some((p) => path === p)
}

/** fetch with the bearer token; on 401, refresh once and replay the request. */
export function createAuthFetch(baseFetch: typeof fetch = (...a) => fetch(...a)) {
  return async function authFetch(request: Request): Promise<Response> {
    if (isPublic(request.url)) return baseFetch(request)
    const replay = request.clone()
    let session = getSession()
    if (session && session.expiresAt <= Date.now()) {
      session = (await refreshSession(session.accessToken, undefined, baseFetch)) ?? session
    }
    if (session) request.headers.set('Authorization', `Bearer ${session.accessToken}`)
    const response = await baseFetch(request)
    if (response.status !== 401 || !session) return response
    const renewed = await refreshSession(session.accessToken, undefined, baseFetch)
    if (!renewed) return response
    replay.headers.set('Authorization', `Bearer ${renewed.accessToken}`)
    return baseFetch(replay)
  }
}

export function makeClient(baseFetch?: typeof fetch, base?: string) {
  return createClient<paths>({ baseUrl: base ?? baseUrl(), fetch: createAuthFetch(baseFetch) })
}

export const api = makeClient()

/** Unwrap an openapi-fetch result: the data, or an ApiError with the server's message. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw toApiError(result.response.status, result.error)
  }
  return result.data as T
}
