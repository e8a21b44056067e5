"""Tenants, ownership, limits and keys: the security table of issue 11, in-process.

Keys: `hotline` (an enterprise key that may not act for end users), `wechat` (a backend acting for end users:
its user_id is trusted), and a staff key from POLICY_ADMIN_KEYS.
"""

import hashlib
import json
import logging
import time
import tracemalloc

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import Caller, require_admin
from api.ratelimit import BoundedMemoryStorage, RateLimiter
from assistant.config import Settings, SettingsError
from assistant.sessions import SQLiteSessionStore
from assistant.turn import Assistant

HOTLINE, WECHAT, ADMIN = "hotline-key-4f9a1c2e7b", "wechat-key-8d3e5a0f16", "staff-key-2c7b9e4d10"
KEYS = [HOTLINE, WECHAT, ADMIN]
MESSAGE = "机器人新品销售增量800万，能拿多少？"


def auth(key):
    return {"authorization": f"Bearer {key}"}


@pytest.fixture
def keys_file(tmp_path):
    path = tmp_path / "keys.yaml"
    path.write_text(
        "keys:\n"
        f"  - {{name: hotline, key: {HOTLINE}, roles: [enterprise]}}\n"
        f"  - {{name: wechat-backend, sha256: {hashlib.sha256(WECHAT.encode()).hexdigest()}, may_act_for_users: true}}\n",
        encoding="utf-8")
    return path


@pytest.fixture
def make_client(policy_kb, searcher, tmp_path, keys_file):
    def make(**overrides):
        settings = Settings(data_dir=tmp_path, keys_file=keys_file, admin_keys=(ADMIN,), **overrides)
        assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "sessions.sqlite3"))
        app = create_app(settings, assistant, with_ui=False)

        @app.get("/v1/staff/whoami", include_in_schema=False)
        def whoami(caller: Caller = Depends(require_admin)):
            return {"key_name": caller.key_name, "admin": caller.is_admin}

        return TestClient(app)
    return make


@pytest.fixture
def client(make_client):
    return make_client()


def new_session(client, key, user_id=None):
    r = client.post("/v1/chat", json={"message": MESSAGE, "user_id": user_id}, headers=auth(key))
    assert r.status_code == 200, r.text
    return r.json()["session_id"]


def attempts(client, sid, key, user_id):
    """read, chat (plain, streamed, OpenAI-style) and delete on one session as (key, user_id): the status codes."""
    params = {"user_id": user_id} if user_id else {}
    return (client.get(f"/v1/sessions/{sid}", params=params, headers=auth(key)).status_code,
            client.post("/v1/chat", json={"message": "能拿多少", "session_id": sid, "user_id": user_id},
                        headers=auth(key)).status_code,
            client.post("/v1/chat/stream", json={"message": "能拿多少", "session_id": sid, "user_id": user_id},
                        headers=auth(key)).status_code,
            client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "能拿多少"}], "session_id": sid,
                                                      "user": user_id}, headers=auth(key)).status_code,
            client.delete(f"/v1/sessions/{sid}", params=params, headers=auth(key)).status_code)


# (owner key, owner user) → (other key, other user): every attempt is a 404, as for a session that does not exist
CROSS = [
    ("another key reads the hotline's session", HOTLINE, None, WECHAT, None),
    ("another key, same user_id", WECHAT, "openid-alice", HOTLINE, "openid-alice"),
    ("same backend, another user", WECHAT, "openid-alice", WECHAT, "openid-mallory"),
    ("same backend, no user", WECHAT, "openid-alice", WECHAT, None),
    ("the staff key is not an enterprise key", WECHAT, "openid-alice", ADMIN, "openid-alice"),
    ("an enterprise key on a staff key's session", ADMIN, None, HOTLINE, None),
]


