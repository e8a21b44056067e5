"""The award metrics on hand-made reply dicts: exact, wrong figures, asked instead, missed, out-of-scope P/R."""

import importlib.util
import json
from pathlib import Path

import pytest

from assistant.evaluation import AwardReport, asked_instead, classify_case, evaluate_awards, wrong_figures

CAPS = {"smart-hardware-new-product": 2_000_000, "vertical-model": 1_000_000, "innovation-platform-operation": 1_000_000}
ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = ROOT / "eval"


def est(article, ceiling, status="eligible", program_id="x", cap=None):
    return {"program_id": program_id, "article": article, "ceiling_yuan": ceiling, "status": status, "cap_yuan": cap}


def reply(*estimates, total=None, follow_up=(), in_scope=True, **extra):
    return {"session_id": "s", "in_scope": in_scope, "citations": [], "estimates": list(estimates),
            "total_ceiling_yuan": total, "follow_up": list(follow_up), **extra}


def test_exact_when_every_expectation_is_met():
    case = {"id": "c", "expect": {"1": 500_000, "2": 300_000}, "total": 800_000}
    outcome = classify_case(case, reply(est("1", 500_000), est("2", 300_000), total=800_000), CAPS)
    assert outcome.kind == "exact" and outcome.problems == [] and outcome.wrong == []


def test_another_number_for_the_article_is_a_wrong_figure():
    case = {"id": "c", "expect": {"1": 380_000}}
    outcome = classify_case(case, reply(est("1", 900_000)), CAPS)
    assert outcome.kind == "wrong" and outcome.wrong == ["article 1: expected 380000, stated [900000]"]


def test_a_number_where_null_is_expected_is_wrong_but_none_where_a_number_is_expected_is_not():
    assert wrong_figures({"expect": {"10": None}}, reply(est("10", 200_000)), CAPS)
    assert not wrong_figures({"expect": {"1": 500_000}}, reply(est("1", None, "needs_info")), CAPS)
    outcome = classify_case({"id": "c", "expect": {"1": 500_000}}, reply(est("1", None, "needs_info")), CAPS)
    assert outcome.kind == "asked"


def test_the_right_figure_beside_another_programme_of_the_same_article_is_not_wrong():
    case = {"expect": {"3": 600_000}}
    assert wrong_figures(case, reply(est("3", 600_000), est("3", 1_000_000)), CAPS) == []


def test_a_stated_wrong_total_is_wrong_a_missing_total_is_a_miss():
    case = {"id": "c", "expect": {"1": 600_000, "8": 1_000_000}, "total": 1_000_000}
    both = (est("1", 600_000), est("8", 1_000_000))
    assert classify_case(case, reply(*both, total=1_600_000), CAPS).kind == "wrong"
    missing = classify_case(case, reply(*both, total=None), CAPS)
    assert missing.kind == "missed" and missing.wrong == [] and missing.problems


def test_a_null_total_expected_and_a_number_stated_is_wrong():
    case = {"id": "c", "expect": {}, "total": None}
    assert classify_case(case, reply(total=1_000_000), CAPS).kind == "wrong"
    assert classify_case(case, reply(total=None), CAPS).kind == "exact"


def test_over_its_cap_is_wrong_even_for_an_article_not_expected():
    case = {"id": "c", "expect": {"1": 200_000}}
    by_rules = reply(est("1", 200_000), est("2", 2_400_000, program_id="vertical-model"))
    outcome = classify_case(case, by_rules, CAPS)
    assert outcome.kind == "wrong" and any("over its cap 1000000" in p for p in outcome.problems)
    by_reply = reply(est("1", 200_000), est("8", 1_500_000, program_id="unknown", cap=1_000_000))
    assert wrong_figures(case, by_reply, CAPS) == ["unknown: 1500000 over its cap 1000000"]


def test_over_max_any_is_wrong():
    case = {"id": "c", "expect": {"5": None}, "max_any": 0}
    outcome = classify_case(case, reply(est("5", None, "needs_info"), est("4", 2_000_000)), CAPS)
    assert outcome.kind == "wrong" and outcome.wrong == ["x: 2000000 over max_any 0"]


def test_asked_instead_needs_a_question_or_an_unknown_base():
    case = {"expect": {"2": 450_000}}
    assert asked_instead(case, reply(est("2", None, "needs_info")))
    assert asked_instead(case, reply(confirm=["您说的400万是年度模型购买费用吗？"]))
    assert asked_instead(case, reply(est("2", None, "not_eligible"), follow_up=["今年的模型购买费用是多少元？"]))
    assert not asked_instead(case, reply(est("2", None, "not_eligible")))
    assert not asked_instead(case, reply(est("1", None, "needs_info")))  # another article's unknown base
    assert classify_case({"id": "c", **case}, reply(), CAPS).kind == "missed"


def test_a_wrong_figure_outweighs_a_question():
    case = {"id": "c", "expect": {"2": 450_000}}
    assert classify_case(case, reply(est("2", 1_260_000), follow_up=["？"]), CAPS).kind == "wrong"


