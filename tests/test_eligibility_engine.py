"""Engine behaviour beyond single cases: traces, missing facts, rules files, amendments, properties."""

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.engine import article_name, evaluate
from eligibility.facts import Facts
from eligibility.rules import RULES_DIR, RulesError, load_file, load_rules
from knowledge.parser import parse_document

FIXTURES = Path(__file__).with_name("fixtures") / "rules"
POLICY_FILE = RULES_DIR / "changsha-ai-2025.yaml"
CORPUS = Path(__file__).parent.parent / "knowledge" / "corpus" / "changsha-ai-2025.txt"
DAY = dt.date(2026, 6, 1)


def test_trace_names_the_article_and_the_arithmetic():
    a = evaluate(Facts(projects=[{"product_category": "smart_hardware", "new_product_sales_increment_yuan": 8_000_000}]), DAY)
    assert "新产品销售增量 8,000,000 元 × 10% = 800,000 元，未超过上限 2,000,000 元（第一条）" in a.estimates[0].trace
    assert any("2026-06-01" in step and "2028-12-18" in step for step in a.estimates[0].trace)


def test_every_quote_is_exact_policy_text_of_its_article():
    doc = parse_document(CORPUS.read_text(encoding="utf-8"), "changsha-ai-2025")
    book = load_rules([POLICY_FILE])
    for program in book.policy.programs:
        assert program.quote in doc.section(program.article).text, program.id
    assert book.policy.no_stacking_quote in doc.section("closing").text
    assert book.policy.validity.quote in doc.section("closing").text


def test_programmes_without_a_figure_state_none():
    book = load_rules([POLICY_FILE])
    for program in book.policy.programs:
        if program.article in {"5", "9", "10"} or program.id == "annotation-enterprise":
            assert program.amount.kind == "none", program.id


def test_missing_facts_come_with_questions():
    a = evaluate(Facts.model_validate({"model_kind": "vertical_model"}), DAY)
    estimate = a.estimates[0]
    assert "年度模型购买费用（元）" in estimate.missing
    assert "model_purchase_cost_yuan" in estimate.missing_facts
    assert "今年的模型购买费用是多少元？" in a.follow_up


def test_only_concerned_programmes_are_listed():
    a = evaluate(Facts.model_validate({"seeks_financing": True}), DAY)
    assert [e.article for e in a.estimates] == ["9"]
    assert evaluate(Facts(), DAY).estimates == []
    assert {e.program_id for e in evaluate(Facts(), DAY, program_ids=["talent-programs"]).estimates} == {"talent-programs"}


def test_unknown_facts_are_rejected_not_ignored():
    with pytest.raises(ValueError, match="product_categry"):
        Facts.model_validate({"product_categry": "smart_hardware"})


def test_article_names():
    assert [article_name(a) for a in ("1", "9", "10", "closing")] == ["第一条", "第九条", "第十条", "附则"]


# ---- later implementation rules, from a fixture file -------------------------------------------
def _with_fixture():
    return load_rules([POLICY_FILE, FIXTURES / "TEST-FIXTURE-implementation-rule.yaml"])


def test_amendment_applies_from_its_effective_date_only():
    facts = Facts.model_validate({"registered_in_changsha": True, "local_economic_contribution_yuan": 5_000_000,
                                  "product_category": "smart_hardware", "new_product_sales_increment_yuan": 10_000_000})
    before = evaluate(facts, dt.date(2026, 2, 28), rules=_with_fixture()).estimates[0]
    after = evaluate(facts, dt.date(2026, 3, 1), rules=_with_fixture()).estimates[0]
    assert before.ceiling_yuan == 1_000_000  # 10% of 10,000,000
    assert after.ceiling_yuan == 800_000  # the fixture's 8%
    assert after.cap_yuan == 1_500_000
    assert any("《测试用实施细则（虚构）》" in step for step in after.trace)


def test_amendment_adds_conditions_and_caps_by_a_fact():
    base = {"product_category": "smart_hardware", "new_product_sales_increment_yuan": 30_000_000}
    on = dt.date(2026, 5, 1)
    unknown = evaluate(Facts.model_validate(base), on, rules=_with_fixture()).estimates[0]
    assert unknown.status == "needs_info" and "在长沙市注册" in unknown.missing
    outside = evaluate(Facts.model_validate({**base, "registered_in_changsha": False}), on, rules=_with_fixture())
    assert outside.estimates[0].status == "not_eligible"
    small = Facts.model_validate({**base, "registered_in_changsha": True, "local_economic_contribution_yuan": 400_000})
    assert evaluate(small, on, rules=_with_fixture()).estimates[0].ceiling_yuan == 400_000


