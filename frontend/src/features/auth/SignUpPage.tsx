import { useMutation } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Link } from 'react-router-dom'
import { z } from 'zod'
import { ApiError } from '@/api/errors'
import { Button } from '@/components/ui/Button'
import { FormError, TextField } from '@/components/ui/Field'
import { signUp } from '@/lib/auth'
import { serverErrors, zodErrors, type FieldErrors } from '@/lib/forms'
import { AuthFrame } from './AuthFrame'

const schema = z.object({
  name: z.string().trim().max(200).optional(),
  email: z.string().trim().min(1, 'Enter your email.').email('Enter a valid email.'),
  password: z.string().min(1, 'Choose a password.'),
  org_name: z.string().trim().min(1, 'Name your organisation (e.g. your household).').max(200),
})
type Values = z.infer<typeof schema>
const FIELDS = ['name', 'email', 'password', 'org_name'] as const

export default function SignUpPage() {
  const [values, setValues] = useState({ name: '', email: '', password: '', org_name: '' })
  const [errors, setErrors] = useState<FieldErrors>({})
  const [formError, setFormError] = useState<string>()
  const mutation = useMutation({
    mutationFn: (v: Values) => signUp({ email: v.email, password: v.password, org_name: v.org_name, ...(v.name ? { name: v.name } : {}) }),
    meta: { inline: true },
    onError: (error) => {
      const { fields, form } = serverErrors(error, FIELDS)
      // The password policy's refusal names no field, but it is about the password.
      if (error instanceof ApiError && error.code === 'weak_password' && form) {
        setErrors({ password: form })
        setFormError(undefined)
        return
      }
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

  const set = (key: (typeof FIELDS)[number]) => (e: { target: { value: string } }) => setValues({ ...values, [key]: e.target.value })

  return (
    <AuthFrame title="Create your account" footer={<>Already have an account? <Link className="font-medium text-blue-700 underline" to="/signin">Sign in</Link></>}>
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        <FormError message={formError} />
        <TextField label="Your name (optional)" autoComplete="name" value={values.name} error={errors.name} onChange={set('name')} autoFocus />
        <TextField label="Email" type="email" autoComplete="email" value={values.email} error={errors.email} onChange={set('email')} />
        <TextField label="Password" type="password" autoComplete="new-password" value={values.password} error={errors.password} onChange={set('password')} hint="At least 10 characters and hard to guess; a passphrase works well." />
        <TextField label="Organisation name" value={values.org_name} error={errors.org_name} onChange={set('org_name')} hint="Your household or company." />
        <Button type="submit" className="w-full" busy={mutation.isPending}>
          Create account
        </Button>
      </form>
    </AuthFrame>
  )
}
