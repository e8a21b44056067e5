"""Rate limits with the `limits` library: a moving window per authenticated caller (`Caller.rate_id`).

Memory storage in one process; Redis storage (POLICY_RATE_LIMIT_STORAGE, else the Redis of POLICY_SESSION_URL) so
that every worker and machine counts against one limit.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api.auth import Caller
from api.errors import ApiError

log = logging.getLogger("policy_assistant.api")
PRUNE_EVERY = 1024  # hits between two sweeps of empty windows


class BoundedMemoryStorage(MemoryStorage):
    """`limits`' memory storage empties a caller's moving window when it expires but keeps the caller's entry:
    with every new caller (a rotated user_id, a new address) the table grows. This sweeps empty windows away."""

    def __init__(self, uri: str | None = None, **options) -> None:
        super().__init__(uri, **options)
        self._hits_since_sweep = 0
        self._sweep_guard = threading.Lock()

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        acquired = super().acquire_entry(key, limit, expiry, amount)
        self._hits_since_sweep += 1
        if self._hits_since_sweep >= PRUNE_EVERY and self._sweep_guard.acquire(blocking=False):
            try:
                self._hits_since_sweep = 0
                self.sweep()
            finally:
                self._sweep_guard.release()
        return acquired

    def sweep(self) -> int:
        """Drop the callers whose window holds no hit younger than its expiry; returns how many are left."""
        now = time.time()
        for key in list(self.events):
            with self.locks[key]:
                events = self.events.get(key)
                if not events or events[0].expiry <= now:  # newest first: the newest has expired, so have all
                    self.events.pop(key, None)
            if key not in self.events:
                self.locks.pop(key, None)
        return len(self.events)

    def callers(self) -> int:
        return len(self.events)


class RateLimiter:
    def __init__(self, spec: str | None, storage_url: str | None = None, prefix: str = "policy-assistant") -> None:
        self.item = parse(spec) if spec else None
        self.storage_url = storage_url or "memory://"
        if self.item is None:
            self.storage = None
        elif self.storage_url.startswith("memory://"):
            self.storage = BoundedMemoryStorage()
        else:
            self.storage = storage_from_string(self.storage_url, key_prefix=f"{prefix}:ratelimit")
        self.limiter = MovingWindowRateLimiter(self.storage) if self.storage is not None else None

    def check(self, caller: Caller) -> None:
        if self.limiter is None:
            return
        try:
            if self.limiter.hit(self.item, caller.rate_id):
                return
            reset_at = self.limiter.get_window_stats(self.item, caller.rate_id).reset_time
        except Exception as exc:  # the shared counter is down: serve (logged) rather than refuse everyone
            log.warning("rate limit storage unavailable (%s): request let through", type(exc).__name__)
            return
        retry = max(1, math.ceil(reset_at - time.time()))
        raise ApiError(429, "rate_limited", f"too many requests; retry in {retry} s / 请求过于频繁，请 {retry} 秒后再试",
                       headers={"Retry-After": str(retry)})
