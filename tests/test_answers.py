"""Answers that answer the question: the table of questions by intent (half held out), language, WeChat, scope."""

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import SHARED_EVAL

from assistant.answer_evaluation import check_answer_case, untranslated
from assistant.intent import classifier_for, load_examples
from assistant.sessions import SQLiteSessionStore
from assistant.turn import POLICY_DOC_ID, Assistant

TABLE = json.loads(Path(__file__).with_name("data").joinpath("answer_questions.json").read_text(encoding="utf-8"))
CASES = TABLE["cases"]


@pytest.fixture(scope="module")
def assistant(policy_kb, searcher, tmp_path_factory):
    store = SQLiteSessionStore(tmp_path_factory.mktemp("answers") / "s.sqlite3")
    return Assistant(policy_kb, searcher, store, today=lambda: dt.date(2026, 6, 1))


def ask(assistant, case):
    session_id = None
    for turn in case.get("before") or []:
        session_id = assistant.chat(turn, session_id, channel=case.get("channel")).session_id
    return assistant.chat(case["q"], session_id, channel=case.get("channel"))


def test_the_table_is_half_held_out_and_covers_every_intent():
    splits = [c["split"] for c in CASES]
    assert len(CASES) >= 80 and splits.count("heldout") * 2 == len(CASES)
    intents = {c["intent"] for c in CASES}
    assert intents >= {"amount", "eligibility", "combine", "caps", "frequency", "validity_dates", "document_meta",
                       "article_content", "responsible_unit", "procedure", "silent_topic", "out_of_scope"}
    assert any(c["q"].isascii() for c in CASES) and sum(not c["q"].isascii() for c in CASES) > len(CASES) / 2


def _param(case):
    gap = case.get("known_gap")  # held-out cases that failed on their first run stay visible, untuned
    return pytest.param(case, id=f"{case['split']}-{case['id']}",
                        marks=[pytest.mark.xfail(reason=gap, strict=False)] if gap else [])


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_the_answer_says_what_was_asked(assistant, case):
    reply = ask(assistant, case).model_dump(mode="json")
    assert check_answer_case(case, reply) == []
    if case.get("in_scope", True) is False:
        assert reply["citations"] == [] and reply["estimates"] == []


@pytest.mark.parametrize("case", [c for c in CASES if c["q"].isascii() and c.get("in_scope", True)],
                         ids=lambda c: c["id"])
def test_english_replies_have_no_untranslated_chinese(assistant, case):
    """Programme names, steps, follow-up questions and units in English; only quotes and titles stay Chinese."""
    reply = ask(assistant, case)
    assert reply.language == "en"
    assert untranslated(reply.answer) == []
    assert all(untranslated(q) == [] for q in reply.follow_up)


def test_an_english_estimate_is_english_throughout(assistant):
    reply = assistant.chat("We built a provincial algorithm platform; yearly operating costs are 4 million yuan. "
                           "We also have a separate open-source project. What can we get?")
    assert reply.language == "en" and reply.estimates
    assert untranslated(reply.answer) == [] and reply.follow_up and all(untranslated(q) == [] for q in reply.follow_up)


def test_a_bare_amount_keeps_the_conversation_language(assistant):
    first = assistant.chat("我们做智能手表，新品销售增量能拿多少奖励？")
    reply = assistant.chat("1200万", first.session_id)
    assert reply.language == "zh" and "1,200,000" in reply.answer and "最高可获" in reply.answer
    english = assistant.chat("We make smart speakers; how much is the new product award?")
    reply = assistant.chat("8 million yuan", english.session_id)
    assert reply.language == "en" and "800,000 yuan" in reply.answer and untranslated(reply.answer) == []


def test_wechat_answer_puts_this_question_first_with_whole_questions(assistant):
    first = assistant.chat("我们是做智能机器人的，想了解新产品奖励", channel="wechat")
    reply = assistant.chat("新品销售增量900万元；同一个项目的垂类大模型也在网信办登记了，年度模型购买费用150万元，能拿多少？",
                           first.session_id, channel="wechat")
    short = reply.answer
    assert len(short) <= 300 and reply.answer_full and reply.answer_full.startswith(short.splitlines()[0])
    assert "900,000" in short.splitlines()[0] or "90万元" in short.splitlines()[0]
    lines = short.splitlines()
    for i, line in enumerate(lines):
        if line.endswith("请告诉我："):
            assert i + 1 < len(lines) and lines[i + 1].startswith("1. ") and lines[i + 1].endswith("？")


def test_held_out_intents_are_recognised(policy_kb):
    classifier = classifier_for(policy_kb, POLICY_DOC_ID)
    held_out = [e for e in load_examples() if e.split == "heldout"]
    right = sum(classifier.classify(e.text).kind == e.kind for e in held_out)
    assert right / len(held_out) >= 0.85, f"{right}/{len(held_out)}"


def test_dev_out_of_scope_recognised_and_no_conversation_refused(assistant):
    refused = []
    for name in ("dev_conversations.json", "dev_awards.json"):
        data = json.loads((SHARED_EVAL / name).read_text(encoding="utf-8"))
        for case in data["cases"]:
            session_id = None
            for turn in case["turns"]:
                reply = assistant.chat(turn, session_id)
                session_id = reply.session_id
                if not reply.in_scope:
                    refused.append(turn)
        if name == "dev_conversations.json":
            recognised = sum(not assistant.chat(q).in_scope for q in data["out_of_scope"])
            assert recognised >= 11, recognised
    assert refused == []
