"""Facts named by words — booleans and categories — read clause by clause from the lexicon.

A boolean fact closely preceded by a negation (还没, 未, 不是, not …) is false. A clause that asks (吗, 能不能,
是否, ?) states nothing, except for facts the lexicon marks `in_questions` (a question about loans is about
loans). Every fact keeps the span of the words it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.understanding.lexicon import Lexicon, WordFact
from assistant.understanding.structure import clauses


@dataclass(frozen=True)
class Found:
    fact: str
    value: Any
    start: int
    end: int


def negated(lexicon: Lexicon, clause: str, at: int) -> bool:
    window = lexicon.not_negation.sub(lambda m: "_" * len(m.group(0)), clause[max(0, at - 10):at])
    match = lexicon.negation.search(window)
    return bool(match) and not lexicon.affirm_after_negation.search(window[match.end(1):])


def _search(pattern: str, text: str):
    return re.search(pattern, text, re.I)


def word_facts(norm: str, start: int, end: int, lexicon: Lexicon) -> list[Found]:
    """Every fact the words of norm[start:end] state, in the lexicon's order (the first reading of a fact wins)."""
    found: dict[str, Found] = {}
    segment_clauses = clauses(norm, start, end)
    for spec in lexicon.word_facts:
        if spec.requires and spec.requires not in found:
            continue
        for clause in segment_clauses:
            reading = _read(spec, clause.text, lexicon)
            if reading is None:
                continue
            value, (s, e) = reading
            key = spec.shared_as or spec.fact
            if spec.fact not in found and key not in found:
                found[spec.shared_as or spec.fact] = Found(spec.shared_as or spec.fact, value, clause.start + s, clause.start + e)
            if spec.values and not spec.clause:
                break
        capture = next((v.capture for v in spec.values if v.capture and spec.fact in found and found[spec.fact].value == v.value), None)
        if capture and capture not in found:
            hit = found[spec.fact]
            found[capture] = Found(capture, norm[hit.start:hit.end], hit.start, hit.end)
    return list(found.values())


def _read(spec: WordFact, clause: str, lexicon: Lexicon) -> tuple[Any, tuple[int, int]] | None:
    asked = bool(lexicon.question.search(clause) or lexicon.hypothetical.search(clause))
    if asked and not spec.in_questions:
        return None
    if spec.skip_when and _search(spec.skip_when, clause):
        return None
    if spec.requires_near and not _search(spec.requires_near, clause):
        return None
    if spec.capture_from:
        m = _search(spec.capture_from, clause)
        return (m.group(0), m.span()) if m else None
    if spec.values:
        for cue in spec.values:
            for m in re.finditer(cue.pattern, clause, re.I):
                if not negated(lexicon, clause, m.start()):
                    return cue.value, m.span()
        return None
    m = _search(spec.pattern, clause) if spec.pattern else None
    if not m:
        return None
    if spec.not_when and _search(spec.not_when, clause):
        return False, m.span()
    return (True if asked else not negated(lexicon, clause, m.start())), m.span()


def shared_target(found: list[Found], project_facts: dict[str, Any], lexicon: Lexicon, name: str) -> list[str]:
    """Which facts a shared phrase (own_ip) means here: the model's, the software's, or both when unclear."""
    targets = [w.fact for w in lexicon.word_facts if w.shared_as == name]
    known = {f.fact: f.value for f in found} | project_facts

    def about(target: str) -> bool:  # model_own_ip is about a model: model_kind is known, or a value names it
        prefix = target.split("_")[0]
        return any((k.startswith(prefix + "_") and k != target and v) or (isinstance(v, str) and prefix in v)
                   for k, v in known.items())

    chosen = [t for t in targets if about(t)]
    return chosen or targets
