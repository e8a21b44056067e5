"""Understanding one message: what it says, for which project, whether it corrects — each fact with its words.

The output is a typed `Extraction`; `assistant.state` merges it into a session. Nothing here decides an award.
Words come from the lexicon (`eligibility/lexicon/`), amount roles from a classifier trained on a labelled
corpus (`assistant.understanding.roles`), and every fact keeps the span of the message it came from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.amounts import Amount, find_amounts, find_percentages, normalise
from assistant.understanding.lexicon import Lexicon, default_lexicon
from assistant.understanding.money import AmountReading, read_amount
from assistant.understanding.roles import classifier_for
from assistant.understanding.structure import Segment, clauses, segments
from assistant.understanding.words import negated, shared_target, word_facts
from eligibility.facts import ProjectFacts, fact_spec
from eligibility.rules import RuleBook, default_rules

MONTHS = {m: i + 1 for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                           "september", "october", "november", "december"])}
EN_DATE = re.compile(r"(?P<m>january|february|march|april|may|june|july|august|september|october|november|december)\s*"
                     r"(?P<d>\d{1,2})?,?\s*(?P<y>20\d{2})", re.I)
APPLICATION_DATE = re.compile(r"(?P<y>20\d{2})\s*[年\-/.]\s*((?P<m>\d{1,2})\s*(月|[\-/.])?\s*((?P<d>\d{1,2})\s*[日号]?)?|(?P<part>初|底|末|年中|上半年|下半年))")
PART_OF_YEAR = {"初": 1, "上半年": 3, "年中": 6, "下半年": 9, "底": 12, "末": 12}
RELATIVE_YEAR = [(re.compile(r"前年|the year before last", re.I), -2), (re.compile(r"去年|上年|上一年|last year", re.I), -1),
                 (re.compile(r"今年|本年|this year", re.I), 0), (re.compile(r"明年|next year", re.I), 1)]
SENTENCE_MARK = r"[。；;！!？?\n]"
RESTATED = re.compile(r"^\s*(其实|实际上?|应该|应当)?\s*(是|为|改为|更正为)\s*$")  # 去年不是900万，是1100万
COMPARED = re.compile(r"(比|较|相比|than|compared with)\s*$", re.I)
RIGHT_YEAR = re.compile(r"\s*(?:in|for|during)?\s*\(?(?:(20\d{2})|(last year|the previous year|the year before)|(this year))", re.I)
EXPLICIT_YEAR = re.compile(r"(20\d{2})\s*年|(?:in|for) (20\d{2})", re.I)
AWARD_WORD = re.compile(r"奖励|补贴|奖金|资助|award|subsidy|grant", re.I)
PART_OF = re.compile(r"其中|里面|里头|当中|包括|包含|含|of which|including", re.I)
UNSURE_VALUE = 0.65  # below this, a dated amount may be a level rather than the fact itself
NOT_BEFORE = re.compile(r"(不是|并非|而不是|not)\s*$", re.I)
GROWTH = re.compile(r"增长|增加|成长|涨|提升|growth|increase|grew|up", re.I)


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
    received_unstated: bool = False  # 已经拿过那笔奖励了: received, amount not said
    excluded: list[AmountReading] = field(default_factory=list)
    unsure: list[AmountReading] = field(default_factory=list)  # an amount whose fact only the conversation suggests
    relabelled: list[int] = field(default_factory=list)  # a correction says these amounts were something else
    confidence: dict[str, float] = field(default_factory=dict)  # of the amount each money fact was read from
    periods: dict[int, str] = field(default_factory=dict)  # an unsure amount's period (previous|current) by its start
    mentioned: list[int] = field(default_factory=list)  # every amount of this part, to recognise one said before
    level_or_value: dict[str, int] = field(default_factory=dict)  # a fact read with little confidence from a dated amount

    def set(self, fact: str, value: Any, span: Span) -> None:
        self.facts[fact] = value
        self.spans[fact] = span

    def is_empty(self) -> bool:
        return not (self.facts or self.levels or self.received or self.received_none or self.first_time or self.received_unstated
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


def extract(message: str, lexicon: Lexicon | None = None, rules: RuleBook | None = None) -> Extraction:
    """One message read with a lexicon (default: the bundled one) against the rules in force."""
    lexicon, rules = lexicon or default_lexicon(), rules or default_rules()
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
            value = message[found.start:found.end] if found.value == norm[found.start:found.end] else found.value
            for fact in _targets(found, found_here, norm, lexicon):
                update.set(fact, value, Span(found.start, found.end))
        _decrease_without_amount(norm, segment, lexicon, update)
        mine = [(a, g) for a, g in zip(amounts, guesses, strict=True) if segment.start <= a.start < segment.end]
        readings = [read_amount(norm, a, g, lexicon, segment.start) for a, g in mine]
        readings = _ordered_by_year(norm, readings, update, lexicon, rules)
        for reading in readings:
            _place(reading, norm, lexicon, update, result)
        _zero_words(norm, segment, lexicon, update, rules)
        _parts_left_out(norm, update)
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
        sentence = _sentence_of(norm, clause.start)
        if lexicon.apply_words.search(sentence) and (m := EN_DATE.search(clause.text)):
            try:
                result.enterprise["application_date"] = dt.date(int(m.group("y")), MONTHS[m.group("m").lower()], int(m.group("d") or 1))
                result.enterprise_spans["application_date"] = Span(clause.start + m.start(), clause.start + m.end())
            except ValueError:
                pass
        elif lexicon.apply_words.search(sentence) and (m := APPLICATION_DATE.search(clause.text)):
            try:
                month = int(m.group("m")) if m.group("m") else PART_OF_YEAR[m.group("part")]
                result.enterprise["application_date"] = dt.date(int(m.group("y")), month, int(m.group("d") or 1))
                result.enterprise_spans["application_date"] = Span(clause.start + m.start(), clause.start + m.end())
            except ValueError:
                pass


def _sentence_of(norm: str, at: int) -> str:
    start = max([0] + [m.end() for m in re.finditer(r"[。；;！!？?\n]", norm[:at])])
    end = re.search(r"[。；;！!？?\n]", norm[at:])
    return norm[start:at + end.start() if end else len(norm)]


def _anchor(norm: str, amount: Amount, within: str = r"[，,。；;！!？?\n]") -> tuple[str, int] | None:
    """The year an amount belongs to, by the nearest year word in its clause: ("year", 2025) or ("rel", -1)."""
    lo = max([0] + [m.end() for m in re.finditer(within, norm[:amount.start])])
    left = norm[lo:amount.start]
    found = [(m.end(), ("year", int(m.group(1) or m.group(2)))) for m in EXPLICIT_YEAR.finditer(left)
             if not COMPARED.search(left[:m.start()])]
    found += [(m.end(), ("rel", shift)) for pattern, shift in RELATIVE_YEAR for m in pattern.finditer(left)
              if not COMPARED.search(left[:m.start()])]  # 今年比上年多卖: 上年 is what it is compared with
    if found:
        return max(found)[1]
    after = RIGHT_YEAR.match(norm, amount.end)  # English: "RMB 12.4 million in 2025", "RMB 9.8 million this year"
    if after:
        return ("year", int(after.group(1))) if after.group(1) else ("rel", -1 if after.group(2) else 0)
    return None


def _decrease_without_amount(norm: str, segment: Segment, lexicon: Lexicon, update: ProjectUpdate) -> None:
    """今年新品销售额下降了: no increment to reward, even with no figure."""
    for clause in clauses(norm, segment.start, segment.end):
        m = lexicon.decrease.search(clause.text)
        if m and not find_amounts(clause.text) and not lexicon.question.search(clause.text):
            for spec in lexicon.amount_facts:
                if spec.quantity and re.search(spec.quantity, clause.text, re.I):
                    update.set(spec.fact, 0, Span(clause.start, clause.end))


def _suggested(update: ProjectUpdate, lexicon: Lexicon, rules: RuleBook) -> str | None:
    """The one derivable amount fact the project's own words point to (a hardware project: its sales increment)."""
    try:
        project = ProjectFacts.model_validate({k: v for k, v in update.facts.items() if k in ProjectFacts.model_fields})
    except ValueError:
        return None
    bases = {p.amount.base for p in rules.programs if p.amount.base and any(
        (v := getattr(project, t.fact, None)) is not None and t.test(v) for t in p.triggers)}
    derivable = [f for f in bases if f in lexicon.amount_fact_names and lexicon.amount(f).quantity]
    return derivable[0] if len(derivable) == 1 else None


