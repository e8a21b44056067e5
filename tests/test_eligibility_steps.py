"""The typed trace, its Chinese and English wording, facts as data, and implementation rules that add facts."""

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant import render
from eligibility import catalogue
from eligibility.engine import evaluate
from eligibility.facts import Facts, fact_spec, field_info, label, question
from eligibility.rules import RULES_DIR, RulesError, load_rules

FIXTURES = Path(__file__).with_name("fixtures") / "rules"
POLICY_FILE = RULES_DIR / "changsha-ai-2025.yaml"
REVENUE = FIXTURES / "TEST-FIXTURE-revenue-award.yaml"
DAY = dt.date(2026, 6, 1)
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
PLATFORM = "innovation-platform-operation"


def _platform(this_year, total, cost=5_000_000, level="national"):
    facts = Facts.model_validate({"platform_level": level, "platform_operating_cost_yuan": cost,
                                  "awards_received": {PLATFORM: {"this_year_yuan": this_year, "total_yuan": total}}})
    return next(e for e in evaluate(facts, DAY).estimates if e.program_id == PLATFORM)


def test_the_cumulative_remainder_that_sets_the_figure_is_a_step():
    e = _platform(0, 1_500_000)
    formula, remainder = e.figure_steps()
    assert (formula.kind, formula.base_yuan, formula.rate, formula.raw_yuan, formula.limit_yuan, formula.result_yuan) \
        == ("formula", 5_000_000, 0.3, 1_500_000, 1_000_000, 1_000_000)
    assert (remainder.kind, remainder.limit_yuan, remainder.received_yuan, remainder.result_yuan) \
        == ("cumulative_remainder", 2_000_000, 1_500_000, 500_000)
    assert e.ceiling_yuan == remainder.result_yuan == 500_000
    assert "累计上限 2,000,000 元 − 累计已获 1,500,000 元 = 500,000 元，按 500,000 元 计（第三条）" in e.trace
    assert "Cumulative cap 2,000,000 yuan − 1,500,000 yuan received so far = 500,000 yuan" in render.figure_text(e, "en")


def test_annual_remainder_and_caps_reached_are_typed_with_reason_codes():
    e = _platform(600_000, 600_000)
    assert [s.kind for s in e.figure_steps()] == ["formula", "annual_remainder"] and e.ceiling_yuan == 400_000
    reached = _platform(0, 2_000_000)
    assert reached.status == "not_eligible" and [s.reason for s in reached.failures()] == ["cumulative_cap_reached"]
    city = _platform(0, 0, level="city")
    failure = city.failures()[0]
    assert (failure.kind, failure.reason, failure.fact, failure.value) == ("condition_failed", "condition_not_met",
                                                                            "platform_level", "city")
    assert "city-level" in render.reason_text(city, "en")


def test_trace_is_the_steps_in_chinese_and_the_total_is_typed():
    facts = Facts.model_validate({"platform_level": "national", "platform_operating_cost_yuan": 2_500_000,
                                  "open_source_project": True})
    a = evaluate(facts, DAY)
    for e in a.estimates:
        assert e.trace == render.render_steps(e.steps, "zh")
    assert a.total_trace == render.render_steps(a.total_steps, "zh")
    no_stacking, total = a.total_steps
    assert no_stacking.kind == "no_stacking" and no_stacking.kept_program_id == "open-source-project"
    assert total.kind == "total" and total.result_yuan == a.total_ceiling_yuan == 1_000_000
    assert [i.program_id for i in total.items] == ["open-source-project"]


def test_missing_facts_are_typed_in_both_languages():
    a = evaluate(Facts.model_validate({"model_kind": "vertical_model"}), DAY)
    first = a.estimates[0].missing_info[0]
    assert first.name == "model_purchase_cost_yuan"
    assert first.label.zh == "年度模型购买费用（元）" and first.question.en.startswith("How many yuan")
    assert [m.question.zh for m in a.missing] == a.follow_up
    received = _platform(None, None).missing_info
    assert {m.name for m in received} == {f"awards_received.{PLATFORM}.this_year_yuan", f"awards_received.{PLATFORM}.total_yuan"}


FACT_SETS = [
    {},
    {"applicant_kind": "university", "product_category": "smart_hardware", "new_product_sales_increment_yuan": 0},
    {"projects": [{"name": "A", "platform_level": "national", "platform_operating_cost_yuan": 9_000_000,
                   "awards_received": {PLATFORM: {"this_year_yuan": 200_000, "total_yuan": 1_900_000}},
                   "open_source_project": True},
                  {"product_category": "smart_hardware", "new_product_sales_increment_yuan": 12_345_678}]},
    {"model_kind": "industrial_agent", "model_registered": False, "national_enterprise_library": True,
     "awards_received": {"national-enterprise-library": {"total_yuan": 200_000}}},
]


@pytest.mark.parametrize("facts", FACT_SETS)
@pytest.mark.parametrize("on_date", [DAY, dt.date(2030, 1, 1)])
def test_english_has_no_untranslated_programme_label_step_or_question(facts, on_date):
    a = evaluate(Facts.model_validate(facts), on_date, include_all=True)
    texts = [render.estimate_line(e, "en") for e in a.estimates] + render.follow_up(a, "en")
    texts += [render.total_line(a, "en"), *render.total_steps(a, "en")]
    texts += [step for e in a.estimates for step in render.render_steps(e.steps, "en")]
    texts += [render.responsible_units(e, "en") for e in a.estimates]
    untranslated = [t for t in texts if CJK.search(t)]
    assert not untranslated, untranslated[:3]
    assert any("yuan" in t for t in texts) or on_date.year == 2030 or not facts


