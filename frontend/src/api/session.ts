/**
 * The signed-in session: the token pair kept in localStorage so a reload (or another tab)
 * stays signed in. Only this module and `client.ts` touch it.
 */
import type { components } from './schema'

export type TokenPair = components['schemas']['TokenPair']
export type Role = TokenPair['role']

export interface Session {
  accessToken: string
  refreshToken: string
  orgId: string
  role: Role
  /** Epoch ms after which the access token is considered stale. */
  expiresAt: number
}

const KEY = 'nexus.session'
type Listener = (session: Session | null) => void
const listeners = new Set<Listener>()

export interface SessionStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

let store: SessionStore = typeof localStorage !== 'undefined' ? localStorage : memoryStore()

function memoryStore(): SessionStore {
  const data = new Map<string, string>()
  return {
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
    removeItem: (key) => void data.delete(key),
  }
}

/** For tests: keep the session in memory. */
export function useMemorySessionStore(): void {
  store = memoryStore()
}

export function getSession(): Session | null {
  const raw = store.getItem(KEY)
  if (!raw) return null
  try {
    return JSON.parse(raw) as Session
  } catch {
    return null
  }
}

export function sessionFromTokens(pair: TokenPair, now = Date.now()): Session {
  return {
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    orgId: pair.org_id,
    role: pair.role,
    expiresAt: now + Math.max(0, pair.expires_in - 30) * 1000,
  }
}

export function setSession(session: Session | null): void {
  if (session) store.setItem(KEY, JSON.stringify(session))
  else store.removeItem(KEY)
  for (const listener of listeners) listener(session)
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

if (typeof window !== 'undefined') {
  // Another tab signed in, out, or refreshed: tell this one.
  window.addEventListener('storage', (event) => {
    if (event.key === KEY) for (const listener of listeners) listener(getSession())
  })
}