def _ordered_by_year(norm: str, readings: list[AmountReading], update: ProjectUpdate, lexicon: Lexicon,
                     rules: RuleBook) -> list[AmountReading]:
    """Two amounts of one quantity, each with its year (去年1700w 今年2300w; 前年…去年…): earlier, later."""
    level_like = [r for r in readings if r.role in {"value", "previous", "current", "other"}]  # a delta is no level
    anchors = {id(r): _anchor(norm, r.amount) for r in level_like}
    if (len(level_like) == 2 and sum(a is None for a in anchors.values()) == 1
            and all(r.role != "other" for r in level_like)):  # 1.5亿 vs 去年1.1亿: the other is now
        known = next(a for a in anchors.values() if a)
        if known == ("rel", -1):
            anchors = {k: a or ("rel", 0) for k, a in anchors.items()}
    anchored = [(r, anchors[id(r)]) for r in level_like if anchors[id(r)]]
    kinds = {a[0] for _, a in anchored}
    for kind in kinds:
        group = [(r, a[1]) for r, a in anchored if a[0] == kind]
        if len({y for _, y in group}) < 2:
            continue
        first, last = min(y for _, y in group), max(y for _, y in group)
        level_facts = {r.fact for r, _ in group if r.fact and not lexicon.amount(r.fact).quantity}
        if len(level_facts) == 1:  # 去年运营费用260万，今年预计320万: the latest year's is the fact
            fact = level_facts.pop()
            roles = {id(r): ("value" if y == last else "other") for r, y in group}
            readings = [replace(r, role=roles[id(r)], fact=fact) if id(r) in roles else r for r in readings]
            continue
        fact = next((r.fact for r, _ in group if r.fact and lexicon.amount(r.fact).quantity), None) or _suggested(update, lexicon, rules)
        roles = {id(r): ("previous" if y == first else "current" if y == last else "other") for r, y in group}
        # with no words for the quantity the pair still is a pair of levels: the conversation decides which fact
        readings = [replace(r, role=roles[id(r)], fact=fact, certain=fact is not None) if id(r) in roles else r for r in readings]
    return readings


