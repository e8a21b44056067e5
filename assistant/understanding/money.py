"""From an amount and its learned role to the fact it concerns, by the lexicon's words around it.

The role (`roles.RoleClassifier`) says what kind of figure it is; this module finds *which* fact: the amount
fact whose cue words stand nearest (the same sentence first, the left side preferred, "500万的销售增量" on the
right), unless a not-this word of that fact stands nearer ("租GPU算力180万" is not 模型购买费用). An amount tied
to a fact only by the conversation, not by words, is marked uncertain: the assistant asks before using it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.amounts import Amount
from assistant.understanding.lexicon import Lexicon
from assistant.understanding.roles import RoleGuess

SENTENCE_END = re.compile(r"[。；;！!？?\n]|\.(?=\s)")
CLAUSE_END = re.compile(r"[，,。；;！!？?\n：:]")
YEAR = re.compile(r"(20\d{2})\s*年")
COUNT = re.compile(r"(连续|这|近|过去)?\s*([两二三四五2-5])\s*(年|个年度)|(two|three|four) years", re.I)
COUNTS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "two": 2, "three": 3, "four": 4}
LEVEL_ROLES = {"previous", "current"}
EN_YEARS_AFTER = re.compile(r"\b(?:in|during)\s+(20\d{2}(?:\s*(?:and|,|&)\s*20\d{2})*)", re.I)
RELATIVE_YEARS = re.compile(r"前年|去年|上年|今年|本年|last year|this year|the year before", re.I)
RIGHT_REACH = 12
CUE_NEAR = 8  # characters: a fact's name this near an amount names it
ADJACENT_GAP = re.compile(r"[\s:：是为约近了共计达]*")  # what may stand between a fact's name and its amount (not 到/至)


@dataclass(frozen=True)
class AmountReading:
    amount: Amount
    role: str
    confidence: float
    fact: str | None = None  # measured (value, delta), a level of (previous, current), or must not be (excluded)
    certain: bool = True  # False: no words tie it to `fact`
    program: str | None = None  # received: the programme named near it
    years: tuple[int, ...] = ()  # received: the years it was received in
    count: int | None = None  # received each year: for how many years
    this_year: bool = False  # received each year: this year among them


def _sentence(norm: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in SENTENCE_END.finditer(norm, 0, start)), default=0)
    right = SENTENCE_END.search(norm, end)
    return left, right.start() if right else len(norm)


def _distance(pattern: str | None, norm: str, amount: Amount, lo: int, hi: int) -> int | None:
    """How far the nearest match of `pattern` stands from the amount within norm[lo:hi]; right side costs more."""
    if not pattern:
        return None
    best = None
    for m in re.finditer(pattern, norm[lo:amount.start], re.I):
        d = amount.start - (lo + m.end())
        best = d if best is None else min(best, d)
    right = norm[amount.end:min(hi, amount.end + RIGHT_REACH * 3)]
    reach = RIGHT_REACH * 3 if re.match(r"[\x00-\x7f]{6}", right) else RIGHT_REACH  # English says it in more letters
    for m in re.finditer(pattern, right[:reach], re.I):
        d = m.start() + 3
        best = d if best is None else min(best, d)
    return best


def _in_clause(pattern: str | None, norm: str, amount: Amount) -> bool:
    if not pattern:
        return False
    lo = max([0] + [m.end() for m in CLAUSE_END.finditer(norm, 0, amount.start)])
    hi = next((m.start() for m in CLAUSE_END.finditer(norm, amount.end)), len(norm))
    return bool(re.search(pattern, norm[lo:hi], re.I))


def _named_right_before(cues: str, norm: str, amount: Amount, lo: int) -> bool:
    ends = [m.end() for m in re.finditer(cues, norm[lo:amount.start], re.I)]
    return bool(ends) and bool(ADJACENT_GAP.fullmatch(norm[lo + max(ends):amount.start]))


def _nearest_fact(norm: str, amount: Amount, role: str, lexicon: Lexicon, lo: int, hi: int, not_lo: int | None = None):
    scored = []
    for order, spec in enumerate(lexicon.amount_facts):
        cue = _distance(spec.cues, norm, amount, lo, hi)
        quantity = _distance(spec.quantity, norm, amount, lo, hi) if role in LEVEL_ROLES | {"value", "delta", "other"} else None
        distances = [d for d in (cue, None if quantity is None else quantity + 1) if d is not None]  # its own name first
        if distances:
            scored.append((min(distances), -order, spec, cue))  # a tie goes to the later, more specific file
    if not scored:
        return None, None, None
    distance, _, spec, cue = min(scored, key=lambda x: (x[0], x[1]))
    not_this = _distance(spec.not_this, norm, amount, max(lo, not_lo or lo), hi)  # 3000万是建设投入，180万是运营费用
    return spec, (not_this is not None and not_this < distance), cue


def read_amount(norm: str, amount: Amount, guess: RoleGuess, lexicon: Lexicon, segment_start: int) -> AmountReading:
    role, confidence = guess.role, guess.confidence
    s_lo, s_hi = _sentence(norm, amount.start, amount.end)
    if role.startswith("received"):
        return _received(norm, amount, role, confidence, lexicon, s_lo, s_hi)
    if role in {"claim"}:
        return AmountReading(amount, role, confidence)
    clause_lo = max([s_lo] + [m.end() for m in CLAUSE_END.finditer(norm, s_lo, amount.start)])
    spec, overruled, cue = _nearest_fact(norm, amount, role, lexicon, s_lo, s_hi, clause_lo)
    certain = True
    if spec is None:  # no words in the sentence: the words earlier in this project's part of the message
        spec, overruled, cue = _nearest_fact(norm, amount, role, lexicon, segment_start, s_hi)
        certain = spec is not None and role not in {"other"}
    if spec is None:
        return AmountReading(amount, role, confidence, certain=False)
    if role in {"other", "previous", "current"} and _named_right_before(spec.cues, norm, amount, s_lo) and not overruled:
        role = "value"  # the fact's own name right before it (去年营业收入1500万, rose by RMB 32 million): certain
    elif role == "other" and spec.quantity and _named_right_before(spec.quantity, norm, amount, s_lo) and not overruled:
        role = "current"  # 卖了420万: a level of the quantity, waiting for (or meeting) the other year's
    if role == "excluded" and cue is not None and cue <= CUE_NEAR and not overruled and not _in_clause(spec.not_this, norm, amount):
        role = "value"  # "180万是年度运营费用": its own name, and no word of what does not count, in its clause
    if overruled and role in {"value", "delta", "other"}:
        role = "excluded"
    if role in LEVEL_ROLES and not spec.quantity:
        role = "value"  # a fact that is itself a level (运营费用, 上年度营业收入); two years of it: see _ordered_by_year
    return AmountReading(amount, role, confidence, spec.fact, certain)


def _received(norm: str, amount: Amount, role: str, confidence: float, lexicon: Lexicon, lo: int, hi: int) -> AmountReading:
    sentence = norm[lo:hi]
    program = next((p.program for p in lexicon.received.programs if re.search(p.pattern, sentence, re.I)), None)
    clause_start = max((m.end() for m in CLAUSE_END.finditer(norm, lo, amount.start)), default=lo)
    if role == "received_total" and re.search(lexicon.received.each_year, norm[clause_start:amount.start], re.I):
        role = "received_each_year"  # 前年和去年各拿了100万: the lexicon's 各/每年 is certain
    clause_end = next((m.start() for m in CLAUSE_END.finditer(norm, amount.end, hi)), hi)
    after = EN_YEARS_AFTER.search(norm[amount.end:clause_end])  # "RMB 800,000 each year in 2026 and 2027"
    right_years = [int(y) for y in re.findall(r"20\d{2}", after.group(1))] if after else []
    years = [int(y) for y in YEAR.findall(norm[lo:amount.start])] + right_years
    near_years = [int(y) for y in YEAR.findall(norm[clause_start:amount.start])] + right_years
    count = None
    if role == "received_each_year":
        m = COUNT.search(sentence)
        count = COUNTS.get((m.group(2) or m.group(4) or "").lower()) or (int(m.group(2)) if m and m.group(2) and m.group(2).isdigit() else None) if m else None
        relative = {w for w in RELATIVE_YEARS.findall(norm[lo:amount.start])}  # 前年和去年各拿了100万
        count = count or (len(set(years)) if len(set(years)) >= 2 else None) or (len(relative) if len(relative) >= 2 else None)
        this_year = bool(relative & {"今年", "本年", "this year"})
        return AmountReading(amount, role, confidence, program=program, years=tuple(sorted(set(years))), count=count,
                             this_year=this_year)
    if re.search(lexicon.received.total, norm[clause_start:amount.start], re.I):
        near_years = []  # 累计拿过180万: a total, whatever year stands nearby
    return AmountReading(amount, role, confidence, program=program, years=tuple(near_years[-1:]))
