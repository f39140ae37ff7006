import { useId } from 'react'
import type { Schemas } from '@/api/queries'
import { SelectField, TextField } from '@/components/ui/Field'
import { Card, Loading } from '@/components/ui/Layout'
import { Money } from '@/components/ui/Money'
import { td, th } from '@/components/ui/Table'
import { formatDate } from '@/lib/dates'
import { columnOptions, DATE_FORMATS, DELIMITERS, missingFields, problemOf, THOUSANDS_SEPARATORS, withHeader, type ColumnOption, type ProfileForm } from './profile'

type CsvPreview = Schemas['CsvPreview']
const RAW_ROWS_SHOWN = 8

interface CsvMappingProps {
  form: ProfileForm
  onChange: (form: ProfileForm) => void
  preview: CsvPreview | undefined
  /** The preview shown is for an older mapping; a new one is on its way. */
  updating: boolean
  previewError: unknown
}

function ColumnSelect({ label, value, options, onChange, optional = false }: { label: string; value: string; options: ColumnOption[]; onChange: (key: string) => void; optional?: boolean }) {
  const known = value === '' || options.some((o) => o.key === value)
  return (
    <SelectField label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      {(optional || value === '') && <option value="">{optional ? '— none —' : 'Choose a column'}</option>}
      {!known && <option value={value}>{value} (not in this file)</option>}
      {options.map((o) => (
        <option key={o.key} value={o.key}>
          {o.label}
        </option>
      ))}
    </SelectField>
  )
}

