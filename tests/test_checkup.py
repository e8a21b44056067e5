"""政策体检, corrections, the words of a summary and its PDF: without a browser."""

import datetime as dt
import io
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from assistant import checkup as ck
from assistant.config import Settings
from assistant.corrections import get_fact, parse_fact_value, set_fact
from assistant.sessions import SQLiteSessionStore
from assistant.summary import total_sentence, understood, wan
from assistant.summary_pdf import summary_pdf
from assistant.turn import Assistant
from eligibility.engine import evaluate
from eligibility.facts import Facts
from eligibility.rules import RULES_DIR, load_rules

ON = dt.date(2026, 6, 1)
NEW_PROGRAMME = Path(__file__).with_name("fixtures") / "checkup" / "TEST-FIXTURE-new-programme.yaml"
THREE_PROJECTS = {
    "applicant_kind": "enterprise",
    "projects": [
        {"name": "陪伴机器人", "product_category": "smart_hardware", "new_product_sales_increment_yuan": 8_000_000},
        {"name": "医疗大模型", "model_kind": "vertical_model", "base_model_filed": True, "model_registered": True,
         "model_own_ip": True, "model_effect_significant": True, "model_purchase_cost_yuan": 4_500_000},
        {"name": "算法平台", "platform_level": "provincial", "platform_type": "algorithm",
         "platform_operating_cost_yuan": 5_000_000,
         "awards_received": {"innovation-platform-operation": {"this_year_yuan": 0, "total_yuan": 1_500_000}}},
    ],
}
PICKS = [["smart-hardware-new-product", "ai-software-first-commercial"], ["vertical-model"],
         ["innovation-platform-operation", "open-source-project"]]


def run_checkup(book, truth: dict, picks: list[list[str]]) -> tuple[ck.Checkup, list[ck.Question]]:
    """A person who answers every question from `truth` (a person's text for amounts), 不清楚 where it is silent."""
    facts = Facts.model_validate(truth)
    checkup = ck.start(truth.get("applicant_kind"), ON)
    for project, ids in zip(facts.projects, picks, strict=True):
        checkup = ck.add_project(book, checkup, project.name, ids)
    asked: list[ck.Question] = []
    for _ in range(60):
        pending = ck.questions(book, checkup)
        if not pending:
            return checkup, asked
        q = pending[0]
        asked.append(q)
        value = get_fact(facts, q.fact, q.project)
        raw = None if value is None else (f"{value / 10_000:g}万" if q.kind == "amount" and value >= 10_000 else
                                          "是" if value is True else "否" if value is False else str(value))
        checkup = ck.answer(checkup, q.key, raw)
    raise AssertionError("the questionnaire does not end")


def figures(estimates) -> dict:
    return {(e["project"], e["program_id"]): (e["status"], e["ceiling_yuan"]) for e in estimates}


def test_checkup_of_three_projects_gives_the_figures_of_v1_estimate(tmp_path):
    book = load_rules()
    checkup, asked = run_checkup(book, THREE_PROJECTS, PICKS)
    result = ck.result(book, checkup)
    assistant = Assistant(None, None, SQLiteSessionStore(tmp_path / "sessions.sqlite3"))
    client = TestClient(create_app(Settings(data_dir=tmp_path), assistant, with_ui=False))
    api = client.post("/v1/estimate", json={"facts": THREE_PROJECTS, "on_date": ON.isoformat()}).json()
    ours, theirs = figures([e.model_dump() for e in result.estimates]), figures(api["estimates"])
    assert {k: ours.get(k) for k in theirs} == theirs and len(theirs) == 3
    # beside them only the picks the answers ruled out or left without a fact, none counted
    extra = [e for e in result.estimates if (e.project, e.program_id) not in theirs]
    assert {(e.program_id, e.status, e.counted) for e in extra} == {
        ("ai-software-first-commercial", "not_eligible", True), ("open-source-project", "needs_info", False)}
    assert result.total_ceiling_yuan == api["total_ceiling_yuan"] == 800_000 + 1_000_000 + 500_000
    # the choice implied by the pick is not asked again; a question of a programme ruled out is not asked at all
    keys = [q.key for q in asked]
    assert "0|product_category" in keys  # two picks of project 0 disagree on it: asked once
    assert "2|platform_type" not in keys and len(keys) == len(set(keys))
    assert not any(q.fact.startswith("software_") for q in asked)  # 产品类别 = 智能硬件 ruled the software award out


def test_a_pick_that_implies_a_choice_is_not_asked_again():
    book = load_rules()
    checkup = ck.add_project(book, ck.start("enterprise", ON), None, ["smart-hardware-new-product"])
    assert get_fact(checkup.facts, "product_category", 0) == "smart_hardware"
    assert [q.fact for q in ck.questions(book, checkup)] == ["new_product_sales_increment_yuan"]


