"""The YAML cases in eligibility_cases/: facts → expected statuses and ceilings, read like the policy.

A case may name fixture rules files (`rules:`, in fixtures/rules/) loaded beside the policy, e.g. a later
implementation rule that adds a programme and its own facts.
"""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from eligibility.engine import evaluate
from eligibility.facts import Facts
from eligibility.rules import RULES_DIR, load_rules

CASES_DIR = Path(__file__).with_name("eligibility_cases")
FIXTURES = Path(__file__).with_name("fixtures") / "rules"
POLICY_FILE = RULES_DIR / "changsha-ai-2025.yaml"
DEFAULT_DATE = dt.date(2026, 6, 1)


def _cases():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            yield pytest.param(case, id=f"{path.stem}: {case['name']}")


@pytest.mark.parametrize("case", list(_cases()))
def test_case(case):
    rules = load_rules([POLICY_FILE, *(FIXTURES / name for name in case["rules"])]) if case.get("rules") else None
    on_date = case.get("on_date")
    if on_date is None and "application_date" not in case["facts"]:
        on_date = DEFAULT_DATE
    assessment = evaluate(Facts.model_validate(case["facts"]), on_date, rules=rules)
    by_id = {e.program_id: e for e in assessment.estimates}
    for program_id, expected in case["expect"].items():
        assert program_id in by_id, f"{program_id} not assessed; got {list(by_id)}"
        estimate = by_id[program_id]
        for field, value in expected.items():
            assert getattr(estimate, field) == value, f"{program_id}.{field}: {estimate.trace}"
    if "total" in case:
        assert assessment.total_ceiling_yuan == case["total"], assessment.total_trace
