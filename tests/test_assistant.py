"""The conversation end to end on the real policy: facts over turns, corrections, projects, scope, citations."""

import re
import threading

import pytest
from conftest import SHARED_EVAL

from assistant.evaluation import evaluate_awards, load_eval_file
from assistant.grounding import check
from assistant.sessions import SessionNotFound, SQLiteSessionStore
from assistant.turn import Assistant, InputError


@pytest.fixture
def assistant(policy_kb, searcher, tmp_path):
    return Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "sessions.sqlite3"))


def by_program(reply):
    return {e.program_id: e for e in reply.estimates}


@pytest.mark.skipif(not (SHARED_EVAL / "dev_awards.json").exists(), reason="shared/eval not beside the checkout")
def test_dev_award_set_passes_exactly(assistant):
    report = evaluate_awards(lambda m, sid: assistant.chat(m, sid).model_dump(), load_eval_file(SHARED_EVAL / "dev_awards.json"))
    assert report.failures == [] and report.passed == report.total
    assert report.out_of_scope_passed == report.out_of_scope_total


def test_facts_given_over_several_turns(assistant):
    first = assistant.chat("我们公司做垂类大模型，有什么奖励？")
    model = by_program(first)["vertical-model"]
    assert model.status == "needs_info" and model.ceiling_yuan is None and model.cap_yuan == 1_000_000
    assert "今年的模型购买费用是多少元？" in first.follow_up
    second = assistant.chat("已经在网信办登记了", first.session_id)
    assert second.facts["projects"][0]["model_registered"] is True
    third = assistant.chat("60万元", first.session_id)  # answers the question we asked
    assert by_program(third)["vertical-model"].ceiling_yuan == 180_000


def test_a_correction_replaces_the_amount(assistant):
    first = assistant.chat("我们做智能机器人，新品销售增量700万")
    assert by_program(first)["smart-hardware-new-product"].ceiling_yuan == 700_000
    fixed = assistant.chat("刚才说错了，是650万", first.session_id)
    assert by_program(fixed)["smart-hardware-new-product"].ceiling_yuan == 650_000
    assert fixed.facts["projects"][0]["new_product_sales_increment_yuan"] == 6_500_000


def test_a_second_project_adds_up(assistant):
    first = assistant.chat("我们做AR眼镜，新品销售增量500万元")
    second = assistant.chat("另一个项目是垂类大模型，已登记，年度模型购买费用100万元", first.session_id)
    ceilings = sorted(e.ceiling_yuan for e in second.estimates)
    assert ceilings == [300_000, 500_000]
    assert second.total_ceiling_yuan == 800_000
    assert len(second.facts["projects"]) == 2


def test_same_project_does_not_stack(assistant):
    reply = assistant.chat("同一个项目：机器人新品销售增量900万元，这个项目的垂类大模型已登记，模型购买费用400万元")
    assert reply.total_ceiling_yuan == 1_000_000
    assert "从高不重复" in reply.answer


def test_negation_rules_out(assistant):
    reply = assistant.chat("我们的垂类大模型还没在网信办登记，模型购买费用200万")
    estimate = by_program(reply)["vertical-model"]
    assert estimate.status == "not_eligible" and estimate.ceiling_yuan == 0


def test_city_level_platform_is_not_eligible(assistant):
    reply = assistant.chat("我们是市级算力开放平台，年度运营费用300万元，能拿多少？")
    estimate = by_program(reply)["innovation-platform-operation"]
    assert estimate.status == "not_eligible" and estimate.ceiling_yuan == 0
    assert reply.total_ceiling_yuan == 0


def test_cumulative_cap_from_the_conversation(assistant):
    reply = assistant.chat("我们的省级算力平台年度运营费用500万元，今年还没拿过运营奖励，此前累计已获运营奖励150万")
    assert by_program(reply)["innovation-platform-operation"].ceiling_yuan == 500_000


def test_sessions_survive_a_restart(policy_kb, searcher, tmp_path):
    path = tmp_path / "s.sqlite3"
    first = Assistant(policy_kb, searcher, SQLiteSessionStore(path)).chat("机器人新品销售增量800万")
    reborn = Assistant(policy_kb, searcher, SQLiteSessionStore(path))
    reply = reborn.chat("能拿多少？", first.session_id)
    assert by_program(reply)["smart-hardware-new-product"].ceiling_yuan == 800_000
    turns = reborn.store.load(first.session_id).turns
    assert [t.role for t in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[0].text == "机器人新品销售增量800万"


def test_concurrent_sessions_never_see_each_others_facts(assistant):
    results, errors = {}, []

    def talk(n):
        try:
            reply = assistant.chat(f"机器人新品销售增量{n}00万元")
            reply = assistant.chat("能拿多少", reply.session_id)
            results[n] = by_program(reply)["smart-hardware-new-product"].ceiling_yuan
        except Exception as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=talk, args=(n,)) for n in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == {n: n * 100_000 for n in range(1, 9)}


