/** A determinate progress bar with its label; `percent` is a display figure (0..100). */
export function ProgressBar({ label, percent, detail }: { label: string; percent: number; detail?: string }) {
  const value = Math.max(0, Math.min(100, Math.round(percent)))
  return (
    <div className="space-y-1.5" data-testid="progress">
      <div className="flex items-baseline justify-between gap-3 text-sm">
        <span className="font-medium text-slate-800">{label}</span>
        <span className="tabular-nums text-slate-600">{detail ?? `${value}%`}</span>
      </div>
      <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value} aria-valuetext={detail ?? `${value}%`} className="h-2.5 overflow-hidden rounded-full bg-slate-200">
        <div className="h-full rounded-full bg-blue-700 transition-[width] duration-500" style={{ width: `${value}%` }} />
      </div>
    </div>
  )
}
