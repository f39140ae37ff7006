import { mutationOptions, queryOptions, type QueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { Schemas } from '@/api/queries'

export const memberKeys = {
  all: (orgId: string) => ['orgs', orgId, 'members'] as const,
}

export const membersQuery = (orgId: string) =>
  queryOptions({
    queryKey: memberKeys.all(orgId),
    queryFn: async () => unwrap(await api.GET('/api/v1/auth/orgs/{org_id}/members', { params: { path: { org_id: orgId } } })),
  })

const refresh = (client: QueryClient, orgId: string) => client.invalidateQueries({ queryKey: memberKeys.all(orgId) })

export const addMemberMutation = (client: QueryClient, orgId: string) =>
  mutationOptions({
    mutationFn: async (body: Schemas['MemberAdd']) => unwrap(await api.POST('/api/v1/auth/orgs/{org_id}/members', { params: { path: { org_id: orgId } }, body })),
    meta: { inline: true },
    onSuccess: () => refresh(client, orgId),
  })

export const changeRoleMutation = (client: QueryClient, orgId: string) =>
  mutationOptions({
    mutationFn: async ({ userId, role }: { userId: string; role: Schemas['MemberUpdate']['role'] }) =>
      unwrap(await api.PATCH('/api/v1/auth/orgs/{org_id}/members/{user_id}', { params: { path: { org_id: orgId, user_id: userId } }, body: { role } })),
    meta: { success: 'Role changed.' },
    onSettled: () => refresh(client, orgId),
  })

export const removeMemberMutation = (client: QueryClient, orgId: string) =>
  mutationOptions({
    mutationFn: async (userId: string) => unwrap(await api.DELETE('/api/v1/auth/orgs/{org_id}/members/{user_id}', { params: { path: { org_id: orgId, user_id: userId } } })),
    meta: { success: 'Member removed.' },
    onSuccess: () => refresh(client, orgId),
  })

export const cancelInvitationMutation = (client: QueryClient, orgId: string) =>
  mutationOptions({
    mutationFn: async (invitationId: string) =>
      unwrap(await api.DELETE('/api/v1/auth/orgs/{org_id}/invitations/{invitation_id}', { params: { path: { org_id: orgId, invitation_id: invitationId } } })),
    meta: { success: 'Invitation withdrawn.' },
    onSuccess: () => refresh(client, orgId),
  })
