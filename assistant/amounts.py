"""Money and percentages in Chinese and English text, with their exact place in the message.

700万, 七百万元, 一千五百万, 2.5亿, 0.2亿, 1亿2000万, 860w, 1,387.6万, 三百来万, 2,000,000元, 800萬元,
"RMB 3.5 million", "8 million yuan", "RMB 2m". A bare number is not money: it needs 万/亿/元/块/w, or
yuan/RMB/¥, or million/billion. 2025年 and 3年 are not amounts. Numerals go through `cn2an`, traditional
characters through OpenCC; `normalise` keeps every character in place, so a span in the normalised text is the
same span in what the person wrote (the words an amount came from are quoted back to them exactly).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import cn2an

CN_NUM = "零〇一二两三四五六七八九十百千万亿点壹贰叁肆伍陆柒捌玖拾佰仟"
ARABIC = r"\d+(?:[,，]\d{3})*(?:\.\d+)?"
MIXED = r"\d+(?:\.\d+)?[千百十](?:\d+[千百十]?)*"  # 5千2百(万): digits with Chinese units
NUM = rf"(?:{MIXED}|{ARABIC}|[{CN_NUM}]+)"
_ZH_MONEY = re.compile(
    rf"(?P<num>{NUM})\s*(?:(?P<yi>亿)\s*(?P<rest>{NUM})\s*(?P<rest_unit>万)?|个?(?P<approx>来|多|余)?\s*(?P<unit>千万|百万|十万|万|亿|w(?![a-z])))"
    rf"?\s*(?P<yuan>元|块钱|人民币)?", re.I)
_EN_MONEY = re.compile(
    rf"(?P<pre>rmb|cny|¥|￥)?\s*(?P<num>{ARABIC})\s*(?P<unit>million|mn|m|k|thousand|billion|bn)?(?![a-z])\s*(?P<post>yuan|rmb|cny)?",
    re.I)
NOT_MONEY_AFTER = re.compile(r"\s*(users?|people|persons?|students?|trainees?|stars?|downloads?|customers?|visits?|"
                             r"devices?|units?|pieces?|tokens?|parameters?|params?|images?|records?|rows?|hours?)\b", re.I)
_PERCENT = re.compile(rf"(?P<num>{ARABIC})\s*[%％]|百分之(?P<cn>[{CN_NUM}]+)")
UNIT_ZH = {"万": 10_000, "w": 10_000, "十万": 100_000, "百万": 1_000_000, "千万": 10_000_000, "亿": 100_000_000}
UNIT_EN = {"million": 1_000_000, "mn": 1_000_000, "m": 1_000_000, "k": 1_000, "thousand": 1_000,
           "billion": 1_000_000_000, "bn": 1_000_000_000}


@dataclass(frozen=True)
class Amount:
    yuan: int
    start: int
    end: int
    text: str
    approximate: bool = False  # 三百来万, 两千多万: at least this much, about


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Simplified characters, half-width forms, lower case — character by character, so offsets are kept."""
    converted = _t2s().convert(text)
    if len(converted) != len(text):
        converted = "".join(c if len(c) == 1 else o for c, o in ((_t2s().convert(o), o) for o in text))
    out = []
    for ch in converted:  # full-width letters and digits fold; Chinese punctuation (，；：？) stays what it is
        folded = unicodedata.normalize("NFKC", ch).lower()
        out.append(folded if len(folded) == 1 and (folded.isalnum() or folded in "%.") else ch.lower())
    return "".join(out)


def _number(raw: str) -> Decimal | None:
    raw = raw.replace(",", "").replace("，", "")
    try:
        if re.fullmatch(r"\d+(?:\.\d+)?", raw):
            return Decimal(raw)
        return Decimal(str(cn2an.cn2an(raw, "smart")))
    except (ValueError, InvalidOperation, KeyError, IndexError, TypeError):
        return None


def _zh_value(m: re.Match) -> tuple[Decimal | None, bool]:
    num = _number(m.group("num"))
    if num is None:
        return None, False
    if m.group("yi"):  # 1亿2000万, 一亿二千万
        rest = _number(m.group("rest"))
        if rest is None:
            return None, False
        return num * UNIT_ZH["亿"] + rest * (UNIT_ZH["万"] if m.group("rest_unit") else 1), False
    return num * UNIT_ZH.get((m.group("unit") or "").lower(), 1), bool(m.group("approx"))


def find_amounts(text: str) -> list[Amount]:
    """Every money amount in `text`, in order, in whole yuan; spans index `text` itself."""
    norm = normalise(text)
    found: list[Amount] = []
    for m in _ZH_MONEY.finditer(norm):
        unit, yuan_word = m.group("unit") or m.group("yi"), m.group("yuan")
        if not (unit or yuan_word) and not re.search(r"[万亿]", m.group("num")):
            continue  # 3年, 2025, 第一: not money
        if norm[m.end():m.end() + 1] in {"年", "月", "日", "号", "条", "个", "%", "％", "倍", "人", "家", "项", "次", "颗", "星"}:
            continue
        value, approximate = _zh_value(m)
        if value is None or value <= 0 or (not unit and not re.search(r"[万亿]", m.group("num")) and value < 1000):
            continue  # 两块(业务), 5元: not the money this policy is about
        end = m.end() - (len(m.group(0)) - len(m.group(0).rstrip()))
        found.append(Amount(int(value), m.start(), end, text[m.start():end], approximate))
    for m in _EN_MONEY.finditer(norm):
        unit = (m.group("unit") or "").lower()
        written_m = unit == "m" and text[m.start("unit"):m.end("unit")] == "M"  # 1.5M, 2M: a capital M is millions
        money_word = m.group("pre") or m.group("post") or unit in {"million", "billion", "mn", "bn"} or written_m
        if not money_word or any(a.start <= m.start("num") < a.end for a in found):
            continue
        if not (m.group("pre") or m.group("post")) and NOT_MONEY_AFTER.match(norm, m.end()):
            continue  # 2 million users
        value = _number(m.group("num"))
        if value is None:
            continue
        start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        end = m.end() - (len(m.group(0)) - len(m.group(0).rstrip()))
        found.append(Amount(int(value * UNIT_EN.get(unit, 1)), start, end, text[start:end]))
    return sorted(found, key=lambda a: a.start)


def find_percentages(text: str) -> list[tuple[Decimal, int, int]]:
    """(fraction, start, end): 20% → 0.2, 百分之三十 → 0.3."""
    out = []
    for m in _PERCENT.finditer(normalise(text)):
        value = _number(m.group("num") or m.group("cn"))
        if value is not None:
            out.append((value / 100, m.start(), m.end()))
    return out
