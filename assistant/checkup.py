"""政策体检 (the self-check): a short questionnaire generated from the rules, then every programme that fits.

Nothing here names a programme or a fact. The person picks, per project, the programmes that may concern it
(offered from the rules, filtered by who may apply); the questions are then the facts the engine still
misses for those programmes, in the order the rules state their conditions, each asked once however many
programmes need it. A programme ruled out by an answer asks nothing more; "不清楚" skips a question. A
choice implied by the programme picked (智能硬件新产品 → 产品类别 = 智能硬件) is taken, not asked. So a
programme added to `eligibility/rules/` brings its own questions, and the figures are the engine's.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from pydantic import BaseModel, Field

from assistant.corrections import fact_choices, fact_kind, fact_label, get_fact, parse_fact_value, set_fact
from eligibility.engine import Assessment, ProgramEstimate, article_name, assess, evaluate
from eligibility.facts import Facts
from eligibility.rules import Program, RuleBook
from eligibility.steps import Step


class Question(BaseModel):
    key: str = Field(description="'<project>|<fact>'; the project is empty for the applicant's own facts")
    fact: str
    project: int | None
    project_label: str
    label: str
    text: str
    kind: str = Field(description="choice, bool, amount, date or text")
    choices: list[tuple[str, str]] = Field(default_factory=list, description="(label, value) of a choice")
    programs: list[str] = Field(default_factory=list, description="titles of the programmes that need it")


class Checkup(BaseModel):
    """What the person said so far: the facts, the programmes chosen per project, the questions skipped."""

    facts: Facts = Field(default_factory=Facts)
    programs: list[list[str]] = Field(default_factory=list, description="programme ids per project, by index")
    skipped: list[str] = Field(default_factory=list)
    on_date: dt.date | None = None


class Lever(BaseModel):
    """A figure the person can change to see a ceiling move (what-if)."""

    key: str
    label: str
    current: int | None
    note: str = Field(description="where the ceiling stops moving, in words")


def key_of(project: int | None, fact: str) -> str:
    return f"{'' if project is None else project}|{fact}"


def split_key(key: str) -> tuple[int | None, str]:
    project, fact = key.split("|", 1)
    return (int(project) if project else None), fact


def open_to(program: Program, applicant_kind: str | None) -> bool:
    return applicant_kind is None or applicant_kind in program.applicants


def program_choices(book: RuleBook, applicant_kind: str | None) -> list[tuple[str, str]]:
    """(label, id) of every programme this kind of applicant may apply for, in the policy's order."""
    return [(f"{p.title}（{article_name(p.article)}）", p.id) for p in book.programs if open_to(p, applicant_kind)]


def project_label(facts: Facts, index: int) -> str:
    """The engine's name for a project: its name, else 项目N when there are several."""
    project = facts.projects[index]
    return project.name or (f"项目{index + 1}" if len(facts.projects) > 1 else "")


def start(applicant_kind: str | None, on_date: dt.date | None = None) -> Checkup:
    return Checkup(facts=Facts(applicant_kind=applicant_kind), on_date=on_date)


def add_project(book: RuleBook, checkup: Checkup, name: str | None, program_ids: list[str]) -> Checkup:
    """A new project with the programmes picked for it; a choice those programmes imply is taken as answered."""
    index = len(checkup.facts.projects)
    data = checkup.facts.model_dump()
    data["projects"].append({"name": (name or "").strip() or None})
    facts = Facts.model_validate(data)
    for fact, value in _implied(book, program_ids).items():
        facts = set_fact(facts, fact, index, value)
    return checkup.model_copy(update={"facts": facts, "programs": [*checkup.programs, list(program_ids)]})


def _implied(book: RuleBook, program_ids: list[str]) -> dict[str, str]:
    """Facts fixed by the picks: a trigger of one allowed value, not contradicted by another pick of the project."""
    seen: dict[str, set[str]] = {}
    for pid in program_ids:
        for trigger in book.program(pid).triggers:
            if trigger.in_ and len(trigger.in_) == 1:
                seen.setdefault(trigger.fact, set()).add(trigger.in_[0])
    return {fact: values.pop() for fact, values in seen.items() if len(values) == 1}


def _fact_order(program: Program) -> list[str]:
    names = [c.fact for c in program.conditions]
    if program.amount.base:
        names.append(program.amount.base)
    return names


def _estimate(book: RuleBook, checkup: Checkup, index: int, program_id: str) -> ProgramEstimate:
    on_date = checkup.on_date or dt.date.today()
    facts = checkup.facts
    return assess(book, book.program(program_id), facts, facts.projects[index], on_date, index, len(facts.projects) > 1)