def test_unknown_session_and_bad_messages(assistant):
    with pytest.raises(SessionNotFound):
        assistant.chat("你好", "no-such-session")
    for bad in ["", "   \n ", "x" * 2001, "\x00\x00"]:
        with pytest.raises(InputError):
            assistant.chat(bad)


@pytest.mark.parametrize("question", ["明天长沙会下雨吗？", "北京的算力补贴怎么申请？", "帮我写一首关于春天的诗", "上海的人工智能政策有哪些",
                                      "What's the weather in Changsha tomorrow?", "讲个笑话"])
def test_out_of_scope(assistant, question):
    reply = assistant.chat(question)
    assert reply.in_scope is False and reply.citations == [] and reply.estimates == []
    assert reply.total_ceiling_yuan is None


@pytest.mark.parametrize("question", ["申报需要准备哪些材料？", "垂类大模型奖励什么时候截止申报？", "在哪里提交申请？"])
def test_questions_the_policy_does_not_answer(assistant, question):
    reply = assistant.chat(question)
    assert reply.in_scope is True
    assert "没有规定" in reply.answer and "实施细则" in reply.answer
    assert "责任单位" in reply.answer
    assert any(c.article == "closing" and c.quote == "具体实施办法由相关责任单位牵头制定" for c in reply.citations)
    assert not re.search(r"\d+\s*个工作日|截止到\d", reply.answer)  # no invented procedure


def test_citations_quote_their_sections_exactly(assistant, policy_kb):
    for question in ["我们做陪伴机器人的，今年新品卖得不错，有补贴吗", "政策有效期多久", "同时符合两条能都拿吗", "AI企业贷款难，有没有银行方面的支持"]:
        reply = assistant.chat(question)
        assert reply.citations, question
        for citation in reply.citations:
            assert citation.quote in policy_kb.section(citation.doc_id, citation.article).text


def test_english_question_gets_an_english_answer(assistant):
    reply = assistant.chat("We make smart glasses. New-product sales increase this year: 3.5 million yuan. How much can we get?")
    assert reply.language == "en" and "at most 350,000 yuan" in reply.answer
    assert "对符合条件的新产品，按照销售增量的10%，给予最高200万元奖励。" in reply.answer


def test_a_question_about_loans_lists_article_9_only(assistant):
    reply = assistant.chat("AI企业贷款难，有没有银行方面的支持")
    assert [e.article for e in reply.estimates] == ["9"]
    assert reply.estimates[0].ceiling_yuan is None and reply.estimates[0].cap_yuan is None


def test_deterministic_answers_pass_the_grounding_check(assistant):
    from assistant.composer import TurnContext, citations_for
    from eligibility.engine import evaluate
    from eligibility.facts import Facts

    facts = Facts.model_validate({"product_category": "smart_hardware", "new_product_sales_increment_yuan": 5_000_000})
    hits = assistant.searcher.search("机器人新品销售奖励", 5)
    ctx = TurnContext("zh", hits, evaluate(facts), False, False, assistant.kb.section, assistant._validity("zh"))
    citations = citations_for(ctx)
    from assistant.composer import compose

    assert check(compose(ctx, citations), ctx, citations) == []
    assert check("您最高可获 5000万元（第十二条）", ctx, citations) != []


def test_wechat_answers_are_short_with_the_full_one_kept(assistant):
    reply = assistant.chat("同一个项目：机器人新品销售增量900万元，这个项目的垂类大模型已登记，模型购买费用400万元", channel="wechat")
    assert len(reply.answer) <= 300
    assert reply.answer_full and len(reply.answer_full) > len(reply.answer)


def test_two_stores_on_one_file_keep_every_turn(policy_kb, searcher, tmp_path):
    """Two worker processes share the SQLite file: each has its own connection; no turn may be lost."""
    path = tmp_path / "shared.sqlite3"
    assistants = [Assistant(policy_kb, searcher, SQLiteSessionStore(path)) for _ in range(2)]
    sessions, errors = {}, []

    def talk(n):
        try:
            sid = None
            for t in range(10):
                sid = assistants[n % 2].chat(f"机器人新品销售增量{n + t + 1}00万元", sid).session_id
            sessions[n] = sid
        except Exception as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=talk, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    reader = SQLiteSessionStore(path)
    for n, sid in sessions.items():
        texts = [t.text for t in reader.load(sid).turns if t.role == "user"]
        assert texts == [f"机器人新品销售增量{n + t + 1}00万元" for t in range(10)]
