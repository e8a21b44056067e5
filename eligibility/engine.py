"""evaluate(facts, on_date) -> Assessment: pure, deterministic, every step typed and naming the article it rests on."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_FLOOR, Decimal
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from eligibility import catalogue
from eligibility.catalogue import Text
from eligibility.facts import Facts, ProjectFacts
from eligibility.rules import Condition, Program, RuleBook, default_rules
from eligibility.steps import FIGURE_KINDS, MissingFact, Step, TotalItem, article_name, render_step, yuan

__all__ = ["Assessment", "ProgramEstimate", "Step", "MissingFact", "article_name", "yuan", "evaluate",
           "default_rules", "assess", "concerns"]
Status = Literal["eligible", "needs_info", "not_eligible"]


class ProgramEstimate(BaseModel):
    program_id: str
    article: str
    title: str
    status: Status
    ceiling_yuan: int | None = Field(description="the most this applicant can get here from its facts")
    cap_yuan: int | None = Field(description="the programme's absolute cap; null when the policy states none")
    missing: list[str] = Field(description="facts still needed, by their Chinese labels")
    # extensions beyond the contract
    steps: list[Step] = Field(default_factory=list, description="the calculation as typed steps")
    missing_facts: list[str] = Field(default_factory=list, description="the same, by fact name")
    missing_info: list[MissingFact] = Field(default_factory=list, description="the same, with labels and questions")
    questions: list[str] = Field(default_factory=list)
    project: str = Field(default="", description="the project's name, or 项目N when there are several")
    project_name: str = Field(default="", description="the project's own name, when it was given one")
    project_index: int = 0
    counted: bool = Field(default=True, description="false when 从高不重复 set this estimate aside, or for reference only")
    responsible_unit: str = ""
    quote: str = ""
    doc_id: str = ""
    title_en: str = ""
    responsible_unit_en: str = ""

    @computed_field(description="the calculation step by step, each naming its article: the steps in Chinese")
    @property
    def trace(self) -> list[str]:
        return [render_step(s) for s in self.steps]

    def title_in(self, lang: str) -> str:
        return self.title_en if lang == "en" and self.title_en else self.title

    def failures(self) -> list[Step]:
        """The steps that rule this programme out."""
        return [s for s in self.steps if s.reason]

    def figure_steps(self) -> list[Step]:
        """The steps that set or change the figure, in order."""
        return [s for s in self.steps if s.kind in FIGURE_KINDS]

    def step(self, kind: str) -> Step | None:
        return next((s for s in self.steps if s.kind == kind), None)


class Assessment(BaseModel):
    estimates: list[ProgramEstimate]
    total_ceiling_yuan: int | None
    follow_up: list[str]
    on_date: dt.date
    total_steps: list[Step] = Field(default_factory=list, description="no-stacking and the total, typed")
    missing: list[MissingFact] = Field(default_factory=list, description="the follow-up facts, typed, same order")

    @computed_field(description="no-stacking and the total, in Chinese")
    @property
    def total_trace(self) -> list[str]:
        return [render_step(s) for s in self.total_steps]


class _Reading:
    """The facts one programme needs, read for one project: known, unknown, or failing."""

    def __init__(self, facts: Facts, project: ProjectFacts, article: str, document: Text | None) -> None:
        self.facts, self.project, self.article, self.document = facts, project, article, document
        self.steps: list[Step] = []
        self.failures: list[Step] = []
        self.missing: list[MissingFact] = []

    def step(self, kind: str, article: str | None = None, **fields) -> Step:
        """A step resting on this programme's article (or another one given), added to the trace."""
        doc = fields.pop("document", self.document if article is None else None)
        step = Step(kind=kind, article=self.article if article is None else article, document=doc, **fields)
        (self.failures if step.reason else self.steps).append(step)
        return step

    def value(self, name: str):
        spec = catalogue.CORE.get(name) or catalogue.find(name)
        owner = self.facts if spec is not None and spec.scope == "applicant" else self.project
        return getattr(owner, name, None)

    def need(self, name: str, label: Text | None = None, question: Text | None = None) -> None:
        spec = catalogue.fact_spec(name) if label is None else None
        self.missing.append(MissingFact(name=name, label=label or spec.label, question=question or spec.question))

    def check(self, condition: Condition, article: str | None = None, document: Text | None = None) -> None:
        value = self.value(condition.fact)
        kw = {"fact": condition.fact, "says": condition.text(), "document": document or self.document}
        if value is None:
            self.need(condition.fact)
        elif condition.test(value):
            self.step("condition_met", article, **kw)
        else:
            self.step("condition_failed", article, value=value, reason="condition_not_met", **kw)


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def assess(book: RuleBook, program: Program, facts: Facts, project: ProjectFacts, on_date: dt.date,
           project_index: int = 0, several_projects: bool = False) -> ProgramEstimate:
    validity = book.policy.validity
    source = book.source(program.id)
    document = Text(zh=source.title, en=source.title_en) if source else None
    starts, ends = program.valid_from or validity.starts, program.valid_until or validity.ends
    reading = _Reading(facts, project, program.article, document)
    amendments = book.amendments_for(program.id, on_date)
    cap = min([program.amount.cap_yuan] + [a.cap_yuan for _, a in amendments if a.cap_yuan]) \
        if program.amount.cap_yuan else None
    name = project.name or ""
    estimate = ProgramEstimate(
        program_id=program.id, article=program.article, title=program.title, title_en=program.title_en,
        status="needs_info", ceiling_yuan=None, cap_yuan=cap, missing=[],
        project=name or (f"项目{project_index + 1}" if several_projects else ""), project_name=name,
        project_index=project_index,
        responsible_unit=program.responsible_unit, responsible_unit_en=program.responsible_unit_en,
        quote=program.quote, doc_id=program.doc_id or book.policy.doc_id)
    reading.step("validity", "closing", on_date=on_date, starts=starts, ends=ends, quote=validity.quote,
                 basis=validity.basis, document=None)
    if not starts <= on_date <= ends:
        reading.step("out_of_validity", "closing", on_date=on_date, starts=starts, ends=ends,
                     reason="outside_validity", document=document)
        return _finish(estimate, reading, None)

    _check_applicant(reading, program)
    for condition in program.conditions:
        reading.check(condition)
    for amendment_file, amendment in amendments:
        doc = Text(zh=amendment_file.title, en=amendment_file.title_en)
        article = amendment.reference.article
        for condition in amendment.add_conditions:
            reading.check(condition, article, doc)
        if amendment.application_window:
            opens, closes = amendment.application_window
            inside = opens <= on_date <= closes
            reading.step("application_window" if inside else "outside_window", article, document=doc,
                         on_date=on_date, starts=opens, ends=closes,
                         reason=None if inside else "outside_application_window")
    if reading.failures:
        return _finish(estimate, reading, None)
    ceiling = _amount(reading, program, amendments, cap)
    if ceiling is not None:
        ceiling = _apply_received(reading, program, ceiling)
    return _finish(estimate, reading, ceiling)


