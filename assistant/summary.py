"""What an estimate says in words, for every place that shows one (the web UI's cards, the 政策体检, the PDF).

Every figure here is the engine's (`ceiling_yuan`, `total_ceiling_yuan`); this module only words it.
`estimate_steps` is the one place that turns an estimate into its steps: today it reads the engine's `trace`;
when typed steps land (`ProgramEstimate.steps`), it renders them instead and every view follows.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from assistant.corrections import fact_label
from eligibility.facts import LABELS_ZH, Facts, ProjectFacts

STATUS_ZH = {"eligible": "符合条件", "needs_info": "待补充信息", "not_eligible": "不符合"}
DISCLAIMER = ("本页金额是依据政策原文和您提供的情况估算的上限，不是承诺；最终是否给予、给予多少，由各责任单位审核认定。"
              "政策未规定的申报材料、时间和渠道，以责任单位发布的实施细则或申报指南为准。")


def as_dict(estimate: Any) -> dict:
    """An engine `ProgramEstimate`, a reply's `Estimate` or its JSON: the same fields as a dict."""
    return estimate if isinstance(estimate, dict) else estimate.model_dump(mode="json")


def estimate_steps(estimate: Any, language: str = "zh") -> list[str]:
    """The calculation of one estimate, step by step, each naming its article: rendered from the engine's typed
    steps (a reply stored before they existed still has its `trace`)."""
    from assistant.render import render_steps
    from eligibility.steps import Step

    data = as_dict(estimate)
    if data.get("steps"):
        return render_steps([Step.model_validate(s) for s in data["steps"]], language)
    return [str(step) for step in data.get("trace") or []]


def wan(amount: int) -> str:
    """1_200_000 → 120万元; 1_234_567 → 123.4567万元; 9_000 → 9,000元 (exact, never rounded)."""
    if amount < 10_000:
        return f"{amount:,}元"
    value = (Decimal(amount) / 10_000).normalize()
    return f"{value:f}万元"


def yuan_text(amount: int) -> str:
    """500,000 元（50万元）: the exact figure first, then how people say it."""
    return f"{amount:,} 元" if amount < 10_000 else f"{amount:,} 元（{wan(amount)}）"


def ceiling_text(estimate: Any) -> str:
    """The figure a card shows, or why there is none."""
    e = as_dict(estimate)
    ceiling, status = e.get("ceiling_yuan"), e.get("status")
    if ceiling is None:
        return "政策未规定金额" if e.get("cap_yuan") is None else "待补充信息后计算"
    if status == "not_eligible":
        return "0 元（不符合条件）"
    prefix = "最高 " if status == "eligible" else "若条件满足，最高 "
    return prefix + yuan_text(ceiling)


def counted(e: dict) -> bool:
    """Whether the engine counted this estimate in the total."""
    return bool(e.get("counted", True)) and e.get("status") != "not_eligible" and e.get("ceiling_yuan") is not None


def set_aside_note(estimate: Any) -> str:
    e = as_dict(estimate)
    if e.get("counted", True) or e.get("status") == "not_eligible" or e.get("ceiling_yuan") is None:
        return ""
    if any("从高不重复" in step for step in estimate_steps(e)):
        return "同一项目已计更高的一项，按“从高不重复”不计入合计"
    return "尚未提供相关情况，仅供参考，不计入合计"


def _name(e: dict) -> str:
    return f"{e['project']}“{e['title']}”" if e.get("project") else f"“{e['title']}”"


