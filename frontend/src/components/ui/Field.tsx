import { forwardRef, useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react'

export const inputClass =
  'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-xs placeholder:text-slate-500 focus:border-blue-700 focus:outline-2 focus:outline-blue-700/30 aria-[invalid=true]:border-red-700 disabled:bg-slate-100'

interface FieldShellProps {
  label: string
  error?: string | undefined
  hint?: string | undefined
  id: string
  children: ReactNode
  hideLabel?: boolean
}

/** A label, the control, and the server's or the form's message right under it. */
export function FieldShell({ label, error, hint, id, children, hideLabel }: FieldShellProps) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className={hideLabel ? 'sr-only' : 'block text-sm font-medium text-slate-800'}>
        {label}
      </label>
      {children}
      {hint && !error && (
        <p id={`${id}-hint`} className="text-xs text-slate-600">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-sm text-red-700" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}

function describedBy(id: string, error?: string, hint?: string) {
  return error ? `${id}-error` : hint ? `${id}-hint` : undefined
}

interface InputProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string
  error?: string | undefined
  hint?: string | undefined
  hideLabel?: boolean
}

export const TextField = forwardRef<HTMLInputElement, InputProps>(function TextField({ label, error, hint, hideLabel, id, className = '', ...rest }, ref) {
  const auto = useId()
  const fieldId = id ?? auto
  return (
    <FieldShell label={label} error={error} hint={hint} id={fieldId} hideLabel={hideLabel}>
      <input ref={ref} id={fieldId} className={`${inputClass} ${className}`} aria-invalid={error ? true : undefined} aria-describedby={describedBy(fieldId, error, hint)} {...rest} />
    </FieldShell>
  )
})

interface SelectProps extends SelectHTMLAttributes<HTMLSelectElement> {
  label: string
  error?: string | undefined
  hint?: string | undefined
  hideLabel?: boolean
}

export function SelectField({ label, error, hint, hideLabel, id, className = '', children, ...rest }: SelectProps) {
  const auto = useId()
  const fieldId = id ?? auto
  return (
    <FieldShell label={label} error={error} hint={hint} id={fieldId} hideLabel={hideLabel}>
      <select id={fieldId} className={`${inputClass} ${className}`} aria-invalid={error ? true : undefined} aria-describedby={describedBy(fieldId, error, hint)} {...rest}>
        {children}
      </select>
    </FieldShell>
  )
}

interface TextAreaProps extends TextareaHTMLAttributes<HTMLTextAreaElement> {
  label: string
  error?: string | undefined
}

export function TextAreaField({ label, error, id, className = '', ...rest }: TextAreaProps) {
  const auto = useId()
  const fieldId = id ?? auto
  return (
    <FieldShell label={label} error={error} id={fieldId}>
      <textarea id={fieldId} className={`${inputClass} ${className}`} aria-invalid={error ? true : undefined} aria-describedby={describedBy(fieldId, error)} {...rest} />
    </FieldShell>
  )
}

/** A form-level message (the server's message when no field claims it). */
export function FormError({ message }: { message?: string | undefined }) {
  if (!message) return null
  return (
    <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="form-error">
      {message}
    </div>
  )
}
