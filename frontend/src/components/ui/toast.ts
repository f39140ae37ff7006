/** A tiny toast store: the query client pushes, <Toaster/> renders. */
export type ToastTone = 'info' | 'success' | 'error'
export interface Toast {
  id: number
  tone: ToastTone
  message: string
}

let next = 1
let toasts: Toast[] = []
const listeners = new Set<() => void>()

function emit() {
  for (const listener of listeners) listener()
}

export function toast(message: string, tone: ToastTone = 'info', ttlMs = tone === 'error' ? 7000 : 4000): void {
  if (toasts.some((t) => t.message === message)) return
  const item = { id: next++, tone, message }
  toasts = [...toasts.slice(-3), item]
  emit()
  setTimeout(() => dismissToast(item.id), ttlMs)
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((t) => t.id !== id)
  emit()
}

export function subscribeToasts(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

export function currentToasts(): Toast[] {
  return toasts
}
