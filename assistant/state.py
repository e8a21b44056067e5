"""A conversation's memory: its Facts, where each came from, what is waiting for confirmation or a partner.

`merge` applies one message's `Extraction`: facts into their projects (with the words they came from),
levels that wait for their other year, awards received by year, corrections that re-label an earlier amount,
and amounts whose fact only the conversation suggests — those are asked about, never used unconfirmed.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from assistant.extraction import Extraction, Level, ProjectUpdate, Span
from assistant.understanding.lexicon import Lexicon, default_lexicon
from assistant.understanding.structure import clauses
from assistant.understanding.words import shared_target
from eligibility.facts import Facts, ProjectFacts, fact_spec, known_fact_names
from eligibility.rules import RuleBook, default_rules

YES = re.compile(r"^\s*(是|是的|对|对的|没错|正确|嗯|好的|确认|yes|yep|correct|right|that's right)\b|^\s*(是的|对|没错)", re.I)
NO = re.compile(r"^\s*(不是|不对|错了|no|nope|not)\b|^\s*(不是|不对)", re.I)
QUOTE_CHARS = 60


class FactSource(BaseModel):
    """Where a fact came from: the person's own words (an exact substring of that turn) and any arithmetic."""

    fact: str
    project: int | None = Field(description="index in facts.projects; null for the applicant's own facts")
    value: Any
    turn: int = Field(description="index of the user turn in the session, from 0")
    quote: str
    derivation: str | None = None


class Waiting(BaseModel):
    """A level waiting for its other year, or an amount waiting for the person to confirm its fact."""

    project: int
    fact: str
    value: int
    turn: int
    quote: str
    period: str | None = None  # previous | current, for a level


class ConversationState(BaseModel):
    facts: Facts = Field(default_factory=Facts)
    current_project: int = 0
    asked: list[str] = Field(default_factory=list, description="fact names the last reply asked for")
    last_amount: tuple[int, str] | None = Field(default=None, description="(project, fact) of the last amount set")
    sources: list[FactSource] = Field(default_factory=list)
    levels: list[Waiting] = Field(default_factory=list)
    confirm: list[Waiting] = Field(default_factory=list, description="amounts we asked the person to confirm")
    received_by_year: dict[str, dict[str, dict[str, int]]] = Field(
        default_factory=dict, description="project index → programme → year → yuan received")
    turn: int = 0
    language: str | None = None


def quote_of(message: str, span: Span) -> str:
    """The clause around a span, exactly as written (short enough to read back)."""
    norm_clauses = clauses(message)
    around = next((c for c in norm_clauses if c.start <= span.start < c.end), None)
    start, end = (around.start, max(around.end, span.end)) if around else (span.start, span.end)
    if end - start > QUOTE_CHARS:
        start, end = span.start, span.end
    return message[start:end].strip() or message[span.start:span.end]


def merge(state: ConversationState, extraction: Extraction, rules: RuleBook | None = None, year: int | None = None,
          lexicon: Lexicon | None = None) -> list[str]:
    """Apply one message; returns the names of the facts it changed. `year`: the year awards are judged in."""
    turn, message = state.turn, extraction.message
    state.turn += 1
    facts = state.facts.model_dump()
    projects: list[dict[str, Any]] = facts.pop("projects")
    changed: list[str] = _confirmations(state, message, projects)
    for name, value in extraction.enterprise.items():
        if facts.get(name) != value:
            facts[name] = value
            changed.append(name)
        _source(state, name, None, value, turn, quote_of(message, extraction.enterprise_spans[name]), None)
    current = state.current_project
    for update in extraction.projects:
        if update.is_empty():
            continue
        index = _project_index(projects, update, current)
        current = index
        changed += _apply(state, projects, index, update, turn, message, extraction, lexicon or default_lexicon(), rules)
    try:
        state.facts = Facts.model_validate({**facts, "projects": projects})
    except ValidationError:
        return []  # a value the Facts model refuses never reaches the engine
    state.current_project = min(current, max(0, len(state.facts.projects) - 1))
    _refresh_received(state, rules, state.facts.application_date.year if state.facts.application_date else year)
    return changed


def is_fact(name: str) -> bool:
    return name in known_fact_names()


def _source(state: ConversationState, fact: str, project: int | None, value: Any, turn: int, quote: str,
            derivation: str | None) -> None:
    state.sources = [s for s in state.sources if not (s.fact == fact and s.project == project)]
    if value is not None:
        state.sources.append(FactSource(fact=fact, project=project, value=value, turn=turn, quote=quote, derivation=derivation))


def _project_index(projects: list[dict[str, Any]], update: ProjectUpdate, current: int) -> int:
    if update.name:
        for i, p in enumerate(projects):
            if p.get("name") == update.name:
                return i
        for i, p in enumerate(projects):  # an unnamed project with nothing in it yet takes the name
            if p.get("name") is None and not _has_facts(p):
                p["name"] = update.name
                return i
        if len(projects) == 1 and projects[0].get("name") is None and update.name in {"项目1", "A项目"}:
            projects[0]["name"] = update.name  # "第一块…" after we already talked about it
            return 0
        projects.append({"name": update.name})
        _name_first(projects)
        return len(projects) - 1
    if update.new or not projects:
        projects.append({"name": f"项目{len(projects) + 1}" if projects else None})
        _name_first(projects)
        return len(projects) - 1
    return min(current, len(projects) - 1)


