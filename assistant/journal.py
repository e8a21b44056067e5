"""The review journal: every answered turn with what the assistant understood and said, and people's feedback.

Sessions (`assistant.sessions`) hold what a conversation needs to go on; the journal holds what the policy
office needs to review it: the whole reply of each turn (facts, citations, estimates, composer), kept in
SQLite beside the index whatever the session store is. Beside the replies it keeps what the staff filter and
count by — one row per conversation, the estimates and missing facts of each turn, the staff's expected
answers — so review and statistics are indexed queries, never a scan of reply JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from assistant.sqlite_conn import per_thread_connection

Rating = Literal["up", "down"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS journal_turns (
    session_id TEXT NOT NULL, turn INTEGER NOT NULL, at TEXT NOT NULL, channel TEXT, owner TEXT,
    user_id TEXT, message TEXT NOT NULL, reply TEXT NOT NULL, PRIMARY KEY (session_id, turn));
CREATE INDEX IF NOT EXISTS journal_turns_at ON journal_turns(at);
CREATE TABLE IF NOT EXISTS feedback (
    session_id TEXT NOT NULL, turn INTEGER NOT NULL, rating TEXT NOT NULL, reason TEXT,
    at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS feedback_by_turn ON feedback(session_id, turn);
CREATE INDEX IF NOT EXISTS feedback_by_rating ON feedback(rating, at);
-- what each turn was, for filters and counts (derived from the reply when it is recorded)
CREATE TABLE IF NOT EXISTS journal_turn_flags (
    session_id TEXT NOT NULL, turn INTEGER NOT NULL, in_scope INTEGER NOT NULL, confirm INTEGER NOT NULL,
    composer TEXT, total_ceiling_yuan INTEGER, PRIMARY KEY (session_id, turn));
CREATE TABLE IF NOT EXISTS journal_estimates (
    session_id TEXT NOT NULL, turn INTEGER NOT NULL, position INTEGER NOT NULL, program_id TEXT NOT NULL,
    article TEXT NOT NULL, status TEXT NOT NULL, ceiling_yuan INTEGER, counted INTEGER NOT NULL,
    PRIMARY KEY (session_id, turn, position));
CREATE INDEX IF NOT EXISTS journal_estimates_program ON journal_estimates(program_id, session_id);
CREATE TABLE IF NOT EXISTS journal_missing (
    session_id TEXT NOT NULL, turn INTEGER NOT NULL, fact TEXT NOT NULL, PRIMARY KEY (session_id, turn, fact));
CREATE INDEX IF NOT EXISTS journal_missing_fact ON journal_missing(fact);
-- one row per conversation: what the review list reads
CREATE TABLE IF NOT EXISTS journal_conversations (
    session_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, last_at TEXT NOT NULL, channel TEXT, owner TEXT,
    user_id TEXT, turns INTEGER NOT NULL, out_of_scope INTEGER NOT NULL, confirm INTEGER NOT NULL,
    down INTEGER NOT NULL DEFAULT 0, up INTEGER NOT NULL DEFAULT 0, first_message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conv_last ON journal_conversations(last_at);
CREATE INDEX IF NOT EXISTS conv_started ON journal_conversations(started_at);
CREATE INDEX IF NOT EXISTS conv_channel ON journal_conversations(channel, last_at);
CREATE INDEX IF NOT EXISTS conv_owner ON journal_conversations(owner, last_at);
CREATE INDEX IF NOT EXISTS conv_down ON journal_conversations(last_at) WHERE down > 0;
CREATE INDEX IF NOT EXISTS conv_up ON journal_conversations(last_at) WHERE up > 0;
CREATE INDEX IF NOT EXISTS conv_out ON journal_conversations(last_at) WHERE out_of_scope > 0;
CREATE INDEX IF NOT EXISTS conv_confirm ON journal_conversations(last_at) WHERE confirm > 0;
-- what a staff member marked as the right answer of a conversation (becomes an eval case)
CREATE TABLE IF NOT EXISTS expected_answers (
    session_id TEXT PRIMARY KEY, turn INTEGER NOT NULL, expect TEXT NOT NULL, total INTEGER, max_any INTEGER,
    out_of_scope INTEGER NOT NULL, note TEXT, at TEXT NOT NULL);
"""

