"""evaluate(facts, on_date) -> Assessment: pure, deterministic, every step naming the article it rests on."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from pydantic import BaseModel, Field

from eligibility.facts import LABELS_ZH, Facts, ProjectFacts, field_info
from eligibility.rules import Condition, Program, RuleBook, load_rules

Status = Literal["eligible", "needs_info", "not_eligible"]
CN_NUMBERS = "零一二三四五六七八九十"


def article_name(article: str) -> str:
    """"1" → 第一条, "10" → 第十条, "closing" → 附则."""
    if article.isdigit():
        n = int(article)
        return f"第{CN_NUMBERS[n] if n <= 10 else '十' + CN_NUMBERS[n - 10]}条" if n < 20 else f"第{n}条"
    return {"closing": "附则", "preamble": "序言"}.get(article, article)


def yuan(amount: int) -> str:
    return f"{amount:,} 元"


class ProgramEstimate(BaseModel):
    program_id: str
    article: str
    title: str
    status: Status
    ceiling_yuan: int | None = Field(description="the most this applicant can get here from its facts")
    cap_yuan: int | None = Field(description="the programme's absolute cap; null when the policy states none")
    trace: list[str]
    missing: list[str] = Field(description="facts still needed, by their Chinese labels")
    # extensions beyond the contract
    missing_facts: list[str] = Field(default_factory=list, description="the same, by fact name")
    questions: list[str] = Field(default_factory=list)
    project: str = ""
    counted: bool = Field(default=True, description="false when 从高不重复 set this estimate aside")
    responsible_unit: str = ""
    quote: str = ""
    doc_id: str = ""


class Assessment(BaseModel):
    estimates: list[ProgramEstimate]
    total_ceiling_yuan: int | None
    total_trace: list[str]
    follow_up: list[str]
    on_date: dt.date


class _Reading:
    """The facts one programme needs, read for one project: known, unknown, or failing."""

    def __init__(self, facts: Facts, project: ProjectFacts, article: str) -> None:
        self.facts, self.project, self.article = facts, project, article
        self.trace: list[str] = []
        self.failures: list[str] = []
        self.missing: list[tuple[str, str, str]] = []  # (fact name, label, question)

    def value(self, name: str):
        return getattr(self.facts if name in Facts.model_fields else self.project, name)

    def need(self, name: str, label: str | None = None, question: str | None = None) -> None:
        default_label, default_question = field_info(name) if "." not in name else (name, name)
        self.missing.append((name, label or default_label, question or default_question))

    def check(self, condition: Condition, where: str) -> None:
        value = self.value(condition.fact)
        if value is None:
            self.need(condition.fact)
        elif condition.test(value):
            self.trace.append(f"条件满足：{condition.says}（{where}）")
        else:
            shown = LABELS_ZH.get(value, value) if isinstance(value, str) else ("是" if value is True else "否")
            self.failures.append(f"不符合条件：{condition.says}；已知{field_info(condition.fact)[0]}为“{shown}”（{where}）")


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def assess(book: RuleBook, program: Program, facts: Facts, project: ProjectFacts, on_date: dt.date,
           project_label: str = "") -> ProgramEstimate:
    art = article_name(program.article)
    validity = book.policy.validity
    starts, ends = program.valid_from or validity.starts, program.valid_until or validity.ends
    reading = _Reading(facts, project, art)
    amendments = book.amendments_for(program.id, on_date)
    cap = min([program.amount.cap_yuan] + [a.cap_yuan for _, a in amendments if a.cap_yuan], key=lambda c: c or 0) \
        if program.amount.cap_yuan else None
    estimate = ProgramEstimate(program_id=program.id, article=program.article, title=program.title,
                               status="needs_info", ceiling_yuan=None, cap_yuan=cap, trace=reading.trace, missing=[],
                               project=project_label, responsible_unit=program.responsible_unit,
                               quote=program.quote, doc_id=book.policy.doc_id)
    estimate.trace = reading.trace  # one list: the reading writes the estimate's trace as it goes
    reading.trace.append(f"评估日期 {on_date}；政策有效期 {starts} 至 {ends}（附则：{validity.quote}；{validity.basis}）")
    if not starts <= on_date <= ends:
        return _not_eligible(estimate, f"{on_date} 不在政策有效期 {starts} 至 {ends} 内，不能享受本项政策（附则）")

    _check_applicant(reading, program, art)
    for condition in program.conditions:
        reading.check(condition, art)
    for amendment_file, amendment in amendments:
        where = f"{amendment_file.title}{article_name(amendment.reference.article)}"
        for condition in amendment.add_conditions:
            reading.check(condition, where)
        if amendment.application_window:
            opens, closes = amendment.application_window
            if opens <= on_date <= closes:
                reading.trace.append(f"{on_date} 在申报时间 {opens} 至 {closes} 内（{where}）")
            else:
                reading.failures.append(f"{on_date} 不在申报时间 {opens} 至 {closes} 内（{where}）")
    if reading.failures:
        return _not_eligible(estimate, *reading.failures)

    ceiling = _amount(reading, program, amendments, cap, art)
    if ceiling is not None:
        ceiling = _apply_received(reading, program, ceiling, art)
    if reading.failures:
        return _not_eligible(estimate, *reading.failures)
    estimate.ceiling_yuan = ceiling
    # the figure an amount is computed from is asked for first: it is what the answer most depends on
    reading.missing.sort(key=lambda item: not (item[0].endswith("_yuan") and "." not in item[0]))
    estimate.missing = [label for _, label, _ in reading.missing]
    estimate.missing_facts = [name for name, _, _ in reading.missing]
    estimate.questions = [question for _, _, question in reading.missing]
    estimate.status = "needs_info" if reading.missing else "eligible"
    if reading.missing and ceiling is not None:
        reading.trace.append(f"以上金额以补充的条件均满足为前提：{'、'.join(estimate.missing)}")
    return estimate


def _not_eligible(estimate: ProgramEstimate, *reasons: str) -> ProgramEstimate:
    estimate.trace.extend(reasons)
    # 0 where the policy states a figure; a programme without one never shows a figure, not even 0
    estimate.status, estimate.missing = "not_eligible", []
    estimate.ceiling_yuan = None if estimate.cap_yuan is None else 0
    estimate.missing_facts, estimate.questions = [], []
    return estimate


def _check_applicant(reading: _Reading, program: Program, art: str) -> None:
    kind = reading.facts.applicant_kind
    allowed = "、".join(LABELS_ZH[k] for k in program.applicants)
    if kind is None and program.assume_applicant:
        reading.trace.append(f"申请主体未说明，按{LABELS_ZH[program.assume_applicant]}计（本项面向{allowed}，{art}）")
    elif kind is None:
        reading.need("applicant_kind")
    elif kind in program.applicants:
        reading.trace.append(f"申请主体为{LABELS_ZH[kind]}，属于本项面向的{allowed}（{art}）")
    else:
        reading.failures.append(f"申请主体为{LABELS_ZH[kind]}，本项面向{allowed}（{art}）")


def _amount(reading: _Reading, program: Program, amendments, cap: int | None, art: str) -> int | None:
    amount = program.amount
    if amount.kind == "none":
        reading.trace.append(f"{amount.support}（{art}）")
        return None
    if amount.kind == "fixed_max":
        reading.trace.append(f"本项政策未规定计算公式，最高 {yuan(cap)}（{art}）")
        ceiling = cap
    else:
        rate = min([amount.rate] + [a.rate for _, a in amendments if a.rate])
        base = reading.value(amount.base)
        label = field_info(amount.base)[0].removesuffix("（元）")
        if base is None:
            reading.need(amount.base)
            reading.trace.append(f"金额 = {label} × {rate:.0%}，最高 {yuan(cap)}（{art}）；{label}未知，暂不能计算")
            return None
        if base <= 0:
            reading.failures.append(f"{label}为 {yuan(base)}，没有可计奖励的基数（{art}）")
            return None
        exact = Decimal(base) * Decimal(str(rate))
        raw = _floor(exact)
        rounding = "（按元向下取整）" if exact != raw else ""
        if raw > cap:
            reading.trace.append(f"{label} {yuan(base)} × {rate:.0%} = {yuan(raw)}{rounding}，超过上限 {yuan(cap)}，按上限计（{art}）")
            ceiling = cap
        else:
            reading.trace.append(f"{label} {yuan(base)} × {rate:.0%} = {yuan(raw)}{rounding}，未超过上限 {yuan(cap)}（{art}）")
            ceiling = raw
    for amendment_file, amendment in amendments:
        if amendment.rate or amendment.cap_yuan:
            reading.trace.append(f"自 {amendment_file.effective_from} 起按{amendment_file.title}"
                                 f"{article_name(amendment.reference.article)}：{amendment.reference.quote}")
        if amendment.cap_by_fact:
            limit = reading.value(amendment.cap_by_fact)
            where = f"{amendment_file.title}{article_name(amendment.reference.article)}"
            if limit is None:
                reading.need(amendment.cap_by_fact)
            elif limit < ceiling:
                reading.trace.append(f"奖励不超过{field_info(amendment.cap_by_fact)[0].removesuffix('（元）')} "
                                     f"{yuan(limit)}，按 {yuan(limit)} 计（{where}）")
                ceiling = limit
    return ceiling


def _apply_received(reading: _Reading, program: Program, ceiling: int, art: str) -> int:
    received = reading.project.awards_received.get(program.id)
    this_year = received.this_year_yuan if received else None
    total = received.total_yuan if received else None
    if program.frequency == "one_off":
        if total is None:
            reading.need(f"awards_received.{program.id}.total_yuan", "此前是否获得过本项一次性奖励",
                         f"是否已经获得过“{program.title}”？")
        elif total > 0:
            reading.failures.append(f"本项为一次性奖励，已获得 {yuan(total)}，不能再次享受（{art}）")
    for cap, got, words in ((program.annual_cap_yuan, this_year, ("每年上限", "今年", "今年", "this_year_yuan")),
                            (program.cumulative_cap_yuan, total, ("累计上限", "累计", "此前累计", "total_yuan"))):
        if cap:
            ceiling = _within_cap(reading, program, ceiling, cap, got, words, art)
    return ceiling


def _within_cap(reading: _Reading, program: Program, ceiling: int, cap: int, received: int | None,
                words: tuple[str, str, str, str], art: str) -> int:
    """What is left under one cap: the cap minus what was received; unknown received is a missing fact."""
    cap_name, period, asked_as, part = words
    if received is None:
        reading.need(f"awards_received.{program.id}.{part}", f"{asked_as}已获本项奖励金额",
                     f"{asked_as}已经获得“{program.title}”多少元？")
        return ceiling
    left = cap - received
    if left <= 0:
        reading.failures.append(f"{period}已获 {yuan(received)}，已达{cap_name} {yuan(cap)}（{art}）")
    elif left < ceiling:
        reading.trace.append(f"{cap_name} {yuan(cap)} − {period}已获 {yuan(received)} = {yuan(left)}，按 {yuan(left)} 计（{art}）")
        return left
    return ceiling


def concerns(program: Program, facts: Facts, project: ProjectFacts) -> bool:
    """Whether a known fact of this project makes this programme part of the conversation."""
    reading = _Reading(facts, project, "")
    return any((v := reading.value(t.fact)) is not None and t.test(v) for t in program.triggers)


def evaluate(facts: Facts, on_date: dt.date | None = None, *, rules: RuleBook | None = None,
             program_ids: list[str] | None = None, include_all: bool = False,
             informational: bool = False) -> Assessment:
    """Assess every programme the facts concern (plus `program_ids`, or all), then apply 从高不重复.

    With `informational`, the programmes added by `program_ids` that no fact concerns are listed for
    reference only: what they offer is shown, but they are not counted in the total.
    """
    book = rules or default_rules()
    on_date = on_date or facts.application_date or dt.date.today()
    wanted = set(program_ids or ())
    projects = facts.project_list()
    estimates: list[ProgramEstimate] = []
    for program in book.policy.programs:
        hits = [i for i, p in enumerate(projects) if include_all or concerns(program, facts, p)]
        reference_only = not hits and program.id in wanted and informational
        if not hits and program.id in wanted:
            hits = [0]
        for i in hits:
            label = projects[i].name or (f"项目{i + 1}" if len(projects) > 1 else "")
            estimate = assess(book, program, facts, projects[i], on_date, label)
            if reference_only:
                estimate.counted = False
                estimate.trace.append("尚未提供与本项相关的情况，仅列出政策规定供参考，不计入合计")
            estimates.append(estimate)
    total, total_trace = _no_stacking(estimates, book)
    follow_up = list(dict.fromkeys(q for e in estimates for q in e.questions))
    return Assessment(estimates=estimates, total_ceiling_yuan=total, total_trace=total_trace,
                      follow_up=follow_up, on_date=on_date)


def _no_stacking(estimates: list[ProgramEstimate], book: RuleBook) -> tuple[int | None, list[str]]:
    """Within one project and one exclusivity group only the highest ceiling counts; projects add up."""
    trace: list[str] = []
    groups: dict[tuple[str, str], list[ProgramEstimate]] = {}
    for e in estimates:
        program = book.program(e.program_id)
        if e.counted and e.status != "not_eligible" and e.ceiling_yuan is not None and program.exclusive_group:
            groups.setdefault((e.project, program.exclusive_group), []).append(e)
    for (project, _), members in groups.items():
        best = max(members, key=lambda e: e.ceiling_yuan)
        for e in members:
            if e is not best:
                e.counted = False
                line = (f"{project or '同一项目'}按“从高不重复”原则只计最高的“{best.title}” {yuan(best.ceiling_yuan)}，"
                        f"“{e.title}” {yuan(e.ceiling_yuan)} 不再叠加（附则：{book.policy.no_stacking_quote}）")
                e.trace.append(line)
                trace.append(line)
    counted = [e for e in estimates if e.counted and e.status != "not_eligible" and e.ceiling_yuan is not None]
    if counted:
        total = sum(e.ceiling_yuan for e in counted)
        trace.append("合计 = " + " + ".join(f"{e.title} {yuan(e.ceiling_yuan)}" for e in counted) + f" = {yuan(total)}")
        return total, trace
    counted_all = [e for e in estimates if e.counted]
    if counted_all and all(e.status == "not_eligible" for e in counted_all) and any(e.ceiling_yuan == 0 for e in counted_all):
        return 0, trace
    return None, trace


_DEFAULT: RuleBook | None = None


def default_rules() -> RuleBook:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_rules()
    return _DEFAULT
