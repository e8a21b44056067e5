"""Session stores (SQLite and Redis): owner, delete, retention, bounded waits for a session held by another turn."""

import datetime as dt
import os
import sqlite3
import subprocess
import threading

import pytest
from conftest import VENV_BIN
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.config import Settings
from assistant.sessions import SessionBusy, SessionNotFound, SQLiteSessionStore, lock_bucket
from assistant.sessions_redis import RedisSessionStore
from assistant.turn import Assistant

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(params=["sqlite", "redis"])
def make_store(request, tmp_path):
    def make(lock_timeout=30.0):
        if request.param == "sqlite":
            return SQLiteSessionStore(tmp_path / "s.sqlite3", lock_timeout=lock_timeout)
        return RedisSessionStore(request.getfixturevalue("redis_url"), prefix=f"t-{tmp_path.name}", lock_timeout=lock_timeout)
    make.kind = request.param
    return make


def backdate(store, session_id, days):
    """Make a session look last written `days` ago."""
    moment = NOW - dt.timedelta(days=days)
    if isinstance(store, SQLiteSessionStore):
        store._write([("UPDATE sessions SET updated_at = ? WHERE session_id = ?",
                       (moment.isoformat(timespec="milliseconds"), session_id))])
    else:
        store._redis.zadd(store._index, {session_id: moment.timestamp()})


def test_owner_delete_and_purge(make_store):
    store = make_store()
    old, recent = store.create("openid-1", "wechat", owner="wechat-backend"), store.create(None, None)
    store.append_turn(old, "机器人新品销售增量800万", "……")
    assert store.owner_of(old.session_id) == ("wechat-backend", "openid-1")
    assert store.owner_of(recent.session_id) == (None, None)
    assert store.load(old.session_id).owner == "wechat-backend" and store.load(old.session_id).created_at
    backdate(store, old.session_id, 40)
    assistant = Assistant(None, None, store)
    journal = []
    assistant.purge_hooks.append(lambda cutoff: journal.append(cutoff) or 3)  # another store joining retention
    assert assistant.purge(NOW - dt.timedelta(days=30)) == 1 + 3
    assert journal and journal[0] == NOW - dt.timedelta(days=30)
    with pytest.raises(SessionNotFound):
        store.load(old.session_id)
    assert store.load(recent.session_id).session_id == recent.session_id
    assert store.delete(recent.session_id) is True and store.delete(recent.session_id) is False
    with pytest.raises(SessionNotFound):
        store.owner_of(recent.session_id)


def test_a_held_session_is_busy_after_the_bounded_wait_then_free(make_store):
    holder, other = make_store(), make_store(lock_timeout=0.3)  # two stores: as two worker processes
    session = holder.create(None, None)
    held, release = threading.Event(), threading.Event()

    def hold():
        with holder.lock(session.session_id):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:
        with pytest.raises(SessionBusy):
            with other.lock(session.session_id):
                pass
    finally:
        release.set()
        thread.join()
    with other.lock(session.session_id):
        other.append_turn(other.load(session.session_id), "你好", "您好")
    assert len(holder.load(session.session_id).turns) == 2


def test_a_held_session_does_not_stop_the_others(make_store):
    """A slow turn (an LLM call) holds its own session only."""
    holder, other = make_store(), make_store(lock_timeout=0.3)
    held_session = holder.create(None, None)
    with holder.lock(held_session.session_id):
        free_ones = [other.create(None, None) for _ in range(12)]
        # sessions sharing nothing with the held one (on SQLite: not its lock file either)
        free_ones = [f for f in free_ones if lock_bucket(f.session_id) != lock_bucket(held_session.session_id)]
        for free in free_ones[:5]:
            with other.lock(free.session_id):
                other.append_turn(other.load(free.session_id), "你好", "您好")
            assert len(holder.load(free.session_id).turns) == 2


def test_a_busy_session_is_409_over_http(make_store, policy_kb, searcher, tmp_path):
    store = make_store(lock_timeout=0.3)
    client = TestClient(create_app(Settings(data_dir=tmp_path), Assistant(policy_kb, searcher, store), with_ui=False))
    sid = client.post("/v1/chat", json={"message": "政策有效期多久"}).json()["session_id"]
    held, release = threading.Event(), threading.Event()
    holder = make_store()

    def hold():
        with holder.lock(sid):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    try:
        busy = client.post("/v1/chat", json={"message": "能拿多少", "session_id": sid})
        completions = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "能拿多少"}], "session_id": sid})
    finally:
        release.set()
        thread.join()
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "session_busy" and busy.headers["retry-after"] == "1"
    assert completions.status_code == 409 and completions.json()["error"]["type"] == "conflict_error"
    assert client.post("/v1/chat", json={"message": "能拿多少", "session_id": sid}).status_code == 200


def test_an_older_sqlite_file_gains_owners(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE sessions (session_id TEXT PRIMARY KEY, user_id TEXT, channel TEXT, state TEXT NOT NULL,
                               created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        INSERT INTO sessions VALUES ('abc', 'u', 'web', '{}', '2026-01-01T00:00:00.000+00:00', '2026-01-01T00:00:00.000+00:00');
    """)
    conn.commit()
    conn.close()
    store = SQLiteSessionStore(path)
    assert store.owner_of("abc") == (None, "u") and store.load("abc").owner is None


def test_purge_command(tmp_path):
    data = tmp_path / "data"
    store = SQLiteSessionStore(data / "sessions.sqlite3")
    old, kept = store.create(None, None), store.create(None, None)
    backdate(store, old.session_id, 100)
    env = {**os.environ, "POLICY_DATA_DIR": str(data)}
    env.pop("POLICY_SESSION_RETENTION_DAYS", None)
    refused = subprocess.run([str(VENV_BIN / "policy-assistant"), "purge"], env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "POLICY_SESSION_RETENTION_DAYS" in refused.stderr
    done = subprocess.run([str(VENV_BIN / "policy-assistant"), "purge"], env={**env, "POLICY_SESSION_RETENTION_DAYS": "90"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "removed 1 session" in done.stdout, done.stderr
    assert store.owner_of(kept.session_id) == (None, None)
    with pytest.raises(SessionNotFound):
        store.load(old.session_id)
    bad = subprocess.run([str(VENV_BIN / "policy-assistant"), "purge"], env={**env, "POLICY_SESSION_RETENTION_DAYS": "ninety"},
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "POLICY_SESSION_RETENTION_DAYS" in bad.stderr and "Traceback" not in bad.stderr


def test_retention_applies_on_start(tmp_path, policy_kb, searcher):
    from assistant.runtime import Knowledge, open_assistant

    store = SQLiteSessionStore(tmp_path / "sessions.sqlite3")
    old, kept = store.create(None, None), store.create(None, None)
    backdate(store, old.session_id, 31)
    opened = open_assistant(Settings(data_dir=tmp_path, session_retention_days=30), Knowledge(policy_kb, searcher))
    with pytest.raises(SessionNotFound):
        opened.store.load(old.session_id)
    assert opened.store.load(kept.session_id).session_id == kept.session_id


def test_a_lock_taken_in_one_thread_is_released_in_another(make_store):
    """A streamed turn: the server's thread pool may run its end on another thread than its start."""
    store = make_store(lock_timeout=0.5)
    session = store.create(None, None)
    held = store.lock(session.session_id)
    held.__enter__()
    closer = threading.Thread(target=held.__exit__, args=(None, None, None))
    closer.start()
    closer.join()
    with make_store(lock_timeout=0.5).lock(session.session_id):
        pass
