"""Facts from one message, deterministically: what it says, for which project, and whether it corrects.

The output is a typed `Extraction`; `assistant.state` merges it into a session's facts. Nothing here
decides an award: amounts are only tied to the fact their words name (销售增量, 模型购买费用, 运营费用 …).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from assistant import fact_patterns as P
from assistant.amounts import find_amounts, find_percentages

CLAUSE_SPLIT = re.compile(r"[，。；;！!？?\n]|,(?!\d{3})")  # 2,000,000 is one number, not three clauses
QUESTION = re.compile(r"是否|有没有|有无|要不要|需不需要|需要[^，。]{0,6}吗|吗|么|呢|\?|？|是不是|能否|可否|whether|do (we|i) need|is it required")
TOPIC_FACTS = {"seeks_financing", "talent_introduction", "city_key_project"}
MONEY_FIELDS = {"increment": "new_product_sales_increment_yuan", "model_cost": "model_purchase_cost_yuan",
                "operating_cost": "platform_operating_cost_yuan"}


@dataclass
class ProjectUpdate:
    name: str | None = None  # "A项目"; None: the project the conversation is on
    new: bool = False  # 另一个项目
    facts: dict[str, Any] = field(default_factory=dict)
    received: list[tuple[str | None, str, int]] = field(default_factory=list)  # (programme, this_year|total, yuan)
    received_none: str | None = None  # "this_year" or "total": nothing received

    def is_empty(self) -> bool:
        return not (self.facts or self.received or self.received_none)


@dataclass
class Extraction:
    enterprise: dict[str, Any] = field(default_factory=dict)
    projects: list[ProjectUpdate] = field(default_factory=list)
    unbound_amounts: list[int] = field(default_factory=list)
    correction: bool = False
    injection: bool = False
    procedural: bool = False
    language: str = "zh"

    def has_facts(self) -> bool:
        return bool(self.enterprise or self.unbound_amounts or any(not p.is_empty() for p in self.projects))


def language_of(text: str) -> str:
    return "zh" if len(re.findall(r"[\u4e00-\u9fff]", text)) >= 2 else "en"


def extract(message: str) -> Extraction:
    text = message.strip().lower()
    result = Extraction(language=language_of(message), correction=bool(P.CORRECTION.search(text)),
                        injection=bool(P.INJECTION.search(text)), procedural=bool(P.PROCEDURAL.search(text)))
    if result.injection:
        return result  # an attempt to steer the assistant states no facts
    result.enterprise = _enterprise_facts(text)
    for name, new, segment in _segments(text):
        update = ProjectUpdate(name=name, new=new)
        _categories(segment, update.facts)
        _booleans(segment, update.facts)
        _amounts(segment, update, result)
        result.projects.append(update)
    return result


def _segments(text: str) -> list[tuple[str | None, bool, str]]:
    """Split at project markers (A项目, 第二个项目, 另一个项目); text before the first is the current project."""
    marks = list(P.PROJECT_MARKER.finditer(text))
    if not marks:
        return [(None, False, text)]
    out = [(None, False, text[: marks[0].start()])]
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        letter = m.group("name") or m.group("suffix") or m.group("en")
        if m.group("another"):
            out.append((None, True, text[m.start():end]))
        else:
            out.append((f"{letter.upper()}项目" if letter else f"第{m.group('ord')}个项目", False, text[m.start():end]))
    return out


def _clauses(text: str) -> list[str]:
    return [c for c in CLAUSE_SPLIT.split(text) if c.strip()]


def _enterprise_facts(text: str) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for kind, pattern in P.APPLICANT:
        if pattern.search(text):
            facts["applicant_kind"] = kind
            break
    for clause in _clauses(text):
        registered = re.search(r"(在)?长沙(市)?[^，。]{0,4}(注册|登记)|注册(地)?在长沙|registered in changsha", clause)
        if registered and not QUESTION.search(clause):
            facts["registered_in_changsha"] = not _negated(clause, registered.start())
        if P.APPLY_WORDS.search(clause) and (m := P.APPLICATION_DATE.search(clause)):
            try:
                facts["application_date"] = dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d") or 1))
            except ValueError:
                pass
    return facts


def _negated(clause: str, at: int) -> bool:
    window = clause[max(0, at - 10):at]
    match = P.NEGATION.search(window)
    return bool(match) and not P.AFFIRM_AFTER_NEGATION.search(window[match.end(1):])


def _categories(segment: str, facts: dict[str, Any]) -> None:
    if m := P.HARDWARE.search(segment):
        facts["product_category"], facts["hardware_kind"] = "smart_hardware", m.group(0)
    elif P.SOFTWARE.search(segment):
        facts["product_category"] = "ai_software"
    for clause in _clauses(segment):
        if P.AGENT.search(clause):
            facts["model_kind"] = "industrial_agent"
        elif P.VERTICAL.search(clause) or (P.BARE_MODEL.search(clause) and P.MODEL_WORK.search(clause)):
            facts.setdefault("model_kind", "vertical_model")
    if "model_kind" in facts:
        domain = next((d for d in P.DOMAINS if d in segment), None)
        if domain:
            facts["model_domain"] = domain
    if P.PLATFORM.search(segment):
        _platform(segment, facts)


def _platform(segment: str, facts: dict[str, Any]) -> None:
    for clause in _clauses(segment):
        if re.search(r"企业库|案例|试点|揭榜|交易|买卖|撮合", clause):
            continue
        for level, pattern in P.PLATFORM_LEVEL:
            m = pattern.search(clause)
            if m and (P.PLATFORM.search(clause) or re.search(r"评上|认定|获批|被评为|评为|recogni", clause)):
                facts["platform_level"] = level
                break
        if P.PLATFORM.search(clause) and "platform_type" not in facts:
            kind = next((t for t, p in P.PLATFORM_TYPES if p.search(clause)), None)
            if kind:
                facts["platform_type"] = kind


def _booleans(segment: str, facts: dict[str, Any]) -> None:
    for clause in _clauses(segment):
        asked = bool(QUESTION.search(clause))
        for name, pattern in P.BOOLEAN_FACTS:
            m = pattern.search(clause)
            if not m or (asked and name not in TOPIC_FACTS):
                continue
            facts[name] = True if asked else not _negated(clause, m.start())  # 有没有贷款支持 asks about loans
        if "own_ip" in facts:  # whose IP: the model's or the software's, where the message says
            if facts.get("model_kind") or P.BARE_MODEL.search(clause):
                facts["model_own_ip"] = facts.pop("own_ip")
            elif facts.get("product_category") == "ai_software" or P.SOFTWARE.search(clause):
                facts["software_own_ip"] = facts.pop("own_ip")
        if P.DECREASE.search(clause) and re.search(r"销售|销量|卖|出货|sales", clause) and not find_amounts(clause):
            facts["new_product_sales_increment_yuan"] = 0  # sales fell: no increment to reward


def _family(clause: str, start: int, end: int) -> str | None:
    """The kind of amount at clause[start:end], from the nearest context words before it (or just after)."""
    best, best_at = None, -1
    for family, pattern in P.AMOUNT_CONTEXT:
        for m in pattern.finditer(clause[:start]):
            if m.end() > best_at:
                best, best_at = family, m.end()
    if best:
        return best
    after = clause[end:end + 24]  # 500万的销售增量; "2 million yuan on model purchases"
    return next((family for family, pattern in P.AMOUNT_CONTEXT if pattern.search(after)), None)


def _amounts(segment: str, update: ProjectUpdate, result: Extraction) -> None:
    previous: str | None = None
    sales: dict[str, int] = {}
    for clause in _clauses(segment):
        if P.RECEIVED_NONE.search(clause):
            update.received_none = "this_year" if P.THIS_YEAR.search(clause) else "total"
        for amount in find_amounts(clause):
            family = _family(clause, amount.start, amount.end)
            if family is None and previous and len(clause) <= 16:
                family = previous  # 不是700万，是650万 / 去年1000万，今年1500万
                if family.startswith("sales_"):
                    family = "sales_this_year" if P.THIS_YEAR.search(clause) else family
            previous = family or previous
            value = amount.yuan
            if family == "increment" and P.DECREASE.search(clause[:amount.start]):
                value = -value
            if family in MONEY_FIELDS:
                update.facts[MONEY_FIELDS[family]] = value
            elif family in {"sales_this_year", "sales_last_year"}:
                sales[family] = value
            elif family == "contribution":
                result.enterprise["local_economic_contribution_yuan"] = value
            elif family == "received":
                program = next((pid for pid, p in P.RECEIVED_PROGRAM if p.search(clause)), None)
                period = "this_year" if P.THIS_YEAR.search(clause) and not P.TOTAL.search(clause) else "total"
                update.received.append((program, period, value))
            elif family is None:
                result.unbound_amounts.append(value)
        for fraction, start, _ in find_percentages(clause):
            if "sales_last_year" in sales and re.search(r"增长|增加|涨|growth|increase", clause[:start + 8]):
                update.facts["new_product_sales_increment_yuan"] = int(sales["sales_last_year"] * fraction)
    if len(sales) == 2 and "new_product_sales_increment_yuan" not in update.facts:
        update.facts["new_product_sales_increment_yuan"] = sales["sales_this_year"] - sales["sales_last_year"]
