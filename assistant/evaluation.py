"""`policy-assistant eval FILE`: retrieval metrics on a question set, accuracy on an award set."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RetrievalReport:
    name: str
    total: int = 0
    hits_at_1: int = 0
    hits_at_3: int = 0
    reciprocal_ranks: float = 0.0
    misses: list[dict[str, Any]] = field(default_factory=list)

    def add(self, question: str, accept: list[str], ranked: list[str]) -> None:
        self.total += 1
        rank = next((i for i, sid in enumerate(ranked) if sid in accept), None)
        self.hits_at_1 += rank == 0
        self.hits_at_3 += rank is not None and rank < 3
        self.reciprocal_ranks += 1 / (rank + 1) if rank is not None else 0.0
        if rank != 0:
            self.misses.append({"q": question, "accept": accept, "got": ranked[:3]})

    @property
    def recall_at_1(self) -> float:
        return self.hits_at_1 / self.total if self.total else 0.0

    @property
    def recall_at_3(self) -> float:
        return self.hits_at_3 / self.total if self.total else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_ranks / self.total if self.total else 0.0

    def summary(self) -> str:
        return f"{self.name}: recall@1 {self.recall_at_1:.3f}  recall@3 {self.recall_at_3:.3f}  MRR {self.mrr:.3f}  (n={self.total})"


def load_eval_file(path: Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise ValueError(f"{path}: expected an object with a 'cases' list")
    return data


def is_award_set(data: dict[str, Any]) -> bool:
    """Conversations with expected ceilings, or out-of-scope questions (an office export may hold only those)."""
    return any("turns" in case for case in data["cases"]) or "out_of_scope" in data


def evaluate_questions(search, cases: list[dict[str, Any]], name: str) -> RetrievalReport:
    """`search(query) -> [section id, …]` best first."""
    report = RetrievalReport(name)
    for case in cases:
        report.add(case["q"], [str(a) for a in case["accept"]], search(case["q"]))
    return report


@dataclass
class AwardReport:
    total: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    out_of_scope_total: int = 0
    out_of_scope_passed: int = 0

    def summary(self) -> str:
        lines = [f"award accuracy {self.passed}/{self.total} ({self.passed / self.total if self.total else 0:.3f})"]
        if self.out_of_scope_total:
            lines.append(f"out of scope recognised {self.out_of_scope_passed}/{self.out_of_scope_total}")
        return "\n".join(lines)


def check_award_case(case: dict[str, Any], reply: dict[str, Any]) -> list[str]:
    """What is wrong with the last reply of a conversation, by the case's `expect`, `total` and `max_any`."""
    problems = []
    estimates = reply.get("estimates") or []
    for article, expected in (case.get("expect") or {}).items():
        ceilings = [e.get("ceiling_yuan") for e in estimates if str(e.get("article")) == str(article)]
        if not ceilings:
            problems.append(f"no estimate for article {article}")
        elif expected not in ceilings:
            problems.append(f"article {article}: expected {expected}, got {ceilings}")
    if "total" in case and reply.get("total_ceiling_yuan") != case["total"]:
        problems.append(f"total: expected {case['total']}, got {reply.get('total_ceiling_yuan')}")
    if "max_any" in case:
        over = [e.get("ceiling_yuan") for e in estimates if (e.get("ceiling_yuan") or 0) > case["max_any"]]
        if over:
            problems.append(f"ceilings above {case['max_any']}: {over}")
    return problems


def evaluate_awards(chat, data: dict[str, Any]) -> AwardReport:
    """`chat(message, session_id) -> reply dict` (the /v1/chat reply object)."""
    report = AwardReport()
    for case in data["cases"]:
        session_id, reply = None, {}
        for turn in case["turns"]:
            reply = chat(turn, session_id)
            session_id = reply["session_id"]
        problems = check_award_case(case, reply)
        report.total += 1
        report.passed += not problems
        report.failures.extend(f"{case.get('id', '?')}: {p}" for p in problems)
    for question in data.get("out_of_scope") or []:
        reply = chat(question, None)
        report.out_of_scope_total += 1
        ok = reply.get("in_scope") is False and not reply.get("citations") and not reply.get("estimates")
        report.out_of_scope_passed += ok
        if not ok:
            report.failures.append(f"out of scope not recognised: {question}")
    return report