def _name_first(projects: list[dict[str, Any]]) -> None:
    if len(projects) >= 2 and projects[0].get("name") is None:
        projects[0]["name"] = "项目1"


def _has_facts(project: dict[str, Any]) -> bool:
    return any(v not in (None, {}, []) for k, v in project.items() if k != "name")


def _apply(state: ConversationState, projects: list[dict[str, Any]], index: int, update: ProjectUpdate, turn: int,
           message: str, extraction: Extraction, lexicon: Lexicon, rules: RuleBook | None) -> list[str]:
    project, changed = projects[index], []
    said_before = [s.fact for s in state.sources if s.project == index and s.fact.endswith("_yuan") and s.value in update.mentioned]
    for fact, start in update.level_or_value.items():  # a waiting level of the other year makes it the level
        period = update.periods.get(start)
        if period and any(w.project == index and w.fact == fact and w.period != period for w in state.levels):
            span = update.spans.pop(fact)
            update.levels.append(Level(fact, period, update.facts.pop(fact), span))
    for value in update.relabelled:  # "900万是全年销售额": what 900万 was taken for is no longer known
        for source in [s for s in state.sources if s.project == index and s.value == value and s.fact not in update.facts]:
            project[source.fact] = None
            _source(state, source.fact, index, None, turn, "", None)
            changed.append(source.fact)
    for name, value in update.facts.items():
        span = update.spans[name]
        targets = shared_target([], project, lexicon, name) if not is_fact(name) else [name]
        for target in targets:
            if project.get(target) != value:
                project[target] = value
                changed.append(target)
            _source(state, target, index, value, turn, quote_of(message, span), span.derivation)
            if target.endswith("_yuan"):
                state.last_amount = (index, target)
        state.confirm = [w for w in state.confirm if not (w.project == index and w.fact in targets)]
    changed += _levels(state, project, index, update, turn, message)
    changed += _unsure(state, project, index, update, turn, message, extraction, rules, said_before)
    changed += _received(state, project, index, update, turn, message)
    return changed


def _levels(state: ConversationState, project: dict[str, Any], index: int, update: ProjectUpdate, turn: int,
            message: str) -> list[str]:
    """A level waits for the other year's; together they give the fact (3400万 − 2100万)."""
    changed = []
    for level in update.levels:
        state.levels = [w for w in state.levels if not (w.project == index and w.fact == level.fact and w.period == level.period)]
        state.levels.append(Waiting(project=index, fact=level.fact, value=level.value, turn=turn,
                                    quote=quote_of(message, level.span), period=level.period))
        pair = {w.period: w for w in state.levels if w.project == index and w.fact == level.fact}
        if {"previous", "current"} <= pair.keys():
            before, after = pair["previous"], pair["current"]
            value = after.value - before.value
            project[level.fact] = value
            _source(state, level.fact, index, value, turn, quote_of(message, level.span),
                    f"{after.value:,} − {before.value:,}")
            state.last_amount = (index, level.fact)
            changed.append(level.fact)
    return changed


def _unsure(state: ConversationState, project: dict[str, Any], index: int, update: ProjectUpdate, turn: int,
            message: str, extraction: Extraction, rules: RuleBook | None, said_before: list[str]) -> list[str]:
    """An amount with no words for its fact: a level's other year, a part of an amount said before, the answer to
    our question, a correction — or something to confirm before it is used."""
    if not update.unsure:
        return []
    dated = {update.periods.get(r.amount.start): r for r in update.unsure if update.periods.get(r.amount.start)}
    if {"previous", "current"} <= dated.keys():  # 新品去年480万，今年1120万 — a pair of levels, the project says of what
        waiting = {w.fact for w in state.levels if w.project == index}
        fact = next(iter(waiting)) if len(waiting) == 1 else _the_missing_base(project, rules)
        if fact:
            levels = [Level(fact, p, r.amount.yuan, Span(r.amount.start, r.amount.end)) for p, r in dated.items()
                      if p in {"previous", "current"}]
            return _levels(state, project, index, ProjectUpdate(levels=levels), turn, message)
        return []
    reading = update.unsure[-1]
    value, span = reading.amount.yuan, Span(reading.amount.start, reading.amount.end)
    period = update.periods.get(reading.amount.start)
    waiting = {w.fact for w in state.levels if w.project == index}
    if period and len(waiting) == 1:  # 去年那个数说错了，应该是1,280万 / 今年到年底能到三千四百万
        level = Level(next(iter(waiting)), period, value, span)
        return _levels(state, project, index, ProjectUpdate(levels=[level]), turn, message)
    asked = [n for n in state.asked if is_fact(n) and fact_spec(n).type == "int_yuan" and fact_spec(n).scope == "project"]
    if said_before:  # 这260万里还包括60万的服务器，模型本身是200万 / 不是200万，是260万
        fact = said_before[-1]
    elif asked:
        fact = asked[0]
    elif extraction.correction and state.last_amount and state.last_amount[0] == index:
        fact = state.last_amount[1]
    elif candidate := reading.fact or _the_missing_base(project, rules):
        # only the conversation ties it to this fact: ask before using it, and state no figure resting on it
        state.confirm.append(Waiting(project=index, fact=candidate, value=value, turn=turn, quote=quote_of(message, span)))
        return []
    else:
        return []
    project[fact] = value
    _source(state, fact, index, value, turn, quote_of(message, span), None)
    state.last_amount = (index, fact)
    return [fact]