/** The CSV mapping: how to read the columns, with the server's reading of the first rows beside it. */
export function CsvMapping({ form, onChange, preview, updating, previewError }: CsvMappingProps) {
  const descriptionId = useId()
  const header = preview?.header ?? []
  const rows = preview?.rows ?? []
  const options = columnOptions(header, rows)
  const firstRow = form.hasHeader ? header : (rows[0] ?? [])
  const set = <K extends keyof ProfileForm>(key: K, value: ProfileForm[K]) => onChange({ ...form, [key]: value })
  const knownFormat = DATE_FORMATS.some((f) => f.value === form.dateFormat)
  const problem = problemOf(preview)
  const missing = missingFields(form)
  const firstLine = (form.hasHeader ? 2 : 1) + (form.rest.skip_rows ?? 0)

  return (
    <Card title="Map the columns" className="mt-4" actions={updating ? <span className="text-xs text-slate-600" role="status">Updating preview…</span> : undefined}>
      <div className="grid items-start gap-4 sm:grid-cols-2 lg:grid-cols-4" data-testid="csv-mapping">
        <SelectField label="Delimiter" value={form.delimiter} onChange={(e) => set('delimiter', e.target.value)}>
          {DELIMITERS.map((d) => (
            <option key={d.label} value={d.value}>
              {d.label}
            </option>
          ))}
        </SelectField>
        <div className="flex items-start sm:pt-8">
          <label className="flex items-center gap-2 text-sm text-slate-800">
            <input type="checkbox" className="size-4 accent-blue-700" checked={form.hasHeader} onChange={(e) => onChange(withHeader(form, e.target.checked, firstRow))} />
            The first row is a header
          </label>
        </div>
        <ColumnSelect label="Date column" value={form.dateColumn} options={options} onChange={(k) => set('dateColumn', k)} />
        <div className="space-y-2">
          <SelectField label="Date format" hint="As the dates look in the file." value={knownFormat ? form.dateFormat : 'custom'} onChange={(e) => set('dateFormat', e.target.value === 'custom' ? '' : e.target.value)}>
            {DATE_FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
            <option value="custom">Other (type the format)…</option>
          </SelectField>
          {!knownFormat && <TextField label="Custom date format" hint="Codes like %d.%m.%Y (day, month, 4-digit year)." value={form.dateFormat} onChange={(e) => set('dateFormat', e.target.value)} />}
        </div>

        <fieldset className="sm:col-span-2 lg:col-span-4">
          <legend className="mb-2 text-sm font-medium text-slate-800">Amounts</legend>
          <div className="mb-3 flex flex-wrap gap-4 text-sm text-slate-800">
            <label className="flex items-center gap-2">
              <input type="radio" name="amount-mode" className="size-4 accent-blue-700" checked={form.amountMode === 'single'} onChange={() => set('amountMode', 'single')} />
              One signed amount column
            </label>
            <label className="flex items-center gap-2">
              <input type="radio" name="amount-mode" className="size-4 accent-blue-700" checked={form.amountMode === 'split'} onChange={() => set('amountMode', 'split')} />
              Separate debit and credit columns
            </label>
          </div>
          <div className="grid items-start gap-4 sm:grid-cols-2 lg:grid-cols-4">
            {form.amountMode === 'single' ? (
              <ColumnSelect label="Amount column" value={form.amountColumn} options={options} onChange={(k) => set('amountColumn', k)} />
            ) : (
              <>
                <ColumnSelect label="Debit column (money out)" value={form.debitColumn} options={options} onChange={(k) => set('debitColumn', k)} optional />
                <ColumnSelect label="Credit column (money in)" value={form.creditColumn} options={options} onChange={(k) => set('creditColumn', k)} optional />
              </>
            )}
            <SelectField label="Decimal separator" value={form.decimalSeparator} onChange={(e) => set('decimalSeparator', e.target.value)}>
              <option value=".">Dot (12.50)</option>
              <option value=",">Comma (12,50)</option>
            </SelectField>
            <SelectField label="Thousands separator" value={form.thousandsSeparator} onChange={(e) => set('thousandsSeparator', e.target.value)}>
              {THOUSANDS_SEPARATORS.map((t) => (
                <option key={t.label} value={t.value}>
                  {t.label}
                </option>
              ))}
            </SelectField>
            <div className="flex items-start sm:pt-8">
              <label className="flex items-center gap-2 text-sm text-slate-800">
                <input type="checkbox" className="size-4 accent-blue-700" checked={form.negate} onChange={(e) => set('negate', e.target.checked)} />
                Flip signs (money out is positive)
              </label>
            </div>
          </div>
        </fieldset>

        <fieldset className="sm:col-span-2" aria-describedby={descriptionId}>
          <legend className="mb-1 text-sm font-medium text-slate-800">Description columns</legend>
          <p id={descriptionId} className="mb-2 text-xs text-slate-600">
            Joined in this order into the entry's description.
          </p>
          <div className="flex flex-wrap gap-2">
            {options.map((o) => {
              const checked = form.descriptionColumns.includes(o.key)
              return (
                <label key={o.key} className={`flex cursor-pointer items-center gap-1.5 rounded-full border px-2.5 py-1 text-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-blue-700 ${checked ? 'border-blue-700 bg-blue-50 text-blue-900' : 'border-slate-300 text-slate-700'}`}>
                  <input
                    type="checkbox"
                    className="size-3.5 accent-blue-700"
                    checked={checked}
                    onChange={(e) => set('descriptionColumns', e.target.checked ? [...form.descriptionColumns, o.key] : form.descriptionColumns.filter((k) => k !== o.key))}
                  />
                  {o.label}
                </label>
              )
            })}
          </div>
        </fieldset>
        <ColumnSelect label="Payee column" value={form.payeeColumn} options={options} onChange={(k) => set('payeeColumn', k)} optional />
        <ColumnSelect label="Reference column" value={form.referenceColumn} options={options} onChange={(k) => set('referenceColumn', k)} optional />
      </div>

      <div className="mt-6 space-y-4" data-testid="csv-preview">
        <h3 className="text-sm font-semibold text-slate-800">Preview of the first rows</h3>
        {missing.length > 0 && (
          <p className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">Choose {missing.join(' and ')} to read the amounts.</p>
        )}
        {problem && (
          <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="preview-error">
            <span className="font-semibold">This mapping does not read the file. </span>
            {problem.message}
          </div>
        )}
        {previewError !== null && previewError !== undefined && !problem && (
          <div role="alert" className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800">
            {previewError instanceof Error ? previewError.message : 'The preview failed.'}
          </div>
        )}
        {!preview ? (
          <Loading label="Reading the first rows…" />
        ) : (
          <>
            <div className="overflow-x-auto rounded-lg border border-slate-200">
              <table className="w-full border-collapse text-sm" data-testid="parsed-lines">
                <caption className="sr-only">How the first rows read with this mapping</caption>
                <thead className="border-b border-slate-200 bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                  <tr>
                    <th className={th} scope="col">Line</th>
                    <th className={th} scope="col">Date</th>
                    <th className={th} scope="col">Description</th>
                    <th className={th} scope="col">Payee</th>
                    <th className={th} scope="col">Reference</th>
                    <th className={`${th} text-right`} scope="col">Amount</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {preview.lines.length === 0 && (
                    <tr>
                      <td className={`${td} text-slate-600`} colSpan={6}>
                        No line reads with this mapping yet.
                      </td>
                    </tr>
                  )}
                  {preview.lines.map((line) => (
                    <tr key={line.line_number} data-testid="parsed-line">
                      <td className={`${td} tabular-nums text-slate-600`}>{line.line_number}</td>
                      <td className={`${td} whitespace-nowrap tabular-nums`}>{formatDate(line.date)}</td>
                      <td className={td}>{line.description}</td>
                      <td className={td}>{line.payee ?? ''}</td>
                      <td className={td}>{line.reference ?? ''}</td>
                      <td className={`${td} text-right`}>
                        <Money amount={line.amount} currency={line.currency} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <details className="rounded-lg border border-slate-200" open={problem !== null}>
              <summary className="cursor-pointer px-3 py-2 text-sm font-medium text-slate-800 focus-visible:outline-2 focus-visible:outline-blue-700">The file as it is (first {Math.min(rows.length, RAW_ROWS_SHOWN)} rows)</summary>
              <div className="overflow-x-auto">
                <table className="w-full border-collapse text-sm" data-testid="raw-rows">
                  <caption className="sr-only">The first rows of the file, unparsed</caption>
                  <thead className="border-y border-slate-200 bg-slate-50 text-left text-xs font-semibold text-slate-600">
                    <tr>
                      <th className={th} scope="col">Line</th>
                      {(header.length ? header : options.map((o) => o.label)).map((name, index) => (
                        <th key={index} className={th} scope="col">
                          {name || `Column ${index + 1}`}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {rows.slice(0, RAW_ROWS_SHOWN).map((row, index) => {
                      const lineNumber = firstLine + index
                      const bad = problem?.line === lineNumber
                      return (
                        <tr key={index} className={bad ? 'bg-red-50 text-red-900' : ''} data-testid={bad ? 'raw-row-error' : undefined}>
                          <td className={`${td} tabular-nums ${bad ? 'font-semibold' : 'text-slate-600'}`}>
                            {lineNumber}
                            {bad && <span className="sr-only"> (this line has the problem)</span>}
                          </td>
                          {row.map((cell, cellIndex) => (
                            <td key={cellIndex} className={`${td} whitespace-nowrap font-mono text-xs`}>
                              {cell}
                            </td>
                          ))}
                        </tr>
                      )
                    })}
                  </tbody>
                </table>
              </div>
            </details>
          </>
        )}
      </div>
    </Card>
  )
}
