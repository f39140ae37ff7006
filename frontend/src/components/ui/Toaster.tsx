import { useSyncExternalStore } from 'react'
import { currentToasts, dismissToast, subscribeToasts } from './toast'

const tones = {
  info: 'bg-slate-900 text-white',
  success: 'bg-emerald-800 text-white',
  error: 'bg-red-800 text-white',
} as const

export function Toaster() {
  const toasts = useSyncExternalStore(subscribeToasts, currentToasts)
  return (
    <div aria-live="polite" role="status" className="pointer-events-none fixed inset-x-0 bottom-4 z-50 flex flex-col items-center gap-2 px-4">
      {toasts.map((t) => (
        <div key={t.id} className={`pointer-events-auto flex max-w-md items-start gap-3 rounded-lg px-4 py-3 text-sm shadow-lg ${tones[t.tone]}`} data-testid={`toast-${t.tone}`}>
          <span className="flex-1">{t.message}</span>
          <button type="button" onClick={() => dismissToast(t.id)} className="rounded px-1 font-semibold underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-white" aria-label="Dismiss notification">
            ×
          </button>
        </div>
      ))}
    </div>
  )
}
