"""A deterministic chat turn in-process, models loaded: award turns and question turns, p50/p95."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from assistant.sessions import SQLiteSessionStore
from assistant.turn import Assistant
from benchmarks.common import percentiles, save, timed
from knowledge.base import KnowledgeBase
from knowledge.embeddings import load_embedders
from knowledge.retrieval import HybridSearcher

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
AWARD_TURNS = ["我们做智能可穿戴设备，今年新产品销售增量500万元，能拿多少奖励？",
               "我们基于网信办备案的大模型开发了交通出行垂类大模型，已登记，年度模型购买费用100万元，能奖多少？",
               "国家级智能标注公共服务平台，年度运营费用250万元，一年能拿多少运营奖励？"]


def main(embeddings: str = "e5,use") -> dict:
    questions = [c["q"] for c in json.loads((EVAL / "dev_questions.json").read_text(encoding="utf-8"))["cases"]] \
        if (EVAL / "dev_questions.json").exists() else ["政策有效期多久", "同时符合两条能都拿吗"]
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp), load_embedders(embeddings))
        kb.ensure_corpus()
        assistant = Assistant(kb, HybridSearcher(kb), SQLiteSessionStore(Path(tmp) / "s.sqlite3"))
        for q in questions[:3] + AWARD_TURNS:
            assistant.chat(q)  # warm up
        award = [ms for _ in range(20) for t in AWARD_TURNS for ms in timed(lambda t=t: assistant.chat(t), 1)]
        question = [ms for _ in range(3) for q in questions for ms in timed(lambda q=q: assistant.chat(q), 1)]
    result = {"embeddings": embeddings, "award_turns": percentiles(award), "question_turns": percentiles(question),
              "all_turns": percentiles(award + question)}
    save(f"turn-{embeddings.replace(',', '+')}", result)
    return result


if __name__ == "__main__":
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else "e5,use")
