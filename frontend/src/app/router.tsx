import { lazy, Suspense, type ComponentType } from 'react'
import { createBrowserRouter, Navigate, Outlet, useLocation } from 'react-router-dom'
import { Loading } from '@/components/ui/Layout'
import { getSession } from '@/api/session'
import { accountsQuery, ledgerSettingsQuery, meQuery } from '@/api/queries'
import { recentEntriesQuery, trendQueries } from '@/features/dashboard/queries'
import { useSession } from '@/lib/auth'
import { queryClient } from '@/lib/query-client'
import { AppShell } from './AppShell'

// Every screen is its own chunk; the first paint only needs the shell.
function page(load: () => Promise<{ default: ComponentType }>) {
  const Component = lazy(load)
  return (
    <Suspense fallback={<Loading className="justify-center py-16" />}>
      <Component />
    </Suspense>
  )
}

/**
 * Start the dashboard's requests while its code is still loading (a loader runs before
 * the lazy screen renders); the screen then finds them in flight or done.
 */
function prefetchDashboard() {
  if (getSession()) {
    // Code first: the browser opens only six connections, and the data queues behind them.
    void import('@/features/dashboard/DashboardPage')
    void import('@/features/dashboard/Charts')
    for (const options of [meQuery(), accountsQuery(), ledgerSettingsQuery(), recentEntriesQuery(), ...trendQueries()]) {
      void queryClient.prefetchQuery(options as Parameters<typeof queryClient.prefetchQuery>[0])
    }
  }
  return null
}

function RequireSession() {
  const session = useSession()
  const location = useLocation()
  if (!session) return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />
  return <Outlet />
}

function PublicOnly() {
  const session = useSession()
  const location = useLocation()
  const from = (location.state as { from?: string } | null)?.from
  if (session) return <Navigate to={from && from !== '/signin' ? from : '/'} replace />
  return <Outlet />
}

export const router = createBrowserRouter(
  [
    {
      element: <PublicOnly />,
      children: [
        { path: '/signin', element: page(() => import('@/features/auth/SignInPage')) },
        { path: '/signup', element: page(() => import('@/features/auth/SignUpPage')) },
      ],
    },
    {
      element: <RequireSession />,
      children: [
        {
          element: <AppShell />,
          children: [
            { index: true, loader: prefetchDashboard, element: page(() => import('@/features/dashboard/DashboardPage')) },
            { path: 'accounts', element: page(() => import('@/features/accounts/AccountsPage')) },
            { path: 'accounts/:accountId', element: page(() => import('@/features/accounts/RegisterPage')) },
            { path: 'entries', element: page(() => import('@/features/entries/EntriesPage')) },
            { path: 'entries/new', element: page(() => import('@/features/entries/NewEntryPage')) },
            { path: 'entries/:entryId', element: page(() => import('@/features/entries/EntryPage')) },
            { path: 'imports', element: page(() => import('@/features/imports/ImportsPage')) },
            { path: 'imports/new', element: page(() => import('@/features/imports/ImportWizardPage')) },
            { path: 'imports/:importId', element: page(() => import('@/features/imports/ImportPage')) },
            { path: 'reconciliation', element: page(() => import('@/features/reconciliation/ReconcilePage')) },
            { path: 'reconciliation/:runId', element: page(() => import('@/features/reconciliation/ReconciliationRunPage')) },
            { path: 'members', element: page(() => import('@/features/members/MembersPage')) },
            { path: 'settings', element: page(() => import('@/features/settings/SettingsPage')) },
            { path: 'setup', element: page(() => import('@/features/setup/SetupPage')) },
            { path: '*', element: page(() => import('./NotFoundPage')) },
          ],
        },
      ],
    },
  ],
  { future: { v7_relativeSplatPath: true, v7_fetcherPersist: true, v7_normalizeFormMethod: true, v7_partialHydration: true, v7_skipActionErrorRevalidation: true } },
)
