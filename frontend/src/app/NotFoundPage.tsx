import { ButtonLink } from '@/components/ui/Button'
import { EmptyState } from '@/components/ui/Layout'

export default function NotFoundPage() {
  return (
    <EmptyState title="Page not found" action={<ButtonLink to="/">Go to the dashboard</ButtonLink>}>
      The page you asked for does not exist.
    </EmptyState>
  )
}
