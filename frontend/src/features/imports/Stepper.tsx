const STEPS = ['Choose the file', 'Check the lines', 'Commit'] as const

/** Where the wizard is: the three steps, the current one marked for screen readers too. */
export function Stepper({ current }: { current: 1 | 2 | 3 }) {
  return (
    <ol aria-label="Import steps" className="mb-6 flex flex-wrap items-center gap-2 text-sm">
      {STEPS.map((label, index) => {
        const step = index + 1
        const state = step < current ? 'done' : step === current ? 'current' : 'next'
        return (
          <li key={label} className="flex items-center gap-2" aria-current={state === 'current' ? 'step' : undefined}>
            <span
              className={`flex size-7 items-center justify-center rounded-full text-xs font-semibold ${
                state === 'done' ? 'bg-emerald-700 text-white' : state === 'current' ? 'bg-blue-700 text-white' : 'border border-slate-300 bg-white text-slate-600'
              }`}
              aria-hidden="true"
            >
              {state === 'done' ? '✓' : step}
            </span>
            <span className={state === 'current' ? 'font-semibold text-slate-900' : 'text-slate-600'}>
              <span className="sr-only">Step {step}{state === 'done' ? ' (done)' : ''}: </span>
              {label}
            </span>
            {step < STEPS.length && <span className="mx-1 h-px w-8 bg-slate-300" aria-hidden="true" />}
          </li>
        )
      })}
    </ol>
  )
}
