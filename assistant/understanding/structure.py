"""The shape of a message: its clauses, and where one project ends and another begins.

"一是…二是…三是…", "A项目…B项目…", "1）2）", "一个是…另一个是…", "还有一个完全独立的项目" start projects
that add up; "同一个项目" keeps one. Markers come from the lexicon; spans index the message itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.understanding.lexicon import Lexicon

CLAUSE_SPLIT = re.compile(r"[，。；;！!？?\n:：]|,(?!\d{3})")  # 2,000,000 is one number, not three clauses
CN_ORDINAL = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "①": 1, "②": 2, "③": 3, "④": 4, "⑤": 5}


@dataclass(frozen=True)
class Segment:
    """A stretch of the message about one project: `name` ("A项目", "项目2") or a new unnamed one, or the current."""

    start: int
    end: int
    name: str | None = None
    number: int | None = None
    new: bool = False


@dataclass(frozen=True)
class Clause:
    start: int
    end: int
    text: str


def clauses(norm: str, start: int = 0, end: int | None = None) -> list[Clause]:
    end = len(norm) if end is None else end
    out, at = [], start
    for m in CLAUSE_SPLIT.finditer(norm, start, end):
        if norm[at:m.start()].strip():
            out.append(Clause(at, m.start(), norm[at:m.start()]))
        at = m.end()
    if norm[at:end].strip():
        out.append(Clause(at, end, norm[at:end]))
    return out


def segments(norm: str, lexicon: Lexicon) -> list[Segment]:
    """The message cut at project markers; the text before the first marker belongs to the current project."""
    if re.search(lexicon.projects.same, norm, re.I) and not re.search(lexicon.projects.several, norm, re.I):
        return [Segment(0, len(norm))]
    marks = list(re.finditer(lexicon.projects.marker, norm, re.I))
    if not marks and (several := re.search(lexicon.projects.several, norm, re.I)):
        return _listed(norm, several.end())  # 两个平台：国家级…；省级…
    if not marks:
        return [Segment(0, len(norm))]
    out = [Segment(0, marks[0].start())] if marks[0].start() > 0 else []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(norm)
        groups = m.groupdict()
        letter = next((groups[g] for g in ("name", "suffix", "en", "lead", "enp") if groups.get(g)), None)
        number_text = next((groups[g] for g in ("ord", "ord2", "enum", "num", "paren", "circ", "ennum") if groups.get(g)), None)
        if letter:
            out.append(Segment(m.start(), end, name=f"{letter.upper()}项目"))
        elif number_text:
            number = int(number_text) if number_text.isdigit() else CN_ORDINAL.get(number_text, 1)
            out.append(Segment(m.start(), end, name=f"项目{number}", number=number))
        elif groups.get("first"):
            out.append(Segment(m.start(), end, name="项目1", number=1))
        else:
            out.append(Segment(m.start(), end, new=True))
    return _joined(out, marks)


def _listed(norm: str, after: int) -> list[Segment]:
    """"两个平台：A…；B…": after a count of projects, each part between semicolons is one project."""
    start = norm.find("：", after) if "：" in norm[after:after + 12] else norm.find(":", after)
    if start < 0 or start - after > 12:
        return [Segment(0, len(norm))]
    cuts = [m.start() for m in re.finditer(r"[；;]", norm[start:])]
    if not cuts:
        return [Segment(0, len(norm))]
    bounds = [start + 1] + [start + c + 1 for c in cuts] + [len(norm)]
    parts = [Segment(0, start + 1)]
    parts += [Segment(a, b, name=f"项目{i + 1}", number=i + 1) for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))
              if norm[a:b].strip()]
    return parts


def _joined(parts: list[Segment], marks: list[re.Match]) -> list[Segment]:
    """'第二块是另一个项目': two markers a few characters apart name one project."""
    ends = {m.start(): m.end() for m in marks}
    out: list[Segment] = []
    for part in parts:
        previous = out[-1] if out else None
        if previous and previous.start in ends and part.start - ends[previous.start] <= 2 and (previous.name or previous.new):
            out[-1] = Segment(previous.start, part.end, previous.name or part.name, previous.number or part.number,
                              previous.new and part.new or (previous.name is None and part.name is None))
            continue
        out.append(part)
    return out
