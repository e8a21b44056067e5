"""Who may open the staff area: the keys in POLICY_ADMIN_KEYS, given as a Bearer header or as the login cookie.

The cookie never holds the key: it is an expiry signed with the key's sha256 (HMAC-SHA256), so it works across workers,
ends when the key is removed from POLICY_ADMIN_KEYS, and a stolen cookie does not reveal the key.
Comparisons are constant-time and keys are never logged or shown.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import Request

from api.auth import bearer_key, digest
from api.errors import ApiError

COOKIE = "policy_staff"
SESSION_SECONDS = 8 * 3600
_PURPOSE = "policy-assistant staff session"


def _sign(key: str, expiry: int) -> str:
    return hmac.new(key.encode(), f"{_PURPOSE}:{expiry}".encode(), hashlib.sha256).hexdigest()


class AdminCheck:
    """A FastAPI dependency: the request comes from a staff member, or 401/403 in the API's one error shape."""

    def __init__(self, admin_digests: tuple[str, ...]) -> None:
        self._keys = tuple(admin_digests)  # sha256 of every key with the admin role; never the keys themselves

    @classmethod
    def from_registry(cls, registry) -> AdminCheck:
        """The keys of role `admin` in the key registry: POLICY_ADMIN_KEYS and the keys file's admins alike."""
        from api.auth import ROLE_ADMIN

        return cls(tuple(key.sha256 for key in registry.keys if ROLE_ADMIN in key.roles))

    def is_admin_key(self, key: str | None) -> bool:
        if not key or not self._keys:
            return False
        given, matched = digest(key).encode(), False
        for admin in self._keys:  # every digest compared, so the time says nothing about which matched
            matched |= hmac.compare_digest(given, admin.encode())
        return matched

    def session_cookie(self, key: str, now: float | None = None) -> str:
        expiry = int(now if now is not None else time.time()) + SESSION_SECONDS
        return f"{expiry}.{_sign(digest(key), expiry)}"

    def cookie_is_valid(self, value: str | None, now: float | None = None) -> bool:
        if not value or "." not in value or not self._keys:
            return False
        expiry_text, signature = value.split(".", 1)
        if not expiry_text.isdigit() or int(expiry_text) < (now if now is not None else time.time()):
            return False
        matched = False
        for admin in self._keys:
            matched |= hmac.compare_digest(signature.encode(), _sign(admin, int(expiry_text)).encode())
        return matched

    def allows(self, request: Request) -> bool:
        return self.is_admin_key(bearer_key(request)) or self.cookie_is_valid(request.cookies.get(COOKIE))

    def __call__(self, request: Request) -> None:
        if not self._keys:
            raise ApiError(403, "forbidden", "the staff area is closed: no POLICY_ADMIN_KEYS (or admin key in "
                           "POLICY_KEYS_FILE) set / 未配置工作人员密钥，工作台未开放")
        if self.allows(request):
            return None
        if bearer_key(request) or request.cookies.get(COOKIE):
            raise ApiError(403, "forbidden", "staff only: this key is not an admin key / 仅限工作人员（管理员密钥）")
        raise ApiError(401, "unauthorized", "an admin key is required: Authorization: Bearer <key> / 需要管理员密钥",
                       headers={"WWW-Authenticate": "Bearer"})
