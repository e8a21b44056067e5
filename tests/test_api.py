"""The HTTP API in-process: the contract's shapes, one error shape, bad input, keys, limits, streaming."""

import json
import logging

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.config import Settings
from assistant.sessions import SQLiteSessionStore
from assistant.turn import Assistant


@pytest.fixture
def make_client(policy_kb, searcher, tmp_path):
    def make(**overrides):
        settings = Settings(data_dir=tmp_path, **overrides)
        assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "sessions.sqlite3"))
        return TestClient(create_app(settings, assistant, with_ui=False))
    return make


@pytest.fixture
def client(make_client):
    return make_client()


def test_chat_reply_has_the_contract_shape(client):
    r = client.post("/v1/chat", json={"message": "我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少奖励？"})
    assert r.status_code == 200 and r.headers["x-request-id"]
    body = r.json()
    assert set(body) >= {"session_id", "answer", "in_scope", "citations", "estimates", "total_ceiling_yuan", "follow_up", "facts"}
    assert set(body["citations"][0]) >= {"doc_id", "article", "title", "quote"}
    estimate = body["estimates"][0]
    assert set(estimate) >= {"program_id", "article", "title", "status", "ceiling_yuan", "cap_yuan", "trace", "missing"}
    assert estimate["ceiling_yuan"] == 500_000 and body["total_ceiling_yuan"] == 500_000
    session = client.get(f"/v1/sessions/{body['session_id']}").json()
    assert [t["role"] for t in session["turns"]] == ["user", "assistant"]
    assert session["facts"]["projects"][0]["new_product_sales_increment_yuan"] == 5_000_000
    source = next(s for s in session["fact_sources"] if s["fact"] == "new_product_sales_increment_yuan")
    assert source["turn"] == 0 and "500万" in source["quote"] and source["quote"] in session["turns"][0]["text"]
    assert body["fact_sources"] == session["fact_sources"]


def test_search_estimate_documents_sections(client):
    results = client.post("/v1/search", json={"query": "平台运营奖励累计上限", "top_k": 3}).json()["results"]
    assert results[0]["article"] == "3" and len(results) == 3
    assert results[0]["passage"] in results[0]["text"]
    est = client.post("/v1/estimate", json={"facts": {"platform_level": "city", "platform_operating_cost_yuan": 3_000_000},
                                            "on_date": "2026-06-01"}).json()
    assert est["estimates"][0]["status"] == "not_eligible" and est["total_ceiling_yuan"] == 0
    docs = client.get("/v1/documents").json()["documents"]
    assert docs[0]["doc_number"] == "长政办发〔2025〕16号" and docs[0]["issued_on"] == "2025-12-19"
    section = client.get("/v1/documents/changsha-ai-2025/sections/9").json()
    assert section["responsible_units"] == ["市发展改革委", "市财政局", "市金融管理局"]
    assert client.get("/v1/documents/changsha-ai-2025/sections/99").status_code == 404


def test_estimate_validity_edges_over_http(client):
    facts = {"product_category": "smart_hardware", "new_product_sales_increment_yuan": 5_000_000}
    for day, ceiling in [("2025-12-18", 0), ("2025-12-19", 500_000), ("2028-12-18", 500_000), ("2028-12-19", 0)]:
        assert client.post("/v1/estimate", json={"facts": facts, "on_date": day}).json()["total_ceiling_yuan"] == ceiling


