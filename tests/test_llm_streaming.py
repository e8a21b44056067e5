"""Guarded streaming: the LLM's pieces reach the client as they come, and a lie is cut at its first wrong figure."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port, wait_for_port
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.config import Settings
from assistant.llm import LLMComposer
from assistant.sessions import SQLiteSessionStore
from assistant.turn import Assistant

SERVER = Path(__file__).with_name("fake_openai_server.py")
QUESTION = "我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少？"
LIE = "5000万"


@pytest.fixture
def slow_llm(tmp_path, request):
    port, log = free_port(), tmp_path / "requests.jsonl"
    env = {**os.environ, "FAKE_LLM_DELAY": "0.05"}
    process = subprocess.Popen([sys.executable, str(SERVER), str(port), request.param, str(log)], env=env)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/v1", Path(f"{log}.timing")
    finally:
        process.terminate()
        process.wait(timeout=10)


def last_end(timing: Path) -> dict:
    return [e for e in map(json.loads, timing.read_text().splitlines()) if e["event"] == "end"][-1]


def make(policy_kb, searcher, tmp_path, url):
    return Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "s.sqlite3"),
                     llm=LLMComposer(url, "test-model", None, timeout_s=30))


def collect(assistant, message):
    events = []
    reply = assistant.chat(message, on_delta=lambda event, text: events.append((time.monotonic(), event, text)))
    return reply, events, time.monotonic()


@pytest.mark.parametrize("slow_llm", ["slow-honest"], indirect=True)
def test_pieces_arrive_while_the_llm_is_still_writing(policy_kb, searcher, tmp_path, slow_llm):
    url, timing = slow_llm
    reply, events, finished = collect(make(policy_kb, searcher, tmp_path, url), QUESTION)
    deltas = [e for e in events if e[1] == "delta"]
    assert reply.composer == "llm" and len(deltas) > 10 and not [e for e in events if e[1] == "replaced"]
    assert "".join(text for _, _, text in deltas).strip() == reply.answer
    llm = last_end(timing)
    streaming_time = llm["last_token_at"] - llm["first_token_at"]
    assert streaming_time > 2  # the fake LLM took seconds to write …
    assert finished - deltas[0][0] > streaming_time / 2  # … and the first piece was out long before it finished


@pytest.mark.parametrize("slow_llm", ["slow-liar"], indirect=True)
def test_a_lying_llm_is_cut_at_its_first_wrong_figure(policy_kb, searcher, tmp_path, slow_llm, caplog):
    url, timing = slow_llm
    reply, events, _ = collect(make(policy_kb, searcher, tmp_path, url), QUESTION)
    kinds = [kind for _, kind, _ in events]
    assert kinds.count("replaced") == 1 and kinds[-1] == "replaced" and kinds[0] == "delta"
    shown = "".join(text for _, kind, text in events if kind == "delta")
    assert LIE not in shown and "500万" not in shown
    assert shown.startswith("整理如下") and shown.endswith("另外，您还可以额外获得")  # everything up to the lie
    replacement = events[-1][2]
    assert replacement == reply.answer and reply.composer == "deterministic"
    assert "500,000 元" in reply.answer and LIE not in reply.answer
    assert any(LIE in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)
    time.sleep(0.3)
    llm = last_end(timing)
    assert llm["chunks"] < 120  # the stream was abandoned: the liar's long tail was never read to its end


def sse_events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.strip().splitlines() if ": " in line)
        if "data" in lines and lines["data"] != "[DONE]":
            out.append((lines.get("event", "message"), json.loads(lines["data"])))
    return out


@pytest.fixture
def api(policy_kb, searcher, tmp_path):
    def client(url):
        assistant = make(policy_kb, searcher, tmp_path, url)
        return TestClient(create_app(Settings(data_dir=tmp_path), assistant, with_ui=False))
    return client


@pytest.mark.parametrize("slow_llm", ["slow-liar"], indirect=True)
def test_the_stream_endpoints_say_replaced(api, slow_llm):
    url, _ = slow_llm
    client = api(url)
    with client.stream("POST", "/v1/chat/stream", json={"message": QUESTION}) as r:
        events = sse_events("".join(r.iter_text()))
    kinds = [k for k, _ in events]
    assert kinds[0] == "delta" and kinds.count("replaced") == 1 and kinds[-2:] == ["reply", "done"]
    replaced = next(d for k, d in events if k == "replaced")
    reply = next(d for k, d in events if k == "reply")
    assert replaced["text"] == reply["answer"] and reply["composer"] == "deterministic"
    assert all(LIE not in d.get("text", "") for k, d in events if k == "delta")

    body = {"model": "any", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        chunks = sse_events("".join(r.iter_text()))
    cut = [d for k, d in chunks if k == "replaced"]
    assert len(cut) == 1 and cut[0]["policy_assistant_replaced"] is True
    assert "500,000 元" in cut[0]["choices"][0]["delta"]["content"]
    assert chunks[-1][1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("slow_llm", ["slow-honest"], indirect=True)
def test_openai_stream_passes_the_llm_pieces_through(api, slow_llm):
    url, _ = slow_llm
    body = {"model": "any", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with api(url).stream("POST", "/v1/chat/completions", json=body) as r:
        chunks = sse_events("".join(r.iter_text()))
    content = "".join(d["choices"][0]["delta"].get("content", "") for _, d in chunks)
    assert content.startswith("整理如下") and len(chunks) > 10
    assert chunks[-1][1]["policy_assistant"]["composer"] == "llm"