REFRESH_CONVERSATION = """
INSERT OR REPLACE INTO journal_conversations
SELECT t.session_id, MIN(t.at), MAX(t.at),
       (SELECT channel FROM journal_turns WHERE session_id = :s ORDER BY turn DESC LIMIT 1),
       (SELECT owner FROM journal_turns WHERE session_id = :s ORDER BY turn DESC LIMIT 1),
       (SELECT user_id FROM journal_turns WHERE session_id = :s ORDER BY turn DESC LIMIT 1),
       COUNT(*), COALESCE(SUM(f.in_scope = 0), 0), COALESCE(SUM(f.confirm), 0),
       (SELECT COUNT(*) FROM feedback WHERE session_id = :s AND rating = 'down'),
       (SELECT COUNT(*) FROM feedback WHERE session_id = :s AND rating = 'up'),
       (SELECT message FROM journal_turns WHERE session_id = :s ORDER BY turn LIMIT 1)
FROM journal_turns t LEFT JOIN journal_turn_flags f ON f.session_id = t.session_id AND f.turn = t.turn
WHERE t.session_id = :s GROUP BY t.session_id
"""


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


@dataclass(frozen=True)
class ExpectedAnswer:
    """The right answer of a conversation after `turn`, in the award-set form of ../shared/eval."""

    session_id: str
    turn: int
    expect: dict[str, int | None]  # article → ceiling_yuan (None: no figure may be claimed; 0: not eligible)
    total: int | None
    max_any: int | None
    out_of_scope: bool
    note: str | None
    at: str


