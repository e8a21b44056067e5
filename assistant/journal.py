"""The review journal: every answered turn with what the assistant understood and said, and people's feedback.

Sessions (`assistant.sessions`) hold what a conversation needs to go on; the journal holds what the policy
office needs to review it: the whole reply of each turn (facts, citations, estimates, composer), kept in
SQLite beside the index whatever the session store is, so review and statistics are indexed queries.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Rating = Literal["up", "down"]


@dataclass(frozen=True)
class TurnRecord:
    session_id: str
    turn: int  # the assistant turn, from 0
    at: str
    channel: str | None
    owner: str | None  # the API key's name, never the key
    user_id: str | None
    message: str
    reply: dict[str, Any]  # the /v1/chat reply object of this turn


@dataclass(frozen=True)
class Feedback:
    session_id: str
    turn: int
    rating: Rating
    reason: str | None
    at: str


class Journal:
    """Append-only SQLite log; one connection per thread, WAL so readers never wait for writers."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._local = threading.local()
        self._conn.executescript("""
            CREATE TABLE IF NOT EXISTS journal_turns (
                session_id TEXT NOT NULL, turn INTEGER NOT NULL, at TEXT NOT NULL, channel TEXT, owner TEXT,
                user_id TEXT, message TEXT NOT NULL, reply TEXT NOT NULL, PRIMARY KEY (session_id, turn));
            CREATE INDEX IF NOT EXISTS journal_turns_at ON journal_turns(at);
            CREATE TABLE IF NOT EXISTS feedback (
                session_id TEXT NOT NULL, turn INTEGER NOT NULL, rating TEXT NOT NULL, reason TEXT,
                at TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS feedback_by_turn ON feedback(session_id, turn);
        """)

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self._path), isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def record(self, record: TurnRecord) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO journal_turns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (record.session_id, record.turn, record.at, record.channel, record.owner, record.user_id, record.message,
             json.dumps(record.reply, ensure_ascii=False)))

    def turns(self, session_id: str) -> list[TurnRecord]:
        rows = self._conn.execute("SELECT session_id, turn, at, channel, owner, user_id, message, reply FROM journal_turns "
                                  "WHERE session_id = ? ORDER BY turn", (session_id,))
        return [TurnRecord(*row[:7], reply=json.loads(row[7])) for row in rows]

    def add_feedback(self, session_id: str, turn: int, rating: Rating, reason: str | None) -> Feedback:
        feedback = Feedback(session_id, turn, rating, reason, dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"))
        self._conn.execute("INSERT INTO feedback VALUES (?, ?, ?, ?, ?)",
                           (feedback.session_id, feedback.turn, feedback.rating, feedback.reason, feedback.at))
        return feedback

    def feedback(self, session_id: str) -> list[Feedback]:
        rows = self._conn.execute("SELECT session_id, turn, rating, reason, at FROM feedback WHERE session_id = ? "
                                  "ORDER BY at", (session_id,))
        return [Feedback(*row) for row in rows]

    def purge(self, older_than: str) -> int:
        """Remove turns and feedback recorded before `older_than` (ISO-8601); the count of turns removed."""
        conn = self._conn
        removed = conn.execute("DELETE FROM journal_turns WHERE at < ?", (older_than,)).rowcount
        conn.execute("DELETE FROM feedback WHERE at < ?", (older_than,))
        return removed

    def forget(self, session_id: str) -> None:
        """A deleted session leaves nothing behind."""
        self._conn.execute("DELETE FROM journal_turns WHERE session_id = ?", (session_id,))
        self._conn.execute("DELETE FROM feedback WHERE session_id = ?", (session_id,))
