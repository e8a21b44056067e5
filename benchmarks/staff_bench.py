"""The staff review list on a journal of 100,000 answered turns: p50/p95 of the filtered list (indexed queries)."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from assistant.journal import Journal, TurnRecord
from assistant.review import ReviewFilter, list_conversations
from benchmarks.common import percentiles, save, timed

CHANNELS = ["web", "hotline", "wechat"]
OWNERS = ["hotline-12345", "wechat-mp", "portal", None]
PROGRAMMES = [("smart-hardware-new-product", "1"), ("vertical-model-purchase", "2"), ("innovation-platform-operation", "3"),
              ("ai-software-first-use", "1"), ("talent-introduction", "10")]
MISSING = ["新产品销售增量（元）", "年度模型购买费用（元）", "模型是否已登记备案", "平台级别", "年度运营费用（元）"]
OUT_OF_SCOPE = ["明天长沙会下雨吗？", "北京的算力补贴怎么申请？", "长沙人才购房补贴多少钱？", "上海的人工智能政策有哪些？"]
START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def synthetic_reply(rng: random.Random, session_id: str, kind: str) -> dict:
    if kind == "out":
        return {"session_id": session_id, "answer": "这个问题不在本政策范围内。", "in_scope": False, "citations": [],
                "estimates": [], "total_ceiling_yuan": None, "follow_up": [], "facts": {}, "composer": "deterministic"}
    estimates = []
    if kind == "award":
        for program_id, article in rng.sample(PROGRAMMES, rng.randint(1, 2)):
            ceiling = rng.choice([None, 0, rng.randrange(10_000, 2_000_000, 10_000)])
            missing = rng.sample(MISSING, rng.randint(0, 2)) if ceiling is None else []
            estimates.append({"program_id": program_id, "article": article, "title": program_id, "status":
                              "needs_info" if missing else "eligible", "ceiling_yuan": ceiling, "cap_yuan": 2_000_000,
                              "trace": [f"第{article}条：测算"], "missing": missing, "counted": True})
    follow_up = ["请问今年的销售增量是多少元？"] if any(e["missing"] for e in estimates) or kind == "ask" else []
    return {"session_id": session_id, "answer": "……", "in_scope": True, "citations": [], "estimates": estimates,
            "total_ceiling_yuan": None, "follow_up": follow_up, "facts": {}, "composer": "deterministic"}


def synthetic_conversations(n: int, seed: int = 13, max_turns: int = 4, days: int = 14):
    """`n` conversations: (records, feedback [(session_id, turn, rating)]), reproducible from `seed`."""
    rng = random.Random(seed)
    records, feedback = [], []
    for i in range(n):
        session_id = f"s{i:07d}"
        started = START + dt.timedelta(days=rng.randrange(days), seconds=rng.randrange(86_000))
        channel, owner = rng.choice(CHANNELS), rng.choice(OWNERS)
        for turn in range(rng.randint(1, max_turns)):
            kind = rng.choices(["award", "out", "ask", "info"], [5, 1, 2, 2])[0]
            at = (started + dt.timedelta(seconds=30 * turn)).isoformat(timespec="milliseconds")
            message = rng.choice(OUT_OF_SCOPE) if kind == "out" else f"第{i}个会话的第{turn}个问题"
            records.append(TurnRecord(session_id, turn, at, channel, owner, f"u{i % 97}", message,
                                      synthetic_reply(rng, session_id, kind)))
            if rng.random() < 0.08:
                feedback.append((session_id, turn, rng.choice(["down", "up"])))
    return records, feedback


def fill(journal: Journal, turns: int, seed: int = 13) -> int:
    """About `turns` answered turns (2.5 per conversation on average); the number written."""
    records, feedback = synthetic_conversations(turns * 2 // 5, seed)
    for start in range(0, len(records), 5_000):
        journal.record_many(records[start:start + 5_000])
    for session_id, turn, rating in feedback:
        journal.add_feedback(session_id, turn, rating, None)
    return len(records)


FILTERS = {
    "all": ReviewFilter(),
    "thumbs_down": ReviewFilter(feedback="down"),
    "channel_hotline": ReviewFilter(channel="hotline"),
    "programme_article_3": ReviewFilter(programme="innovation-platform-operation"),
    "out_of_scope_week": ReviewFilter(out_of_scope=True, since=dt.date(2026, 3, 5), until=dt.date(2026, 3, 11)),
    "confirm_owner": ReviewFilter(confirm=True, owner="hotline-12345"),
}


def main(turns: int = 100_000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite3")
        started = time.perf_counter()
        written = fill(journal, turns)
        result: dict = {"turns": written, "fill_s": round(time.perf_counter() - started, 1)}
        for name, spec in FILTERS.items():
            list_conversations(journal, spec)
            result[name] = percentiles(timed(lambda spec=spec: list_conversations(journal, spec), 50))
        plan = journal.query("EXPLAIN QUERY PLAN SELECT session_id FROM journal_conversations WHERE down > 0 "
                             "ORDER BY last_at DESC LIMIT 50")
        result["plan_thumbs_down"] = " | ".join(str(row[-1]) for row in plan)
    save("staff_review", result)
    return result


if __name__ == "__main__":
    main()