def _finish(estimate: ProgramEstimate, reading: _Reading, ceiling: int | None) -> ProgramEstimate:
    if reading.failures:
        # 0 where the policy states a figure; a programme without one never shows a figure, not even 0
        estimate.status = "not_eligible"
        estimate.ceiling_yuan = None if estimate.cap_yuan is None else 0
        estimate.steps = reading.steps + reading.failures
    else:
        # the figure an amount is computed from is asked for first: it is what the answer most depends on
        reading.missing.sort(key=lambda m: not (m.name.endswith("_yuan") and "." not in m.name))
        estimate.ceiling_yuan = ceiling
        estimate.status = "needs_info" if reading.missing else "eligible"
        if reading.missing and ceiling is not None:
            reading.step("assumption", missing=[m.label for m in reading.missing])
        estimate.steps = reading.steps
        estimate.missing_info = reading.missing
        estimate.missing = [m.label.zh for m in reading.missing]
        estimate.missing_facts = [m.name for m in reading.missing]
        estimate.questions = [m.question.zh for m in reading.missing]
    return estimate


def _check_applicant(reading: _Reading, program: Program) -> None:
    kind = reading.facts.applicant_kind
    allowed = list(program.applicants)
    if kind is None and program.assume_applicant:
        reading.step("applicant_assumed", fact="applicant_kind", applicant=program.assume_applicant, allowed=allowed)
    elif kind is None:
        reading.need("applicant_kind")
    elif kind in program.applicants:
        reading.step("applicant", fact="applicant_kind", applicant=kind, allowed=allowed)
    else:
        reading.step("applicant_failed", fact="applicant_kind", applicant=kind, allowed=allowed,
                     reason="applicant_not_covered")


