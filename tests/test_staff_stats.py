"""Statistics on a seeded set of 200 conversations, checked against counts computed here from the seed itself;
out-of-scope questions grouped by meaning with the bundled embedding; CSV and charts."""

import csv
import io
from collections import Counter, defaultdict

import pytest
from fastapi.testclient import TestClient

from assistant.journal import Journal
from assistant.stats import Period, group_similar, statistics
from benchmarks.staff_bench import synthetic_conversations

ADMIN = "admin-stats-key"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    journal = Journal(tmp_path_factory.mktemp("stats") / "journal.sqlite3")
    records, feedback = synthetic_conversations(200, seed=2026)
    journal.record_many(records)
    for session_id, turn, rating in feedback:
        journal.add_feedback(session_id, turn, rating, "不对" if rating == "down" else None)
    return journal, records, feedback


def expected_counts(records, feedback):
    """The same statistics, by plain Python over the records (no SQL)."""
    by_session = defaultdict(list)
    for r in records:
        by_session[r.session_id].append(r)
    per_day = Counter()
    for turns in by_session.values():
        per_day[(min(r.at for r in turns)[:10], turns[-1].channel)] += 1
    questions, estimates, sums, conversations = Counter(), Counter(), Counter(), Counter()
    for turns in by_session.values():
        last_turn = {}
        for r in sorted(turns, key=lambda r: r.turn):
            seen = set()
            for e in r.reply["estimates"]:
                if e["program_id"] not in seen:
                    questions[e["program_id"]] += 1
                    seen.add(e["program_id"])
                last_turn[e["program_id"]] = r
        for program_id, r in last_turn.items():
            conversations[program_id] += 1
            for e in r.reply["estimates"]:
                if e["program_id"] == program_id and e["ceiling_yuan"] is not None:
                    estimates[program_id] += 1
                    sums[program_id] += e["ceiling_yuan"]
    missing = Counter()
    for turns in by_session.values():
        for fact in {m for r in turns for e in r.reply["estimates"] for m in e["missing"]}:
            missing[fact] += 1
    out_of_scope = sum(1 for turns in by_session.values() if any(not r.reply["in_scope"] for r in turns))
    confirm = sum(1 for turns in by_session.values() if any(r.reply["follow_up"] for r in turns))
    ratings = Counter(rating for _, _, rating in feedback)
    return {"per_day": per_day, "questions": questions, "estimates": estimates, "sums": sums, "conversations": conversations,
            "missing": missing, "out_of_scope": out_of_scope, "confirm": confirm, "ratings": ratings,
            "sessions": len(by_session), "turns": len(records)}


def test_statistics_match_independent_counts(seeded):
    journal, records, feedback = seeded
    want = expected_counts(records, feedback)
    got = statistics(journal, Period(), {}, embed=None)
    assert got["totals"] == {"conversations": 200, "turns": want["turns"], "conversations_out_of_scope": want["out_of_scope"],
                             "conversations_asked_to_confirm": want["confirm"], "thumbs_down": want["ratings"]["down"],
                             "thumbs_up": want["ratings"]["up"]}
    assert {(r["day"], r["channel"]): r["conversations"] for r in got["per_day_channel"]} == dict(want["per_day"])
    rows = {r["program_id"]: r for r in got["per_programme"]}
    assert {p: r["questions"] for p, r in rows.items()} == dict(want["questions"])
    assert {p: r["conversations"] for p, r in rows.items()} == dict(want["conversations"])
    assert {p: r["estimates_given"] for p, r in rows.items()} == {p: want["estimates"][p] for p in rows}
    assert {p: r["sum_ceiling_yuan"] for p, r in rows.items()} == {p: want["sums"][p] for p in rows}
    assert {r["fact"]: r["conversations"] for r in got["missing_facts"]} == dict(want["missing"])
    assert len(got["thumbs_down"]) == want["ratings"]["down"] and all(r["message"] for r in got["thumbs_down"])
    assert sum(g["size"] for g in got["out_of_scope_groups"]) == sum(not r.reply["in_scope"] for r in records)


def test_statistics_of_a_period(seeded):
    journal, records, feedback = seeded
    day = min(r.at for r in records)[:10]
    import datetime as dt

    one = statistics(journal, Period(dt.date.fromisoformat(day), dt.date.fromisoformat(day)), {}, None)
    want = expected_counts(records, feedback)
    assert one["totals"]["conversations"] == sum(n for (d, _), n in want["per_day"].items() if d == day) > 0
    assert {r["day"] for r in one["per_day_channel"]} == {day}


def test_out_of_scope_questions_are_grouped_by_meaning(embedders):
    use = next(e for e in embedders if getattr(e, "name", "") == "use")
    texts = ["明天长沙会下雨吗？", "长沙这周天气怎么样？", "后天长沙气温多少度？",
             "长沙人才购房补贴能拿多少？", "硕士在长沙买房有补贴吗？",
             "红烧肉怎么做好吃？"]
    groups = [sorted(texts[i] for i in g) for g in group_similar(texts, use.embed_documents)]
    weather = sorted(texts[:3])
    housing = sorted(texts[3:5])
    assert weather in groups and housing in groups and ["红烧肉怎么做好吃？"] in groups


def test_stats_endpoint_csv_and_charts(seeded, policy_kb, searcher, tmp_path):
    from api.app import create_app
    from assistant.config import Settings
    from assistant.sessions import SQLiteSessionStore
    from assistant.turn import Assistant

    journal, records, feedback = seeded
    assistant = Assistant(policy_kb, searcher, SQLiteSessionStore(tmp_path / "s.sqlite3"), journal=journal)
    client = TestClient(create_app(Settings(data_dir=tmp_path, admin_keys=(ADMIN,)), assistant, with_ui=False))
    auth = {"authorization": f"Bearer {ADMIN}"}
    body = client.get("/v1/staff/stats", headers=auth).json()
    assert body["totals"]["conversations"] == 200
    assert body["out_of_scope_groups"] and body["out_of_scope_groups"][0]["size"] >= 2  # the seed repeats questions
    r = client.get("/v1/staff/stats/per_programme.csv", headers=auth)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert {row["program_id"]: int(row["sum_ceiling_yuan"]) for row in rows} == \
        {p["program_id"]: p["sum_ceiling_yuan"] for p in body["per_programme"]}
    assert client.get("/v1/staff/stats/secrets.csv", headers=auth).status_code == 404
    for name in ("per_day_channel", "per_programme", "ceilings_per_programme", "missing_facts"):
        png = client.get(f"/v1/staff/charts/{name}.png", headers=auth)
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG") and len(png.content) > 5_000
    assert client.get("/v1/staff/charts/nope.png", headers=auth).status_code == 404
