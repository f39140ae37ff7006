import { useMutation } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Link } from 'react-router-dom'
import { z } from 'zod'
import { Button } from '@/components/ui/Button'
import { FormError, TextField } from '@/components/ui/Field'
import { signIn } from '@/lib/auth'
import { serverErrors, zodErrors, type FieldErrors } from '@/lib/forms'
import { AuthFrame } from './AuthFrame'

const schema = z.object({
  email: z.string().trim().min(1, 'Enter your email.').email('Enter a valid email.'),
  password: z.string().min(1, 'Enter your password.'),
})

export default function SignInPage() {
  const [values, setValues] = useState({ email: '', password: '' })
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string>()
  const mutation = useMutation({
    mutationFn: (v: z.infer<typeof schema>) => signIn(v.email, v.password),
    meta: { inline: true },
    onError: (error) => {
      const { fields, form } = serverErrors(error, ['email', 'password'], { username: 'email' })
      setErrors(fields)
      setFormError(form)
    },
  })

  function onSubmit(event: FormEvent) {
    event.preventDefault()
    setFormError(undefined)
    const parsed = schema.safeParse(values)
    if (!parsed.success) return setErrors(zodErrors(parsed.error))
    setErrors({})
    mutation.mutate(parsed.data)
  }

  return (
    <AuthFrame title="Sign in" footer={<>New to Nexus? <Link className="font-medium text-blue-700 underline" to="/signup">Create an account</Link></>}>
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        <FormError message={formError} />
        <TextField label="Email" type="email" autoComplete="username" value={values.email} error={errors.email} onChange={(e) => setValues({ ...values, email: e.target.value })} autoFocus />
        <TextField label="Password" type="password" autoComplete="current-password" value={values.password} error={errors.password} onChange={(e) => setValues({ ...values, password: e.target.value })} />
        <Button type="submit" className="w-full" busy={mutation.isPending}>
          Sign in
        </Button>
      </form>
    </AuthFrame>
  )
}
