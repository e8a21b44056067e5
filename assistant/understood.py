"""What the assistant understood this turn, said back in the person's own words (prose at the edge).

"您说“年运营费0.2亿元” → 平台年度运营费用 20,000,000 元": every line is a `FactSource` of this turn, so a
misreading is visible at once and can be corrected before anyone relies on a figure.
"""

from __future__ import annotations

from assistant.state import FactSource
from eligibility.catalogue import short_label, value_label

MAX_LINES = 4


def understood_lines(sources: list[FactSource], turn: int, language: str) -> list[str]:
    mine = [s for s in sources if s.turn == turn and (isinstance(s.value, int) and not isinstance(s.value, bool))]
    mine += [s for s in sources if s.turn == turn and s not in mine and s.fact.endswith(("_level", "_kind", "_category"))]
    if not mine:
        return []
    lines = []
    for s in mine[:MAX_LINES]:
        value = value_label(s.fact, s.value, language)
        how = f"（{s.derivation}）" if s.derivation and s.derivation[0].isdigit() and language == "zh" else \
            f" ({s.derivation})" if s.derivation and s.derivation[0].isdigit() else ""
        if language == "zh":
            lines.append(f"您说“{s.quote}” → {short_label(s.fact, 'zh')} {value}{how}")
        else:
            lines.append(f"You said “{s.quote}” → {short_label(s.fact, 'en')}: {value}{how}")
    head = "我理解的情况（如有不对请直接更正）：" if language == "zh" else "What I understood (correct me if anything is wrong):"
    return [head, *lines]
