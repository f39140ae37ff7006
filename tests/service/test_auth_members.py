"""Members, invitations, role rules and tenant isolation, over HTTP."""

import uuid

import httpx

from tests.support import PASSWORD, Tenant, add_member, sign_in, sign_up

ORGS = "/api/v1/auth/orgs"
REFRESH = "/api/v1/auth/refresh"


def _members(org_id: uuid.UUID) -> str:
    return f"{ORGS}/{org_id}/members"


def _error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


async def _roles(client: httpx.AsyncClient, tenant: Tenant) -> dict[str, str]:
    response = await client.get(_members(tenant.org_id), headers=tenant.headers)
    assert response.status_code == 200, response.text
    return {item["email"]: item["role"] for item in response.json()["items"]}


async def test_add_list_change_and_remove_a_member(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    other = await sign_up(client)
    added = await client.post(
        _members(owner.org_id),
        headers=owner.headers,
        json={"email": other.email.upper(), "role": "accountant"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["status"] == "added"
    assert added.json()["member"]["user_id"] == str(other.user_id)
    assert added.json()["member"]["role"] == "accountant"
    assert await _roles(client, owner) == {owner.email: "owner", other.email: "accountant"}

    changed = await client.patch(
        f"{_members(owner.org_id)}/{other.user_id}", headers=owner.headers, json={"role": "viewer"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "viewer"

    removed = await client.delete(
        f"{_members(owner.org_id)}/{other.user_id}", headers=owner.headers
    )
    assert removed.status_code == 204
    assert await _roles(client, owner) == {owner.email: "owner"}


async def test_adding_an_existing_member_is_409(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    member = await add_member(client, owner, role="viewer")
    response = await client.post(
        _members(owner.org_id), headers=owner.headers, json={"email": member.email, "role": "admin"}
    )
    assert response.status_code == 409
    assert _error_code(response) == "already_member"


async def test_invitation_then_registration_joins(client: httpx.AsyncClient, unique: str) -> None:
    owner = await sign_up(client)
    email = f"invitee-{unique}@example.com"
    invited = await client.post(
        _members(owner.org_id), headers=owner.headers, json={"email": email, "role": "auditor"}
    )
    assert invited.status_code == 201, invited.text
    assert invited.json()["status"] == "invited"
    assert invited.json()["invitation"]["email"] == email
    listed = (await client.get(_members(owner.org_id), headers=owner.headers)).json()
    assert [item["email"] for item in listed["invitations"]] == [email]
    again = await client.post(
        _members(owner.org_id), headers=owner.headers, json={"email": email, "role": "viewer"}
    )
    assert _error_code(again) == "already_invited"

    invitee = await sign_up(client, email=email.upper())
    tokens = await sign_in(client, invitee.email, org=owner.org_id)
    assert tokens["role"] == "auditor"
    listed = (await client.get(_members(owner.org_id), headers=owner.headers)).json()
    assert listed["invitations"] == []
    assert {item["email"]: item["role"] for item in listed["items"]}[email] == "auditor"
    me = await client.get("/api/v1/auth/me", headers=invitee.headers)
    assert {org["id"] for org in me.json()["organisations"]} == {
        str(invitee.org_id),
        str(owner.org_id),
    }


async def test_cancelled_invitation_does_not_join(client: httpx.AsyncClient, unique: str) -> None:
    owner = await sign_up(client)
    email = f"cancelled-{unique}@example.com"
    invited = await client.post(
        _members(owner.org_id), headers=owner.headers, json={"email": email, "role": "viewer"}
    )
    invitation_id = invited.json()["invitation"]["id"]
    url = f"{ORGS}/{owner.org_id}/invitations/{invitation_id}"
    assert (await client.delete(url, headers=owner.headers)).status_code == 204
    assert (await client.delete(url, headers=owner.headers)).status_code == 404
    await sign_up(client, email=email)
    assert email not in await _roles(client, owner)


async def test_viewer_cannot_add_members(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    viewer = await add_member(client, owner, role="viewer")
    response = await client.post(
        _members(owner.org_id),
        headers=viewer.headers,
        json={"email": "someone@example.com", "role": "viewer"},
    )
    assert response.status_code == 403
    assert _error_code(response) == "forbidden"


async def test_accountant_can_list_but_not_manage_members(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    accountant = await add_member(client, owner, role="accountant")
    assert (await client.get(_members(owner.org_id), headers=accountant.headers)).status_code == 200
    response = await client.patch(
        f"{_members(owner.org_id)}/{owner.user_id}",
        headers=accountant.headers,
        json={"role": "viewer"},
    )
    assert response.status_code == 403


async def test_admin_cannot_grant_owner(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    admin = await add_member(client, owner, role="admin")
    newcomer = await sign_up(client)
    response = await client.post(
        _members(owner.org_id),
        headers=admin.headers,
        json={"email": newcomer.email, "role": "owner"},
    )
    assert response.status_code == 403
    assert _error_code(response) == "role_not_assignable"
    viewer = await add_member(client, owner, role="viewer")
    promoted = await client.patch(
        f"{_members(owner.org_id)}/{viewer.user_id}", headers=admin.headers, json={"role": "owner"}
    )
    assert promoted.status_code == 403
    assert _error_code(promoted) == "role_not_assignable"
    granted = await client.post(
        _members(owner.org_id),
        headers=admin.headers,
        json={"email": newcomer.email, "role": "accountant"},
    )
    assert granted.status_code == 201


async def test_admin_cannot_change_or_remove_an_owner(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    admin = await add_member(client, owner, role="admin")
    url = f"{_members(owner.org_id)}/{owner.user_id}"
    demoted = await client.patch(url, headers=admin.headers, json={"role": "viewer"})
    assert demoted.status_code == 403
    assert _error_code(demoted) == "owner_protected"
    removed = await client.delete(url, headers=admin.headers)
    assert removed.status_code == 403
    assert await _roles(client, owner) == {owner.email: "owner", admin.email: "admin"}


async def test_last_owner_cannot_be_demoted_or_removed(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    url = f"{_members(owner.org_id)}/{owner.user_id}"
    demoted = await client.patch(url, headers=owner.headers, json={"role": "admin"})
    assert demoted.status_code == 422
    assert _error_code(demoted) == "last_owner"
    removed = await client.delete(url, headers=owner.headers)
    assert removed.status_code == 422
    assert _error_code(removed) == "last_owner"

    second = await add_member(client, owner, role="owner")
    demoted = await client.patch(url, headers=second.headers, json={"role": "admin"})
    assert demoted.status_code == 200, demoted.text
    assert await _roles(client, owner) == {owner.email: "admin", second.email: "owner"}


async def test_unknown_member_is_404(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    stranger = await sign_up(client)
    url = f"{_members(owner.org_id)}/{stranger.user_id}"
    for response in [
        await client.patch(url, headers=owner.headers, json={"role": "viewer"}),
        await client.delete(url, headers=owner.headers),
    ]:
        assert response.status_code == 404
        assert _error_code(response) == "member_not_found"


async def test_refresh_reads_the_role_fresh(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    member = await add_member(client, owner, role="viewer")
    await client.patch(
        f"{_members(owner.org_id)}/{member.user_id}",
        headers=owner.headers,
        json={"role": "accountant"},
    )
    refreshed = await client.post(REFRESH, json={"refresh_token": member.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["role"] == "accountant"


async def test_removed_member_cannot_refresh_or_sign_in_there(client: httpx.AsyncClient) -> None:
    owner = await sign_up(client)
    member = await add_member(client, owner, role="accountant")
    removed = await client.delete(
        f"{_members(owner.org_id)}/{member.user_id}", headers=owner.headers
    )
    assert removed.status_code == 204
    refreshed = await client.post(REFRESH, json={"refresh_token": member.refresh_token})
    assert refreshed.status_code == 401
    response = await client.post(
        "/api/v1/auth/token",
        data={
            "username": member.email,
            "password": PASSWORD,
            "org": str(owner.org_id),
        },
    )
    assert response.status_code == 404
    # Their access token still verifies until it expires, but auth no longer serves them.
    assert (await client.get(_members(owner.org_id), headers=member.headers)).status_code == 404


async def test_every_org_b_resource_is_404_for_a_user_of_org_a(client: httpx.AsyncClient) -> None:
    org_a = await sign_up(client)
    org_b = await sign_up(client)
    b_member = await add_member(client, org_b, role="viewer")
    invitation = await client.post(
        _members(org_b.org_id),
        headers=org_b.headers,
        json={"email": f"x-{uuid.uuid4().hex[:8]}@example.com", "role": "viewer"},
    )
    invitation_id = invitation.json()["invitation"]["id"]
    base = f"{ORGS}/{org_b.org_id}"
    member_url = f"{base}/members/{b_member.user_id}"
    attempts = [
        await client.get(base, headers=org_a.headers),
        await client.patch(base, headers=org_a.headers, json={"name": "Mine now"}),
        await client.get(f"{base}/members", headers=org_a.headers),
        await client.post(
            f"{base}/members", headers=org_a.headers, json={"email": org_a.email, "role": "owner"}
        ),
        await client.patch(member_url, headers=org_a.headers, json={"role": "admin"}),
        await client.delete(member_url, headers=org_a.headers),
        await client.delete(f"{base}/invitations/{invitation_id}", headers=org_a.headers),
    ]
    for response in attempts:
        assert response.status_code == 404, (response.request.method, response.request.url)
        assert _error_code(response) == "organisation_not_found"
    # Nothing changed in org B.
    assert await _roles(client, org_b) == {org_b.email: "owner", b_member.email: "viewer"}
    assert (await client.get(base, headers=org_b.headers)).json()["name"] != "Mine now"
    # Nor does an unknown organisation look any different.
    unknown = await client.get(f"{ORGS}/{uuid.uuid4()}", headers=org_a.headers)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "organisation_not_found"
