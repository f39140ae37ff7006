/** The session as React state, and the actions that change it (sign in/up/out, switch org). */
import { useQueryClient } from '@tanstack/react-query'
import { useCallback, useSyncExternalStore } from 'react'
import { api, refreshSession, unwrap } from '@/api/client'
import { getSession, onSessionChange, sessionFromTokens, setSession, type Session } from '@/api/session'

let snapshot: Session | null = getSession()
onSessionChange((session) => {
  snapshot = session
})

function subscribe(listener: () => void) {
  return onSessionChange(() => listener())
}

export function useSession(): Session | null {
  return useSyncExternalStore(subscribe, () => snapshot)
}

export async function signIn(email: string, password: string, org?: string): Promise<Session> {
  const pair = unwrap(
    await api.POST('/api/v1/auth/token', {
      body: { username: email, password, ...(org ? { org } : {}) },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    }),
  )
  const session = sessionFromTokens(pair)
  setSession(session)
  return session
}

export async function signUp(input: { email: string; password: string; org_name: string; name?: string }) {
  unwrap(await api.POST('/api/v1/auth/register', { body: input }))
  return signIn(input.email, input.password)
}

export function useSignOut() {
  const client = useQueryClient()
  return useCallback(async () => {
    const session = getSession()
    setSession(null)
    client.clear()
    if (session) {
      await api.POST('/api/v1/auth/logout', { body: { refresh_token: session.refreshToken } }).catch(() => undefined)
    }
  }, [client])
}

export function useSwitchOrg() {
  const client = useQueryClient()
  return useCallback(
    async (orgId: string) => {
      await refreshSession(undefined, orgId)
      client.clear()
    },
    [client],
  )
}