def questions(book: RuleBook, checkup: Checkup) -> list[Question]:
    """Every question still worth asking, the next one first."""
    found: dict[str, Question] = {}
    for index, program_ids in enumerate(checkup.programs):
        for pid in program_ids:
            program = book.program(pid)
            estimate = _estimate(book, checkup, index, pid)
            order = _fact_order(program)
            asked = sorted(zip(estimate.missing_facts, estimate.missing, estimate.questions, strict=True),
                           key=lambda item: order.index(item[0]) if item[0] in order else len(order))
            for fact, label, text in asked:
                project = None if fact in Facts.model_fields else index
                key = key_of(project, fact)
                if key in checkup.skipped:
                    continue
                if key not in found:
                    found[key] = Question(key=key, fact=fact, project=project, label=label, text=text,
                                          project_label="" if project is None else project_label(checkup.facts, index),
                                          kind=fact_kind(fact), choices=fact_choices(fact))
                if program.title not in found[key].programs:
                    found[key].programs.append(program.title)
    return list(found.values())


def answer(checkup: Checkup, key: str, raw: Any) -> Checkup:
    """Take one answer; "不清楚" (or nothing) skips the question. A malformed answer raises ValueError."""
    project, fact = split_key(key)
    value = parse_fact_value(fact, raw)
    if value is None:
        return checkup.model_copy(update={"skipped": [*checkup.skipped, key]})
    return checkup.model_copy(update={"facts": set_fact(checkup.facts, fact, project, value),
                                      "skipped": [k for k in checkup.skipped if k != key]})


def result(book: RuleBook, checkup: Checkup) -> Assessment:
    """The engine on the facts given (as `/v1/estimate` would answer), plus any programme picked that no
    answer made concern its project, listed for reference and not counted."""
    assessment = evaluate(checkup.facts, checkup.on_date or dt.date.today(), rules=book)
    listed = {(e.project, e.program_id) for e in assessment.estimates}
    for index, program_ids in enumerate(checkup.programs):
        for pid in program_ids:
            if (project_label(checkup.facts, index), pid) in listed:
                continue
            estimate = _estimate(book, checkup, index, pid)
            if estimate.status != "not_eligible":
                estimate.counted = False
                estimate.steps.append(Step(kind="reference_only", article=estimate.article))  # listed, not counted
            assessment.estimates.append(estimate)
    return assessment


def levers(book: RuleBook, checkup: Checkup, assessment: Assessment) -> list[Lever]:
    """The amounts that move a ceiling: each rate's base (and where its cap is reached), and what a capped
    programme already received (and what is left of its cap)."""
    found: dict[str, Lever] = {}
    labels = {project_label(checkup.facts, i): i for i in range(len(checkup.facts.projects))}
    for e in assessment.estimates:
        index = labels.get(e.project, 0) if checkup.facts.projects else None
        if index is None:
            continue
        program = book.program(e.program_id)
        where = f"{e.project}·{e.title}" if e.project else e.title
        if program.amount.kind == "rate_of_base" and e.cap_yuan:
            fact = program.amount.base
            found.setdefault(key_of(index, fact), Lever(
                key=key_of(index, fact), label=f"{where}：{fact_label(fact)}", current=get_fact(checkup.facts, fact, index),
                note=_cap_point(book, checkup, index, program, fact, e.cap_yuan)))
        for cap, part, period in ((program.annual_cap_yuan, "this_year_yuan", "今年"),
                                  (program.cumulative_cap_yuan, "total_yuan", "累计")):
            if not cap:
                continue
            fact = f"awards_received.{program.id}.{part}"
            got = get_fact(checkup.facts, fact, index)
            left = f"，还剩 {cap - got:,} 元" if got is not None and got < cap else ("，已用完" if got is not None else "")
            found.setdefault(key_of(index, fact), Lever(
                key=key_of(index, fact), label=f"{where}：{period}已获本项奖励（元）", current=got,
                note=f"{period}上限 {cap:,} 元" + (f"；已获 {got:,} 元{left}" if got is not None else "")))
    return list(found.values())


def _cap_point(book: RuleBook, checkup: Checkup, index: int, program: Program, fact: str, cap: int) -> str:
    """The base at which the cap is reached, checked with the engine (said only if the engine agrees)."""
    rate = program.amount.rate or 0
    point = math.ceil(cap / rate) if rate else 0
    trial = checkup.model_copy(update={"facts": set_fact(checkup.facts, fact, index, point)})
    below = checkup.model_copy(update={"facts": set_fact(checkup.facts, fact, index, point - 1)})
    at, under = _estimate(book, trial, index, program.id), _estimate(book, below, index, program.id)
    name = fact_label(fact).removesuffix("（元）")
    if at.status == "not_eligible" or at.ceiling_yuan is None or under.ceiling_yuan is None or not under.ceiling_yuan < at.ceiling_yuan:
        return f"按{name}的 {program.amount.rate:.0%} 计，最高 {cap:,} 元"
    return f"{name}达到 {point:,} 元时即达上限 {at.ceiling_yuan:,} 元，再多也不增加"


def what_if(book: RuleBook, checkup: Checkup, key: str, raw: Any) -> tuple[Assessment, Assessment]:
    """(now, if this amount were different): the same questionnaire, one figure changed."""
    project, fact = split_key(key)
    changed = checkup.model_copy(update={"facts": set_fact(checkup.facts, fact, project, parse_fact_value(fact, raw))})
    return result(book, checkup), result(book, changed)
