"""Feedback that becomes tests: the staff's expected answers exported as an award set (../shared/eval format),
and merged into the office's regression file that the test suite runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.config import PROJECT_ROOT
from assistant.journal import Journal

REGRESSION_FILE = PROJECT_ROOT / "tests" / "regression" / "office_cases.json"
ABOUT = ("The policy office's own cases, marked from real conversations. Format of ../shared/eval/dev_awards.json: "
         "after the last turn, each article in 'expect' must have an estimate with that ceiling_yuan (null: no figure, "
         "0: not eligible); 'total' checks total_ceiling_yuan; 'max_any' bounds every ceiling; 'out_of_scope' questions "
         "must be recognised as outside the policy. 'source' says where a case came from.")


def export_cases(journal: Journal, session_ids: list[str] | None = None, drop_user_ids: bool = False) -> dict[str, Any]:
    """Every expected answer (or those of `session_ids`) as an award set. A conversation marked out of scope
    contributes its last question to `out_of_scope`; `drop_user_ids` leaves the person's id out of `source`."""
    wanted = set(session_ids) if session_ids else None
    cases, out_of_scope = [], []
    for answer in journal.expected():
        if wanted is not None and answer.session_id not in wanted:
            continue
        turns = [t for t in journal.turns(answer.session_id) if t.turn <= answer.turn]
        if not turns:
            continue
        if answer.out_of_scope:
            out_of_scope.append(turns[-1].message)
            continue
        case: dict[str, Any] = {"id": f"office-{answer.session_id[:12]}-{answer.turn}",
                                "turns": [t.message for t in turns], "expect": answer.expect}
        if answer.total is not None:
            case["total"] = answer.total
        if answer.max_any is not None:
            case["max_any"] = answer.max_any
        source = {"session_id": answer.session_id, "turn": answer.turn, "channel": turns[-1].channel,
                  "marked_at": answer.at, "note": answer.note,
                  "feedback": [f.rating for f in journal.feedback(answer.session_id) if f.turn <= answer.turn]}
        if not drop_user_ids:
            source["user_id"] = turns[-1].user_id
        case["source"] = source
        cases.append(case)
    return {"about": ABOUT, "cases": cases, "out_of_scope": list(dict.fromkeys(out_of_scope))}


def validate_award_set(data: Any) -> dict[str, Any]:
    """The shape `policy-assistant eval` and the regression test read; a ValueError saying what is wrong."""
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise ValueError("expected an object with a 'cases' list")
    for i, case in enumerate(data["cases"]):
        if not isinstance(case, dict) or not isinstance(case.get("turns"), list) or not case["turns"] \
                or not all(isinstance(t, str) and t.strip() for t in case["turns"]):
            raise ValueError(f"case {i}: 'turns' must be a non-empty list of messages")
        if not isinstance(case.get("expect", {}), dict):
            raise ValueError(f"case {i}: 'expect' must map articles to ceilings")
        for article, ceiling in case.get("expect", {}).items():
            if ceiling is not None and (not isinstance(ceiling, int) or isinstance(ceiling, bool) or ceiling < 0):
                raise ValueError(f"case {i}: article {article}: a ceiling is whole yuan ≥ 0 or null")
    if not isinstance(data.get("out_of_scope", []), list):
        raise ValueError("'out_of_scope' must be a list of questions")
    return data


def merge_into(regression: dict[str, Any], exported: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Add exported cases to a regression set: a case with the same id is replaced (the newer marking wins),
    an out-of-scope question already there is not repeated. The set and how many cases or questions were new."""
    cases = {c.get("id") or json.dumps(c["turns"], ensure_ascii=False): c for c in regression.get("cases", [])}
    before = len(cases) + len(regression.get("out_of_scope", []))
    for case in exported.get("cases", []):
        cases[case.get("id") or json.dumps(case["turns"], ensure_ascii=False)] = case
    questions = list(dict.fromkeys([*regression.get("out_of_scope", []), *exported.get("out_of_scope", [])]))
    merged = {"about": regression.get("about") or ABOUT, "cases": list(cases.values()), "out_of_scope": questions}
    return merged, len(cases) + len(questions) - before


def add_to_regression(export_path: Path, regression_path: Path = REGRESSION_FILE) -> int:
    exported = validate_award_set(json.loads(Path(export_path).read_text(encoding="utf-8")))
    current = {"cases": [], "out_of_scope": []}
    if regression_path.exists():
        current = validate_award_set(json.loads(regression_path.read_text(encoding="utf-8")))
    merged, added = merge_into(current, exported)
    regression_path.parent.mkdir(parents=True, exist_ok=True)
    regression_path.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return added
