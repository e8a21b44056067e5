"""Recompute every expected figure of the conversation corpora with the engine, from hand-written facts.

Each case's facts (eval/facts_of_cases.json; eval/facts_of_cases_train2.json for the second train batch) are what its turns state, written by hand in the `Facts` schema;
the engine evaluates them on the application date they state, else on DEFAULT_DATE, and must give every
`expect` figure (among the estimates of that article), the `total`, and no ceiling above `max_any` — the
same reading as `assistant.evaluation.check_award_case`. Run: `.venv/bin/python eval/check_cases.py` (every set
below), or `.venv/bin/python eval/check_cases.py FACTS.json CORPUS.json...` for one set of your own.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from eligibility.engine import evaluate
from eligibility.facts import Facts

HERE = Path(__file__).resolve().parent
CORPORA = ("conversations_train.json", "conversations_heldout.json")
# (facts file, the corpora whose cases it holds): every case id is unique across all of them
SETS = (("facts_of_cases.json", CORPORA),
        ("facts_of_cases_train2.json", ("conversations_train2.json",)))
DEFAULT_DATE = dt.date(2026, 6, 1)  # inside the validity period (2025-12-19 … 2028-12-18)


def engine_reply(facts: dict) -> dict:
    parsed = Facts.model_validate(facts)
    assessment = evaluate(parsed, parsed.application_date or DEFAULT_DATE)
    return {"estimates": [e.model_dump() for e in assessment.estimates],
            "total_ceiling_yuan": assessment.total_ceiling_yuan}


def problems_of(case: dict, facts: dict) -> list[str]:
    reply = engine_reply(facts)
    problems = []
    for article, expected in case["expect"].items():
        ceilings = [e["ceiling_yuan"] for e in reply["estimates"] if e["article"] == article]
        if expected not in ceilings:
            problems.append(f"article {article}: expected {expected}, engine {ceilings}")
    if "total" in case and reply["total_ceiling_yuan"] != case["total"]:
        problems.append(f"total: expected {case['total']}, engine {reply['total_ceiling_yuan']}")
    if "max_any" in case:
        over = [e["ceiling_yuan"] for e in reply["estimates"] if (e["ceiling_yuan"] or 0) > case["max_any"]]
        if over:
            problems.append(f"max_any {case['max_any']}: engine gives {over}")
    return problems


def check(directory: Path = HERE, sets=SETS) -> list[str]:
    seen: set[str] = set()
    problems = []
    for facts_name, corpora in sets:
        facts = json.loads((directory / facts_name).read_text(encoding="utf-8"))["cases"]
        in_corpus: set[str] = set()
        for name in corpora:
            for case in json.loads((directory / name).read_text(encoding="utf-8"))["cases"]:
                cid = case["id"]
                if cid in seen:
                    problems.append(f"{name}: duplicate id {cid}")
                seen.add(cid)
                in_corpus.add(cid)
                if cid not in facts:
                    problems.append(f"{name}: {cid} has no facts")
                    continue
                problems += [f"{name}: {cid}: {p}" for p in problems_of(case, facts[cid])]
        problems += [f"{facts_name}: {cid} is in no corpus" for cid in sorted(set(facts) - in_corpus)]
    return problems


def main(argv: list[str]) -> int:
    if argv:  # FACTS.json CORPUS.json...: one set, paths as given
        facts, *corpora = (Path(a).resolve() for a in argv)
        problems = check(Path("/"), ((str(facts), tuple(str(c) for c in corpora)),))
    else:
        problems = check()
    for p in problems:
        print(p)
    print(f"{'FAIL' if problems else 'ok'}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
