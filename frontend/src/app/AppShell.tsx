import { useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom'
import { accountsQuery, meQuery } from '@/api/queries'
import { ErrorState } from '@/components/ui/Layout'
import { toast } from '@/components/ui/toast'
import { useSession, useSignOut, useSwitchOrg } from '@/lib/auth'
import { can } from '@/lib/permissions'
import { errorMessage } from '@/lib/query-client'

const LEDGER_PATHS = ['/', '/accounts', '/entries', '/imports', '/reconciliation']

export function AppShell() {
  const session = useSession()
  const me = useQuery(meQuery())
  const accounts = useQuery(accountsQuery())
  const location = useLocation()
  const navigate = useNavigate()
  const signOut = useSignOut()
  const switchOrg = useSwitchOrg()
  const [menuOpen, setMenuOpen] = useState(false)
  const [switching, setSwitching] = useState(false)

  useEffect(() => setMenuOpen(false), [location.pathname])

  const role = session?.role
  const needsSetup = accounts.data !== undefined && accounts.data.length === 0
  const inLedger = LEDGER_PATHS.some((p) => (p === '/' ? location.pathname === '/' : location.pathname.startsWith(p)))
  if (needsSetup && inLedger) return <Navigate to="/setup" replace />

  const links = [
    { to: '/', label: 'Dashboard', end: true },
    { to: '/accounts', label: 'Accounts' },
    { to: '/entries', label: 'Entries' },
    // Reconciliation belongs with the imports (it is reached from them).
    { to: '/imports', label: 'Imports', also: '/reconciliation' },
    ...(can.readMembers(role) ? [{ to: '/members', label: 'Members' }] : []),
    { to: '/settings', label: 'Settings' },
  ]

  async function onSwitch(orgId: string) {
    setSwitching(true)
    try {
      await switchOrg(orgId)
      navigate('/')
      toast('Switched organisation.', 'success')
    } catch (error) {
      toast(errorMessage(error), 'error')
    } finally {
      setSwitching(false)
    }
  }

  async function onSignOut() {
    await signOut()
    navigate('/signin', { replace: true })
  }

  const nav = (
    <nav aria-label="Main" className="flex flex-col gap-1">
      {links.map((link) => (
        <NavLink
          key={link.to}
          to={link.to}
          end={link.end ?? false}
          className={({ isActive }) =>
            `rounded-md px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-blue-700 ${isActive || (link.also && location.pathname.startsWith(link.also)) ? 'bg-blue-50 text-blue-800' : 'text-slate-700 hover:bg-slate-100'}`
          }
        >
          {link.label}
        </NavLink>
      ))}
    </nav>
  )

  const orgs = me.data?.organisations ?? []
  const account = (
    <div className="space-y-3 border-t border-slate-200 pt-4">
      <div>
        <label htmlFor="org-switcher" className="mb-1 block text-xs font-medium uppercase tracking-wide text-slate-600">
          Organisation
        </label>
        <select
          id="org-switcher"
          className="block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
          value={session?.orgId ?? ''}
          disabled={switching || orgs.length < 2}
          onChange={(e) => void onSwitch(e.target.value)}
        >
          {orgs.length === 0 && <option value={session?.orgId ?? ''}>{me.isLoading ? 'Loading…' : '—'}</option>}
          {orgs.map((org) => (
            <option key={org.id} value={org.id}>
              {org.name} ({org.role})
            </option>
          ))}
        </select>
      </div>
      <div className="flex items-center justify-between gap-2">
        <div className="min-w-0 text-sm">
          <p className="truncate font-medium text-slate-800">{me.data?.name ?? me.data?.email ?? ' '}</p>
          <p className="truncate text-xs text-slate-600">{role}</p>
        </div>
        <button type="button" onClick={() => void onSignOut()} className="rounded-md border border-slate-300 px-2.5 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-blue-700">
          Sign out
        </button>
      </div>
    </div>
  )

  return (
    <div className="min-h-dvh lg:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow">
        Skip to content
      </a>
      <header className="sticky top-0 z-30 flex items-center justify-between border-b border-slate-200 bg-white px-4 py-3 lg:hidden">
        <span className="text-lg font-semibold text-blue-800">Nexus</span>
        <button type="button" aria-expanded={menuOpen} aria-controls="mobile-menu" onClick={() => setMenuOpen((o) => !o)} className="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium">
          Menu
        </button>
      </header>
      {menuOpen && (
        <div id="mobile-menu" className="border-b border-slate-200 bg-white px-4 py-3 lg:hidden">
          {nav}
          <div className="mt-4">{account}</div>
        </div>
      )}
      <aside className="hidden w-60 shrink-0 flex-col justify-between border-r border-slate-200 bg-white px-4 py-5 lg:sticky lg:top-0 lg:flex lg:h-dvh">
        <div>
          <p className="mb-6 px-3 text-xl font-semibold text-blue-800">Nexus</p>
          {nav}
        </div>
        {account}
      </aside>
      <main id="main" className="min-w-0 flex-1 px-4 py-6 sm:px-6 lg:px-8">
        <div className="mx-auto max-w-6xl">
          {accounts.error && inLedger ? <ErrorState error={accounts.error} retry={() => void accounts.refetch()} /> : <Outlet />}
        </div>
      </main>
    </div>
  )
}
