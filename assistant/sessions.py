"""Sessions: turns and conversation state, by session id, on SQLite (default) or Redis (POLICY_SESSION_URL).

A turn is committed before its reply is returned, so a reply the client received survives a killed server.
A session belongs to its `owner` (the API key's *name*, never the key) and, when given, its `user_id`.
One session, one writer, across processes: `store.lock(id)` serialises load → merge → save of concurrent turns in
every worker (SQLite: an OS file lock per session; Redis: a Redis lock), waiting at most
`lock_timeout` seconds and then raising `SessionBusy` — never a silent last-write-wins.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from assistant.sqlite_conn import per_thread_connection
from assistant.state import ConversationState

DEFAULT_LOCK_TIMEOUT_S = 30.0
LOCK_BUCKETS = 256


class SessionNotFound(KeyError):
    pass


class SessionBusy(RuntimeError):
    """Another turn of this session held it for longer than the bounded wait."""


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
    owner: str | None = None  # the name of the API key that created it; None: created with no keys configured
    created_at: str | None = None
    updated_at: str | None = None


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def lock_bucket(session_id: str) -> int:
    """Which of the SQLite store's lock files a session takes."""
    return int(hashlib.sha256(session_id.encode()).hexdigest()[:8], 16) % LOCK_BUCKETS


def new_session_id() -> str:
    return uuid.uuid4().hex


class SessionStore(Protocol):
    def create(self, user_id: str | None, channel: str | None, owner: str | None = None) -> Session: ...
    def load(self, session_id: str) -> Session: ...
    def owner_of(self, session_id: str) -> tuple[str | None, str | None]: ...
    def append_turn(self, session: Session, user_text: str, reply_text: str) -> None: ...
    def save_state(self, session: Session) -> None: ...
    def lock(self, session_id: str): ...
    def delete(self, session_id: str) -> bool: ...
    def purge(self, older_than: dt.datetime) -> int: ...


class ThreadLocks:
    """One lock per session inside this process, released from the table when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, list] = {}  # session id → [lock, holders and waiters]

    @contextmanager
    def hold(self, session_id: str, timeout: float):
        with self._guard:
            entry = self._locks.setdefault(session_id, [threading.Lock(), 0])
            entry[1] += 1
        try:
            if not entry[0].acquire(timeout=timeout):
                raise SessionBusy(session_id)
            try:
                yield
            finally:
                entry[0].release()
        finally:
            with self._guard:
                entry[1] -= 1
                if entry[1] == 0:
                    self._locks.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._locks)


class SQLiteSessionStore:
    """One connection per thread (a shared one mixes threads' transactions); WAL, so readers never wait.

    Several worker processes may share the file. A turn runs inside `lock`: threads of one process queue on a
    lock per session, then take an OS file lock (flock, via `filelock`) that other workers wait for, so a turn loads
    what the previous one saved. Session ids share 256 lock files; the OS frees a dead worker's lock at once. Unlike a
    write transaction held for the whole turn, this does not stop other sessions' turns (an LLM call may take 30 s).
    """

    def __init__(self, path: Path, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path, self.lock_timeout = path, lock_timeout
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
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(sessions)")}
        if "owner" not in columns:  # a file from before owners: its sessions belong to no key
            self._write([("ALTER TABLE sessions ADD COLUMN owner TEXT", ())])
        self._write([("CREATE INDEX IF NOT EXISTS sessions_by_updated ON sessions(updated_at)", ())])
        self._lock_dir = path.parent / "session-locks"
        self._lock_dir.mkdir(exist_ok=True)
        self._threads = ThreadLocks()

    @property
    def _conn(self) -> sqlite3.Connection:
        return per_thread_connection(self._local, self._path)

    def _write(self, statements: list[tuple[str, tuple]]) -> None:
        """Run statements in one immediate transaction, retrying a few times if the file is locked."""
        conn = self._conn
        for attempt in range(8):
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

    @contextmanager
    def lock(self, session_id: str):
        """This session's turn, alone across threads and worker processes, for at most `lock_timeout` of waiting."""
        from filelock import FileLock, Timeout

        deadline = time.monotonic() + self.lock_timeout
        with self._threads.hold(session_id, self.lock_timeout):
            lock = FileLock(self._lock_dir / f"{lock_bucket(session_id):03d}.lock", timeout=max(0.0, deadline - time.monotonic()),
                            thread_local=False, poll_interval=0.005, preserve_lock_file=True)
            try:
                lock.acquire()
            except Timeout as exc:
                raise SessionBusy(session_id) from exc
            try:
                yield
            finally:
                lock.release()

    def create(self, user_id: str | None, channel: str | None, owner: str | None = None) -> Session:
        stamp = now_iso()
        session = Session(new_session_id(), user_id, channel, ConversationState(), owner=owner, created_at=stamp,
                          updated_at=stamp)
        self._write([("INSERT INTO sessions (session_id, user_id, channel, state, created_at, updated_at, owner) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (session.session_id, user_id, channel, session.state.model_dump_json(), stamp, stamp, owner))])
        return session

    def load(self, session_id: str) -> Session:
        row = self._conn.execute("SELECT user_id, channel, state, owner, created_at, updated_at FROM sessions "
                                 "WHERE session_id = ?", (session_id,)).fetchone()
        if row is None:
            raise SessionNotFound(session_id)
        turns = [Turn(*t) for t in self._conn.execute(
            "SELECT role, text, at FROM turns WHERE session_id = ? ORDER BY seq", (session_id,))]
        return Session(session_id, row[0], row[1], ConversationState.model_validate_json(row[2]), turns,
                       owner=row[3], created_at=row[4], updated_at=row[5])

    def owner_of(self, session_id: str) -> tuple[str | None, str | None]:
        row = self._conn.execute("SELECT owner, user_id FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
        if row is None:
            raise SessionNotFound(session_id)
        return row[0], row[1]

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
        session.updated_at = reply_turn.at

    def save_state(self, session: Session) -> None:
        """Facts corrected outside a chat turn (the web UI's facts panel)."""
        self._write([("UPDATE sessions SET state = ?, updated_at = ? WHERE session_id = ?",
                      (session.state.model_dump_json(), now_iso(), session.session_id))])

    def delete(self, session_id: str) -> bool:
        with self.lock(session_id):  # not in the middle of a turn of it
            found = self._conn.execute("SELECT 1 FROM sessions WHERE session_id = ?", (session_id,)).fetchone()
            self._write([("DELETE FROM turns WHERE session_id = ?", (session_id,)),
                         ("DELETE FROM sessions WHERE session_id = ?", (session_id,))])
        return found is not None

    def purge(self, older_than: dt.datetime) -> int:
        """Delete the sessions last written before `older_than` (turns and facts); returns how many."""
        cutoff = iso(older_than)
        ids = [r[0] for r in self._conn.execute("SELECT session_id FROM sessions WHERE updated_at < ?", (cutoff,))]
        return sum(1 for session_id in ids if self.delete(session_id))


def __getattr__(name: str):
    if name == "RedisSessionStore":  # kept importable from here; it lives in its own module
        from assistant.sessions_redis import RedisSessionStore

        return RedisSessionStore
    raise AttributeError(name)


def open_store(data_dir: Path, session_url: str | None, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S) -> SessionStore:
    if session_url:
        from assistant.sessions_redis import RedisSessionStore

        return RedisSessionStore(session_url, lock_timeout=lock_timeout)
    return SQLiteSessionStore(Path(data_dir) / "sessions.sqlite3", lock_timeout=lock_timeout)
