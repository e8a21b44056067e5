"""`policy-assistant eval` on an answer set: does the answer say what the question needs?

Case format (a third kind beside question and award sets): `{"q", "answer_contains": [str | [any-of]],
"intent", "split", "before": [earlier turns], "channel", "in_scope", "language"}`. A case passes when the
reply's scope is the expected one and every expected piece is in the answer (the short one on WeChat,
else the full one). Intents are scored apart: a wrong label with a right answer is still a right answer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

CJK = re.compile(r"[\u4e00-\u9fff]")
PAIRS = {"“": "”", "《": "》", "（": "）", "(": ")", "〈": "〉"}  # quotes, titles and parenthesised originals


def is_answer_set(data: dict[str, Any]) -> bool:
    return any("answer_contains" in case for case in data["cases"])


def untranslated(text: str) -> list[str]:
    """Chinese outside quotes, titles and parentheses: what an English reader could not read."""
    return [line for line in _unquoted(text).splitlines() if CJK.search(line)]


def _unquoted(text: str) -> str:
    """The text outside (nested) quotes, titles and parentheses."""
    out, stack = [], []
    for ch in text:
        if ch in PAIRS:
            stack.append(PAIRS[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
        elif not stack:
            out.append(ch)
    return "".join(out)


def check_answer_case(case: dict[str, Any], reply: dict[str, Any]) -> list[str]:
    problems = []
    expected_scope = case.get("in_scope", True)
    if reply.get("in_scope") is not expected_scope:
        problems.append(f"in_scope: expected {expected_scope}, got {reply.get('in_scope')}")
    shown = reply.get("answer") or ""
    text = shown if case.get("channel") == "wechat" else (reply.get("answer_full") or shown)
    for piece in case.get("answer_contains") or []:
        options = piece if isinstance(piece, list) else [piece]
        if not any(option in text for option in options):
            problems.append(f"answer lacks {piece!r}")
    if case.get("channel") == "wechat" and len(shown) > 300:
        problems.append(f"WeChat answer has {len(shown)} characters")
    if case.get("language") == "en" and untranslated(text):
        problems.append(f"untranslated Chinese: {untranslated(text)[:2]}")
    return problems


@dataclass
class AnswerReport:
    passed: Counter = field(default_factory=Counter)
    total: Counter = field(default_factory=Counter)
    intent_right: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = []
        for split in sorted(self.total):
            n = self.total[split]
            lines.append(f"answers ({split}): {self.passed[split]}/{n} pass, intent {self.intent_right[split]}/{n}")
        return "\n".join(lines)


def evaluate_answers(chat, data: dict[str, Any]) -> AnswerReport:
    """`chat(message, session_id, channel) -> reply dict` (the /v1/chat reply object)."""
    report = AnswerReport()
    for case in data["cases"]:
        session_id = None
        for turn in case.get("before") or []:
            session_id = chat(turn, session_id, case.get("channel"))["session_id"]
        reply = chat(case["q"], session_id, case.get("channel"))
        split = case.get("split", "all")
        problems = check_answer_case(case, reply)
        report.total[split] += 1
        report.passed[split] += not problems
        report.intent_right[split] += reply.get("intent") == case.get("intent")
        report.failures.extend(f"{case.get('id', case['q'])} [{split}]: {p}" for p in problems)
    return report