def asks_to_confirm(reply: dict[str, Any]) -> bool:
    """The reply asked the person something back: follow-up questions, or a fact to confirm."""
    return bool(reply.get("follow_up")) or bool(reply.get("confirm"))


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Journal:
    """Append-only SQLite log; one connection per thread, WAL so readers never wait for writers."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._local = threading.local()
        self._conn.executescript(SCHEMA)
        self._index_older_turns()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def _conn(self) -> sqlite3.Connection:
        return per_thread_connection(self._local, self._path)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (taken at once, so two writers queue instead of failing mid-way)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        """Read-only SQL for the review and statistics modules (they own their queries, the journal its tables)."""
        return self._conn.execute(sql, params).fetchall()

    # ---- writing ------------------------------------------------------------------------------
    def record(self, record: TurnRecord) -> None:
        self.record_many([record])

    def record_many(self, records: list[TurnRecord]) -> None:
        """Turns and what is derived from them, in one transaction."""
        with self._transaction() as conn:
            for record in records:
                conn.execute(
                    "INSERT OR REPLACE INTO journal_turns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (record.session_id, record.turn, record.at, record.channel, record.owner, record.user_id,
                     record.message, json.dumps(record.reply, ensure_ascii=False)))
                self._index_turn(record.session_id, record.turn, record.reply)
            for session_id in dict.fromkeys(r.session_id for r in records):
                conn.execute(REFRESH_CONVERSATION, {"s": session_id})

    def _index_turn(self, session_id: str, turn: int, reply: dict[str, Any]) -> None:
        conn = self._conn
        for table in ("journal_estimates", "journal_missing"):
            conn.execute(f"DELETE FROM {table} WHERE session_id = ? AND turn = ?", (session_id, turn))
        conn.execute("INSERT OR REPLACE INTO journal_turn_flags VALUES (?, ?, ?, ?, ?, ?)",
                     (session_id, turn, int(reply.get("in_scope", True) is not False), int(asks_to_confirm(reply)),
                      reply.get("composer"), reply.get("total_ceiling_yuan")))
        estimates = reply.get("estimates") or []
        conn.executemany("INSERT INTO journal_estimates VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            (session_id, turn, i, str(e.get("program_id", "")), str(e.get("article", "")), str(e.get("status", "")),
             e.get("ceiling_yuan"), int(e.get("counted", True) is not False)) for i, e in enumerate(estimates)])
        missing = dict.fromkeys(str(m) for e in estimates for m in e.get("missing") or [])
        conn.executemany("INSERT INTO journal_missing VALUES (?, ?, ?)", [(session_id, turn, m) for m in missing])

    def _index_older_turns(self) -> None:
        """A journal written before these tables existed gets them filled once, from its replies."""
        conn = self._conn
        if conn.execute("SELECT 1 FROM journal_conversations LIMIT 1").fetchone():
            return
        if not conn.execute("SELECT 1 FROM journal_turns LIMIT 1").fetchone():
            return
        with self._transaction():
            for session_id, turn, reply in conn.execute("SELECT session_id, turn, reply FROM journal_turns").fetchall():
                self._index_turn(session_id, turn, json.loads(reply))
            for (session_id,) in conn.execute("SELECT DISTINCT session_id FROM journal_turns").fetchall():
                conn.execute(REFRESH_CONVERSATION, {"s": session_id})

    def add_feedback(self, session_id: str, turn: int, rating: Rating, reason: str | None) -> Feedback:
        feedback = Feedback(session_id, turn, rating, reason, now_iso())
        column = "down" if rating == "down" else "up"
        with self._transaction() as conn:
            conn.execute("INSERT INTO feedback VALUES (?, ?, ?, ?, ?)",
                         (feedback.session_id, feedback.turn, feedback.rating, feedback.reason, feedback.at))
            conn.execute(f"UPDATE journal_conversations SET {column} = {column} + 1 WHERE session_id = ?", (session_id,))
        return feedback

    def set_expected(self, session_id: str, turn: int, expect: dict[str, int | None], total: int | None = None,
                     max_any: int | None = None, out_of_scope: bool = False, note: str | None = None) -> ExpectedAnswer:
        answer = ExpectedAnswer(session_id, turn, dict(expect), total, max_any, out_of_scope, note, now_iso())
        self._conn.execute("INSERT OR REPLACE INTO expected_answers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (session_id, turn, json.dumps(answer.expect), total, max_any, int(out_of_scope), note, answer.at))
        return answer

    # ---- reading ------------------------------------------------------------------------------
    def turns(self, session_id: str) -> list[TurnRecord]:
        rows = self._conn.execute("SELECT session_id, turn, at, channel, owner, user_id, message, reply FROM journal_turns "
                                  "WHERE session_id = ? ORDER BY turn", (session_id,))
        return [TurnRecord(*row[:7], reply=json.loads(row[7])) for row in rows]

    def feedback(self, session_id: str) -> list[Feedback]:
        rows = self._conn.execute("SELECT session_id, turn, rating, reason, at FROM feedback WHERE session_id = ? "
                                  "ORDER BY at", (session_id,))
        return [Feedback(*row) for row in rows]

    def expected(self, session_id: str | None = None) -> list[ExpectedAnswer]:
        """The staff's expected answers: of one conversation, or all (oldest first)."""
        sql = "SELECT session_id, turn, expect, total, max_any, out_of_scope, note, at FROM expected_answers"
        rows = self._conn.execute(sql + (" WHERE session_id = ?" if session_id else "") + " ORDER BY at",
                                  (session_id,) if session_id else ())
        return [ExpectedAnswer(r[0], r[1], json.loads(r[2]), r[3], r[4], bool(r[5]), r[6], r[7]) for r in rows]

    # ---- retention ----------------------------------------------------------------------------
    def purge(self, older_than: str) -> int:
        """Remove turns and feedback recorded before `older_than` (ISO-8601), and all that was derived from them;
        a conversation left with no turn goes with its expected answer. The count of turns removed."""
        with self._transaction() as conn:
            touched = [r[0] for r in conn.execute("SELECT DISTINCT session_id FROM journal_turns WHERE at < ?", (older_than,))]
            removed = conn.execute("DELETE FROM journal_turns WHERE at < ?", (older_than,)).rowcount
            conn.execute("DELETE FROM feedback WHERE at < ?", (older_than,))
            for table in ("journal_turn_flags", "journal_estimates", "journal_missing"):
                conn.execute(f"DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM journal_turns t WHERE "
                             f"t.session_id = {table}.session_id AND t.turn = {table}.turn)")
            for session_id in touched:
                conn.execute("DELETE FROM journal_conversations WHERE session_id = ?", (session_id,))
                conn.execute(REFRESH_CONVERSATION, {"s": session_id})
            conn.execute("DELETE FROM expected_answers WHERE session_id NOT IN (SELECT session_id FROM journal_conversations)")
        return removed

    def forget(self, session_id: str) -> None:
        """A deleted session leaves nothing behind."""
        with self._transaction() as conn:
            for table in ("journal_turns", "feedback", "journal_turn_flags", "journal_estimates", "journal_missing",
                          "journal_conversations", "expected_answers"):
                conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (session_id,))
