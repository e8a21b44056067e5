"""Who is calling: API keys with names and roles, and the typed `Caller` every `/v1/*` endpoint receives.

Keys come from POLICY_API_KEYS (servers acting for end users: their `user_id` is trusted), POLICY_ADMIN_KEYS (staff;
role `admin`, not an enterprise key) and POLICY_KEYS_FILE (names, roles, `may_act_for_users`, the key or its
sha256). Only sha256 digests are kept in memory; a presented key is hashed and compared with every digest in
constant time (`hmac.compare_digest`). No key ever reaches a log or an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from api.errors import ApiError

ROLE_ENTERPRISE, ROLE_ADMIN = "enterprise", "admin"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyEntry(BaseModel):
    """One entry of the keys file."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    key: str | None = Field(default=None, min_length=16, repr=False)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    roles: list[str] = Field(default_factory=lambda: [ROLE_ENTERPRISE])
    may_act_for_users: bool = False

    @model_validator(mode="after")
    def _one_secret(self) -> KeyEntry:
        if (self.key is None) == (self.sha256 is None):
            raise ValueError("give exactly one of 'key' or 'sha256'")
        return self


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    roles: frozenset[str]
    may_act_for_users: bool


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request.

    `open`: no enterprise key is configured (the local default, or staff keys only): the API is open, sessions are
    not owned and the rate limit counts per address. `key_name` None: no key was presented (or recognised).
    """

    key_name: str | None
    roles: frozenset[str]
    may_act_for_users: bool
    address: str
    user_id: str | None = None  # set only when honoured: a key allowed to act for end users sent it
    user_id_given: str | None = None  # what the request said, honoured or not
    open: bool = False

    @property
    def is_admin(self) -> bool:
        return ROLE_ADMIN in self.roles

    def acting_for(self, user_id: str | None) -> Caller:
        """The same caller with the request's `user_id`, honoured only if this key may act for end users."""
        return replace(self, user_id=user_id if self.may_act_for_users else None, user_id_given=user_id)

    @property
    def rate_id(self) -> str:
        """What the rate limit counts: (key, user) for a key acting for users, the key, else the address."""
        if self.open:
            return f"addr:{self.address}"
        if self.user_id is not None:
            return f"key:{self.key_name}:user:{self.user_id}"
        return f"key:{self.key_name}"

    def owns(self, owner: str | None, user_id: str | None) -> bool:
        """A session belongs to the key that made it and, when it was made with a honoured user_id, to that user."""
        if self.open:
            return True
        if owner is None or not hmac.compare_digest(owner.encode(), self.key_name.encode()):
            return False
        return not self.may_act_for_users or user_id is None or user_id == self.user_id


class KeyRegistry:
    def __init__(self, keys: list[ApiKey]) -> None:
        names = [k.name for k in keys]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"key names must be unique: {', '.join(duplicates)}")
        self.keys = keys

    @classmethod
    def from_settings(cls, settings) -> KeyRegistry:
        keys = [ApiKey(f"key-{digest(k)[:8]}", digest(k), frozenset({ROLE_ENTERPRISE}), True) for k in settings.api_keys]
        keys += [ApiKey(f"admin-{digest(k)[:8]}", digest(k), frozenset({ROLE_ADMIN}), False) for k in settings.admin_keys]
        if settings.keys_file:
            keys += load_keys_file(Path(settings.keys_file))
        return cls(keys)

    @property
    def configured(self) -> bool:
        return bool(self.keys)

    @property
    def api_closed(self) -> bool:
        """Enterprise keys exist, so every /v1 call needs a key (staff keys alone leave the API open, per the contract)."""
        return any(key.roles != {ROLE_ADMIN} for key in self.keys)

    def find(self, presented: str | None) -> ApiKey | None:
        if presented is None:
            return None
        given, found = digest(presented).encode(), None
        for key in self.keys:  # every digest is compared: the time does not depend on which key matched
            if hmac.compare_digest(given, key.sha256.encode()):
                found = key
        return found


def load_keys_file(path: Path) -> list[ApiKey]:
    """YAML or JSON: a list of entries, or {"keys": [...]}. Errors name the file and the entry, never a key."""
    try:
        raw = path.read_text(encoding="utf-8")
        data = json.loads(raw) if path.suffix == ".json" else yaml.safe_load(raw)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ValueError(f"POLICY_KEYS_FILE {path}: cannot read: {type(exc).__name__}") from None
    entries = data.get("keys") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ValueError(f"POLICY_KEYS_FILE {path}: expected a list of keys")
    keys = []
    for i, item in enumerate(entries):
        try:
            entry = KeyEntry.model_validate(item)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"POLICY_KEYS_FILE {path}: entry {i}: {problems}") from None
        keys.append(ApiKey(entry.name, entry.sha256 or digest(entry.key), frozenset(entry.roles), entry.may_act_for_users))
    return keys


def bearer_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


class Authenticate:
    """The FastAPI dependency: yields the `Caller`, or 401 when enterprise keys are configured and none matched."""

    def __init__(self, registry: KeyRegistry) -> None:
        self.registry = registry

    def __call__(self, request: Request) -> Caller:
        address = request.client.host if request.client else "-"
        key = self.registry.find(bearer_key(request)) if self.registry.configured else None
        if not self.registry.api_closed:  # open API: a staff key is still recognised for the staff endpoints
            return Caller(key.name if key else None, key.roles if key else frozenset(), False, address, open=True)
        if key is None:
            raise ApiError(401, "unauthorized", "a valid API key is required: Authorization: Bearer <key> / 需要有效的 API 密钥",
                           headers={"WWW-Authenticate": "Bearer"})
        return Caller(key.name, key.roles, key.may_act_for_users, address)


def admin_dependency(authenticate: Authenticate):
    """`require_admin`: staff pages and endpoints. No admin key configured, or none presented → 401; a key without
    the admin role → 403."""

    def require_admin(caller: Caller = Depends(authenticate)) -> Caller:
        if caller.key_name is None:
            raise ApiError(401, "unauthorized", "staff endpoints need an admin key (POLICY_ADMIN_KEYS) / 需要管理员密钥",
                           headers={"WWW-Authenticate": "Bearer"})
        if not caller.is_admin:
            raise ApiError(403, "forbidden", "this key may not open staff endpoints / 此密钥无权访问")
        return caller

    return require_admin


def current_caller(request: Request) -> Caller:
    """`Depends(current_caller)` in any router: the app's key check, found on the app that serves the request."""
    return request.app.state.authenticate(request)


def require_admin(request: Request) -> Caller:
    """`Depends(require_admin)` in any router (staff pages and endpoints): 401 without a valid key, 403 without `admin`."""
    return request.app.state.require_admin(current_caller(request))
