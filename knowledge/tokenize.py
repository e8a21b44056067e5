"""Chinese-aware tokens for the keyword index: jieba words (with the domain's terms) and character bigrams."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba

from knowledge.glossary import load_glossary

jieba.setLogLevel(logging.WARNING)
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
STOPWORDS = set(
    "的 了 和 与 及 或 等 对 在 是 有 吗 呢 吧 啊 我们 我 你 他 她 它 这 那 个 里 用 能 可以 什么 怎么 多少 哪些 一个 给予 支持 政策 有没有 相关 还有 请问 "
    "a an the is are do does we our i you for of to in on and or what how can any there".split()
)


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    for term in load_glossary().terms():
        tokenizer.add_word(term, freq=200_000)
    return tokenizer


def words(text: str) -> list[str]:
    """jieba words, lower-cased, without punctuation and stop words."""
    out = []
    for word in _tokenizer().lcut(text.lower()):
        word = word.strip()
        if word and not _PUNCT.fullmatch(word) and word not in STOPWORDS:
            out.append(word)
    return out


def bigrams(text: str) -> list[str]:
    """Overlapping character pairs within runs of CJK or ASCII words: robust where jieba splits names apart."""
    tokens: list[str] = []
    for run in _PUNCT.split(text.lower()):
        if not run:
            continue
        for piece in re.findall(r"[a-z0-9]+|[^\x00-\x7f]+", run):
            if piece.isascii():
                tokens.append(piece)
            elif len(piece) == 1:
                tokens.append(piece)
            else:
                tokens.extend(piece[i : i + 2] for i in range(len(piece) - 1))
    return tokens