def total_sentence(estimates: list[Any], total_yuan: int | None) -> str:
    """The total after 从高不重复, in words: what is counted, what is set aside, and on what condition."""
    items = [as_dict(e) for e in estimates]
    if not items:
        return ""
    if total_yuan is None:
        return "暂不能给出合计金额：计算所需的信息还不全，或这些项目政策未规定金额。"
    if total_yuan == 0:
        return "按目前的情况，这些项目都不符合条件，合计 0 元。"
    parts = [e for e in items if counted(e)]
    sentence = f"按“从高不重复”原则合计，最高可获 {yuan_text(total_yuan)}"
    if parts and sum(e["ceiling_yuan"] for e in parts) == total_yuan:
        if len(parts) > 1:
            sentence += "，即 " + " + ".join(f"{_name(e)} {e['ceiling_yuan']:,} 元" for e in parts)
        else:
            sentence += f"，来自{_name(parts[0])}"
    sentence += "。"
    aside = [e for e in items if not e.get("counted", True) and e.get("ceiling_yuan") and e.get("status") != "not_eligible"
             and any("从高不重复" in s for s in estimate_steps(e))]
    if aside:
        sentence += "同一项目符合多项的只计最高一项，" + "、".join(_name(e) for e in aside) + "不再叠加；不同项目可分别享受。"
    if any(e.get("status") == "needs_info" for e in parts):
        sentence += "其中标为“待补充信息”的金额，以补充的条件均满足为前提。"
    return sentence


class FactItem(BaseModel):
    """One understood fact, with the person's own words it came from (when the understanding layer gave them)."""

    fact: str
    project: int | None
    label: str
    value: Any
    shown: str
    quote: str | None = None
    turn: int | None = None
    derivation: str | None = None
    corrected: bool = Field(default=False, description="the value differs from what the words said: corrected since")


class FactGroup(BaseModel):
    title: str
    project: int | None
    items: list[FactItem]


def shown_value(value: Any) -> str:
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, int):
        return yuan_text(value)
    if isinstance(value, str):
        return LABELS_ZH.get(value, value)
    return str(value)


def _facts_of(facts: Facts) -> list[tuple[int | None, str, Any]]:
    found: list[tuple[int | None, str, Any]] = []
    for name in Facts.model_fields:
        value = getattr(facts, name)
        if name != "projects" and value is not None:
            found.append((None, name, value))
    for index, project in enumerate(facts.projects):
        for name in ProjectFacts.model_fields:
            value = getattr(project, name)
            if name not in {"name", "awards_received"} and value is not None:
                found.append((index, name, value))
        for program_id, received in project.awards_received.items():
            for part, value in received.model_dump().items():
                if value is not None:
                    found.append((index, f"awards_received.{program_id}.{part}", value))
    return found


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, default=str, ensure_ascii=False) == json.dumps(b, default=str, ensure_ascii=False)


def understood(facts: Facts | dict, sources: list[Any] | None = None) -> list[FactGroup]:
    """The facts, grouped by project, each with the words it came from (`fact_sources`), latest turn first.
    Without sources it is the facts alone; a source whose value is no longer the fact's marks a correction."""
    facts = facts if isinstance(facts, Facts) else Facts.model_validate(facts)
    by_fact: dict[tuple[int | None, str], dict] = {}
    for source in sources or []:
        s = as_dict(source)
        key = (s.get("project"), s.get("fact"))
        if key not in by_fact or (s.get("turn") or 0) >= (by_fact[key].get("turn") or 0):
            by_fact[key] = s
    groups: dict[int | None, FactGroup] = {}
    for project, name, value in _facts_of(facts):
        if project not in groups:
            title = "申请主体" if project is None else (facts.projects[project].name or f"项目{project + 1}")
            groups[project] = FactGroup(title=title, project=project, items=[])
        source = by_fact.get((project, name)) or (by_fact.get((None, name)) if project == 0 else None)
        item = FactItem(fact=name, project=project, label=fact_label(name).removesuffix("（元）"), value=value,
                        shown=shown_value(value))
        if source:
            plain = value.isoformat() if hasattr(value, "isoformat") else value
            if _same(source.get("value"), plain):
                item.quote, item.turn, item.derivation = source.get("quote"), source.get("turn"), source.get("derivation")
            else:
                item.corrected = True
        groups[project].items.append(item)
    return list(groups.values())