def test_amendment_application_window():
    facts = Facts.model_validate({"model_kind": "vertical_model", "model_registered": True, "model_purchase_cost_yuan": 1_000_000})
    inside = evaluate(facts, dt.date(2026, 4, 30), rules=_with_fixture()).estimates[0]
    outside = evaluate(facts, dt.date(2026, 5, 1), rules=_with_fixture()).estimates[0]
    assert inside.ceiling_yuan == 300_000
    assert outside.status == "not_eligible" and any("申报时间" in s for s in outside.trace)


def test_malformed_rules_file_names_file_entry_and_field():
    with pytest.raises(RulesError) as err:
        load_rules([POLICY_FILE, FIXTURES / "TEST-FIXTURE-malformed.yaml"])
    message = str(err.value)
    assert "TEST-FIXTURE-malformed.yaml" in message
    assert "smart-hardware-new-product" in message and "rate" in message


def test_malformed_programme_entry(tmp_path):
    text = POLICY_FILE.read_text(encoding="utf-8").replace("base: model_purchase_cost_yuan", "base: model_cost")
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match=r"broken\.yaml.*'vertical-model'.*amount"):
        load_file(path)


def test_not_yaml_at_all(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("- [unclosed", encoding="utf-8")
    with pytest.raises(RulesError, match="x.yaml"):
        load_file(path)


def test_amendment_may_not_widen(tmp_path):
    text = (FIXTURES / "TEST-FIXTURE-implementation-rule.yaml").read_text(encoding="utf-8").replace("rate: 0.08", "rate: 0.2")
    path = tmp_path / "wider.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match="narrow the rate"):
        load_rules([POLICY_FILE, path])


# ---- properties ---------------------------------------------------------------------------------
money = st.integers(min_value=-10_000_000, max_value=200_000_000)
received = st.one_of(st.none(), st.integers(min_value=0, max_value=3_000_000))


@settings(max_examples=200, deadline=None)
@given(sales=money, cost=money, opex=money, this_year=received, total=received, level=st.sampled_from(["national", "provincial", "city", None]))
def test_ceilings_never_negative_never_above_cap_and_total_bounded(sales, cost, opex, this_year, total, level):
    facts = Facts.model_validate({"projects": [{
        "product_category": "smart_hardware", "new_product_sales_increment_yuan": sales,
        "model_kind": "vertical_model", "model_purchase_cost_yuan": cost, "model_registered": True,
        "platform_level": level, "platform_operating_cost_yuan": opex,
        "awards_received": {"innovation-platform-operation": {"this_year_yuan": this_year, "total_yuan": total}},
    }]})
    a = evaluate(facts, DAY)
    ceilings = [e.ceiling_yuan for e in a.estimates if e.ceiling_yuan is not None]
    for e in a.estimates:
        if e.ceiling_yuan is not None:
            assert 0 <= e.ceiling_yuan <= (e.cap_yuan if e.cap_yuan is not None else e.ceiling_yuan)
    if a.total_ceiling_yuan is not None:
        assert 0 <= a.total_ceiling_yuan <= sum(ceilings)


@settings(max_examples=100, deadline=None)
@given(low=st.integers(min_value=1, max_value=50_000_000), step=st.integers(min_value=0, max_value=50_000_000))
def test_ceiling_grows_monotonically_with_its_base(low, step):
    def ceiling(sales):
        facts = Facts.model_validate({"product_category": "smart_hardware", "new_product_sales_increment_yuan": sales})
        return evaluate(facts, DAY).estimates[0].ceiling_yuan
    assert ceiling(low) <= ceiling(low + step)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(min_value=1, max_value=4), sales=st.integers(min_value=1, max_value=40_000_000))
def test_different_projects_add_up(n, sales):
    projects = [{"name": f"P{i}", "product_category": "smart_hardware", "new_product_sales_increment_yuan": sales} for i in range(n)]
    a = evaluate(Facts.model_validate({"projects": projects}), DAY)
    assert a.total_ceiling_yuan == n * min(sales // 10, 2_000_000)


def test_evaluate_is_deterministic():
    facts = Facts.model_validate({"platform_level": "national", "platform_operating_cost_yuan": 2_500_000, "open_source_project": True})
    assert evaluate(facts, DAY).model_dump() == evaluate(facts, DAY).model_dump()