def test_a_programme_added_to_the_rules_brings_its_questions(tmp_path):
    policy = yaml.safe_load((RULES_DIR / "changsha-ai-2025.yaml").read_text(encoding="utf-8"))
    policy["programs"] += yaml.safe_load(NEW_PROGRAMME.read_text(encoding="utf-8"))
    path = tmp_path / "policy-with-a-new-programme.yaml"
    path.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    book = load_rules([path])
    choices = dict((pid, label) for label, pid in ck.program_choices(book, "enterprise"))
    assert "测试用本地贡献奖励（虚构）" in choices["test-fixture-local-contribution-award"]
    checkup = ck.add_project(book, ck.start("enterprise", ON), "A", ["test-fixture-local-contribution-award"])
    texts = [q.text for q in ck.questions(book, checkup)]
    assert texts == ["企业是否在长沙市注册登记？", "企业上年度对地方的经济贡献约为多少元？"]
    checkup = ck.answer(checkup, ck.questions(book, checkup)[0].key, "是")
    checkup = ck.answer(checkup, ck.questions(book, checkup)[0].key, "1000万")
    result = ck.result(book, checkup)
    assert [(e.program_id, e.ceiling_yuan) for e in result.estimates] == [("test-fixture-local-contribution-award", 300_000)]
    assert ck.levers(book, checkup, result)[0].note.startswith("对地方的经济贡献达到 6,000,000 元时即达上限 300,000 元")
    # answered "no": the programme is out and asks nothing more
    no = ck.answer(ck.add_project(book, ck.start("enterprise", ON), "A", ["test-fixture-local-contribution-award"]),
                   "|registered_in_changsha", "否")
    assert ck.questions(book, no) == []


def test_what_if_moves_the_ceiling_to_the_cap_and_shows_the_remainder():
    book = load_rules()
    checkup, _ = run_checkup(book, THREE_PROJECTS, PICKS)
    result = ck.result(book, checkup)
    notes = {lv.key: lv.note for lv in ck.levers(book, checkup, result)}
    assert notes["0|new_product_sales_increment_yuan"] == "新产品销售增量达到 20,000,000 元时即达上限 2,000,000 元，再多也不增加"
    assert notes["2|awards_received.innovation-platform-operation.total_yuan"] == "累计上限 2,000,000 元；已获 1,500,000 元，还剩 500,000 元"
    before, after = ck.what_if(book, checkup, "0|new_product_sales_increment_yuan", "3000万")
    assert before.total_ceiling_yuan == 2_300_000 and after.total_ceiling_yuan == 3_500_000
    _, after = ck.what_if(book, checkup, "2|awards_received.innovation-platform-operation.total_yuan", "200万")
    platform = next(e for e in after.estimates if e.program_id == "innovation-platform-operation")
    assert platform.status == "not_eligible" and after.total_ceiling_yuan == 1_800_000


def test_skipping_a_question_leaves_the_fact_unknown_and_asks_the_next():
    book = load_rules()
    checkup = ck.add_project(book, ck.start("enterprise", ON), None, ["vertical-model"])
    first = ck.questions(book, checkup)[0]
    assert first.fact == "model_kind" and first.choices == [("垂类大模型", "vertical_model"), ("工业智能体", "industrial_agent")]
    skipped = ck.answer(checkup, first.key, "不清楚")
    assert get_fact(skipped.facts, "model_kind", 0) is None
    assert ck.questions(book, skipped)[0].fact == "base_model_filed"
    with pytest.raises(ValueError):
        ck.answer(checkup, first.key, "大概吧")


def test_one_fact_of_one_project_is_set_from_a_persons_text():
    facts = Facts.model_validate(THREE_PROJECTS)
    fixed = set_fact(facts, "new_product_sales_increment_yuan", 0, parse_fact_value("new_product_sales_increment_yuan", "650万"))
    assert fixed.projects[0].new_product_sales_increment_yuan == 6_500_000
    assert fixed.projects[1] == facts.projects[1]
    assert set_fact(facts, "platform_level", 2, None).projects[2].platform_level is None
    assert parse_fact_value("platform_level", "省级") == "provincial"
    with pytest.raises(ValueError):
        parse_fact_value("new_product_sales_increment_yuan", "很多")


def test_facts_are_shown_with_the_words_they_came_from():
    facts = Facts.model_validate(THREE_PROJECTS)
    sources = [{"fact": "new_product_sales_increment_yuan", "project": 0, "value": 8_000_000, "turn": 0,
                "quote": "新品销售增量800万", "derivation": None},
               {"fact": "model_purchase_cost_yuan", "project": 1, "value": 4_000_000, "turn": 1,
                "quote": "模型采购花了400万", "derivation": None}]
    groups = understood(facts, sources)
    assert [g.title for g in groups] == ["申请主体", "陪伴机器人", "医疗大模型", "算法平台"]
    item = next(i for i in groups[1].items if i.fact == "new_product_sales_increment_yuan")
    assert item.quote == "新品销售增量800万" and item.shown == "8,000,000 元（800万元）"
    changed = next(i for i in groups[2].items if i.fact == "model_purchase_cost_yuan")
    assert changed.quote is None and changed.corrected  # the words said 400万; the fact is 450万 now
    assert all(i.quote is None for i in understood(facts)[1].items)  # without sources: the facts alone


def test_total_in_words_and_the_pdf_carry_the_engines_figures():
    facts = Facts.model_validate(THREE_PROJECTS)
    assessment = evaluate(facts, ON)
    sentence = total_sentence(assessment.estimates, assessment.total_ceiling_yuan)
    assert sentence.startswith("按“从高不重复”原则合计，最高可获 2,300,000 元（230万元）")
    assert wan(1_234_567) == "123.4567万元" and wan(9_000) == "9,000元"
    pdf = summary_pdf(understood(facts), assessment.estimates, assessment.total_ceiling_yuan, ON, "政策体检报告")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("2,300,000", "1,350,000", "1,000,000", "市工业和信息化局", "2026-06-01", "责任单位审核认定",
                     "按照销售增量的10%，给予最高200万元奖励", "8,000,000 元 × 10% = 800,000 元"):
        assert expected in text.replace("\n", ""), expected
