"""The console script's ingest, remove and eval: clear errors, no tracebacks."""

import json
import os
import subprocess

from conftest import FIXTURES, SHARED_EVAL, VENV_BIN


def run(*args, data_dir, check=False):
    env = {**os.environ, "POLICY_DATA_DIR": str(data_dir)}
    result = subprocess.run([str(VENV_BIN / "policy-assistant"), *args], capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_ingest_reingest_remove_and_bad_files(tmp_path):
    data = tmp_path / "data"
    rule = tmp_path / "rule.txt"
    rule.write_text((FIXTURES / "TEST-FIXTURE-implementation-rules.txt").read_text(encoding="utf-8"), encoding="utf-8")
    first = run("ingest", str(rule), data_dir=data)
    assert first.returncode == 0 and "added: rule" in first.stdout
    again = run("ingest", str(rule), data_dir=data)
    assert "unchanged: rule" in again.stdout
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    bad = run("ingest", str(empty), str(tmp_path / "missing.txt"), data_dir=data)
    assert bad.returncode == 1
    assert "empty file" in bad.stderr and "file not found" in bad.stderr
    assert run("remove", "rule", data_dir=data).returncode == 0
    gone = run("remove", "rule", data_dir=data)
    assert gone.returncode == 2 and "no document" in gone.stderr
    assert json.loads((data / "documents" / "changsha-ai-2025.json").read_text(encoding="utf-8"))


def test_eval_prints_the_metrics(tmp_path):
    result = run("eval", str(SHARED_EVAL / "dev_questions.json"), data_dir=tmp_path / "data")
    assert result.returncode == 0
    assert "recall@1" in result.stdout and "recall@3" in result.stdout and "MRR" in result.stdout


def test_eval_rejects_a_bad_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{not json")
    result = run("eval", str(path), data_dir=tmp_path / "data")
    assert result.returncode == 2 and "error" in result.stderr


def test_ask_json_prints_the_chat_reply(tmp_path):
    data = tmp_path / "data"
    result = run("ask", "我们做智能机器人，新品销售增量500万元", "--json", data_dir=data)
    reply = json.loads(result.stdout)
    assert reply["estimates"][0]["ceiling_yuan"] == 500_000 and reply["citations"]
    again = json.loads(run("ask", "刚才说错了，是600万", "--session", reply["session_id"], "--json", data_dir=data).stdout)
    assert again["estimates"][0]["ceiling_yuan"] == 600_000
    missing = run("ask", "你好", "--session", "nope", data_dir=data)
    assert missing.returncode == 2 and "unknown session" in missing.stderr


def test_estimate_command(tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"platform_level": "provincial", "platform_operating_cost_yuan": 5_000_000}), encoding="utf-8")
    out = json.loads(run("estimate", "--facts", str(facts), "--on-date", "2026-06-01", "--json", data_dir=tmp_path / "d").stdout)
    assert out["estimates"][0]["ceiling_yuan"] == 1_000_000
    text = run("estimate", "--facts", str(facts), data_dir=tmp_path / "d").stdout
    assert "1,500,000 元，超过上限 1,000,000 元" in text
    facts.write_text('{"platform_levl": "provincial"}', encoding="utf-8")
    bad = run("estimate", "--facts", str(facts), data_dir=tmp_path / "d")
    assert bad.returncode == 2 and "platform_levl" in bad.stderr
