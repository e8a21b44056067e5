"""Money and percentages in Chinese and English text: 700万, 七百万元, 一千五百万, 2.5亿, 2,000,000元, "3.5 million yuan", "RMB 2m".

A bare number is not money: it needs 万/亿/元/块, or yuan/RMB/¥ with million/m/k. 2025年 and 3年 are not amounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an

CN_NUM = "零〇一二两三四五六七八九十百千万亿点"
ARABIC = r"\d+(?:[,，]\d{3})*(?:\.\d+)?"
_ZH_MONEY = re.compile(
    rf"(?P<num>{ARABIC}|[{CN_NUM}]+)\s*(?P<unit>千万|百万|十万|万|亿)?\s*(?P<yuan>元|块钱|块|人民币)?")
_EN_MONEY = re.compile(
    rf"(?P<pre>rmb|cny|¥|￥)?\s*(?P<num>{ARABIC})\s*(?P<unit>million|mn|m|k|thousand|billion|bn)?\b\s*(?P<post>yuan|rmb|cny)?",
    re.I)
_PERCENT = re.compile(rf"(?P<num>{ARABIC})\s*[%％]|百分之(?P<cn>[{CN_NUM}]+)")
UNIT_ZH = {"万": 10_000, "十万": 100_000, "百万": 1_000_000, "千万": 10_000_000, "亿": 100_000_000}
UNIT_EN = {"million": 1_000_000, "mn": 1_000_000, "m": 1_000_000, "k": 1_000, "thousand": 1_000,
           "billion": 1_000_000_000, "bn": 1_000_000_000}


@dataclass(frozen=True)
class Amount:
    yuan: int
    start: int
    end: int
    text: str


def _number(raw: str) -> Decimal | None:
    raw = raw.replace(",", "").replace("，", "")
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", raw):
            return Decimal(raw)
        return Decimal(str(cn2an.cn2an(raw, "smart")))
    except (ValueError, InvalidOperation, KeyError, IndexError, TypeError):
        return None


def find_amounts(text: str) -> list[Amount]:
    """Every money amount in `text`, in order, in whole yuan."""
    found: list[Amount] = []
    for m in _ZH_MONEY.finditer(text):
        num = m.group("num")
        unit, yuan_word = m.group("unit"), m.group("yuan")
        if not (unit or yuan_word) and not re.search(r"[万亿]", num):
            continue  # 3年, 2025, 第一: not money
        if text[m.end():m.end() + 1] in {"年", "月", "日", "条", "个", "%", "％"}:
            continue
        value = _number(num)
        if value is None:
            continue
        found.append(Amount(int(value * UNIT_ZH.get(unit or "", 1)), m.start(), m.end(), m.group(0).strip()))
    for m in _EN_MONEY.finditer(text):
        if not (m.group("pre") or m.group("post")) or any(a.start <= m.start("num") < a.end for a in found):
            continue
        value = _number(m.group("num"))
        if value is None:
            continue
        factor = UNIT_EN.get((m.group("unit") or "").lower(), 1)
        found.append(Amount(int(value * factor), m.start(), m.end(), m.group(0).strip()))
    return sorted(found, key=lambda a: a.start)


def find_percentages(text: str) -> list[tuple[Decimal, int, int]]:
    """(fraction, start, end): 20% → 0.2, 百分之三十 → 0.3."""
    out = []
    for m in _PERCENT.finditer(text):
        value = _number(m.group("num") or m.group("cn"))
        if value is not None:
            out.append((value / 100, m.start(), m.end()))
    return out
