import { beforeEach, describe, expect, test, vi } from 'vitest'
import { makeClient, refreshSession, unwrap } from './client'
import { ApiError } from './errors'
import { getSession, setSession, useMemorySessionStore } from './session'

const BASE = 'http://nexus.test'
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
const pair = (n: number) => ({ access_token: `access-${n}`, refresh_token: `refresh-${n}`, token_type: 'bearer', expires_in: 900, org_id: 'org-1', role: 'owner' })

beforeEach(() => {
  useMemorySessionStore()
  setSession({ accessToken: 'access-1', refreshToken: 'refresh-1', orgId: 'org-1', role: 'owner', expiresAt: Date.now() + 600_000 })
})

/** A fake server: /me accepts only `valid`, /refresh trades `refresh-1` for pair 2. */
function server(options: { refreshOk?: boolean } = {}) {
  const calls: { path: string; auth: string | null; body: string }[] = []
  const fetcher = vi.fn(async (input: RequestInfo | URL) => {
    const request = input as Request
    const path = new URL(request.url).pathname
    const body = await request.clone().text()
    calls.push({ path, auth: request.headers.get('Authorization'), body })
    if (path === '/api/v1/auth/refresh') {
      if (options.refreshOk === false) return json(401, { error: { code: 'invalid_refresh_token', message: 'Refresh token is not valid.', details: {} } })
      return json(200, pair(2))
    }
    if (request.headers.get('Authorization') !== 'Bearer access-2') return json(401, { error: { code: 'unauthenticated', message: 'Token expired.', details: {} } })
    if (path === '/api/v1/auth/me/password') return new Response(null, { status: 204 })
    return json(200, { id: 'u', email: 'a@example.com', name: null, created_at: '2025-01-01T00:00:00Z', active_org: { id: 'org-1', name: 'O', role: 'owner' }, organisations: [] })
  })
  return { calls, fetcher }
}

describe('the API client', () => {
  test('on 401 it refreshes silently and retries the request once', async () => {
    const { calls, fetcher } = server()
    const client = makeClient(fetcher as unknown as typeof fetch, BASE)
    const me = unwrap(await client.GET('/api/v1/auth/me'))
    expect(me.email).toBe('a@example.com')
    expect(calls.map((c) => [c.path, c.auth])).toEqual([
      ['/api/v1/auth/me', 'Bearer access-1'],
      ['/api/v1/auth/refresh', null],
      ['/api/v1/auth/me', 'Bearer access-2'],
    ])
    expect(JSON.parse(calls[1]!.body)).toEqual({ refresh_token: 'refresh-1' })
    expect(getSession()?.refreshToken).toBe('refresh-2')
  })

  test('retries a request with a body, replaying the body', async () => {
    const { calls, fetcher } = server()
    const client = makeClient(fetcher as unknown as typeof fetch, BASE)
    const result = await client.POST('/api/v1/auth/me/password', { body: { current_password: 'old one', new_password: 'new one' } })
    expect(result.response.status).toBe(204)
    expect(calls[2]?.body).toBe(calls[0]?.body)
    expect(JSON.parse(calls[2]!.body)).toEqual({ current_password: 'old one', new_password: 'new one' })
  })

  test('concurrent 401s share one refresh', async () => {
    const { calls, fetcher } = server()
    const client = makeClient(fetcher as unknown as typeof fetch, BASE)
    await Promise.all([client.GET('/api/v1/auth/me'), client.GET('/api/v1/auth/me'), client.GET('/api/v1/auth/me')])
    expect(calls.filter((c) => c.path === '/api/v1/auth/refresh')).toHaveLength(1)
  })

  test('when the refresh fails the session ends and the 401 surfaces', async () => {
    const { calls, fetcher } = server({ refreshOk: false })
    const client = makeClient(fetcher as unknown as typeof fetch, BASE)
    const result = await client.GET('/api/v1/auth/me')
    expect(result.response.status).toBe(401)
    expect(() => unwrap(result)).toThrow(ApiError)
    expect(getSession()).toBeNull()
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/auth/me', '/api/v1/auth/refresh'])
  })

  test('an expired access token is refreshed before the request', async () => {
    setSession({ accessToken: 'access-1', refreshToken: 'refresh-1', orgId: 'org-1', role: 'owner', expiresAt: Date.now() - 1 })
    const { calls, fetcher } = server()
    const client = makeClient(fetcher as unknown as typeof fetch, BASE)
    unwrap(await client.GET('/api/v1/auth/me'))
    expect(calls.map((c) => [c.path, c.auth])).toEqual([
      ['/api/v1/auth/refresh', null],
      ['/api/v1/auth/me', 'Bearer access-2'],
    ])
  })

  test('switching organisation refreshes into the other org', async () => {
    const { calls, fetcher } = server()
    await refreshSession(undefined, 'org-2', fetcher as unknown as typeof fetch)
    expect(JSON.parse(calls[0]!.body)).toEqual({ refresh_token: 'refresh-1', org: 'org-2' })
  })

  test('server errors become ApiError with field messages', () => {
    const error = new ApiError(422, 'validation_error', 'The request is not valid.', {
      fields: [{ location: ['body', 'postings', '0', 'amount'], message: 'Value error, bad amount', type: 'value_error' }],
    })
    expect(error.fieldErrors).toEqual({ 'postings.0.amount': 'bad amount' })
  })
})