def _amount(reading: _Reading, program: Program, amendments, cap: int | None) -> int | None:
    amount = program.amount
    if amount.kind == "none":
        reading.step("no_amount", says=Text(zh=amount.support, en=amount.support_en))
        return None
    if amount.kind == "fixed_max":
        reading.step("fixed_max", limit_yuan=cap, result_yuan=cap)
        ceiling = cap
    else:
        rate = min([amount.rate] + [a.rate for _, a in amendments if a.rate]) if amount.rate else None
        base = reading.value(amount.base)
        if base is None:
            reading.need(amount.base)
            reading.step("tiered_unknown" if amount.kind == "tiered" else "formula_unknown",
                         fact=amount.base, rate=rate, limit_yuan=cap)
            return None
        ceiling = _tiered(reading, program, base, cap) if amount.kind == "tiered" else \
            _formula(reading, program, base, rate, cap)
        if ceiling is None:
            return None
    for amendment_file, amendment in amendments:
        doc = Text(zh=amendment_file.title, en=amendment_file.title_en)
        article = amendment.reference.article
        if amendment.rate or amendment.cap_yuan:
            reading.step("amendment", article, document=doc, starts=amendment_file.effective_from,
                         rate=amendment.rate, limit_yuan=amendment.cap_yuan, quote=amendment.reference.quote)
        if amendment.cap_by_fact:
            limit = reading.value(amendment.cap_by_fact)
            if limit is None:
                reading.need(amendment.cap_by_fact)
            elif limit < ceiling:
                reading.step("cap_by_fact", article, document=doc, fact=amendment.cap_by_fact, limit_yuan=limit,
                             raw_yuan=ceiling, result_yuan=limit)
                ceiling = limit
    return ceiling


def _formula(reading: _Reading, program: Program, base: int, rate: float, cap: int) -> int | None:
    if base <= 0:
        reading.step("no_base", fact=program.amount.base, base_yuan=base, reason="no_base")
        return None
    exact = Decimal(base) * Decimal(str(rate))
    raw = _floor(exact)
    result = min(raw, cap)
    reading.step("formula", variant="capped" if raw > cap else "within", fact=program.amount.base, base_yuan=base,
                 rate=rate, raw_yuan=raw, rounded=exact != raw, limit_yuan=cap, result_yuan=result)
    return result


def _tiered(reading: _Reading, program: Program, base: int, cap: int) -> int | None:
    """The award of the highest bracket the base reaches, within the cap."""
    tiers = program.amount.tiers
    reached = [t for t in tiers if base >= t.at_least_yuan]
    if not reached:
        reading.step("below_tiers", fact=program.amount.base, base_yuan=base, threshold_yuan=tiers[0].at_least_yuan,
                     reason="below_tiers")
        return None
    tier = reached[-1]
    result = min(tier.yuan, cap)
    reading.step("tiered", variant="capped" if tier.yuan > cap else "within", fact=program.amount.base,
                 base_yuan=base, threshold_yuan=tier.at_least_yuan, raw_yuan=tier.yuan, limit_yuan=cap,
                 result_yuan=result)
    return result


def _received_missing(program: Program, part: str) -> MissingFact:
    title = Text(zh=program.title, en=program.title_en)
    if part == "one_off":
        return MissingFact(name=f"awards_received.{program.id}.total_yuan",
                           label=Text(zh="此前是否获得过本项一次性奖励", en="whether this one-off award was received before"),
                           question=Text(zh=f"是否已经获得过“{title.zh}”？", en=f"Have you already received the “{title.en}”?"))
    zh, en = {"this_year_yuan": ("今年", "this year"), "total_yuan": ("此前累计", "so far in total")}[part]
    return MissingFact(name=f"awards_received.{program.id}.{part}",
                       label=Text(zh=f"{zh}已获本项奖励金额", en=f"amount of this award received {en}"),
                       question=Text(zh=f"{zh}已经获得“{title.zh}”多少元？",
                                     en=f"How much of the “{title.en}” have you received {en}, in yuan?"))


