"""The policy office's regression set (tests/regression/office_cases.json, grown by `policy-assistant regression add`
from reviewed conversations) run through the Assistant; and the command that adds to it."""

import json

from api.cli import main
from assistant.evaluation import evaluate_awards, load_eval_file
from assistant.office_cases import REGRESSION_FILE, merge_into, validate_award_set
from assistant.sessions import SQLiteSessionStore
from assistant.turn import Assistant


def test_office_regression_set_passes(policy_kb, searcher, tmp_path):
    data = validate_award_set(load_eval_file(REGRESSION_FILE))
    assert data["cases"] and data["out_of_scope"]
    assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "sessions.sqlite3"))
    report = evaluate_awards(lambda message, sid: assistant.chat(message, sid).model_dump(), data)
    assert not report.failures, report.failures
    assert report.passed == len(data["cases"]) and report.out_of_scope_passed == len(data["out_of_scope"])


def test_regression_add_merges_and_refuses_bad_files(tmp_path, capsys):
    target = tmp_path / "office_cases.json"
    export = tmp_path / "export.json"
    case = {"id": "office-abc-0", "turns": ["智能机器人新品销售增量800万，能拿多少？"], "expect": {"1": 800_000}}
    export.write_text(json.dumps({"cases": [case], "out_of_scope": ["明天长沙会下雨吗？"]}, ensure_ascii=False), encoding="utf-8")
    assert main(["regression", "add", str(export), "--file", str(target)]) == 0
    assert main(["regression", "add", str(export), "--file", str(target)]) == 0  # the same export twice adds nothing
    saved = json.loads(target.read_text(encoding="utf-8"))
    assert saved["cases"] == [case] and saved["out_of_scope"] == ["明天长沙会下雨吗？"]
    assert "0 new" in capsys.readouterr().out.splitlines()[-1]
    export.write_text(json.dumps({"cases": [{"id": "x", "turns": [], "expect": {}}]}), encoding="utf-8")
    assert main(["regression", "add", str(export), "--file", str(target)]) == 2
    export.write_text(json.dumps({"cases": [{"id": "x", "turns": ["问"], "expect": {"1": "很多"}}]}), encoding="utf-8")
    assert main(["regression", "add", str(export), "--file", str(target)]) == 2
    assert main(["regression", "add", str(tmp_path / "missing.json"), "--file", str(target)]) == 2


def test_a_newer_marking_replaces_the_older():
    old = {"cases": [{"id": "a", "turns": ["问"], "expect": {"1": 1}}], "out_of_scope": []}
    merged, added = merge_into(old, {"cases": [{"id": "a", "turns": ["问"], "expect": {"1": 2}}], "out_of_scope": []})
    assert added == 0 and merged["cases"][0]["expect"] == {"1": 2}
