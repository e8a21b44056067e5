"""OpenAI compatibility as an integrator meets it: the `openai` SDK and LangChain's `ChatOpenAI`, unchanged,
against the server (in-process through httpx, and over loopback for streaming)."""

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.config import Settings
from assistant.sessions import SQLiteSessionStore
from assistant.turn import Assistant

KEY = "openai-client-key-5e8d2c"
QUESTION = "我们做AR眼镜，新品销售增量600万元，能拿多少？"


@pytest.fixture
def http(policy_kb, searcher, tmp_path):
    settings = Settings(data_dir=tmp_path, api_keys=(KEY,), rate_limit="30/minute")
    assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "sessions.sqlite3"))
    return TestClient(create_app(settings, assistant, with_ui=False))


@pytest.fixture
def sdk(http):
    from openai import OpenAI

    return OpenAI(base_url="http://testserver/v1", api_key=KEY, http_client=http, max_retries=0)


def test_models_content_parts_and_usage(sdk):
    assert [m.id for m in sdk.models.list()] == ["changsha-policy-assistant"]
    assert sdk.models.retrieve("changsha-policy-assistant").owned_by
    completion = sdk.chat.completions.create(model="changsha-policy-assistant", messages=[
        {"role": "system", "content": [{"type": "text", "text": "你是长沙政策助手"}]},
        {"role": "user", "content": [{"type": "text", "text": "我们做AR眼镜，"}, {"type": "text", "text": "新品销售增量600万元，能拿多少？"}]}])
    assert "600,000 元" in completion.choices[0].message.content
    assert completion.usage.total_tokens > 0
    stream = sdk.chat.completions.create(model="changsha-policy-assistant", stream=True, stream_options={"include_usage": True},
                                         messages=[{"role": "user", "content": "政策有效期多久"}])
    chunks = list(stream)
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert "有效期3年" in "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_sdk_errors_are_openai_errors(sdk, http):
    import openai
    from openai import OpenAI

    with pytest.raises(openai.NotFoundError) as missing:
        sdk.models.retrieve("gpt-4o")
    assert missing.value.body["code"] == "model_not_found" and missing.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as bad:
        sdk.chat.completions.create(model="x", messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}])
    assert bad.value.body["param"] == "messages.0.content"
    with pytest.raises(openai.BadRequestError):
        sdk.chat.completions.create(model="x", messages=[{"role": "user", "content": ""}])
    with pytest.raises(openai.AuthenticationError) as unauthorized:
        OpenAI(base_url="http://testserver/v1", api_key="wrong", http_client=http, max_retries=0).models.list()
    assert unauthorized.value.body["code"] == "invalid_api_key"
    with pytest.raises(openai.NotFoundError):
        sdk.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}], extra_body={"session_id": "nosuch"})
    with pytest.raises(openai.RateLimitError) as limited:
        for _ in range(40):
            sdk.chat.completions.create(model="x", messages=[{"role": "user", "content": "政策有效期多久"}])
    assert limited.value.body["type"] == "rate_limit_error" and int(limited.value.response.headers["retry-after"]) >= 1


def test_langchain_chat_openai(http):
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model="changsha-policy-assistant", base_url="http://testserver/v1", api_key=KEY,
                     http_client=http, max_retries=0)
    answer = llm.invoke([("system", "你是长沙政策助手"), ("human", QUESTION)])
    assert "600,000 元" in answer.content
    pieces = list(ChatOpenAI(model="changsha-policy-assistant", base_url="http://testserver/v1", api_key=KEY,
                             http_client=http, max_retries=0, stream_usage=True).stream("政策有效期多久"))
    assert "有效期3年" in "".join(p.content for p in pieces)
    assert sum(p.usage_metadata["total_tokens"] for p in pieces if p.usage_metadata) > 0


def test_sdks_over_the_network_stream(live_server):
    """A real server process: the SDK's own HTTP client and LangChain's, streaming included."""
    from langchain_openai import ChatOpenAI
    from openai import OpenAI

    client = OpenAI(base_url=live_server.url + "/v1", api_key="unused")
    assert client.models.list().data[0].id == "changsha-policy-assistant"
    text = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(
        model="changsha-policy-assistant", stream=True, messages=[{"role": "user", "content": QUESTION}]) if c.choices)
    assert "600,000 元" in text
    llm = ChatOpenAI(model="changsha-policy-assistant", base_url=live_server.url + "/v1", api_key="unused", streaming=True)
    assert "600,000 元" in "".join(chunk.content for chunk in llm.stream(QUESTION))