def test_every_fact_has_english_label_and_question():
    for name in catalogue.all_specs():
        spec = fact_spec(name)
        assert not CJK.search(spec.label.en) and not CJK.search(spec.question.en), name
        assert all(not CJK.search(v.en) for v in spec.values.values()), name
    assert field_info("platform_level") == ("平台级别", "平台是国家级、省级还是市级认定的创新支撑平台？")
    assert label("platform_level", "en") == "platform level" and question("model_kind", "en").startswith("Are you")


@settings(max_examples=150, deadline=None)
@given(sales=st.integers(-1_000_000, 60_000_000), opex=st.integers(-1_000_000, 20_000_000),
       this_year=st.one_of(st.none(), st.integers(0, 1_500_000)), total=st.one_of(st.none(), st.integers(0, 2_500_000)))
def test_the_last_figure_step_is_the_figure(sales, opex, this_year, total):
    facts = Facts.model_validate({"projects": [{
        "product_category": "smart_hardware", "new_product_sales_increment_yuan": sales,
        "platform_level": "provincial", "platform_operating_cost_yuan": opex,
        "awards_received": {PLATFORM: {"this_year_yuan": this_year, "total_yuan": total}}}]})
    for e in evaluate(facts, DAY).estimates:
        if e.status != "not_eligible" and e.ceiling_yuan is not None:
            assert e.figure_steps()[-1].result_yuan == e.ceiling_yuan
        else:
            assert e.status != "not_eligible" or e.failures()


# ---- implementation rules that add facts and programmes ---------------------------------------------
def test_revenue_fixture_adds_a_programme_and_facts_with_no_code():
    book = load_rules([POLICY_FILE, REVENUE])
    facts = Facts.model_validate({"last_year_revenue_yuan": "32000000", "ai_main_business": True})
    assert facts.last_year_revenue_yuan == 32_000_000  # declared int_yuan, read like a core fact
    e = evaluate(facts, DAY, rules=book).estimates[0]
    assert (e.program_id, e.status, e.ceiling_yuan, e.doc_id) == ("test-revenue-scale-award", "eligible", 500_000,
                                                                  "test-fixture-revenue-award")
    tier = e.step("tiered")
    assert (tier.base_yuan, tier.threshold_yuan, tier.result_yuan) == (32_000_000, 20_000_000, 500_000)
    assert "《测试用营业收入规模奖励细则（虚构）》第三条" in e.trace[-1]
    english = render.estimate_line(e, "en")
    assert "the Test Revenue Scale Award Rules" in english and not CJK.search(english)
    with pytest.raises(ValueError, match="last_year_revenue_yuan"):
        Facts.model_validate({"last_year_revenue_yuan": "lots"})
    with pytest.raises(ValueError, match="last_year_revenue_yuan"):  # an applicant's fact, not a project's
        Facts.model_validate({"projects": [{"last_year_revenue_yuan": 1}]})


def _rules_file(tmp_path, text: str) -> Path:
    path = tmp_path / "TEST-FIXTURE-x.yaml"
    path.write_text(REVENUE.read_text(encoding="utf-8").replace(*text.split(" => ")) if " => " in text else text,
                    encoding="utf-8")
    return path


def test_an_undeclared_fact_is_refused_until_a_rule_declares_it(tmp_path):
    with pytest.raises(ValueError, match="widgets_sold_yuan"):
        Facts.model_validate({"widgets_sold_yuan": 5})
    path = _rules_file(tmp_path, "last_year_revenue_yuan => widgets_sold_yuan")
    load_rules([POLICY_FILE, path])
    assert Facts.model_validate({"widgets_sold_yuan": 5}).widgets_sold_yuan == 5


@pytest.mark.parametrize("change, message", [
    ("{fact: ai_main_business, is: true => {fact: ai_main_busyness, is: true", r"programs entry 'test-revenue-scale-award'.*ai_main_busyness"),
    ("name: ai_main_business => name: product_category", r"facts entry 'product_category'.*already a fact"),
    ("title_en: AI enterprise revenue scale award (test fixture) => ", r"test-revenue-scale-award.*title_en"),
    ("at_least_yuan: 50_000_000 => at_least_yuan: 10_000_000", r"ascending"),
    ("is: true, says: 主营业务为人工智能 => at_least: 1, says: 主营业务为人工智能", r"at_least. needs an amount fact"),
    ("programs: => amendments:\n  - {program: no-such-programme, reference: {doc_id: x, article: '1', quote: x}}\nprograms:",
     r"amendments entry 'no-such-programme'.*unknown programme"),
])
def test_rules_validation_names_file_and_entry(tmp_path, change, message):
    path = _rules_file(tmp_path, change)
    with pytest.raises(RulesError, match=message) as err:
        load_rules([POLICY_FILE, path])
    assert "TEST-FIXTURE-x.yaml" in str(err.value)