def _apply_received(reading: _Reading, program: Program, ceiling: int) -> int:
    received = reading.project.awards_received.get(program.id)
    this_year = received.this_year_yuan if received else None
    total = received.total_yuan if received else None
    if program.frequency == "one_off":
        if received and received.received_before and not total:  # "已经拿过那笔一次性奖励了", amount not said
            reading.step("one_off_received", variant="unstated", reason="one_off_received")
        elif total is None:
            reading.missing.append(_received_missing(program, "one_off"))
        elif total > 0:
            reading.step("one_off_received", received_yuan=total, reason="one_off_received")
    for cap, got, part, kind in ((program.annual_cap_yuan, this_year, "this_year_yuan", "annual"),
                                 (program.cumulative_cap_yuan, total, "total_yuan", "cumulative")):
        if not cap:
            continue
        if got is None:
            reading.missing.append(_received_missing(program, part))
            continue
        left = cap - got
        if left <= 0:
            reading.step(f"{kind}_cap_reached", limit_yuan=cap, received_yuan=got, result_yuan=0,
                         reason=f"{kind}_cap_reached")
        elif left < ceiling:
            reading.step(f"{kind}_remainder", limit_yuan=cap, received_yuan=got, raw_yuan=ceiling, result_yuan=left)
            ceiling = left
    return ceiling


def concerns(program: Program, facts: Facts, project: ProjectFacts) -> bool:
    """Whether a known fact of this project makes this programme part of the conversation."""
    reading = _Reading(facts, project, "", None)
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
    for program in book.programs:
        hits = [i for i, p in enumerate(projects) if include_all or concerns(program, facts, p)]
        reference_only = not hits and program.id in wanted and informational
        if not hits and program.id in wanted:
            hits = [0]
        for i in hits:
            estimate = assess(book, program, facts, projects[i], on_date, i, len(projects) > 1)
            if reference_only:
                estimate.counted = False
                estimate.steps.append(Step(kind="reference_only", article=program.article))
            estimates.append(estimate)
    total, total_steps = _no_stacking(estimates, book, len(projects) > 1)
    missing = list({m.question.zh: m for e in estimates for m in e.missing_info}.values())
    return Assessment(estimates=estimates, total_ceiling_yuan=total, total_steps=total_steps,
                      follow_up=[m.question.zh for m in missing], missing=missing, on_date=on_date)


def _no_stacking(estimates: list[ProgramEstimate], book: RuleBook, several: bool) -> tuple[int | None, list[Step]]:
    """Within one project and one exclusivity group only the highest ceiling counts; projects add up."""
    steps: list[Step] = []
    groups: dict[tuple[int, str], list[ProgramEstimate]] = {}
    for e in estimates:
        program = book.program(e.program_id)
        if e.counted and e.status != "not_eligible" and e.ceiling_yuan is not None and program.exclusive_group:
            groups.setdefault((e.project_index, program.exclusive_group), []).append(e)
    for members in groups.values():
        best = max(members, key=lambda e: e.ceiling_yuan)
        for e in members:
            if e is not best:
                e.counted = False
                step = Step(kind="no_stacking", article="closing", quote=book.policy.no_stacking_quote,
                            program_id=e.program_id, title=Text(zh=e.title, en=e.title_en), result_yuan=e.ceiling_yuan,
                            kept_program_id=best.program_id, kept_title=Text(zh=best.title, en=best.title_en),
                            kept_yuan=best.ceiling_yuan, project=e.project_name, project_index=e.project_index,
                            several_projects=several)
                e.steps.append(step)
                steps.append(step)
    counted = [e for e in estimates if e.counted and e.status != "not_eligible" and e.ceiling_yuan is not None]
    if counted:
        total = sum(e.ceiling_yuan for e in counted)
        items = [TotalItem(program_id=e.program_id, title=Text(zh=e.title, en=e.title_en), project=e.project_name,
                           project_index=e.project_index, yuan=e.ceiling_yuan) for e in counted]
        steps.append(Step(kind="total", article="closing", items=items, result_yuan=total))
        return total, steps
    counted_all = [e for e in estimates if e.counted]
    if counted_all and all(e.status == "not_eligible" for e in counted_all) and any(e.ceiling_yuan == 0 for e in counted_all):
        return 0, steps
    return None, steps
