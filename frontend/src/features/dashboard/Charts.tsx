import { Area, AreaChart, Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { formatMoney } from '@/lib/money'

type Props =
  | { kind: 'flows'; data: { label: string; income: number; expenses: number }[]; currency: string }
  | { kind: 'worth'; data: { label: string; value: number }[]; currency: string }

// Colours chosen for contrast on white and to be told apart without colour (legend + order).
const INCOME = '#047857'
const EXPENSES = '#b91c1c'
const WORTH = '#1d4ed8'

export default function Charts(props: Props) {
  const money = (value: number) => formatMoney(value, props.currency, { compact: true })
  const tooltip = (value: unknown) => formatMoney(Number(value), props.currency)
  if (props.kind === 'flows') {
    return (
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={props.data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }} accessibilityLayer title="Income and expenses for each of the last twelve months">
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
          <XAxis dataKey="label" tick={{ fontSize: 12, fill: '#475569' }} interval="preserveStartEnd" />
          <YAxis tickFormatter={money} tick={{ fontSize: 12, fill: '#475569' }} width={64} />
          <Tooltip formatter={tooltip} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <Bar dataKey="income" name="Income" fill={INCOME} radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Bar dataKey="expenses" name="Expenses" fill={EXPENSES} radius={[3, 3, 0, 0]} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    )
  }
  return (
    <ResponsiveContainer width="100%" height="100%">
      <AreaChart data={props.data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }} accessibilityLayer>
        <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e8f0" />
        <XAxis dataKey="label" tick={{ fontSize: 12, fill: '#475569' }} interval="preserveStartEnd" />
        <YAxis tickFormatter={money} tick={{ fontSize: 12, fill: '#475569' }} width={64} />
        <Tooltip formatter={tooltip} />
        <Area type="monotone" dataKey="value" name="Net worth" stroke={WORTH} fill={WORTH} fillOpacity={0.12} strokeWidth={2} isAnimationActive={false} />
      </AreaChart>
    </ResponsiveContainer>
  )
}