BAD_INPUTS = [
    ("empty message", {"json": {"message": ""}}, 422),
    ("whitespace only", {"json": {"message": "  \n\t "}}, 422),
    ("100,000 characters", {"json": {"message": "长" * 100_000}}, 413),
    ("2,001 characters", {"json": {"message": "x" * 2001}}, 422),
    ("invalid JSON", {"content": b'{"message": "hi"', "headers": {"content-type": "application/json"}}, 400),
    ("not UTF-8", {"content": b'{"message": "\xff\xfe"}', "headers": {"content-type": "application/json"}}, 400),
    ("message is a number", {"json": {"message": 123}}, 422),
    ("message is null", {"json": {"message": None}}, 422),
    ("body is a list", {"json": ["message"]}, 422),
    ("NUL bytes", {"json": {"message": "机器人\u0000\u0000奖励"}}, 422),
    ("unknown session", {"json": {"message": "你好", "session_id": "no-such-session"}}, 404),
    ("session id of the wrong shape", {"json": {"message": "你好", "session_id": "../../etc/passwd"}}, 422),
    ("unknown field", {"json": {"message": "你好", "sesion_id": "x"}}, 422),
    ("bad channel", {"json": {"message": "你好", "channel": "sms"}}, 422),
    ("wrong content type", {"content": b"message=hi", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 415),
    ("no content type", {"content": b'{"message": "hi"}'}, 415),
]


@pytest.mark.parametrize("name,kwargs,status", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_a_4xx_json_error_and_the_server_goes_on(client, name, kwargs, status):
    r = client.post("/v1/chat", **kwargs)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] and error["message"] and error["request_id"] == r.headers["x-request-id"]
    assert client.get("/healthz").status_code == 200
    assert client.post("/v1/chat", json={"message": "政策有效期多久"}).status_code == 200


def test_estimate_has_typed_steps(client):
    facts = {"platform_level": "national", "platform_operating_cost_yuan": 5_000_000, "open_source_project": True,
             "awards_received": {"innovation-platform-operation": {"this_year_yuan": 0, "total_yuan": 1_500_000}}}
    body = client.post("/v1/estimate", json={"facts": facts, "on_date": "2026-06-01"}).json()
    platform = next(e for e in body["estimates"] if e["program_id"] == "innovation-platform-operation")
    cumulative = next(s for s in platform["steps"] if s["kind"] == "cumulative_remainder")
    assert (cumulative["limit_yuan"], cumulative["received_yuan"], cumulative["result_yuan"]) == (2_000_000, 1_500_000, 500_000)
    assert len(platform["trace"]) == len(platform["steps"])
    assert [s["kind"] for s in body["total_steps"]] == ["no_stacking", "total"]
    assert body["total_steps"][-1]["result_yuan"] == body["total_ceiling_yuan"] == 1_000_000


def test_unknown_field_is_named(client):
    r = client.post("/v1/estimate", json={"facts": {"new_product_sales_incremnt_yuan": 5}})
    assert r.status_code == 422 and "new_product_sales_incremnt_yuan" in r.json()["error"]["message"]
    assert r.json()["error"]["fields"] == ["facts.new_product_sales_incremnt_yuan"]
    assert client.post("/v1/estimate", json={"facts": {}, "program_ids": ["nope"]}).status_code == 422
    assert client.post("/v1/estimate", json={"facts": {"new_product_sales_increment_yuan": "lots"}}).status_code == 422
    assert client.post("/v1/search", json={"query": "x", "top_k": 0}).status_code == 422
    assert client.post("/v1/search", json={"query": "x", "top_k": 51}).status_code == 422


@pytest.mark.parametrize("message", ["😀😀😀", "<script>alert('x')</script>有什么奖励", "'; DROP TABLE sessions; --", "SELECT * FROM turns"])
def test_odd_but_valid_text_is_answered_safely(client, message):
    r = client.post("/v1/chat", json={"message": message})
    assert r.status_code == 200
    assert "<script>" not in r.json()["answer"] and "DROP TABLE" not in r.json()["answer"]
    sid = r.json()["session_id"]
    assert client.get(f"/v1/sessions/{sid}").json()["turns"][0]["text"] == message


def test_other_methods_and_paths(client):
    assert client.get("/v1/chat").status_code == 405
    assert client.get("/v1/nowhere").json()["error"]["code"] == "not_found"
    assert client.get("/v1/sessions/unknown").status_code == 404


def test_request_id_is_echoed(client):
    assert client.get("/healthz", headers={"x-request-id": "hotline-42"}).headers["x-request-id"] == "hotline-42"


def test_api_keys(make_client):
    client = make_client(api_keys=("k-1", "k-2"))
    assert client.get("/healthz").status_code == 200
    assert client.post("/v1/chat", json={"message": "政策有效期多久"}).status_code == 401
    assert client.post("/v1/chat", json={"message": "政策有效期多久"}, headers={"authorization": "Bearer wrong"}).status_code == 401
    ok = client.post("/v1/chat", json={"message": "政策有效期多久"}, headers={"authorization": "Bearer k-2"})
    assert ok.status_code == 200
    assert client.get("/v1/documents").json()["error"]["code"] == "unauthorized"


def test_rate_limit_per_user_for_a_key_acting_for_users(make_client):
    client = make_client(rate_limit="3/minute", api_keys=("backend-key-0001",))
    auth = {"authorization": "Bearer backend-key-0001"}
    for _ in range(3):
        assert client.post("/v1/chat", json={"message": "政策有效期多久", "user_id": "openid-a"}, headers=auth).status_code == 200
    limited = client.post("/v1/chat", json={"message": "政策有效期多久", "user_id": "openid-a"}, headers=auth)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"
    # one busy user does not slow another behind the same key (a WeChat backend relaying many users)
    assert client.post("/v1/chat", json={"message": "政策有效期多久", "user_id": "openid-b"}, headers=auth).status_code == 200


def test_rate_limit_without_keys_counts_the_address(make_client):
    client = make_client(rate_limit="3/minute")
    for n in range(3):
        assert client.post("/v1/chat", json={"message": "政策有效期多久", "user_id": f"u{n}"}).status_code == 200
    assert client.post("/v1/chat", json={"message": "政策有效期多久", "user_id": "u9"}).status_code == 429


def test_access_log_leaves_bodies_out(client, caplog):
    with caplog.at_level(logging.INFO, logger="policy_assistant.access"):
        client.post("/v1/chat", json={"message": "我们的秘密销售数据是八百万"})
    lines = [r.getMessage() for r in caplog.records if r.name == "policy_assistant.access"]
    assert any("/v1/chat" in line and " 200 " in line for line in lines)
    assert not any("秘密" in line for line in lines)


def test_stream_sends_pieces_then_the_reply(client):
    with client.stream("POST", "/v1/chat/stream", json={"message": "机器人新品销售增量500万"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    events = [block for block in text.split("\n\n") if block.strip()]
    kinds = [e.split("\n")[0].removeprefix("event: ") for e in events]
    assert kinds[0] == "delta" and kinds[-2:] == ["reply", "done"]
    reply = json.loads(events[-2].split("data: ", 1)[1])
    assert reply["estimates"][0]["ceiling_yuan"] == 500_000
    streamed = "".join(json.loads(e.split("data: ", 1)[1])["text"] for e in events if e.startswith("event: delta"))
    assert streamed.strip() == reply["answer"].strip()
    assert client.post("/v1/chat/stream", json={"message": "x", "session_id": "missing"}).status_code == 404


def test_wechat_channel(client):
    message = "同一个项目：机器人新品销售增量900万元，这个项目的垂类大模型已登记，模型购买费用400万元"
    body = client.post("/v1/chat", json={"message": message, "channel": "wechat", "user_id": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"}).json()
    assert len(body["answer"]) <= 300 and body["answer_full"]
    session = client.get(f"/v1/sessions/{body['session_id']}").json()
    assert session["user_id"] == "o6_bmjrPTlm6_2sgVt7hMZOPfL2M" and session["channel"] == "wechat"


def test_openai_shape_in_process(client):
    r = client.post("/v1/chat/completions", json={"model": "any", "messages": [
        {"role": "system", "content": "你是助手"},
        {"role": "user", "content": "我们做智能机器人"},
        {"role": "assistant", "content": "好的"},
        {"role": "user", "content": "新品销售增量800万，能拿多少？"}]})
    body = r.json()
    assert body["object"] == "chat.completion" and body["choices"][0]["message"]["role"] == "assistant"
    assert body["policy_assistant"]["estimates"][0]["ceiling_yuan"] == 800_000
    # OpenAI's status and error object on this family: 400 with message, type, param, code
    no_user = client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]})
    assert no_user.status_code == 400 and no_user.json()["error"]["type"] == "invalid_request_error"
    empty = client.post("/v1/chat/completions", json={"messages": []})
    assert empty.status_code == 400 and set(empty.json()["error"]) == {"message", "type", "param", "code"}


def test_feedback_is_kept_per_answer(policy_kb, searcher, tmp_path):
    from assistant.journal import Journal

    journal = Journal(tmp_path / "journal.sqlite3")
    assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "sessions.sqlite3"), journal=journal)
    client = TestClient(create_app(Settings(data_dir=tmp_path), assistant, with_ui=False))
    first = client.post("/v1/chat", json={"message": "智能机器人新品销售增量800万，能拿多少？"}).json()
    client.post("/v1/chat", json={"message": "政策有效期多久？", "session_id": first["session_id"]})
    r = client.post("/v1/feedback", json={"session_id": first["session_id"], "rating": "down", "reason": "没说清楚有效期"})
    assert r.status_code == 201 and r.json()["turn"] == 1
    assert client.post("/v1/feedback", json={"session_id": first["session_id"], "turn": 0, "rating": "up"}).status_code == 201
    assert client.post("/v1/feedback", json={"session_id": first["session_id"], "turn": 2, "rating": "up"}).status_code == 422
    assert client.post("/v1/feedback", json={"session_id": "nope", "rating": "up"}).status_code == 404
    assert client.post("/v1/feedback", json={"session_id": first["session_id"], "rating": "meh"}).status_code == 422
    kept = journal.feedback(first["session_id"])
    assert [(f.turn, f.rating, f.reason) for f in kept] == [(1, "down", "没说清楚有效期"), (0, "up", None)]
    turns = journal.turns(first["session_id"])
    assert [t.turn for t in turns] == [0, 1] and turns[0].reply["estimates"][0]["ceiling_yuan"] == 800_000