@pytest.mark.parametrize("name,owner,owner_user,other,other_user", CROSS, ids=[c[0] for c in CROSS])
def test_another_key_or_user_gets_404_on_read_chat_and_delete(client, name, owner, owner_user, other, other_user):
    sid = new_session(client, owner, owner_user)
    assert attempts(client, sid, other, other_user) == (404, 404, 404, 404, 404)
    # the same answer as for an id that does not exist: no existence oracle
    unknown = client.get("/v1/sessions/0123456789abcdef", headers=auth(other)).json()["error"]
    known = client.get(f"/v1/sessions/{sid}", headers=auth(other)).json()["error"]
    assert known["code"] == unknown["code"] == "session_not_found"
    # the owner still has it, whole
    params = {"user_id": owner_user} if owner_user else {}
    session = client.get(f"/v1/sessions/{sid}", params=params, headers=auth(owner)).json()
    assert len(session["turns"]) == 2 and session["facts"]


def test_the_owner_reads_continues_and_deletes(client):
    sid = new_session(client, WECHAT, "openid-alice")
    again = client.post("/v1/chat", json={"message": "能拿多少", "session_id": sid, "user_id": "openid-alice"}, headers=auth(WECHAT))
    assert again.status_code == 200 and again.json()["estimates"][0]["ceiling_yuan"] == 800_000
    # a key that may not act for users owns its sessions whatever user_id it writes
    hotline_sid = new_session(client, HOTLINE, "written-by-client")
    assert attempts(client, hotline_sid, HOTLINE, "someone-else")[:4] == (200, 200, 200, 200)
    assert client.delete(f"/v1/sessions/{sid}", params={"user_id": "openid-alice"}, headers=auth(WECHAT)).status_code == 204
    assert client.get(f"/v1/sessions/{sid}", params={"user_id": "openid-alice"}, headers=auth(WECHAT)).status_code == 404
    assert client.delete(f"/v1/sessions/{sid}", params={"user_id": "openid-alice"}, headers=auth(WECHAT)).status_code == 404


def test_no_key_or_a_wrong_key_is_401_when_keys_are_set(client):
    for headers in ({}, auth("not-a-key-at-all-00"), {"authorization": HOTLINE}):
        for method, path, body in [("post", "/v1/chat", {"message": MESSAGE}), ("get", "/v1/documents", None),
                                   ("get", "/v1/models", None), ("post", "/v1/chat/completions",
                                                                 {"messages": [{"role": "user", "content": "hi"}]})]:
            r = client.request(method, path, json=body, headers=headers)
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", (path, r.text)
    assert client.get("/healthz").status_code == 200


def test_staff_dependency(client):
    assert client.get("/v1/staff/whoami", headers=auth(ADMIN)).json()["admin"] is True
    assert client.get("/v1/staff/whoami", headers=auth(HOTLINE)).status_code == 403
    assert client.get("/v1/staff/whoami").status_code == 401


def test_staff_keys_alone_leave_the_api_open(policy_kb, searcher, tmp_path):
    """The contract: without POLICY_API_KEYS the API is open; POLICY_ADMIN_KEYS only guards the staff endpoints."""
    app = create_app(Settings(data_dir=tmp_path, admin_keys=(ADMIN,)),
                     Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "s.sqlite3")), with_ui=False)

    @app.get("/v1/staff/whoami", include_in_schema=False)
    def whoami(caller: Caller = Depends(require_admin)):
        return {"key_name": caller.key_name}

    client = TestClient(app)
    sid = new_session(client, "any-key-the-sdk-sends")
    assert client.get(f"/v1/sessions/{sid}").status_code == 200
    assert client.get("/v1/staff/whoami").status_code == 401
    assert client.get("/v1/staff/whoami", headers=auth(HOTLINE)).status_code == 401
    assert client.get("/v1/staff/whoami", headers=auth(ADMIN)).json()["key_name"].startswith("admin-")


def test_rotating_user_id_under_a_key_not_acting_for_users_is_limited(make_client):
    client = make_client(rate_limit="5/minute")
    codes = [client.post("/v1/chat", json={"message": "政策有效期多久", "user_id": f"rotated-{n}"}, headers=auth(HOTLINE)).status_code
             for n in range(8)]
    assert codes == [200] * 5 + [429] * 3
    # the backend acting for users is counted per (key, user): twelve users, twelve separate limits
    assert all(client.post("/v1/chat", json={"message": "政策有效期多久", "user_id": f"openid-{n}"}, headers=auth(WECHAT)).status_code
               == 200 for n in range(12))
    limited = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "政策有效期多久"}]},
                          headers=auth(HOTLINE))
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert int(limited.headers["retry-after"]) >= 1


