"""A typed REST client of the auth service, for other services.

Services never import auth's models: they ask auth over HTTP. The `httpx.AsyncClient`
passed in decides the transport — in-process ASGI in embedded mode, a URL in
distributed mode — so the calling code is the same either way. Responses are parsed
into the same Pydantic schemas the API publishes; a 4xx/5xx raises `AuthClientError`
carrying the standard error body.
"""

from typing import Any

import httpx

from nexus.auth.schemas import Jwks, Me

BASE_PATH = "/api/v1/auth"


class AuthClientError(Exception):
    """The auth service answered with an error (`status`, `code`, `message`)."""

    def __init__(self, *, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"auth service error {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def _raise_for_error(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        error = response.json()["error"]
        code, message, details = str(error["code"]), str(error["message"]), error["details"]
    except (ValueError, KeyError, TypeError):
        code, message, details = "http_error", response.text[:500], {}
    raise AuthClientError(status=response.status_code, code=code, message=message, details=details)


class AuthClient:
    """Calls the auth API through `http` (whose base URL points at the Nexus host)."""

    def __init__(self, http: httpx.AsyncClient, *, base_path: str = BASE_PATH) -> None:
        self._http = http
        self._base_path = base_path.rstrip("/")

    async def jwks(self) -> Jwks:
        """Return the public keys that verify access tokens."""
        response = await self._http.get(f"{self._base_path}/.well-known/jwks.json")
        _raise_for_error(response)
        return Jwks.model_validate(response.json())

    async def me(self, access_token: str) -> Me:
        """Return the user an access token belongs to, with their organisations."""
        response = await self._http.get(
            f"{self._base_path}/me", headers={"Authorization": f"Bearer {access_token}"}
        )
        _raise_for_error(response)
        return Me.model_validate(response.json())
