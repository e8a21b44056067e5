"""Sessions on Redis (POLICY_SESSION_URL), against a real redis-server the test starts on loopback."""


import pytest

from assistant.sessions import RedisSessionStore, SessionNotFound
from assistant.turn import Assistant


def test_conversation_on_redis_survives_a_new_store(policy_kb, searcher, redis_url):
    first = Assistant(policy_kb, searcher, RedisSessionStore(redis_url)).chat("机器人新品销售增量800万", user_id="openid-1", channel="wechat")
    other = Assistant(policy_kb, searcher, RedisSessionStore(redis_url))
    reply = other.chat("刚才说错了，是900万", first.session_id)
    assert {e.program_id: e.ceiling_yuan for e in reply.estimates}["smart-hardware-new-product"] == 900_000
    session = other.store.load(first.session_id)
    assert session.user_id == "openid-1" and session.channel == "wechat"
    assert [t.text for t in session.turns][::2] == ["机器人新品销售增量800万", "刚才说错了，是900万"]


def test_unknown_session_on_redis(redis_url):
    with pytest.raises(SessionNotFound):
        RedisSessionStore(redis_url).load("missing")


def test_sessions_are_isolated_on_redis(policy_kb, searcher, redis_url):
    assistant = Assistant(policy_kb, searcher, RedisSessionStore(redis_url))
    a = assistant.chat("机器人新品销售增量100万")
    b = assistant.chat("机器人新品销售增量300万")
    assert assistant.chat("能拿多少", a.session_id).estimates[0].ceiling_yuan == 100_000
    assert assistant.chat("能拿多少", b.session_id).estimates[0].ceiling_yuan == 300_000