def test_100k_distinct_callers_leave_the_limiter_memory_bounded():
    limiter = RateLimiter("3/second")
    assert isinstance(limiter.storage, BoundedMemoryStorage)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for n in range(100_000):
        limiter.check(Caller("rotating", frozenset(), True, "-").acting_for(f"user-{n}"))
    peak = tracemalloc.get_traced_memory()[1] - base
    time.sleep(1.1)  # the window of every caller so far has passed
    limiter.check(Caller("one-more", frozenset(), False, "-"))
    left = limiter.storage.sweep()
    after = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert left <= 1, left
    # at any moment only the callers of the last window are held, and once it has passed nothing is: what stays is
    # the library's own fixed-size caches and a dict's table (dicts do not shrink), a few MB whatever the callers
    assert peak < 50_000_000 and after < 4_000_000, (peak, after)
    assert after < peak / 2, (peak, after)


def test_keys_never_appear_in_logs_or_errors(make_client, caplog, tmp_path):
    client = make_client(rate_limit="2/minute", log_bodies=True)
    with caplog.at_level(logging.DEBUG):
        new_session(client, WECHAT, "openid-alice")
        client.post("/v1/chat", json={"message": MESSAGE}, headers=auth("wrong-" + HOTLINE))
        for _ in range(3):
            client.post("/v1/search", json={"query": "平台运营奖励"}, headers=auth(HOTLINE))
        client.get("/v1/sessions/unknown", headers=auth(ADMIN))
    text = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert "/v1/chat" in text
    for key in KEYS:
        assert key not in text
    settings = Settings(api_keys=(HOTLINE,), admin_keys=(ADMIN,))
    assert HOTLINE not in repr(settings) and ADMIN not in repr(settings)


BAD_SETTINGS = [("POLICY_LLM_TIMEOUT", "thirty"), ("POLICY_MAX_BODY_BYTES", "64k"), ("POLICY_RATE_LIMIT", "lots"),
                ("POLICY_SESSION_RETENTION_DAYS", "-3"), ("POLICY_LOG_BODIES", "maybe"), ("PORT", "80000"),
                ("POLICY_SESSION_URL", "mysql://x")]


@pytest.mark.parametrize("name,value", BAD_SETTINGS, ids=[b[0] for b in BAD_SETTINGS])
def test_a_bad_setting_stops_the_start_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        Settings.from_env()


def test_settings_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICY_API_KEYS", f" {HOTLINE} ,{WECHAT},")
    monkeypatch.setenv("POLICY_RATE_LIMIT", "30/minute")
    monkeypatch.setenv("POLICY_SESSION_RETENTION_DAYS", "90")
    monkeypatch.setenv("POLICY_LLM_TIMEOUT", "")
    settings = Settings.from_env()
    assert settings.api_keys == (HOTLINE, WECHAT) and settings.rate_limit == "30/minute"
    assert settings.session_retention_days == 90 and settings.llm_timeout_s == 30
    monkeypatch.setenv("POLICY_API_KEYS", "secret-value-123456")
    monkeypatch.setenv("POLICY_WORKERS", "two")
    with pytest.raises(SettingsError) as raised:
        Settings.from_env()
    assert "POLICY_WORKERS" in str(raised.value) and "secret-value" not in str(raised.value)


def test_a_bad_keys_file_names_the_entry_not_the_key(tmp_path, policy_kb, searcher):
    from api.auth import KeyRegistry

    path = tmp_path / "keys.json"
    path.write_text(json.dumps([{"name": "ok", "key": "a-long-enough-key-1"}, {"name": "bad", "key": "short-key"}]))
    with pytest.raises(ValueError, match="entry 1") as raised:
        KeyRegistry.from_settings(Settings(keys_file=path))
    assert "short-key" not in str(raised.value)
    path.write_text(json.dumps([{"name": "twice", "key": "a-long-enough-key-1"}, {"name": "twice", "key": "a-long-enough-key-2"}]))
    with pytest.raises(ValueError, match="unique"):
        KeyRegistry.from_settings(Settings(keys_file=path))
