"""`policy-assistant eval FILE`: retrieval metrics on a question set; on an award set, exact answers, wrong
figures (the worst outcome), questions asked instead, and out-of-scope precision and recall."""

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
class CaseOutcome:
    """How one conversation ended: `exact`, `wrong` (a wrong figure), `asked` (asked instead) or `missed`."""

    case_id: str
    kind: str
    problems: list[str]
    wrong: list[str]


@dataclass
class AwardReport:
    total: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    out_of_scope_total: int = 0
    out_of_scope_passed: int = 0
    wrong_figures: int = 0
    asked_instead: int = 0
    missed: int = 0
    wrongly_refused: int = 0
    outcomes: list[CaseOutcome] = field(default_factory=list)

    def add(self, outcome: CaseOutcome, refused: bool = False) -> None:
        self.total += 1
        self.outcomes.append(outcome)
        self.passed += outcome.kind == "exact"
        self.wrong_figures += outcome.kind == "wrong"
        self.asked_instead += outcome.kind == "asked"
        self.missed += outcome.kind == "missed"
        self.wrongly_refused += refused
        self.failures.extend(f"{outcome.case_id}: [{outcome.kind}] {p}" for p in outcome.problems)
        if refused:
            self.failures.append(f"{outcome.case_id}: [refused] an in-scope turn was answered as out of scope")

    @property
    def out_of_scope_precision(self) -> float:
        """Of the conversations answered as out of scope, the share that were: in-scope ones refused count against."""
        flagged = self.out_of_scope_passed + self.wrongly_refused
        return self.out_of_scope_passed / flagged if flagged else 1.0

    @property
    def out_of_scope_recall(self) -> float:
        return self.out_of_scope_passed / self.out_of_scope_total if self.out_of_scope_total else 1.0

    def summary(self) -> str:
        lines = [f"award accuracy {self.passed}/{self.total} ({self.passed / self.total if self.total else 0:.3f})",
                 f"wrong figures {self.wrong_figures}/{self.total}",
                 f"asked instead {self.asked_instead}/{self.total}",
                 f"missed {self.missed}/{self.total}"]
        if self.out_of_scope_total:
            lines.append(f"out of scope recognised {self.out_of_scope_passed}/{self.out_of_scope_total}")
        if self.out_of_scope_total or self.wrongly_refused:
            lines.append(f"out of scope precision {self.out_of_scope_precision:.3f} "
                         f"(in-scope conversations refused {self.wrongly_refused}/{self.total}), "
                         f"recall {self.out_of_scope_recall:.3f}")
        return "\n".join(lines)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rule_caps() -> dict[str, int]:
    """Each programme's absolute cap from the rules, so a ceiling above it is caught even if the reply omits cap_yuan."""
    try:
        from eligibility.engine import default_rules

        return {p.id: p.amount.cap_yuan for p in default_rules().programs if p.amount.cap_yuan}
    except Exception:  # noqa: BLE001 - the metric works on reply dicts alone when the rules cannot load
        return {}


def wrong_figures(case: dict[str, Any], reply: dict[str, Any], caps: dict[str, int] | None = None) -> list[str]:
    """The figures in the last reply that are wrong. A figure is wrong when

    - an article in `expect` has estimates with numbers and none equals the expected figure (a number where
      null is expected is wrong; only None where a number is expected is a miss, not a wrong figure);
    - `total` is in the case and the reply states a number that differs (a None total is a miss);
    - any ceiling exceeds its programme's cap (the reply's `cap_yuan` or the rules'), or the case's `max_any`.
    """
    caps = _rule_caps() if caps is None else caps
    estimates = reply.get("estimates") or []
    wrong = []
    for article, expected in (case.get("expect") or {}).items():
        ceilings = [e.get("ceiling_yuan") for e in estimates if str(e.get("article")) == str(article)]
        stated = [c for c in ceilings if _number(c)]
        if expected not in ceilings and stated:
            wrong.append(f"article {article}: expected {expected}, stated {stated}")
    if "total" in case and _number(reply.get("total_ceiling_yuan")) and reply["total_ceiling_yuan"] != case["total"]:
        wrong.append(f"total: expected {case['total']}, stated {reply['total_ceiling_yuan']}")
    for e in estimates:
        ceiling = e.get("ceiling_yuan")
        if not _number(ceiling):
            continue
        cap = min([c for c in (e.get("cap_yuan"), caps.get(str(e.get("program_id")))) if _number(c)], default=None)
        if cap is not None and ceiling > cap:
            wrong.append(f"{e.get('program_id')}: {ceiling} over its cap {cap}")
        if "max_any" in case and ceiling > case["max_any"]:
            wrong.append(f"{e.get('program_id')}: {ceiling} over max_any {case['max_any']}")
    return wrong


def asked_instead(case: dict[str, Any], reply: dict[str, Any]) -> bool:
    """Whether a reply that missed the expectation asked rather than guessed. True when the reply carries a
    non-empty `confirm` (a question confirming an amount's role or project) or non-empty `follow_up`, or when an
    estimate for an expected article is `needs_info` with `ceiling_yuan` None (the base of its figure unknown).
    Only meaningful for a case with no wrong figure; `classify_case` applies it in that order."""
    if reply.get("confirm") or reply.get("follow_up"):
        return True
    expected = {str(a) for a in (case.get("expect") or {})}
    return any(str(e.get("article")) in expected and e.get("status") == "needs_info" and e.get("ceiling_yuan") is None
               for e in reply.get("estimates") or [])


def classify_case(case: dict[str, Any], reply: dict[str, Any], caps: dict[str, int] | None = None) -> CaseOutcome:
    """exact: every expectation met and no wrong figure; wrong: any wrong figure (see `wrong_figures`);
    asked: neither, but the reply asked (see `asked_instead`); missed: the rest (no figure, no question)."""
    problems = check_award_case(case, reply)
    wrong = wrong_figures(case, reply, caps)
    # a wrong article, total or max_any is already among the problems; only a ceiling over its cap is new
    problems += [w for w in wrong if " over its cap " in w]
    if wrong:
        kind = "wrong"
    elif not problems:
        kind = "exact"
    else:
        kind = "asked" if asked_instead(case, reply) else "missed"
    return CaseOutcome(str(case.get("id", "?")), kind, problems, wrong)


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


def refused(reply: dict[str, Any]) -> bool:
    return reply.get("in_scope") is False


def evaluate_awards(chat, data: dict[str, Any]) -> AwardReport:
    """`chat(message, session_id) -> reply dict` (the /v1/chat reply object). The last reply of a conversation
    is judged; a conversation any of whose turns was answered `in_scope: false` counts as wrongly refused."""
    report = AwardReport()
    caps = _rule_caps()
    for case in data["cases"]:
        session_id, reply, was_refused = None, {}, False
        for turn in case["turns"]:
            reply = chat(turn, session_id)
            session_id = reply["session_id"]
            was_refused = was_refused or refused(reply)
        report.add(classify_case(case, reply, caps), was_refused)
    for question in data.get("out_of_scope") or []:
        reply = chat(question, None)
        report.out_of_scope_total += 1
        ok = refused(reply) and not reply.get("citations") and not reply.get("estimates")
        report.out_of_scope_passed += ok
        if not ok:
            report.failures.append(f"out of scope not recognised: {question}")
    return report
