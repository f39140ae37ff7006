import { mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { sharedKeys, type Schemas } from '@/api/queries'

export const settingsKeys = {
  org: (orgId: string) => ['orgs', orgId] as const,
}

export const organisationQuery = (orgId: string) =>
  queryOptions({
    queryKey: settingsKeys.org(orgId),
    queryFn: async () => unwrap(await api.GET('/api/v1/auth/orgs/{org_id}', { params: { path: { org_id: orgId } } })),
  })

export const updateProfileMutation = (client: QueryClient) =>
  mutationOptions({
    mutationFn: async (body: Schemas['MeUpdate']) => unwrap(await api.PATCH('/api/v1/auth/me', { body })),
    meta: { inline: true, success: 'Profile saved.' },
    onSuccess: (me) => client.setQueryData(sharedKeys.me, me),
  })

export const changePasswordMutation = () =>
  mutationOptions({
    mutationFn: async (body: Schemas['PasswordChange']) => unwrap(await api.POST('/api/v1/auth/me/password', { body })),
    meta: { inline: true },
  })

export const renameOrgMutation = (client: QueryClient, orgId: string) =>
  mutationOptions({
    mutationFn: async (body: Schemas['OrganisationUpdate']) => unwrap(await api.PATCH('/api/v1/auth/orgs/{org_id}', { params: { path: { org_id: orgId } }, body })),
    meta: { inline: true, success: 'Organisation renamed.' },
    onSuccess: () => Promise.all([client.invalidateQueries({ queryKey: settingsKeys.org(orgId) }), client.invalidateQueries({ queryKey: sharedKeys.me })]),
  })