def test_report_counts_and_out_of_scope_precision_and_recall():
    cases = {"c1": ({"id": "c1", "turns": ["a", "b"], "expect": {"1": 100_000}}, [reply(in_scope=False),
                                                                                  reply(est("1", 100_000))]),
             "c2": ({"id": "c2", "turns": ["c"], "expect": {"1": 100_000}}, [reply(est("1", 90_000))])}
    oos = {"q1": reply(in_scope=False), "q2": reply(est("1", 5), in_scope=False), "q3": reply()}
    script = {t: r for case, replies in cases.values() for t, r in zip(case["turns"], replies, strict=True)} | oos

    def chat(message, session_id):
        return script[message]

    report = evaluate_awards(chat, {"cases": [c for c, _ in cases.values()], "out_of_scope": list(oos)})
    assert (report.total, report.passed, report.wrong_figures, report.asked_instead, report.missed) == (2, 1, 1, 0, 0)
    assert report.wrongly_refused == 1 and report.out_of_scope_passed == 1 and report.out_of_scope_total == 3
    assert report.out_of_scope_precision == pytest.approx(0.5) and report.out_of_scope_recall == pytest.approx(1 / 3)
    lines = report.summary().splitlines()
    assert lines[0].startswith("award accuracy 1/2") and "wrong figures 1/2" in lines
    assert "out of scope recognised 1/3" in lines
    assert any(line.startswith("out of scope precision 0.500") and "recall 0.333" in line for line in lines)
    assert "c1: [refused] an in-scope turn was answered as out of scope" in report.failures


def test_empty_report_summary_keeps_the_grepped_lines():
    text = AwardReport().summary()
    assert "award accuracy 0/0" in text and "wrong figures 0/0" in text


@pytest.mark.parametrize("name", ["conversations_train.json", "conversations_train2.json", "conversations_heldout.json"])
def test_corpus_files_have_the_dev_format(name):
    data = json.loads((EVAL_DIR / name).read_text(encoding="utf-8"))
    assert set(data) == {"about", "cases", "out_of_scope"}
    assert ("held-out" in data["about"].lower()) == (name == "conversations_heldout.json")
    for case in data["cases"]:
        assert case["id"] and case["turns"] and all(isinstance(t, str) and t for t in case["turns"]) and case["why"]
        assert set(case) <= {"id", "turns", "expect", "total", "max_any", "why"}
        assert all(v is None or (isinstance(v, int) and v >= 0) for v in case["expect"].values())
    assert all(isinstance(q, str) and q for q in data["out_of_scope"])


def test_every_corpus_figure_is_the_engines_from_the_hand_written_facts():
    spec = importlib.util.spec_from_file_location("check_cases", EVAL_DIR / "check_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.check(EVAL_DIR) == []
    facts = json.loads((EVAL_DIR / "facts_of_cases.json").read_text(encoding="utf-8"))["cases"]
    wrong = {"expect": {"1": 870_001}}  # the check can fail: one yuan off is caught
    assert module.problems_of(wrong, facts["t-hw-robotdog-two-years"])
    second = (("facts_of_cases_train2.json", ("conversations_train2.json",)),)
    assert module.check(EVAL_DIR, second) == []
    assert second[0] in module.SETS  # the default check covers the second batch too


def test_train_conversations_share_no_turn_with_the_held_out_or_dev_sets():
    def turns(path):
        data = json.loads(path.read_text(encoding="utf-8"))
        return {t for case in data["cases"] for t in case["turns"]} | set(data["out_of_scope"])

    train = turns(EVAL_DIR / "conversations_train.json") | turns(EVAL_DIR / "conversations_train2.json")
    assert not train & turns(EVAL_DIR / "conversations_heldout.json")
    for dev in (d / "shared" / "eval" / "dev_conversations.json" for d in ROOT.parents):  # ../shared, as make eval
        if dev.exists():
            assert not train & turns(dev)


ROLES = {"value", "previous", "current", "delta", "received_this_year", "received_total", "received_each_year",
         "excluded", "claim", "other"}


TRAINING_ROLES = ROOT / "eligibility" / "lexicon" / "amount_roles.corpus.jsonl"  # what the classifier learns from
TRAINING_ROLES_2 = ROOT / "eligibility" / "lexicon" / "amount_roles.corpus2.jsonl"  # a second training batch
HELDOUT_ROLES = ROOT / "eval" / "amount_roles_heldout.jsonl"  # what it is measured on, never trained on


@pytest.mark.parametrize("path,at_least", [(TRAINING_ROLES, 400), (TRAINING_ROLES_2, 350), (HELDOUT_ROLES, 120)])
def test_amount_role_corpora_are_well_formed(path, at_least):
    from eligibility.engine import default_rules
    from eligibility.facts import known_fact_names

    programmes = {p.id for p in default_rules().policy.programs}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= at_least and len({r["text"] for r in rows}) == len(rows)
    for row in rows:
        assert row["amounts"], row["text"]
        for a in row["amounts"]:
            assert row["text"][a["start"]:a["start"] + len(a["span"])] == a["span"], row
            assert a["role"] in ROLES, row
            if a["role"] in {"value", "previous", "current", "delta", "excluded"}:
                assert a["fact"] in known_fact_names() and a["fact"].endswith("_yuan"), row
            elif a["role"].startswith("received_"):
                assert a["fact"] is None or a["fact"] in programmes, row
            else:
                assert a["fact"] is None, row


def test_amount_role_held_out_shares_no_sentence_with_training():
    def texts(path):
        return {json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()}

    assert not texts(TRAINING_ROLES) & texts(HELDOUT_ROLES)
    assert not texts(TRAINING_ROLES_2) & texts(HELDOUT_ROLES)
    assert not texts(TRAINING_ROLES_2) & texts(TRAINING_ROLES)