def _zero_words(norm: str, segment: Segment, lexicon: Lexicon, update: ProjectUpdate, rules: RuleBook) -> None:
    """没花钱买模型 → 0; 去年销量为零 / 今年刚上市 → last year's level 0 (so this year's is the increment)."""
    for clause in clauses(norm, segment.start, segment.end):
        m = lexicon.zero.search(clause.text)
        if not m or find_amounts(clause.text) or lexicon.question.search(clause.text):
            continue
        span = Span(clause.start, clause.end)
        for spec in lexicon.amount_facts:
            if spec.fact in update.facts:
                continue
            if re.search(spec.cues, clause.text, re.I) and not spec.quantity:
                update.set(spec.fact, 0, span)
            elif spec.quantity and (re.search(spec.quantity, clause.text, re.I) or spec.fact == _suggested(update, lexicon, rules)):
                if not any(lv.fact == spec.fact and lv.period == "previous" for lv in update.levels):
                    update.levels.append(Level(spec.fact, "previous", 0, span))


def _place(reading: AmountReading, norm: str, lexicon: Lexicon, update: ProjectUpdate, result: Extraction) -> None:
    amount, role = reading.amount, reading.role
    span = Span(amount.start, amount.end)
    update.mentioned.append(amount.yuan)
    if NOT_BEFORE.search(norm[max(0, amount.start - 5):amount.start]):
        update.relabelled.append(amount.yuan)  # 今年是1,500万，不是1300万: 1300万 is what it is not
        return
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
        anchor = _anchor(norm, amount)
        if anchor and anchor[0] == "rel" and reading.confidence < UNSURE_VALUE:  # 今年能到三千四百万，按增量算: a level?
            update.periods[amount.start] = "previous" if anchor[1] < 0 else "current"
            update.level_or_value[reading.fact] = amount.start
        value = amount.yuan
        if role == "delta" and lexicon.decrease.search(norm[max(0, amount.start - 8):amount.start]):
            value = -value
        if fact_spec(reading.fact).scope == "applicant":  # 纳税: the applicant's, not a project's
            result.enterprise[reading.fact], result.enterprise_spans[reading.fact] = value, span
        else:
            update.set(reading.fact, value, span)
    elif role in {"value", "delta", "previous", "current"}:
        update.unsure.append(reading)
        anchor = _anchor(norm, amount) or _anchor(norm, amount, SENTENCE_MARK)
        period = role if role in {"previous", "current"} else None
        if anchor and anchor[0] == "rel":
            period = "previous" if anchor[1] < 0 else "current"
        if period:
            update.periods[amount.start] = period
    elif role == "other" and result.correction:
        restated = RESTATED.search(norm[max([0] + [m.end() for m in re.finditer(r"[，,。；;！!？?\n]", norm[:amount.start])]):amount.start])
        anchor = _anchor(norm, amount) or (_anchor(norm, amount, SENTENCE_MARK) if restated else None)
        if anchor and anchor[0] == "rel":  # 更正：去年不是900万，是1100万 — the corrected level of that year
            update.unsure.append(reading)
            update.periods[amount.start] = "previous" if anchor[1] < 0 else "current"
        else:
            update.relabelled.append(amount.yuan)


