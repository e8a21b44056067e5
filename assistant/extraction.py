"""Understanding one message: what it says, for which project, whether it corrects — each fact with its words.

The output is a typed `Extraction`; `assistant.state` merges it into a session. Nothing here decides an award.
Words come from the lexicon (`eligibility/lexicon/`), amount roles from a classifier trained on a labelled
corpus (`assistant.understanding.roles`), and every fact keeps the span of the message it came from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from assistant.amounts import Amount, find_amounts, find_percentages, normalise
from assistant.understanding.lexicon import Lexicon, default_lexicon
from assistant.understanding.money import AmountReading, read_amount
from assistant.understanding.roles import classifier_for
from assistant.understanding.structure import Segment, clauses, segments
from assistant.understanding.words import negated, shared_target, word_facts
from eligibility.facts import Facts

APPLICATION_DATE = re.compile(r"(?P<y>20\d{2})\s*[年\-/.]\s*(?P<m>\d{1,2})\s*(月|[\-/.])?\s*((?P<d>\d{1,2})\s*[日号]?)?")
APPLICANT_FACTS = set(Facts.model_fields) - {"projects"}
GROWTH = re.compile(r"增长|增加|涨|growth|increase|grew|up", re.I)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    derivation: str | None = None


@dataclass(frozen=True)
class Level:
    """An earlier or later level of the quantity a fact is the difference of (去年卖了1900万)."""

    fact: str
    period: str  # previous | current
    value: int
    span: Span


@dataclass
class ProjectUpdate:
    name: str | None = None  # "A项目", "项目2"; None: the project the conversation is on
    new: bool = False  # 另一个项目
    facts: dict[str, Any] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)
    levels: list[Level] = field(default_factory=list)
    received: list[AmountReading] = field(default_factory=list)
    received_none: str | None = None  # "this_year" or "total": nothing received
    first_time: bool = False  # 第一年申报: nothing received before this year
    excluded: list[AmountReading] = field(default_factory=list)
    unsure: list[AmountReading] = field(default_factory=list)  # an amount whose fact only the conversation suggests
    relabelled: list[int] = field(default_factory=list)  # a correction says these amounts were something else
    confidence: dict[str, float] = field(default_factory=dict)  # of the amount each money fact was read from

    def set(self, fact: str, value: Any, span: Span) -> None:
        self.facts[fact] = value
        self.spans[fact] = span

    def is_empty(self) -> bool:
        return not (self.facts or self.levels or self.received or self.received_none or self.first_time
                    or self.unsure or self.relabelled)


@dataclass
class Extraction:
    message: str = ""
    enterprise: dict[str, Any] = field(default_factory=dict)
    enterprise_spans: dict[str, Span] = field(default_factory=dict)
    projects: list[ProjectUpdate] = field(default_factory=list)
    claims: list[Amount] = field(default_factory=list)  # figures someone demands: never facts
    correction: bool = False
    injection: bool = False
    procedural: bool = False
    language: str = "zh"

    @property
    def unbound_amounts(self) -> list[int]:
        return [r.amount.yuan for p in self.projects for r in p.unsure]

    def has_facts(self) -> bool:
        return bool(self.enterprise or any(not p.is_empty() for p in self.projects))


def language_of(text: str) -> str:
    return "zh" if len(re.findall(r"[\u4e00-\u9fff]", text)) >= 2 else "en"


def extract(message: str, lexicon: Lexicon | None = None) -> Extraction:
    lexicon = lexicon or default_lexicon()
    norm = normalise(message.strip() and message)
    result = Extraction(message=message, language=language_of(message), correction=bool(lexicon.correction.search(norm)),
                        injection=bool(lexicon.injection.search(norm)), procedural=bool(lexicon.procedural.search(norm)))
    _enterprise(norm, lexicon, result)
    amounts = find_amounts(message)
    guesses = classifier_for(lexicon).guess(message, amounts)
    parts = segments(norm, lexicon)
    for segment in parts:
        update = ProjectUpdate(name=segment.name, new=segment.new)
        found_here = word_facts(norm, segment.start, segment.end, lexicon)
        for found in found_here:
            for fact in _targets(found, found_here, norm, lexicon):
                update.set(fact, found.value, Span(found.start, found.end))
        _decrease_without_amount(norm, segment, lexicon, update)
        mine = [(a, g) for a, g in zip(amounts, guesses, strict=True) if segment.start <= a.start < segment.end]
        for amount, guess in mine:
            _place(read_amount(norm, amount, guess, lexicon, segment.start), norm, lexicon, update, result)
        _received_words(norm[segment.start:segment.end], lexicon, update)
        _derive(norm, update, lexicon)
        result.projects.append(update)
    return result


def _targets(found, found_here, norm: str, lexicon: Lexicon) -> list[str]:
    """The facts one reading sets: itself, or for a shared phrase (自主知识产权) the facts its clause names."""
    shared = [w for w in lexicon.word_facts if w.shared_as == found.fact]
    if not shared:
        return [found.fact]
    clause = next((c.text for c in clauses(norm) if c.start <= found.start < c.end), "")
    named = [w.fact for w in shared if w.near and re.search(w.near, clause, re.I)]
    return named or shared_target(found_here, {}, lexicon, found.fact)


def _enterprise(norm: str, lexicon: Lexicon, result: Extraction) -> None:
    for applicant in lexicon.applicant:
        if m := re.search(applicant.pattern, norm, re.I):
            result.enterprise["applicant_kind"] = applicant.value
            result.enterprise_spans["applicant_kind"] = Span(*m.span())
            break
    for clause in clauses(norm):
        if lexicon.registered and (m := re.search(lexicon.registered.pattern, clause.text, re.I)):
            if not lexicon.question.search(clause.text):
                result.enterprise[lexicon.registered.fact] = not negated(lexicon, clause.text, m.start())
                result.enterprise_spans[lexicon.registered.fact] = Span(clause.start + m.start(), clause.start + m.end())
        if lexicon.apply_words.search(clause.text) and (m := APPLICATION_DATE.search(clause.text)):
            try:
                result.enterprise["application_date"] = dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d") or 1))
                result.enterprise_spans["application_date"] = Span(clause.start + m.start(), clause.start + m.end())
            except ValueError:
                pass


def _decrease_without_amount(norm: str, segment: Segment, lexicon: Lexicon, update: ProjectUpdate) -> None:
    """今年新品销售额下降了: no increment to reward, even with no figure."""
    for clause in clauses(norm, segment.start, segment.end):
        m = lexicon.decrease.search(clause.text)
        if m and not find_amounts(clause.text) and not lexicon.question.search(clause.text):
            for spec in lexicon.amount_facts:
                if spec.quantity and re.search(spec.quantity, clause.text, re.I):
                    update.set(spec.fact, 0, Span(clause.start, clause.end))


def _place(reading: AmountReading, norm: str, lexicon: Lexicon, update: ProjectUpdate, result: Extraction) -> None:
    amount, role = reading.amount, reading.role
    span = Span(amount.start, amount.end)
    if role == "claim":
        result.claims.append(amount)
    elif role.startswith("received"):
        update.received.append(reading)
    elif role == "excluded":
        update.excluded.append(reading)
        if result.correction:
            update.relabelled.append(amount.yuan)
    elif role in {"previous", "current"} and reading.fact:
        update.levels.append(Level(reading.fact, role, amount.yuan, span))
        if result.correction:
            update.relabelled.append(amount.yuan)
    elif role in {"value", "delta"} and reading.fact and reading.certain:
        if update.confidence.get(reading.fact, 0) > reading.confidence:
            return  # two amounts for one fact: the surer reading stands
        update.confidence[reading.fact] = reading.confidence
        value = amount.yuan
        if role == "delta" and lexicon.decrease.search(norm[max(0, amount.start - 8):amount.start]):
            value = -value
        if reading.fact in APPLICANT_FACTS:  # 纳税: the applicant's, not a project's
            result.enterprise[reading.fact], result.enterprise_spans[reading.fact] = value, span
        else:
            update.set(reading.fact, value, span)
    elif role in {"value", "delta"}:
        update.unsure.append(reading)
    elif role == "other" and result.correction:
        update.relabelled.append(amount.yuan)


def _received_words(text: str, lexicon: Lexicon, update: ProjectUpdate) -> None:
    if re.search(lexicon.received.first_time, text, re.I):
        update.first_time = True
    if m := re.search(lexicon.received.none, text, re.I):
        clause_start = max([0] + [c.end() for c in re.finditer(r"[，。；;,]", text[:m.start()])])
        said = text[clause_start:m.end()]
        update.received_none = "this_year" if re.search(lexicon.received.this_year, said, re.I) else "total"


def _derive(norm: str, update: ProjectUpdate, lexicon: Lexicon) -> None:
    """Two levels of one quantity in one message give the fact: 3200万 − 1900万; a growth rate, likewise."""
    for fact in dict.fromkeys(level.fact for level in update.levels):
        levels = [lv for lv in update.levels if lv.fact == fact]
        previous = [lv for lv in levels if lv.period == "previous"]
        current = [lv for lv in levels if lv.period == "current"]
        if previous and current and fact not in update.facts:
            before, after = previous[-1], current[-1]
            start, end = min(before.span.start, after.span.start), max(before.span.end, after.span.end)
            update.set(fact, after.value - before.value,
                       Span(start, end, f"{after.value:,} − {before.value:,}"))
        elif previous and fact not in update.facts:
            for fraction, p_start, p_end in find_percentages(norm):
                if p_start > previous[-1].span.start and GROWTH.search(norm[previous[-1].span.end:p_end + 4]):
                    value = int(previous[-1].value * fraction)
                    update.set(fact, value, Span(previous[-1].span.start, p_end,
                                                 f"{previous[-1].value:,} × {fraction * 100:g}%"))
                    break
    if update.facts.keys() & {lv.fact for lv in update.levels}:
        update.levels = [lv for lv in update.levels if lv.fact not in update.facts]
