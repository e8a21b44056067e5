"""The conversation's language: a message decides it only when it has words; a bare amount keeps the session's."""

from __future__ import annotations

import re

# characters that are part of a number or its unit (1200万, 两千万元) say nothing about the language
NUMERIC_CJK = set("零〇一二两三四五六七八九十百千万亿萬億元块")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
NOT_WORDS = {"rmb", "cny", "ai", "ok", "vs"}


def language_of(text: str) -> str | None:
    """"zh", "en", or None when the message has no words to tell (1200万, 500w, "ok")."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" and ch not in NUMERIC_CJK)
    latin = sum(1 for w in LATIN_WORD.findall(text) if w.lower() not in NOT_WORDS)
    if cjk >= 2 and cjk >= latin:
        return "zh"
    if latin >= 2 and latin > cjk:
        return "en"
    if cjk >= 1 and latin == 0:
        return "zh"
    return None


def conversation_language(text: str, earlier: list[str]) -> str:
    """This message's language, else the latest earlier user message's that has one, else Chinese."""
    for candidate in [text, *reversed(earlier)]:
        found = language_of(candidate)
        if found:
            return found
    return "zh"
