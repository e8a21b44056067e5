"""A conversation's memory: its Facts, which project it is on, and what the last reply asked for."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from assistant.extraction import Extraction, ProjectUpdate
from eligibility.facts import AwardReceived, Facts, ProjectFacts

MONEY_FACTS = ["new_product_sales_increment_yuan", "model_purchase_cost_yuan", "platform_operating_cost_yuan"]


class ConversationState(BaseModel):
    facts: Facts = Field(default_factory=Facts)
    current_project: int = 0
    asked: list[str] = Field(default_factory=list, description="fact names the last reply asked for")
    last_amount: tuple[int, str] | None = Field(default=None, description="(project, fact) of the last amount set")


def _main_program(project: ProjectFacts) -> str:
    """The programme an award received most likely belongs to, from what the project is about."""
    if project.platform_level or project.platform_operating_cost_yuan is not None:
        return "innovation-platform-operation"
    if project.model_kind or project.model_purchase_cost_yuan is not None:
        return "vertical-model"
    if project.product_category == "smart_hardware":
        return "smart-hardware-new-product"
    if project.national_enterprise_library:
        return "national-enterprise-library"
    if project.national_excellent_case_or_pilot:
        return "national-excellent-case"
    return "innovation-platform-operation"


def merge(state: ConversationState, extraction: Extraction) -> list[str]:
    """Apply one message's facts to the state; returns the names of the facts it changed."""
    changed: list[str] = []
    facts = state.facts.model_dump()
    projects: list[dict[str, Any]] = facts.pop("projects")
    for name, value in extraction.enterprise.items():
        if facts.get(name) != value:
            facts[name] = value
            changed.append(name)
    current = state.current_project
    for update in extraction.projects:
        if update.is_empty():
            continue
        index = _project_index(projects, update, current)
        current = index
        changed += _apply(projects[index], update, index, state)
    if extraction.unbound_amounts and projects:
        changed += _apply_unbound(projects, extraction, state)
    try:
        state.facts = Facts.model_validate({**facts, "projects": projects})
    except ValidationError:
        return []  # a value the Facts model refuses never reaches the engine
    state.current_project = min(current, max(0, len(state.facts.projects) - 1))
    return changed


def _project_index(projects: list[dict[str, Any]], update: ProjectUpdate, current: int) -> int:
    if update.name:
        for i, p in enumerate(projects):
            if p.get("name") == update.name:
                return i
        for i, p in enumerate(projects):  # an unnamed project with nothing in it yet takes the name
            if p.get("name") is None and not _has_facts(p):
                p["name"] = update.name
                return i
        projects.append({"name": update.name})
        return len(projects) - 1
    if update.new or not projects:
        projects.append({"name": f"项目{len(projects) + 1}" if projects else None})
        if len(projects) == 2 and projects[0].get("name") is None:
            projects[0]["name"] = "项目1"
        return len(projects) - 1
    return min(current, len(projects) - 1)


def _has_facts(project: dict[str, Any]) -> bool:
    return any(v not in (None, {}, []) for k, v in project.items() if k != "name")


def _apply(project: dict[str, Any], update: ProjectUpdate, index: int, state: ConversationState) -> list[str]:
    changed = []
    for name, value in update.facts.items():
        if name == "own_ip":
            targets = ["model_own_ip"] if project.get("model_kind") or update.facts.get("model_kind") else []
            if project.get("product_category") == "ai_software" or update.facts.get("product_category") == "ai_software":
                targets.append("software_own_ip")
            for target in targets or ["model_own_ip", "software_own_ip"]:
                project[target] = value
                changed.append(target)
            continue
        if project.get(name) != value:
            project[name] = value
            changed.append(name)
        if name in MONEY_FACTS:
            state.last_amount = (index, name)
    if not (update.received_none or update.received):
        return changed
    awards = project.setdefault("awards_received", {})
    main = _main_program(ProjectFacts.model_validate({**project, "awards_received": {}}))
    if update.received_none:
        record = awards.setdefault(main, {})
        record["this_year_yuan"] = 0
        if update.received_none == "total":
            record["total_yuan"] = 0
        changed.append("awards_received")
    for program, period, yuan in update.received:
        record = awards.setdefault(program or main, dict(AwardReceived().model_dump()))
        record[f"{period}_yuan"] = yuan
        if period == "this_year" and record.get("total_yuan") is not None and record["total_yuan"] < yuan:
            record["total_yuan"] = yuan  # what came this year is part of the total
        changed.append("awards_received")
    return changed


def _apply_unbound(projects: list[dict[str, Any]], extraction: Extraction, state: ConversationState) -> list[str]:
    """An amount with no words around it: a correction of the last amount, or the answer to our question."""
    value = extraction.unbound_amounts[-1]
    if extraction.correction and state.last_amount:
        index, name = state.last_amount
    else:
        asked = [n for n in state.asked if n in MONEY_FACTS]
        if not asked:
            return []
        index, name = min(state.current_project, len(projects) - 1), asked[0]
    projects[index][name] = value
    state.last_amount = (index, name)
    return [name]