def _parts_left_out(norm: str, update: ProjectUpdate) -> None:
    """模型采购费用共380万，其中100万是GPU租赁: the part that does not count comes off the total (380万 − 100万)."""
    for reading in update.excluded:
        fact, span = reading.fact, update.spans.get(reading.fact)
        if fact not in update.facts or span is None or span.derivation or span.start > reading.amount.start:
            continue
        if PART_OF.search(norm[max(span.end, reading.amount.start - 6):reading.amount.start]):
            total = update.facts[fact]
            if 0 < reading.amount.yuan < total:
                update.set(fact, total - reading.amount.yuan, Span(span.start, reading.amount.end,
                                                                   f"{total:,} − {reading.amount.yuan:,}"))


def _received_words(text: str, lexicon: Lexicon, update: ProjectUpdate) -> None:
    for clause in clauses(text):  # 已经拿过那笔一次性奖励了: received, amount not said
        said = re.search(lexicon.received.cues, clause.text, re.I)
        if (said and AWARD_WORD.search(clause.text) and not find_amounts(clause.text) and not lexicon.question.search(clause.text)
                and not lexicon.hypothetical.search(clause.text) and not re.search(lexicon.received.none, clause.text, re.I)
                and not negated(lexicon, clause.text, said.start())):
            update.received_unstated = True
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
                lo, hi = min(previous[-1].span.end, p_start), max(previous[-1].span.start, p_end + 4)
                if GROWTH.search(norm[max(0, p_start - 8):p_end + 4]) and not re.search(r"[。；;！!？?\n]", norm[lo:hi]):
                    value = int(previous[-1].value * fraction)
                    update.set(fact, value, Span(previous[-1].span.start, p_end,
                                                 f"{previous[-1].value:,} × {fraction * 100:g}%"))
                    break
