"""API-key authentication with roles, as a FastAPI dependency.

Keys carry a role: ``admin`` may do everything, ``storefront`` only claims and a
customer's own assignments. Missing or unknown key → 401; a known key whose role
is not allowed here (including a role this code does not know) → 403.
"""

import hmac
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request

from coupon_shared.problems import ProblemError


class Role(StrEnum):
    ADMIN = "admin"
    STOREFRONT = "storefront"


def parse_api_keys(spec: str) -> dict[str, str]:
    """``"k1:admin,k2:storefront"`` → ``{"k1": "admin", "k2": "storefront"}``."""
    keys: dict[str, str] = {}
    for item in spec.split(","):
        key, _, role = item.strip().rpartition(":")
        if key and role:
            keys[key] = role
    return keys


class ApiKeyAuthenticator:
    def __init__(self, keys: Mapping[str, str]) -> None:
        self._keys = dict(keys)

    def role_of(self, presented: str) -> str | None:
        # Compare every key in constant time so timing does not reveal prefixes.
        found: str | None = None
        for key, role in self._keys.items():
            if hmac.compare_digest(key.encode(), presented.encode()):
                found = role
        return found


def token_in(authorization: str) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, if that is what it holds."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def bearer_token(request: Request) -> str:
    token = token_in(request.headers.get("authorization", ""))
    if token is None:
        raise ProblemError(401, "unauthorized", "Missing bearer API key", headers={"WWW-Authenticate": "Bearer"})
    return token


def require_role(*allowed: Role) -> Callable[[Request], Awaitable[str]]:
    """A dependency that admits keys whose role is one of ``allowed`` and returns the role."""
    allowed_values = {role.value for role in allowed}

    async def dependency(request: Request) -> str:
        authenticator: ApiKeyAuthenticator = request.app.state.authenticator
        role = authenticator.role_of(bearer_token(request))
        if role is None:
            raise ProblemError(401, "unauthorized", "Unknown API key", headers={"WWW-Authenticate": "Bearer"})
        if role not in allowed_values:
            raise ProblemError(403, "forbidden", f"A {role!r} key may not use this endpoint")
        return role

    return dependency


AdminOnly = Annotated[str, Depends(require_role(Role.ADMIN))]
ADMIN_OR_STOREFRONT = (Role.ADMIN, Role.STOREFRONT)
AdminOrStorefront = Annotated[str, Depends(require_role(*ADMIN_OR_STOREFRONT))]
