"""The optional LLM against real local OpenAI-compatible servers, one of which lies."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port, wait_for_port

from assistant.llm import LLMComposer, LLMExtractor
from assistant.sessions import SQLiteSessionStore
from assistant.turn import Assistant

SERVER = Path(__file__).with_name("fake_openai_server.py")
QUESTION = "我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少？"


@pytest.fixture
def llm_server(tmp_path, request):
    port, log = free_port(), tmp_path / "requests.jsonl"
    process = subprocess.Popen([sys.executable, str(SERVER), str(port), request.param, str(log)])
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/v1", log
    finally:
        process.terminate()
        process.wait(timeout=10)


def make(policy_kb, searcher, tmp_path, base_url):
    return Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "s.sqlite3"),
                     llm=LLMComposer(base_url, "test-model", "secret", timeout_s=10))


@pytest.mark.parametrize("llm_server", ["honest"], indirect=True)
def test_an_honest_llm_phrases_the_answer(policy_kb, searcher, tmp_path, llm_server):
    url, log = llm_server
    reply = make(policy_kb, searcher, tmp_path, url).chat(QUESTION)
    assert reply.composer == "llm" and reply.answer.startswith("整理如下")
    assert {e.program_id: e.ceiling_yuan for e in reply.estimates}["smart-hardware-new-product"] == 500_000
    sent = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert sent["stream"] is True
    material = json.loads(sent["messages"][-1]["content"])
    assert material["engine_result"][0]["ceiling_yuan"] == 500_000
    assert any("销售增量的10%" in s["quote"] for s in material["sources"])


@pytest.mark.parametrize("llm_server", ["liar"], indirect=True)
def test_a_lying_llm_is_refused(policy_kb, searcher, tmp_path, llm_server, caplog):
    url, _ = llm_server
    reply = make(policy_kb, searcher, tmp_path, url).chat(QUESTION)
    assert reply.composer == "deterministic"
    assert "5000万" not in reply.answer and "第十二条" not in reply.answer
    assert "500,000 元" in reply.answer
    # the stream is cut at the first unsupported figure or article: here 第十二条 comes before 5000万
    assert any("第十二条" in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("llm_server", ["wrong-article"], indirect=True)
def test_an_article_never_retrieved_is_refused(policy_kb, searcher, tmp_path, llm_server, caplog):
    url, _ = llm_server
    reply = make(policy_kb, searcher, tmp_path, url).chat(QUESTION)
    assert reply.composer == "deterministic" and "第十二条" not in reply.answer
    assert any("not retrieved" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("llm_server", ["broken"], indirect=True)
def test_a_failing_llm_falls_back(policy_kb, searcher, tmp_path, llm_server):
    url, _ = llm_server
    reply = make(policy_kb, searcher, tmp_path, url).chat(QUESTION)
    assert reply.composer == "deterministic" and "500,000 元" in reply.answer


def test_an_unreachable_llm_falls_back(policy_kb, searcher, tmp_path):
    reply = make(policy_kb, searcher, tmp_path, f"http://127.0.0.1:{free_port()}/v1").chat(QUESTION)
    assert reply.composer == "deterministic"


VAGUE = "我们的产品是一款会聊天的桌面小伙伴，今年新品比去年多卖了300万"


def with_extractor(policy_kb, searcher, tmp_path, base_url):
    return Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "s.sqlite3"),
                     llm_extractor=LLMExtractor(base_url, "test-model", None, timeout_s=10))


def test_without_an_llm_the_rules_do_not_guess_the_category(policy_kb, searcher, tmp_path):
    reply = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "s.sqlite3")).chat(VAGUE)
    hardware = {e.program_id: e for e in reply.estimates}["smart-hardware-new-product"]
    assert hardware.status == "needs_info" and "产品类别" in hardware.missing


@pytest.mark.parametrize("llm_server", ["extract-honest"], indirect=True)
def test_an_llm_extractor_fills_what_the_rules_missed(policy_kb, searcher, tmp_path, llm_server):
    url, log = llm_server
    reply = with_extractor(policy_kb, searcher, tmp_path, url).chat(VAGUE)
    hardware = {e.program_id: e for e in reply.estimates}["smart-hardware-new-product"]
    assert hardware.status == "eligible" and hardware.ceiling_yuan == 300_000
    source = next(s for s in reply.fact_sources if s.fact == "product_category")
    assert "会聊天的桌面小伙伴" in source.quote and source.quote in VAGUE and source.derivation == "LLM"
    sent = json.loads(log.read_text(encoding="utf-8").splitlines()[-1])
    assert sent["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("llm_server", ["extract-liar"], indirect=True)
def test_an_llm_extractor_cannot_invent_an_amount(policy_kb, searcher, tmp_path, llm_server, caplog):
    url, _ = llm_server
    reply = with_extractor(policy_kb, searcher, tmp_path, url).chat(VAGUE)
    hardware = {e.program_id: e for e in reply.estimates}["smart-hardware-new-product"]
    assert hardware.ceiling_yuan == 300_000  # the message's 300万, not the invented 5000万
    assert reply.facts["projects"][0]["new_product_sales_increment_yuan"] == 3_000_000
    assert "model_registered" not in reply.facts["projects"][0]
    assert "national_jiebang_winner" not in reply.facts["projects"][0]  # its quote is not in the message
    assert any("not an amount of the message" in r.getMessage() for r in caplog.records)
    assert any("quote is not in the message" in r.getMessage() for r in caplog.records)
