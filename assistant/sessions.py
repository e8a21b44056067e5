"""Sessions: turns and conversation state, by session id, on SQLite (default) or Redis (POLICY_SESSION_URL).

A turn is committed before its reply is returned, so a reply the client received survives a killed server.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from assistant.state import ConversationState


class SessionNotFound(KeyError):
    pass


@dataclass
class Turn:
    role: str  # user | assistant
    text: str
    at: str  # ISO-8601


@dataclass
class Session:
    session_id: str
    user_id: str | None
    channel: str | None
    state: ConversationState
    turns: list[Turn] = field(default_factory=list)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def new_session_id() -> str:
    return uuid.uuid4().hex


class SessionStore(Protocol):
    def create(self, user_id: str | None, channel: str | None) -> Session: ...
    def load(self, session_id: str) -> Session: ...
    def append_turn(self, session: Session, user_text: str, reply_text: str) -> None: ...
    def save_state(self, session: Session) -> None: ...
    def lock(self, session_id: str): ...


class _Locks:
    """One lock per session: turns of one session run one at a time, different sessions in parallel."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    @contextmanager
    def hold(self, session_id: str):
        with self._guard:
            lock = self._locks.setdefault(session_id, threading.Lock())
        with lock:
            yield


class SQLiteSessionStore:
    """One connection per thread (a shared one mixes threads' transactions); WAL, so readers never wait.

    Several worker processes may share the file: writes take the database lock with a busy timeout and
    are retried when SQLite still answers "database is locked".
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._local = threading.local()
        self._conn.executescript("""
            CREATE TABLE IF NOT EXISTS sessions (
                session_id TEXT PRIMARY KEY, user_id TEXT, channel TEXT, state TEXT NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS turns (
                session_id TEXT NOT NULL, seq INTEGER NOT NULL, role TEXT NOT NULL, text TEXT NOT NULL,
                at TEXT NOT NULL, PRIMARY KEY (session_id, seq));
            CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions(user_id);
        """)
        self._locks = _Locks()

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self._path), isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def _write(self, statements: list[tuple[str, tuple]]) -> None:
        """Run statements in one immediate transaction, retrying a few times if the file is locked."""
        for attempt in range(8):
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                if attempt == 7:
                    raise
                time.sleep(0.05 * (attempt + 1))
                continue
            try:
                for sql, params in statements:
                    conn.execute(sql, params)
                conn.execute("COMMIT")
                return
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def lock(self, session_id: str):
        return self._locks.hold(session_id)

    def create(self, user_id: str | None, channel: str | None) -> Session:
        session = Session(new_session_id(), user_id, channel, ConversationState())
        stamp = now_iso()
        self._write([("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)",
                      (session.session_id, user_id, channel, session.state.model_dump_json(), stamp, stamp))])
        return session

    def load(self, session_id: str) -> Session:
        row = self._conn.execute("SELECT user_id, channel, state FROM sessions WHERE session_id = ?",
                                 (session_id,)).fetchone()
        if row is None:
            raise SessionNotFound(session_id)
        turns = [Turn(*t) for t in self._conn.execute(
            "SELECT role, text, at FROM turns WHERE session_id = ? ORDER BY seq", (session_id,))]
        return Session(session_id, row[0], row[1], ConversationState.model_validate_json(row[2]), turns)

    def append_turn(self, session: Session, user_text: str, reply_text: str) -> None:
        user_turn, reply_turn = Turn("user", user_text, now_iso()), Turn("assistant", reply_text, now_iso())
        next_seq = "(SELECT COALESCE(MAX(seq), -1) + 1 FROM turns WHERE session_id = ?)"
        self._write([
            (f"INSERT INTO turns VALUES (?, {next_seq}, ?, ?, ?)",
             (session.session_id, session.session_id, user_turn.role, user_turn.text, user_turn.at)),
            (f"INSERT INTO turns VALUES (?, {next_seq}, ?, ?, ?)",
             (session.session_id, session.session_id, reply_turn.role, reply_turn.text, reply_turn.at)),
            ("UPDATE sessions SET state = ?, updated_at = ? WHERE session_id = ?",
             (session.state.model_dump_json(), reply_turn.at, session.session_id)),
        ])
        session.turns += [user_turn, reply_turn]

    def save_state(self, session: Session) -> None:
        """Facts corrected outside a chat turn (the web UI's facts panel)."""
        self._write([("UPDATE sessions SET state = ?, updated_at = ? WHERE session_id = ?",
                      (session.state.model_dump_json(), now_iso(), session.session_id))])


class RedisSessionStore:
    """The same on Redis: a hash per session and a list of its turns; for several servers sharing sessions."""

    def __init__(self, url: str, prefix: str = "policy-assistant") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, decode_responses=True)
        self._redis.ping()
        self._prefix = prefix
        self._locks = _Locks()

    def _key(self, session_id: str, part: str) -> str:
        return f"{self._prefix}:session:{session_id}:{part}"

    def lock(self, session_id: str):
        return self._locks.hold(session_id)

    def create(self, user_id: str | None, channel: str | None) -> Session:
        session = Session(new_session_id(), user_id, channel, ConversationState())
        self._redis.hset(self._key(session.session_id, "meta"), mapping={
            "user_id": user_id or "", "channel": channel or "", "state": session.state.model_dump_json(),
            "created_at": now_iso()})
        return session

    def load(self, session_id: str) -> Session:
        meta = self._redis.hgetall(self._key(session_id, "meta"))
        if not meta:
            raise SessionNotFound(session_id)
        turns = [Turn(**json.loads(t)) for t in self._redis.lrange(self._key(session_id, "turns"), 0, -1)]
        return Session(session_id, meta.get("user_id") or None, meta.get("channel") or None,
                       ConversationState.model_validate_json(meta["state"]), turns)

    def append_turn(self, session: Session, user_text: str, reply_text: str) -> None:
        user_turn, reply_turn = Turn("user", user_text, now_iso()), Turn("assistant", reply_text, now_iso())
        pipe = self._redis.pipeline(transaction=True)
        pipe.rpush(self._key(session.session_id, "turns"),
                   json.dumps(user_turn.__dict__, ensure_ascii=False), json.dumps(reply_turn.__dict__, ensure_ascii=False))
        pipe.hset(self._key(session.session_id, "meta"), "state", session.state.model_dump_json())
        pipe.execute()
        session.turns += [user_turn, reply_turn]

    def save_state(self, session: Session) -> None:
        self._redis.hset(self._key(session.session_id, "meta"), "state", session.state.model_dump_json())


def open_store(data_dir: Path, session_url: str | None) -> SessionStore:
    if session_url:
        return RedisSessionStore(session_url)
    return SQLiteSessionStore(Path(data_dir) / "sessions.sqlite3")