def _the_missing_base(project: dict[str, Any], rules: RuleBook | None) -> str | None:
    """The one amount the programmes this project concerns are computed from, if exactly one is still unknown."""
    from eligibility.engine import concerns

    try:
        facts = ProjectFacts.model_validate(project)
    except ValidationError:
        return None
    bases = {p.amount.base for p in (rules or default_rules()).programs
             if p.amount.base and project.get(p.amount.base) is None and concerns(p, Facts(), facts)}
    return bases.pop() if len(bases) == 1 else None


def _confirmations(state: ConversationState, message: str, projects: list[dict[str, Any]]) -> list[str]:
    """"是的" to "您说的400万是平台年度运营费用吗？" sets it; "不是" drops it."""
    if not state.confirm:
        return []
    waiting, state.confirm = state.confirm, []
    if NO.search(message) or not YES.search(message):
        return []
    changed = []
    for w in waiting:
        if w.project < len(projects):
            projects[w.project][w.fact] = w.value
            _source(state, w.fact, w.project, w.value, w.turn, w.quote, "confirmed")
            changed.append(w.fact)
    return changed


def _received(state: ConversationState, project: dict[str, Any], index: int, update: ProjectUpdate, turn: int,
              message: str) -> list[str]:
    if not (update.received or update.received_none or update.first_time or update.received_unstated):
        return []
    book = state.received_by_year.setdefault(str(index), {})
    program = next((r.program for r in update.received if r.program), None) or "main"
    record = book.setdefault(program, {})
    for reading in update.received:
        record = book.setdefault(reading.program or program, {})
        value = reading.amount.yuan
        if reading.role == "received_each_year" and reading.years:
            for y in reading.years:
                record[str(y)] = value
        elif reading.role == "received_each_year":
            record["total"] = value * (reading.count or 1)
            if reading.this_year:
                record["this_year"] = value
        elif reading.years:
            record[str(reading.years[0])] = value
        elif reading.role == "received_this_year":
            record["this_year"] = value
        else:
            record["total"] = value
        record["turn"] = turn
    if update.received_none == "this_year":
        record.setdefault("this_year", 0)
    elif update.received_none == "total" or (update.first_time and not update.received):
        record.setdefault("this_year", 0)
        record.setdefault("total", 0)
    if update.first_time:
        record["first_time"] = 1
    if update.received_unstated and not update.received:
        record["received_before"] = 1
    project.setdefault("awards_received", {})
    return ["awards_received"]


def _refresh_received(state: ConversationState, rules: RuleBook | None, year: int | None) -> None:
    """What was received, per programme, as the engine reads it: this year's and the total, for `year`."""
    if not state.received_by_year:
        return
    import datetime as dt

    from eligibility.engine import concerns

    book, year = rules or default_rules(), year or dt.date.today().year
    data = state.facts.model_dump()
    for key, programs in state.received_by_year.items():
        index = int(key)
        if index >= len(data["projects"]):
            continue
        project = data["projects"][index]
        facts_of_project = ProjectFacts.model_validate(project)
        capped = [p.id for p in book.programs if (p.annual_cap_yuan or p.cumulative_cap_yuan or p.frequency == "one_off")
                  and concerns(p, state.facts, facts_of_project)]
        for program, record in programs.items():
            target = program if program != "main" else (capped[0] if capped else None)
            if target is None:
                continue
            by_year = {int(k): v for k, v in record.items() if k.isdigit()}
            this_year = record.get("this_year", by_year.get(year, 0 if by_year else None))
            total = record.get("total")
            if by_year:
                total = (total or 0) + sum(v for y, v in by_year.items() if y <= year)
            if total is None and record.get("first_time") and this_year is not None:
                total = this_year
            if total is not None and this_year is not None and total < this_year:
                total = this_year  # what came this year is part of the total
            got = {"this_year_yuan": this_year, "total_yuan": total}
            if record.get("received_before") and book.program(target).frequency == "one_off":
                got["received_before"] = True
            project.setdefault("awards_received", {})[target] = got
    try:
        state.facts = Facts.model_validate(data)
    except ValidationError:
        pass
