"""Sessions on Redis: a hash per session, a list of its turns, a sorted set of sessions by last write (retention),
and a Redis lock per session so that turns of one session run one at a time across workers and machines."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from contextlib import contextmanager

from assistant.sessions import (
    DEFAULT_LOCK_TIMEOUT_S,
    Session,
    SessionBusy,
    SessionNotFound,
    ThreadLocks,
    Turn,
    new_session_id,
    now_iso,
)
from assistant.state import ConversationState

log = logging.getLogger(__name__)


class RedisSessionStore:
    def __init__(self, url: str, prefix: str = "policy-assistant", lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
                 lease_s: float = 120.0) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._redis.ping()
        self._prefix, self.lock_timeout = prefix, lock_timeout
        # a lock outlives a dead worker by at most its lease; a turn (LLM timeout included) is far shorter
        self.lease_s = max(lease_s, 4 * lock_timeout)
        self._threads = ThreadLocks()
        self._index = f"{prefix}:sessions:by-updated"

    def _key(self, session_id: str, part: str) -> str:
        return f"{self._prefix}:session:{session_id}:{part}"

    @contextmanager
    def lock(self, session_id: str):
        from redis.exceptions import LockError

        deadline = time.monotonic() + self.lock_timeout
        with self._threads.hold(session_id, self.lock_timeout):  # threads of this process queue here, not on Redis
            # thread_local=False: a streamed turn may be released by another thread of the pool than took it
            lock = self._redis.lock(self._key(session_id, "lock"), timeout=self.lease_s, sleep=0.01,
                                    blocking_timeout=max(0.01, deadline - time.monotonic()), thread_local=False)
            if not lock.acquire():
                raise SessionBusy(session_id)
            try:
                yield
            finally:
                try:
                    lock.release()
                except LockError:
                    log.warning("the lock of a session expired before its turn ended (lease %.0f s)", self.lease_s)

    def create(self, user_id: str | None, channel: str | None, owner: str | None = None) -> Session:
        stamp = now_iso()
        session = Session(new_session_id(), user_id, channel, ConversationState(), owner=owner, created_at=stamp,
                          updated_at=stamp)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._key(session.session_id, "meta"), mapping={
            "user_id": user_id or "", "channel": channel or "", "state": session.state.model_dump_json(),
            "owner": owner or "", "created_at": stamp, "updated_at": stamp})
        pipe.zadd(self._index, {session.session_id: time.time()})
        pipe.execute()
        return session

    def load(self, session_id: str) -> Session:
        meta = self._redis.hgetall(self._key(session_id, "meta"))
        if not meta or "state" not in meta:
            raise SessionNotFound(session_id)
        turns = [Turn(**json.loads(t)) for t in self._redis.lrange(self._key(session_id, "turns"), 0, -1)]
        return Session(session_id, meta.get("user_id") or None, meta.get("channel") or None,
                       ConversationState.model_validate_json(meta["state"]), turns, owner=meta.get("owner") or None,
                       created_at=meta.get("created_at"), updated_at=meta.get("updated_at"))

    def owner_of(self, session_id: str) -> tuple[str | None, str | None]:
        owner, user_id, state = self._redis.hmget(self._key(session_id, "meta"), ["owner", "user_id", "state"])
        if state is None:
            raise SessionNotFound(session_id)
        return owner or None, user_id or None

    def append_turn(self, session: Session, user_text: str, reply_text: str) -> None:
        user_turn, reply_turn = Turn("user", user_text, now_iso()), Turn("assistant", reply_text, now_iso())
        pipe = self._redis.pipeline(transaction=True)
        pipe.rpush(self._key(session.session_id, "turns"),
                   json.dumps(user_turn.__dict__, ensure_ascii=False), json.dumps(reply_turn.__dict__, ensure_ascii=False))
        pipe.hset(self._key(session.session_id, "meta"),
                  mapping={"state": session.state.model_dump_json(), "updated_at": reply_turn.at})
        pipe.zadd(self._index, {session.session_id: time.time()})
        pipe.execute()
        session.turns += [user_turn, reply_turn]
        session.updated_at = reply_turn.at

    def save_state(self, session: Session) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._key(session.session_id, "meta"), mapping={"state": session.state.model_dump_json(),
                                                                  "updated_at": now_iso()})
        pipe.zadd(self._index, {session.session_id: time.time()})
        pipe.execute()

    def delete(self, session_id: str) -> bool:
        with self.lock(session_id):
            pipe = self._redis.pipeline(transaction=True)
            pipe.delete(self._key(session_id, "meta"), self._key(session_id, "turns"))
            pipe.zrem(self._index, session_id)
            removed, _ = pipe.execute()
        return removed > 0

    def purge(self, older_than: dt.datetime) -> int:
        """Delete the sessions last written before `older_than`; returns how many."""
        ids = self._redis.zrangebyscore(self._index, "-inf", f"({older_than.timestamp()}")
        return sum(1 for session_id in ids if self.delete(session_id))
