"""One fact of one project, set from a person's own text: the facts panel's "修改"/"不对" and the 政策体检's answers.

Kept apart from the conversation's understanding (state, extraction): a correction is not read from a sentence,
it is typed into a box, so it is parsed by the fact's type alone and written where the person pointed.
A fact name may be an applicant's (`applicant_kind`), a project's (`product_category`) or an award already
received (`awards_received.<programme id>.this_year_yuan` / `.total_yuan`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

from assistant.amounts import find_amounts
from eligibility.engine import default_rules
from eligibility.facts import LABELS_ZH, AwardReceived, Facts, ProjectFacts, field_info

YES = {"是", "有", "已", "对", "yes", "true", "y", "1"}
NO = {"否", "无", "未", "没有", "不是", "no", "false", "n", "0"}
UNKNOWN = {"", "不清楚", "不确定", "不知道", "unknown"}


def fact_kind(name: str) -> str:
    """How a fact is asked: "choice", "bool", "amount", "date" or "text" (from its type, not its name)."""
    if name.startswith("awards_received."):
        return "amount"
    model = Facts if name in Facts.model_fields else ProjectFacts
    annotation = model.model_fields[name].annotation
    args = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    kind = args[0]
    if get_args(kind) and all(isinstance(v, str) for v in get_args(kind)):
        return "choice"
    return {bool: "bool", int: "amount", dt.date: "date"}.get(kind, "text")


def fact_choices(name: str) -> list[tuple[str, str]]:
    """(Chinese label, value) of a choice fact, in the order of its type."""
    if fact_kind(name) != "choice":
        return []
    model = Facts if name in Facts.model_fields else ProjectFacts
    literal = next(a for a in get_args(model.model_fields[name].annotation) if a is not type(None))
    return [(LABELS_ZH.get(v, v), v) for v in get_args(literal)]


def fact_label(name: str) -> str:
    if name.startswith("awards_received."):
        _, program_id, part = name.split(".", 2)
        title = next((p.title for p in default_rules().programs if p.id == program_id), program_id)
        return f"{'今年' if part == 'this_year_yuan' else '累计'}已获“{title}”（元）"
    return field_info(name)[0]


def parse_amount(raw: str) -> int | None:
    """A person's amount: 5000000, 5,000,000, 500万, 0.3亿; empty is unknown."""
    text = (raw or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    if text.isdigit():
        return int(text)
    amounts = find_amounts(text if text[-1] in "元万亿" else text + "元")
    if len(amounts) != 1 or amounts[0].yuan < 0:
        raise ValueError("请填写一个金额，如 5000000 或 500万")
    return amounts[0].yuan


def parse_fact_value(name: str, raw: Any) -> Any:
    """A person's text (or a choice's value) for a fact → its typed value; 不清楚 or empty is unknown (None)."""
    if raw is None or isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    if text.lower() in UNKNOWN:
        return None
    kind = fact_kind(name)
    if kind == "bool":
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise ValueError("请回答“是”或“否”")
    if kind == "amount":
        return parse_amount(text)
    if kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError("请按 2026-03-01 的格式填写日期") from exc
    if kind == "choice":
        by_label = {label: value for label, value in fact_choices(name)}
        values = set(by_label.values())
        if text in values:
            return text
        if text in by_label:
            return by_label[text]
        raise ValueError(f"请选择：{'、'.join(by_label)}")
    return text


def set_fact(facts: Facts, name: str, project: int | None, value: Any) -> Facts:
    """A copy of `facts` with one fact set (None: unknown again); a project index past the end adds projects."""
    data = facts.model_dump()
    if name in Facts.model_fields:
        data[name] = value
        return Facts.model_validate(data)
    projects = data["projects"]
    index = max(project or 0, 0)
    while len(projects) <= index:
        projects.append({})
    target = projects[index]
    if name.startswith("awards_received."):
        _, program_id, part = name.split(".", 2)
        if part not in AwardReceived.model_fields:
            raise KeyError(name)
        received = target.setdefault("awards_received", {}).setdefault(program_id, {})
        received[part] = value
    elif name in ProjectFacts.model_fields:
        target[name] = value
    else:
        raise KeyError(name)
    return Facts.model_validate(data)


def get_fact(facts: Facts, name: str, project: int | None) -> Any:
    if name in Facts.model_fields:
        return getattr(facts, name)
    projects = facts.projects
    if project is None or not 0 <= project < len(projects):
        return None
    if name.startswith("awards_received."):
        _, program_id, part = name.split(".", 2)
        received = projects[project].awards_received.get(program_id)
        return getattr(received, part) if received else None
    return getattr(projects[project], name)


def correct_fact(assistant, session_id: str, name: str, project: int | None, raw: Any):
    """Set one fact of one project in a session from a person's text, and assess again (→ (Facts, Assessment))."""
    session = assistant.store.load(session_id)
    facts = set_fact(session.state.facts, name, project, parse_fact_value(name, raw))
    return facts, assistant.correct_facts(session_id, facts)
